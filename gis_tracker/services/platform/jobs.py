"""Run long tasks in the background and let users follow their progress.

``start(kind, fn, params, username)`` stores a :class:`Job` and runs
``fn(progress, **params)`` in a worker thread with its own app context and
session; ``progress(percent, message)`` updates the row in its own short
transaction so a page polling ``GET /api/jobs/<id>`` sees it move.  ``fn``
returns a JSON-ready dict (the result).  An :class:`AppError` marks the job
failed with its code and message; anything else is logged and reported as a
generic failure.  Jobs survive the page: the user can leave and come back.

Jobs run in threads of the serving process (or inline in a command), so a
restart, a crash or a killed command ends them mid-way (their transaction
rolls back: nothing half-written).  A job's worker holds a PostgreSQL
advisory lock ``(JOB_LOCK_SPACE, job id)`` on a connection of its own from
*before* the job row is committed until the job has ended; PostgreSQL
releases it the moment that process dies (its connection closes).  So
:func:`reap_stale` reports a queued or running job whose lock is free as
failed (``interrupted``) at once — no waiting for a heartbeat to grow old —
and reopens the import it was committing (an import the command line started
is closed instead: nobody comes back to it).  A job whose worker is alive but
slow keeps its lock and is left alone, however long it is silent.  The caller
links a job to what it works on (``link``) in the same transaction that
creates it, so there is never a job the reaper cannot trace back.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask, current_app
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from ...errors import AppError, NotFound
from ...i18n import gettext as _
from ...models import DataImport
from ...models.job import Job

LOGGER = logging.getLogger(__name__)
Progress = Callable[[int, str | None], None]
JOB_LOCK_SPACE = 0x5F1A  # first key of the (space, job id) advisory locks a running job holds


def _update(app: Flask, job_id: int, **values) -> None:
    with app.app_context():
        factory = app.extensions["db_sessionmaker"]
        with factory() as session:
            job = session.get(Job, job_id)
            if job is None:  # its transaction was rolled back after all (enqueue in a savepoint)
                return
            for key, value in values.items():
                setattr(job, key, value)
            job.heartbeat_at = datetime.now(UTC)
            session.commit()


def _claim(app: Flask, job_id: int):
    """Take the job's advisory lock on a connection of its own (held until :func:`_release`)."""
    guard = app.extensions["db_engine"].connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        guard.execute(select(func.pg_advisory_lock(JOB_LOCK_SPACE, job_id)))
    except BaseException:
        guard.close()
        raise
    return guard


def _release(guard, job_id: int) -> None:
    try:
        guard.execute(select(func.pg_advisory_unlock(JOB_LOCK_SPACE, job_id)))
    except Exception:  # noqa: BLE001 - a dead connection released the lock anyway
        LOGGER.warning("could not release the lock of job %s cleanly", job_id)
    finally:
        try:
            guard.close()
        except Exception:  # noqa: BLE001
            pass


def _run(app: Flask, job_id: int, fn: Callable[..., dict], params: dict, guard) -> None:
    with app.app_context():
        try:
            _run_guarded(app, job_id, fn, params)
        finally:
            _release(guard, job_id)


def _run_guarded(app: Flask, job_id: int, fn: Callable[..., dict], params: dict) -> None:
    def progress(percent: int, message: str | None = None) -> None:
        _update(app, job_id, progress=max(0, min(100, int(percent))), message=message)

    _update(app, job_id, status="running")
    try:
        with app.app_context():
            result = fn(progress, **params)
        _update(app, job_id, status="done", progress=100, result=result,
                finished_at=datetime.now(UTC))
    except AppError as exc:
        _update(app, job_id, status="failed", message=exc.message, error_code=exc.code,
                finished_at=datetime.now(UTC))
    except Exception:  # noqa: BLE001 - a job must always end in a final state
        LOGGER.exception("job %s failed", job_id)
        _update(app, job_id, status="failed", message=_("任务失败，请联系管理员"),
                error_code="internal_error", finished_at=datetime.now(UTC))


def start(session: Session, kind: str, fn: Callable[..., dict], params: dict, username: str | None,
          wait: bool = False, link: Callable[[Job], None] | None = None) -> Job:
    """Store a job and run it in a background thread (or inline when ``wait``).

    ``link(job)`` runs before the commit, in the caller's transaction (e.g. the
    import records its ``job_id``), and the worker's lock is taken before the
    commit too: from the moment anyone can see the job, a dead worker shows.
    """
    job = Job(kind=kind, params=params, username=username, status="queued", progress=0)
    session.add(job)
    session.flush()
    if link is not None:
        link(job)
    app = current_app._get_current_object()
    guard = _claim(app, job.id)
    try:
        session.commit()
    except BaseException:
        _release(guard, job.id)
        raise
    if wait or app.config.get("JOBS_INLINE"):
        _run(app, job.id, fn, params, guard)
        session.refresh(job)
    else:
        threading.Thread(target=_run, args=(app, job.id, fn, params, guard), daemon=True,
                         name=f"job-{job.id}").start()
    return job


