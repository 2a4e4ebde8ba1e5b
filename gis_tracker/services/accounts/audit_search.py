"""Browse and export the audit trail: by user, object and date range."""
from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...errors import BadParameter
from ...exporters import cells
from ...models import AuditEntry

LOGGER = logging.getLogger(__name__)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
EXPORT_MAX_ROWS = 100_000
COLUMNS = ("id", "at", "username", "action", "object_type", "object_id", "before", "after")


@dataclass(frozen=True)
class AuditFilter:
    """What to show: every field optional; dates are local (Beijing time) calendar days."""

    username: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> AuditFilter:
        """Build a filter from query parameters; malformed dates → 400."""
        def text_arg(name: str) -> str | None:
            value = (args.get(name) or "").strip()
            return value[:64] or None

        def date_arg(name: str) -> date | None:
            value = (args.get(name) or "").strip()
            if not value:
                return None
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise BadParameter(f"{name} 的日期格式应为 YYYY-MM-DD",
                                   code="bad_date", details={"parameter": name}) from None

        return cls(text_arg("user"), text_arg("object_type"), text_arg("object_id"), text_arg("action"),
                   date_arg("from"), date_arg("to"))

    def as_args(self) -> dict[str, str]:
        """Return the filter as query parameters (for paging and export links)."""
        pairs = {"user": self.username, "object_type": self.object_type, "object_id": self.object_id,
                 "action": self.action, "from": self.date_from, "to": self.date_to}
        return {k: str(v) for k, v in pairs.items() if v}


def _where(f: AuditFilter) -> list:
    clauses = []
    if f.username:
        clauses.append(func.lower(AuditEntry.username) == f.username.lower())
    if f.object_type:
        clauses.append(AuditEntry.object_type == f.object_type)
    if f.object_id:
        clauses.append(AuditEntry.object_id == f.object_id)
    if f.action:
        clauses.append(AuditEntry.action == f.action)
    if f.date_from:
        clauses.append(AuditEntry.at >= datetime.combine(f.date_from, time.min, LOCAL_TZ))
    if f.date_to:
        clauses.append(AuditEntry.at < datetime.combine(f.date_to + timedelta(days=1), time.min, LOCAL_TZ))
    return clauses


def search(session: Session, f: AuditFilter, limit: int = 100, offset: int = 0) -> tuple[list[AuditEntry], int]:
    """Return one page of matching entries (newest first) and the number matched."""
    where = _where(f)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where))
    rows = session.scalars(select(AuditEntry).where(*where).order_by(AuditEntry.id.desc())
                           .limit(limit).offset(offset))
    return list(rows), total


def choices(session: Session) -> dict[str, list[str]]:
    """Return the distinct users, object types and actions (for the filter form)."""
    def distinct(column) -> list[str]:
        return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]
    return {"users": distinct(AuditEntry.username), "object_types": distinct(AuditEntry.object_type),
            "actions": distinct(AuditEntry.action)}


def as_text(value) -> str:
    """Return a before/after value as compact readable JSON (Chinese kept)."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def local_time(value: datetime) -> str:
    """Return a timestamp in Beijing time, to the second."""
    return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _cell(value) -> str:
    """Return an entry's value as cell text (timestamps in Beijing time, JSON compact and readable)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _rows(session: Session, f: AuditFilter):
    query = select(AuditEntry).where(*_where(f)).order_by(AuditEntry.id).limit(EXPORT_MAX_ROWS)
    for entry in session.scalars(query):
        yield [_cell(getattr(entry, c)) for c in COLUMNS]


def export_csv(session: Session, f: AuditFilter) -> bytes:
    """Return the matching entries as UTF-8 CSV (with BOM, so Excel reads Chinese)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    writer.writerows([cells.csv_text(v) for v in row] for row in _rows(session, f))  # no formula injection
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_xlsx(session: Session, f: AuditFilter) -> bytes:
    """Return the matching entries as an Excel workbook."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("audit_log")
    sheet.append(list(COLUMNS))
    for row in _rows(session, f):
        cells.append_row(sheet, row)  # formula-like text stays text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
