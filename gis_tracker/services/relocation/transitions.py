"""Record stage transitions of enterprises: checked, attributable, concurrency-safe, never overwritten.

A transition locks the enterprise row, compares ``If-Match`` with its ETag,
checks the rules (:mod:`gis_tracker.rules.relocation`), adds a history row
(with attachments), updates ``stage``/``stage_dates``, bumps the version and
writes the audit entry — all in one transaction.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import access
from ...errors import Conflict, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from ...i18n import gettext
from ...models import Enterprise, StageTransition, TransitionAttachment, User
from ...rules import relocation as rules
from ...rules.stages import STAGE_LABELS, STAGE_LABELS_EN
from ..accounts import audit
from ..features import catalog, reads, write_events, writes
from . import attachments
from .status import statuses

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransitionInput:
    """A requested transition, already parsed."""

    to_stage: str
    on: date
    note: str = ""
    reason: str = ""
    override: bool = False
    destination: str | None = None  # None: keep the enterprise's destination
    source: str = "api"


@dataclass
class TransitionResult:
    """What a recorded transition produced."""

    transition: dict
    etag: str
    feature: dict | None
    extra: dict = field(default_factory=dict)


def may_transition(user: User | None) -> bool:
    """Tell whether ``user`` may change relocation status."""
    return user is not None and user.role in access.RELOCATION


def may_set_destination(user: User | None) -> bool:
    """Tell whether ``user`` may set an enterprise's destination (the catalogue's rights per field)."""
    return user is not None and catalog.collections()["enterprises"].field_writable("destination", user.role)


MAX_INT4, MAX_INT8 = 2**31 - 1, 2**63 - 1


def _enterprise(session: Session, enterprise_id: int, lock: bool = False) -> Enterprise:
    if not 0 < enterprise_id <= MAX_INT4:  # a URL's number PostgreSQL could not even compare
        raise NotFound(f"企业 {enterprise_id} 不存在", code="unknown_feature")
    stmt = select(Enterprise).where(Enterprise.id == enterprise_id, Enterprise.deleted_at.is_(None))
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"企业 {enterprise_id} 不存在", code="unknown_feature")
    return row


def enterprise_etag(row: Enterprise) -> str:
    """Return the enterprise's current ETag (the same as the OGC item's)."""
    return writes.etag("enterprises", row.id, row.version)


def _check_if_match(session: Session, row: Enterprise, if_match: str | None) -> None:
    if not if_match:
        raise PreconditionRequired("更改阶段需要 If-Match（企业当前的 ETag）", code="if_match_required")
    current = enterprise_etag(row)
    if not {current, "*"} & {t.strip() for t in if_match.split(",")}:  # "*": any current version (RFC 9110)
        found = reads.get_item(session, catalog.collections()["enterprises"], row.id)
        raise PreconditionFailed("该企业已被他人修改，请刷新后重试",
                                 code="stale_version",
                                 details={"etag": current, "current": json.loads(found[0]) if found else None,
                                          "updated_by": row.updated_by})


def last_date(session: Session, row: Enterprise) -> date | None:
    """Return the date of the enterprise's latest transition (or of its current stage)."""
    latest = session.scalar(select(func.max(StageTransition.on_date))
                            .where(StageTransition.enterprise_id == row.id))
    if latest is not None:
        return latest
    events = rules.events_from_stage_dates(row.stage, row.stage_dates)
    return max((on for _, on in events), default=None)


def seed_history(session: Session, username: str, source: str = "sample", enterprise_id: int | None = None) -> int:
    """Add the transitions implied by ``stage_dates`` for enterprises without history; return how many."""
    has_history = select(StageTransition.id).where(StageTransition.enterprise_id == Enterprise.id).exists()
    stmt = select(Enterprise).where(~has_history).order_by(Enterprise.id)
    if enterprise_id is not None:
        stmt = stmt.where(Enterprise.id == enterprise_id)
    rows = session.scalars(stmt).all()
    added = 0
    for row in rows:
        stage = "not_started"
        for to_stage, on in rules.events_from_stage_dates(row.stage, row.stage_dates):
            move = rules.direction(row.path, stage, to_stage)
            session.add(StageTransition(
                enterprise_id=row.id, from_stage=stage, to_stage=to_stage, on_date=on, direction=move,
                override=False, note=gettext("据已有阶段日期补录"),
                source=source, enterprise_version=row.version, username=username))
            stage = to_stage
            added += 1
    session.flush()
    return added


