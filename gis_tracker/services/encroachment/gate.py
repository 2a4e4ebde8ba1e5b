"""The review gate: a project reaches 已批复/在建/已建成 only past its 两型审查 ("审查未通过的不得实施").

The database queues every project write the gate must judge (migration 0021:
a status moved forward, a project created or restored at such a status, what
was approved changed) and refuses to commit while one is left.  :func:`enforce`
judges the queued writes of this transaction — after the encroachment check has
re-measured the flags — with :func:`rules.project_status.decide`; it raises 409
``review_failed`` / ``review_required`` naming the open flags, failed indicators
and findings (the caller's transaction is then rolled back: nothing stored),
or clears the queue and writes what the pass rests on into the audit trail.

It runs for every save through ``services/features/writes.py`` (a write
hook, registered after the re-check), for imports onto ``projects`` (a bulk
check inside the import's transaction) and for restores (which are saves).
:func:`override` is the admin's way past a refusal, with a reason that is
kept, audited and shown on the project page and in the report.
"""
from __future__ import annotations

import logging

from flask import url_for
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ... import access
from ...errors import BadParameter, Conflict, Forbidden, Unprocessable
from ...models import User
from ...models.encroachment import ReviewGateQueue, ReviewOverride
from ...rules import project_status as workflow
from ..accounts import audit, notifications
from ..features import catalog, write_events, writes
from . import check, review

LOGGER = logging.getLogger(__name__)
MAX_REASON = 2000


def review_url(project_id: int) -> str:
    """Return the stable address of a project's review page (合规审查 → the project)."""
    return url_for("flags.project", project_id=project_id)


def refusal(a: review.Assessment, to_status: str, code: str) -> Conflict:
    """Return the 409 naming why project ``a`` may not be at ``to_status``."""
    name, status = a.project["name"], workflow.STATUS_LABELS[to_status][0]
    reasons = "；".join(a.reasons()) or "—"
    if code == "review_failed":
        message = f"项目“{name}”两型审查不通过，不能改为“{status}”：{reasons}"
    else:
        message = (f"项目“{name}”须经两型审查（需审查），不能改为“{status}”：{reasons}。"
                   f"须先出具审查报告或由管理员越权放行")
    details = {"project_id": a.project["id"], "project": name, "status": to_status, "conclusion": a.conclusion,
               "reasons": a.reasons(), "reasons_en": a.reasons("en"),
               "flags": [{"id": f["id"], "rule": f["rule"], "rule_name": f["rule_name"],
                          "rule_name_en": f["rule_name_en"], "severity": f["severity"], "status": f["status"]}
                         for f in a.counting_flags],
               "indicators": [review.indicator_dict(i) for i in a.failed_indicators],
               "findings": [{"code": f.code, "text": f.text, "text_en": f.text_en} for f in a.findings],
               "idle_land": {"consequence": a.idle.consequence, "text": a.idle.text, "fee_wan": a.idle.fee_wan},
               "review_url": review_url(a.project["id"])}
    return Conflict(message, code=code, details=details)


def judge(session: Session, project_id: int, to_status: str) -> tuple[workflow.GateDecision, review.Assessment]:
    """Return the gate's decision for ``project_id`` at ``to_status`` on its current data, and the assessment."""
    a = review.assess(session, project_id, with_map=False)
    report = review.current_report(session, project_id, a.fingerprint)
    decision = workflow.decide(a.conclusion, to_status, report.conclusion if report else None,
                               a.override.to_status if a.override else None)
    if decision.basis == "report":
        a.project["report_number"] = report.number
    return decision, a


def _announce_block(session: Session, a: review.Assessment, refused: Conflict, username: str) -> None:
    """Tell planners and admins that a failed review blocked the project (issue 17's notification).

    The refused write is rolled back, so the notice is kept in a transaction of its own.
    """
    with Session(session.get_bind()) as own:
        notifications.project_blocked(own, project_id=a.project["id"], project_name=a.project["name"],
                                      report_number=a.project.get("report_number"), reason=refused.text,
                                      username=username)
        own.commit()