_PENDING = "jobs_after_commit"


def enqueue(session: Session, kind: str, fn: Callable[..., dict], params: dict, username: str | None) -> Job:
    """Store a job in the session's transaction; it starts when that transaction commits.

    For work that follows a change (pre-rendering tiles after an import or an edit): the job
    row commits with the change, or goes with it when the change rolls back, and nothing runs.
    The caller does not commit (write hooks must not).  As with :func:`start`, the worker's
    lock is taken before the commit, so a job nobody runs (the process died) is reaped at once.
    """
    job = Job(kind=kind, params=params, username=username, status="queued", progress=0)
    session.add(job)
    session.flush()
    app = current_app._get_current_object()
    session.info.setdefault(_PENDING, []).append((app, job.id, fn, params, _claim(app, job.id)))
    return job


@event.listens_for(Session, "after_commit")
def _start_pending(session: Session) -> None:
    for app, job_id, fn, params, guard in session.info.pop(_PENDING, []):
        if app.config.get("JOBS_INLINE"):
            _run(app, job_id, fn, params, guard)
        else:
            threading.Thread(target=_run, args=(app, job_id, fn, params, guard), daemon=True,
                             name=f"job-{job_id}").start()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    for _app, job_id, _fn, _params, guard in session.info.pop(_PENDING, []):
        _release(guard, job_id)


UNATTENDED_USERS = ("cli",)
"""Who starts imports nobody comes back to (the command line): reaped, their import is closed, not reopened."""


def reap_stale(session: Session) -> list[int]:
    """Mark queued/running jobs whose worker is gone as failed and reopen (or close) their imports.

    A live worker holds its job's advisory lock (see :func:`start`); a free lock
    means the process died.  Returns the ids of the jobs reaped.
    """
    candidates = list(session.scalars(select(Job).where(Job.status.in_(("queued", "running")))
                                      .with_for_update(skip_locked=True)))
    stale = [job for job in candidates
             if session.scalar(select(func.pg_try_advisory_xact_lock(JOB_LOCK_SPACE, job.id)))]
    if not stale:
        session.commit()  # ends the transaction (and the row locks) either way
        return []
    now = datetime.now(UTC)
    ids = [j.id for j in stale]
    committed = {r.job_id: r for r in session.scalars(select(DataImport).where(
        DataImport.job_id.in_(ids), DataImport.status == "committed"))}
    for job in stale:
        if job.id in committed:  # the data was committed; only the job's last update was lost
            job.status, job.progress, job.result, job.finished_at = "done", 100, committed[job.id].result, now
            continue
        job.status, job.error_code, job.finished_at = "failed", "interrupted", now
        job.message = _("任务中断（服务曾重启），未写入任何数据，请重新发起")
    session.execute(update(DataImport).where(DataImport.status == "committing", DataImport.job_id.in_(ids),
                                             DataImport.username.not_in(UNATTENDED_USERS))
                    .values(status="previewed", error_code="interrupted", updated_at=now,
                            message=_("上次导入中断，未写入任何数据，可再次导入")))
    session.execute(update(DataImport).where(DataImport.status == "committing", DataImport.job_id.in_(ids),
                                             DataImport.username.in_(UNATTENDED_USERS))
                    .values(status="failed", error_code="interrupted", updated_at=now,
                            message=_("命令行导入中断，未写入任何数据，请重新运行导入命令")))
    LOGGER.warning("jobs %s interrupted: their worker is gone (its lock is free)", ids)
    session.commit()
    return ids


def get(session: Session, job_id: int, username: str | None = None, is_admin: bool = False) -> Job:
    """Return a job the user may see (their own, or any for an admin)."""
    reap_stale(session)
    job = session.get(Job, job_id)
    if job is None or (not is_admin and job.username != username):
        raise NotFound("任务不存在", code="unknown_job")
    session.refresh(job)
    return job


def as_dict(job: Job) -> dict:
    """Return the JSON view of a job."""
    return {"id": job.id, "kind": job.kind, "status": job.status, "progress": job.progress,
            "message": job.message, "result": job.result, "error_code": job.error_code,
            "created_at": job.created_at.isoformat() if job.created_at else None,
            "finished_at": job.finished_at.isoformat() if job.finished_at else None}