def _check_roles(user: User, data: TransitionInput) -> None:
    if not may_transition(user):
        raise Forbidden("只有搬迁办人员和管理员可以更改搬迁阶段", code="forbidden_transition")
    if data.override and user.role not in access.ADMIN:
        raise Forbidden("只有管理员可以特批跳过阶段",
                        code="forbidden_override")


def refusal_error(refused: rules.TransitionRefused):
    """Map a refused rule to the API error (409 naming the allowed stages, or 422 naming the field)."""
    if refused.kind == "conflict":
        return Conflict(refused.message, code=refused.code, details={
            "allowed": refused.allowed,
            "allowed_labels": [STAGE_LABELS[c] for c in refused.allowed],
            "allowed_labels_en": [STAGE_LABELS_EN[c] for c in refused.allowed]})
    return Unprocessable(refused.message, code=refused.code, details={"field": refused.field})


def record_transition(session: Session, enterprise_id: int, data: TransitionInput, user: User,
                      if_match: str | None, uploads: list[attachments.Upload] = (),
                      data_dir: Path | None = None, max_bytes: int = 20 * 1024 * 1024) -> TransitionResult:
    """Move an enterprise to ``data.to_stage`` and keep the transition (and its files) in its history."""
    _check_roles(user, data)
    attachments.check_all(list(uploads), max_bytes)
    row = _enterprise(session, enterprise_id, lock=True)
    _check_if_match(session, row, if_match)
    given = data.destination is not None and data.destination.strip() != ""
    if given and data.destination.strip() != (row.destination or "") and not may_set_destination(user):
        coll = catalog.collections()["enterprises"]
        raise Forbidden(f"您的角色无权修改“{coll.title}”的字段“搬迁去向”", code="forbidden_field",
                        details={"field": "destination"})
    destination = data.destination.strip() if given else row.destination
    proposal = rules.Proposal(
        path=row.path, current=row.stage, to_stage=data.to_stage, on=data.on, today=date.today(),
        last_date=last_date(session, row), destination=destination, destination_given=given,
        override=data.override, reason=data.reason, may_override=user.role in access.ADMIN)
    try:
        move = rules.check(proposal)
    except rules.TransitionRefused as refused:
        raise refusal_error(refused) from None
    before = state(row)
    transition = apply_transition(session, row, data, move, user.username,
                                  destination=destination if given else None)
    written: list[str] = []
    files: list[TransitionAttachment] = []
    try:
        for upload in uploads:
            stored = attachments.store(data_dir, upload, max_bytes)
            written.append(stored.storage_key)
            files.append(TransitionAttachment(
                transition_id=transition.id, enterprise_id=row.id, filename=stored.filename,
                content_type=stored.content_type, size_bytes=stored.size_bytes, sha256=stored.sha256,
                storage_key=stored.storage_key, uploaded_by=user.username))
        session.add_all(files)
        session.flush()
        audit.record(session, username=user.username, action="transition", object_type="enterprises",
                     object_id=row.id, before=before,
                     after={**state(row), "transition_id": transition.id, "direction": move,
                            "note": transition.note, "reason": transition.reason, "attachments": len(written)})
        extra = write_events.run_after_write(session, "enterprises", row.id, "update", user.username)
        session.flush()
        # Read back inside the transaction, before the commit: a database lost after PostgreSQL has
        # committed cannot turn the recorded transition into an error (see writes._finish).
        found = reads.get_item(session, catalog.collections()["enterprises"], row.id)
        result = TransitionResult(transition_dict(transition, files), writes.etag("enterprises", row.id, row.version),
                                  json.loads(found[0]) if found else None, extra)
        unknown = writes.outcome_unknown("enterprises", row.id, row.version)
        unknown.details["transition_id"] = transition.id
    except BaseException:
        session.rollback()
        attachments.remove(data_dir, written)
        raise
    try:
        writes.commit_save(session, unknown)
    except writes.SaveOutcomeUnknown:
        raise  # the files stay: if the transition was kept, they belong to it
    except BaseException:
        session.rollback()
        attachments.remove(data_dir, written)
        raise
    LOGGER.info("enterprise %s: %s -> %s (%s) by %s", row.id, before["stage"], data.to_stage, move, user.username)
    return result