def enforce(session: Session, username: str, project_ids: list[int] | None = None) -> list[dict]:
    """Judge the queued writes of this transaction (of ``project_ids`` when given); raise 409 on a refusal."""
    stmt = select(ReviewGateQueue).order_by(ReviewGateQueue.id)
    if project_ids is not None:
        stmt = stmt.where(ReviewGateQueue.project_id.in_(project_ids))
    latest: dict[int, ReviewGateQueue] = {}
    for row in session.scalars(stmt):
        latest[row.project_id] = row
    passed = []
    for project_id, row in latest.items():
        decision, a = judge(session, project_id, row.to_status)
        if not decision.passed:
            LOGGER.info("review gate refused project %s -> %s: %s", project_id, row.to_status, a.conclusion)
            refused = refusal(a, row.to_status, decision.code)
            if decision.code == "review_failed":
                _announce_block(session, a, refused, username)
            raise refused
        basis = {"status": row.to_status, "from_status": row.from_status, "conclusion": a.conclusion,
                 "basis": decision.basis, "fingerprint": a.fingerprint}
        if decision.basis == "report":
            basis["report"] = a.project.get("report_number")
        if decision.basis == "override":
            basis["override_id"] = a.override.id
        audit.record(session, username=username, action="review_gate", object_type="projects",
                     object_id=project_id, after=basis)
        passed.append({"project_id": project_id, **basis})
    session.execute(delete(ReviewGateQueue).where(ReviewGateQueue.project_id.in_(list(latest))))
    return passed


def register_existing(session: Session, username: str, reason: str) -> list[int]:
    """Record the queued projects as they stand (data predating the system), overriding a failing review.

    For loading existing records — the sample data, an office's register of
    projects already approved or built before the review was enforced: each
    one the gate would refuse gets an override with ``reason`` (shown on its
    review page and in its report), so the register still shows its real
    conclusion.  Returns the ids overridden.
    """
    overridden = []
    for row in session.scalars(select(ReviewGateQueue).order_by(ReviewGateQueue.id)):
        decision, a = judge(session, row.project_id, row.to_status)
        if decision.passed or a.override is not None:
            continue
        session.add(ReviewOverride(project_id=row.project_id, fingerprint=a.fingerprint, conclusion=a.conclusion,
                                   to_status=row.to_status, reason=reason, reasons=a.reasons(), username=username))
        overridden.append(row.project_id)
    session.flush()
    enforce(session, username)
    return overridden


def _after_write(session: Session, collection_id: str, feature_id: int, action: str, username: str) -> dict | None:
    """Judge a saved project (its flags were re-checked by the hook before this one)."""
    if collection_id != "projects":
        return None
    passed = enforce(session, username, [feature_id])
    return {"review_gate": passed[0]} if passed else None


def _bulk_check(session: Session, collection_id: str, feature_ids: list[int], username: str) -> dict | None:
    """Check and judge the projects an import is about to store, inside its transaction."""
    if collection_id != "projects" or not feature_ids:
        return None
    check.recheck(session, project_ids=feature_ids, username=username)
    return {"review_gate": enforce(session, username, feature_ids)}


def override(session: Session, project_id: int, user: User, to_status: object, reason: object,
             if_match: str | None, max_vertices: int) -> writes.WriteResult:
    """Let a project proceed to ``to_status`` against its review (admins, with a reason); save and commit.

    The override is recorded for the project's current data (fingerprint) and
    the status change is saved through the one write path, in one transaction.
    """
    if user.role not in access.ADMIN:
        raise Forbidden("只有管理员可以越权放行审查未通过的项目", code="forbidden_override")
    if not isinstance(to_status, str) or not workflow.is_gated(to_status):
        raise BadParameter("放行状态须为 approved、under_construction 或 completed", code="bad_status",
                           details={"field": "status"})
    text = reason.strip()[:MAX_REASON] if isinstance(reason, str) else ""
    if not text:
        raise Unprocessable("越权放行须填写理由", code="reason_required", details={"field": "reason"})
    a = review.assess(session, project_id, with_map=False)
    if a.conclusion == "pass":
        raise Conflict("该项目审查通过，无须越权放行", code="override_not_needed")
    if workflow.rank(a.project["status"]) >= workflow.rank(to_status):
        raise Conflict(f"项目已是“{workflow.STATUS_LABELS[a.project['status']][0]}”，无须放行到该状态",
                       code="override_not_needed")
    record = ReviewOverride(project_id=project_id, fingerprint=a.fingerprint, conclusion=a.conclusion,
                            to_status=to_status, reason=text, reasons=a.reasons(), username=user.username)
    session.add(record)
    session.flush()
    audit.record(session, username=user.username, action="review_override", object_type="projects",
                 object_id=project_id, before={"status": a.project["status"], "conclusion": a.conclusion},
                 after=review.override_dict(record))
    coll = catalog.collections()["projects"]
    body = {"type": "Feature", "properties": {"status": to_status}}
    return writes.update(session, coll, project_id, body, user, if_match, max_vertices, replace=False)


def init_app(app) -> None:
    """Register the gate after the encroachment re-check (idempotent)."""
    check.init_app(app)
    write_events.register_after_write(_after_write)
    write_events.register_bulk_check(_bulk_check)
