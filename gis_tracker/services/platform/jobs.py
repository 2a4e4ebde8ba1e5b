"""Run long tasks in the background and let users follow their progress.

``start(kind, fn, params, username)`` stores a :class:`Job` and runs
``fn(progress, **params)`` in a worker thread with its own app context and
session; ``progress(percent, message)`` updates the row in its own short
transaction so a page polling ``GET /api/jobs/<id>`` sees it move.  ``fn``
returns a JSON-ready dict (the result).  An :class:`AppError` marks the job
failed with its code and message; anything else is logged and reported as a
generic failure.  Jobs survive the page: the user can leave and come back.

Jobs run in threads of the serving process, so a restart or a crash ends
them mid-way (their transaction rolls back: nothing half-written).  Every
update stamps a heartbeat; :func:`reap_stale` reports a job silent for
JOB_STALE_MINUTES (5) *whose worker is gone* (a running job's worker holds an
advisory lock on its own connection, released when the process dies) as
failed (``interrupted``) and reopens the import it was committing, so nobody
waits for ever on a progress bar.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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


def _run(app: Flask, job_id: int, fn: Callable[..., dict], params: dict) -> None:
    with app.app_context():
        # While the job runs its worker holds an advisory lock on a connection of its own: the
        # reaper can then tell a dead worker (lock free) from a slow one, whatever the heartbeat says.
        guard = app.extensions["db_engine"].connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            guard.execute(select(func.pg_advisory_lock(JOB_LOCK_SPACE, job_id)))
            _run_guarded(app, job_id, fn, params)
        finally:
            try:
                guard.execute(select(func.pg_advisory_unlock(JOB_LOCK_SPACE, job_id)))
            finally:
                guard.close()


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
          wait: bool = False) -> Job:
    """Store a job and run it in a background thread (or inline when ``wait``)."""
    job = Job(kind=kind, params=params, username=username, status="queued", progress=0)
    session.add(job)
    session.commit()
    app = current_app._get_current_object()
    if wait or app.config.get("JOBS_INLINE"):
        _run(app, job.id, fn, params)
        session.refresh(job)
    else:
        threading.Thread(target=_run, args=(app, job.id, fn, params), daemon=True,
                         name=f"job-{job.id}").start()
    return job


_PENDING = "jobs_after_commit"


def enqueue(session: Session, kind: str, fn: Callable[..., dict], params: dict, username: str | None) -> Job:
    """Store a job in the session's transaction; it starts when that transaction commits.

    For work that follows a change (pre-rendering tiles after an import or an edit): the job
    row commits with the change, or goes with it when the change rolls back, and nothing runs.
    The caller does not commit (write hooks must not).
    """
    job = Job(kind=kind, params=params, username=username, status="queued", progress=0)
    session.add(job)
    session.flush()
    session.info.setdefault(_PENDING, []).append((current_app._get_current_object(), job.id, fn, params))
    return job


@event.listens_for(Session, "after_commit")
def _start_pending(session: Session) -> None:
    for app, job_id, fn, params in session.info.pop(_PENDING, []):
        if app.config.get("JOBS_INLINE"):
            _run(app, job_id, fn, params)
        else:
            threading.Thread(target=_run, args=(app, job_id, fn, params), daemon=True,
                             name=f"job-{job_id}").start()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def reap_stale(session: Session, minutes: float | None = None) -> list[int]:
    """Mark queued/running jobs silent for ``minutes`` as failed, reopen their imports; return their ids."""
    minutes = float(current_app.config.get("JOB_STALE_MINUTES", 5)) if minutes is None else minutes
    cutoff = datetime.now(UTC) - timedelta(minutes=minutes)
    candidates = list(session.scalars(
        select(Job).where(Job.status.in_(("queued", "running")),
                          func.coalesce(Job.heartbeat_at, Job.created_at) < cutoff)
        .with_for_update(skip_locked=True)))
    # Only jobs whose worker is gone: a live worker holds its job's advisory lock (see _run).
    stale = [job for job in candidates
             if session.scalar(select(func.pg_try_advisory_xact_lock(JOB_LOCK_SPACE, job.id)))]
    now = datetime.now(UTC)
    for job in stale:
        job.status, job.error_code, job.finished_at = "failed", "interrupted", now
        job.message = _("任务中断（服务曾重启），未写入任何数据，请重新发起")
    if stale:
        session.execute(update(DataImport).where(DataImport.status == "committing",
                                                 DataImport.job_id.in_([j.id for j in stale]))
                        .values(status="previewed", error_code="interrupted", updated_at=now,
                                message=_("上次导入中断，未写入任何数据，可再次导入")))
        LOGGER.warning("jobs %s interrupted (no heartbeat for %g min)", [j.id for j in stale], minutes)
    session.commit()
    return [j.id for j in stale]


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