def apply_transition(session: Session, row: Enterprise, data: TransitionInput, move: str, username: str,
                     destination: str | None = None) -> StageTransition:
    """Change a locked, checked enterprise and add its history row (the caller audits and commits)."""
    if not session.scalar(select(func.count()).where(StageTransition.enterprise_id == row.id)):
        seed_history(session, username, source="migration", enterprise_id=row.id)
    coll = catalog.collections()["enterprises"]
    writes.ensure_baseline(session, coll, row)  # the state before, if it was never kept (loaded data)
    from_stage = row.stage
    row.stage, row.stage_dates = rules.apply(row.stage, row.stage_dates, data.to_stage, data.on)
    if destination:
        row.destination = destination
    row.version += 1
    row.updated_by = username
    row.updated_at = datetime.now(UTC)
    transition = StageTransition(
        enterprise_id=row.id, from_stage=from_stage, to_stage=data.to_stage, on_date=data.on,
        direction=move, override=move == rules.SKIP, note=data.note.strip() or None,
        reason=data.reason.strip() or None, destination=destination, source=data.source,
        enterprise_version=row.version, username=username)
    session.add(transition)
    session.flush()
    # The enterprise's version history follows its stage history: one version per transition.
    writes.keep_version(session, coll, row, "transition", username)
    return transition


def state(row: Enterprise) -> dict:
    """Return the relocation state of an enterprise for the audit trail."""
    return {"stage": row.stage, "stage_dates": dict(row.stage_dates or {}), "destination": row.destination,
            "version": row.version}


def transition_dict(t: StageTransition, files: list[TransitionAttachment]) -> dict:
    """Return a transition as JSON-ready data."""
    return {
        "id": t.id, "from_stage": t.from_stage, "to_stage": t.to_stage,
        "from_label": STAGE_LABELS[t.from_stage], "to_label": STAGE_LABELS[t.to_stage],
        "date": t.on_date.isoformat(), "direction": t.direction, "override": t.override,
        "note": t.note, "reason": t.reason, "destination": t.destination, "source": t.source,
        "enterprise_version": t.enterprise_version, "username": t.username,
        "at": t.at.isoformat() if t.at else None,
        "attachments": [{"id": a.id, "filename": a.filename, "content_type": a.content_type,
                         "size_bytes": a.size_bytes, "uploaded_by": a.uploaded_by} for a in files],
    }


def history(session: Session, enterprise_id: int) -> list[dict]:
    """Return an enterprise's transitions, oldest first, with their attachments."""
    _enterprise(session, enterprise_id)
    rows = session.scalars(select(StageTransition).where(StageTransition.enterprise_id == enterprise_id)
                           .order_by(StageTransition.on_date, StageTransition.id)).all()
    files: dict[int, list[TransitionAttachment]] = {}
    for a in session.scalars(select(TransitionAttachment).where(TransitionAttachment.enterprise_id == enterprise_id)
                             .order_by(TransitionAttachment.id)):
        files.setdefault(a.transition_id, []).append(a)
    return [transition_dict(t, files.get(t.id, [])) for t in rows]


def attachment(session: Session, attachment_id: int) -> TransitionAttachment:
    """Return one attachment's record (404 when unknown)."""
    found = session.get(TransitionAttachment, attachment_id) if 0 < attachment_id <= MAX_INT8 else None
    if found is None:
        raise NotFound("附件不存在", code="unknown_attachment")
    return found


def stages_as_of(session: Session, as_of: date) -> dict[int, str]:
    """Return every live enterprise's stage on ``as_of`` (the as-of view other subsystems use)."""
    return {s.id: s.stage for s in statuses(session, min(as_of, date.today()))}
