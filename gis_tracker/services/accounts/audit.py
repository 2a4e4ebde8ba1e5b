"""Write audit entries in the caller's transaction."""
from __future__ import annotations

import datetime as dt
import decimal
import logging

from sqlalchemy.orm import Session

from ...models import AuditEntry

LOGGER = logging.getLogger(__name__)


def jsonable(value):
    """Return ``value`` with dates and decimals turned into JSON-friendly types."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    return value


def record(session: Session, *, username: str | None, action: str, object_type: str,
           object_id: object = None, before: dict | None = None, after: dict | None = None) -> None:
    """Add one audit entry to ``session``; it commits with the write it describes."""
    session.add(AuditEntry(
        username=username, action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=jsonable(before), after=jsonable(after),
    ))
