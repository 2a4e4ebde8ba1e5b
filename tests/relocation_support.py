"""Borrow a sample enterprise for a relocation test and put it back exactly as it was afterwards.

Tests add transitions to real sample enterprises (so the count of 172 never
changes) and, at the end, remove what they added and restore the stage,
stage dates and destination, so other tests see the sample data unchanged.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import delete, func, select

from gis_tracker.db import db
from gis_tracker.models import Enterprise, StageTransition, TransitionAttachment

_BORROWED: set[int] = set()


@contextmanager
def borrowed_enterprise(app, stage: str, path: str, with_code: bool | None = None, **changes):
    """Yield the id of a sample enterprise at ``stage`` on ``path`` (optionally changed first); restore it after."""
    with app.app_context():
        s = db.session
        stmt = (select(Enterprise).where(Enterprise.stage == stage, Enterprise.path == path,
                                         Enterprise.is_sample.is_(True), Enterprise.deleted_at.is_(None),
                                         Enterprise.id.not_in(_BORROWED or {0}))
                .order_by(Enterprise.id))
        if with_code is not None:
            stmt = stmt.where(Enterprise.credit_code.is_not(None) if with_code else Enterprise.credit_code.is_(None))
        ent = s.scalars(stmt).first()
        assert ent is not None, f"no sample enterprise at {stage} on {path}"
        saved = {"stage": ent.stage, "stage_dates": dict(ent.stage_dates), "destination": ent.destination,
                 "planned_dates": dict(ent.planned_dates)}
        last = s.scalar(select(func.max(StageTransition.id))) or 0
        for key, value in changes.items():
            setattr(ent, key, value)
        eid = ent.id
        _BORROWED.add(eid)
        s.commit()
    try:
        yield eid
    finally:
        with app.app_context():
            s = db.session
            added = select(StageTransition.id).where(StageTransition.enterprise_id == eid, StageTransition.id > last)
            s.execute(delete(TransitionAttachment).where(TransitionAttachment.transition_id.in_(added)))
            s.execute(delete(StageTransition).where(StageTransition.enterprise_id == eid, StageTransition.id > last))
            ent = s.get(Enterprise, eid)
            for key, value in saved.items():
                setattr(ent, key, value)
            s.commit()
            _BORROWED.discard(eid)
