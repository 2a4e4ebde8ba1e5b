"""Import the office's ledger (台账) as transitions — preview first, then all rows or none — and export it.

Each row is matched to an enterprise by credit code, else by exact name, and
turned into the forward transitions that take the enterprise from its
current stage to the ledger's, dated from the ledger's stage dates.  Anything
the rules refuse is a problem of that row; one problem anywhere stops the
commit.  Rows that agree with the database produce no change, so importing
the same file twice changes nothing.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import access
from ...errors import Forbidden, Unprocessable
from ...i18n import gettext
from ...models import Enterprise, User
from ...rules import relocation as rules
from ...rules.stages import PATH_LABELS, STAGE_CODES, STAGE_LABELS, stage_index
from ..accounts import audit
from ..features import write_events
from . import ledger_format
from .ledger_format import LedgerDate, LedgerRow, parse_date
from .status import EnterpriseFilter, filtered
from .transitions import TransitionInput, apply_transition, last_date, may_set_destination, state

LOGGER = logging.getLogger(__name__)


@dataclass
class Step:
    """One transition a ledger row asks for."""

    to_stage: str
    on: date
    precision: str
    text: str


@dataclass
class RowPlan:
    """What one ledger row means for the database: the steps to record, problems and warnings."""

    number: int
    name: str
    credit_code: str
    enterprise_id: int | None = None
    enterprise_name: str | None = None
    current_stage: str | None = None
    ledger_stage: str | None = None
    destination: str | None = None  # to set with the first step (only when the enterprise has none)
    steps: list[Step] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Return "error", "change" or "same"."""
        return "error" if self.problems else ("change" if self.steps else "same")

    def as_dict(self) -> dict:
        """Return the plan as JSON-ready data."""
        return {"row": self.number, "name": self.name, "credit_code": self.credit_code,
                "enterprise_id": self.enterprise_id, "enterprise_name": self.enterprise_name,
                "current_stage": self.current_stage, "ledger_stage": self.ledger_stage,
                "status": self.status, "problems": self.problems, "warnings": self.warnings,
                "changes": [{"to_stage": s.to_stage, "label": STAGE_LABELS[s.to_stage], "date": s.on.isoformat(),
                             "precision": s.precision} for s in self.steps]}


SHOW = {
    "all": lambda r: True,
    "problems": lambda r: r.status == "error",
    "changes": lambda r: r.status == "change",
    "attention": lambda r: r.status != "same" or bool(r.warnings),  # problems, changes or warnings
}
"""Which preview rows to list: all, rows with problems, rows with changes, rows that need a look."""


@dataclass
class LedgerPreview:
    """The whole file's plan."""

    filename: str
    rows: list[RowPlan]
    columns: dict[str, str]
    stage_columns: dict[str, str]

    @property
    def problem_count(self) -> int:
        """Return how many rows have problems."""
        return sum(1 for r in self.rows if r.problems)

    @property
    def change_count(self) -> int:
        """Return how many transitions a commit would record."""
        return sum(len(r.steps) for r in self.rows if not r.problems)

    def as_dict(self, show: str = "all") -> dict:
        """Return the preview as JSON-ready data; ``show`` keeps only some rows (see :data:`SHOW`)."""
        kept = [r for r in self.rows if SHOW[show](r)]
        return {"filename": self.filename, "rows": [r.as_dict() for r in kept], "show": show,
                "total_rows": len(self.rows),
                "problem_rows": self.problem_count, "changes": self.change_count,
                "changed_enterprises": sum(1 for r in self.rows if r.status == "change"),
                "columns": self.columns, "stage_columns": self.stage_columns}


def _text(value: object) -> str:
    return "" if value is None else str(value).replace("\u3000", " ").strip()


def normalise_code(code: str | None) -> str:
    """Return a credit code as compared: without spaces, upper case (ledgers write 9143… and 9143 …)."""
    return re.sub(r"\s+", "", code or "").upper()


def _match(session: Session, name: str, code: str, plan: RowPlan) -> Enterprise | None:
    live = Enterprise.deleted_at.is_(None)
    wanted = normalise_code(code)
    if wanted:
        # Compared the same way on both sides: a stored code is whatever was entered (even with markup).
        stored = func.upper(func.regexp_replace(Enterprise.credit_code, r"\s+", "", "g"))
        found = session.scalar(select(Enterprise).where(stored == wanted, live).order_by(Enterprise.id).limit(1))
        if found is not None:
            return found
    found = session.scalar(select(Enterprise).where(Enterprise.name == name, live)) if name else None
    if found is None:
        plan.problems.append(gettext("系统中没有该企业（按信用代码和企业名称均未找到）"))
    elif wanted and found.credit_code and normalise_code(found.credit_code) != wanted:
        plan.problems.append(gettext(f"信用代码与系统不一致（系统：{found.credit_code}）"))
        return None
    return found


def _ledger_dates(row: LedgerRow, plan: RowPlan) -> dict[str, LedgerDate]:
    dates = {}
    for code, raw in row.dates.items():
        try:
            parsed = parse_date(raw)
        except ValueError:
            plan.problems.append(gettext(f"{STAGE_LABELS[code]}日期“{_text(raw)[:30]}”不是有效日期"))
            continue
        if parsed is not None:
            dates[code] = parsed
    return dates


def _same_day(recorded: str | None, found: LedgerDate) -> bool:
    if recorded is None:
        return False
    if found.precision == "month":
        return recorded[:7] == found.value.isoformat()[:7]
    return recorded[:10] == found.value.isoformat()


def _compare_attributes(ent: Enterprise, row: LedgerRow, plan: RowPlan, may_set_destination: bool) -> None:
    try:
        path = ledger_format.parse_path(row.values.get("path"))
    except ValueError:
        plan.warnings.append(gettext(f"搬迁方式“{_text(row.values.get('path'))[:20]}”无法识别，已忽略"))
        path = None
    if path and path != ent.path:
        plan.warnings.append(gettext(f"搬迁方式与系统不一致（系统：{PATH_LABELS[ent.path]}），台账导入不修改搬迁方式"))
    industry = _text(row.values.get("industry"))
    if industry and ent.industry and industry != ent.industry:
        plan.warnings.append(gettext(f"行业与系统不一致（系统：{ent.industry}），未修改"))
    destination = _text(row.values.get("destination"))
    if destination and ent.path != "relocate":
        plan.warnings.append(gettext("关停/就地转型企业没有搬迁去向，已忽略"))
    elif destination and not ent.destination and not may_set_destination:
        plan.warnings.append(gettext("搬迁去向由管理员填写，台账导入未设置"))
    elif destination and not ent.destination:
        plan.destination = destination
    elif destination and destination != ent.destination:
        plan.warnings.append(gettext(f"搬迁去向与系统不一致（系统：{ent.destination}），未修改"))


def _ledger_stage(row: LedgerRow, dates: dict[str, LedgerDate], plan: RowPlan) -> str | None:
    try:
        stage = ledger_format.parse_stage(row.values.get("stage"))
    except ValueError:
        plan.problems.append(gettext(f"当前阶段“{_text(row.values.get('stage'))[:20]}”无法识别"))
        return None
    if stage is None:  # no stage column or empty cell: the furthest stage with a date
        stage = max(dates, key=stage_index, default="not_started")
    beyond = [c for c in dates if stage_index(c) > stage_index(stage)]
    if beyond:
        plan.problems.append(gettext(f"当前阶段为“{STAGE_LABELS[stage]}”，却填写了“{STAGE_LABELS[beyond[0]]}”日期"))
    return stage


def plan_row(session: Session, row: LedgerRow, today: date,
             may_set_destination: bool = False) -> tuple[RowPlan, Enterprise | None]:
    """Work out what one ledger row changes (nothing is written)."""
    name, code = _text(row.values.get("name")), _text(row.values.get("credit_code"))
    plan = RowPlan(row.number, name, code)
    dates = _ledger_dates(row, plan)
    ent = _match(session, name, code, plan)
    if ent is None:
        return plan, None
    plan.enterprise_id, plan.enterprise_name, plan.current_stage = ent.id, ent.name, ent.stage
    _compare_attributes(ent, row, plan, may_set_destination)
    stage = _ledger_stage(row, dates, plan)
    plan.ledger_stage = stage
    if stage is None:
        return plan, ent
    for code_, found in dates.items():
        if stage_index(code_) <= stage_index(ent.stage) and code_ in (ent.stage_dates or {}) \
                and not _same_day(ent.stage_dates.get(code_), found):
            plan.warnings.append(gettext(
                f"{STAGE_LABELS[code_]}日期与系统不一致（台账 {found.text}，系统 {ent.stage_dates[code_]}），未修改"))
    if stage_index(stage) < stage_index(ent.stage):
        plan.problems.append(gettext(f"台账阶段“{STAGE_LABELS[stage]}”早于系统当前阶段“{STAGE_LABELS[ent.stage]}”；退回须在企业页面填写理由"))
        return plan, ent
    _plan_steps(ent, stage, dates, plan, last_date(session, ent), today)
    return plan, ent


def _plan_steps(ent: Enterprise, stage: str, dates: dict[str, LedgerDate], plan: RowPlan,
                previous: date | None, today: date) -> None:
    current = ent.stage
    destination = ent.destination or plan.destination
    for code in STAGE_CODES[stage_index(ent.stage) + 1: stage_index(stage) + 1]:
        found = dates.get(code)
        if found is None:
            if code in rules.SKIPPABLE.get(ent.path, ()) and code != stage:
                continue
            plan.problems.append(gettext(f"缺少“{STAGE_LABELS[code]}”日期，不能跳过该阶段"))
            return
        on = found.value
        if found.precision == "month" and previous and (on.year, on.month) == (previous.year, previous.month):
            on = max(on, previous)  # "2016.5" after a stage reached on 20 May: not before it
        try:
            rules.check(rules.Proposal(path=ent.path, current=current, to_stage=code, on=on, today=today,
                                       last_date=previous, destination=destination,
                                       destination_given=bool(plan.destination)))
        except rules.TransitionRefused as refused:
            plan.problems.append(f"{STAGE_LABELS[code]}：{refused.message}")
            return
        plan.steps.append(Step(code, on, found.precision, found.text))
        current, previous = code, on


def _plan(session: Session, filename: str, data: bytes,
          may_set_destination: bool = False) -> tuple[LedgerPreview, dict[int, Enterprise]]:
    sheet = ledger_format.read(filename, data)
    if not sheet.rows:
        raise Unprocessable("台账中没有数据行", code="ledger_empty",
                            details={"field": "file"})
    today, seen, plans, matched = date.today(), {}, [], {}
    for row in sheet.rows:
        plan, ent = plan_row(session, row, today, may_set_destination)
        if ent is not None:
            if ent.id in seen:
                plan.problems.append(gettext(f"与第 {seen[ent.id]} 行是同一企业"))
            seen.setdefault(ent.id, row.number)
            matched[ent.id] = ent
        plans.append(plan)
    return LedgerPreview(filename, plans, sheet.columns, sheet.stage_columns), matched


def _check_role(user: User) -> None:
    if user is None or user.role not in access.RELOCATION:
        raise Forbidden("只有搬迁办人员和管理员可以导入台账",
                        code="forbidden_ledger")


def preview(session: Session, filename: str, data: bytes, user: User) -> LedgerPreview:
    """Return what importing the ledger would do; nothing is written."""
    _check_role(user)
    result, _ = _plan(session, filename, data, may_set_destination(user))
    session.rollback()
    return result


def commit(session: Session, filename: str, data: bytes, user: User) -> LedgerPreview:
    """Record every row's transitions in one transaction, or none when any row has a problem."""
    _check_role(user)
    ids = [e for (e,) in session.execute(select(Enterprise.id).where(Enterprise.deleted_at.is_(None))
                                         .order_by(Enterprise.id).with_for_update())]
    LOGGER.debug("locked %d enterprises for the ledger import", len(ids))
    result, matched = _plan(session, filename, data, may_set_destination(user))
    if result.problem_count:
        session.rollback()
        raise Unprocessable(f"台账有 {result.problem_count} 行存在问题，未导入任何数据", code="ledger_problems",
                            details={"preview": result.as_dict()})
    for plan in result.rows:
        if not plan.steps:
            continue
        ent = matched[plan.enterprise_id]
        before = state(ent)
        for i, step in enumerate(plan.steps):
            note = f"台账导入：{filename[:80]} 第 {plan.number} 行" + (f"（日期精确到月：{step.text}）"
                                                                 if step.precision == "month" else "")
            data_in = TransitionInput(step.to_stage, step.on, note=note, source="ledger")
            move = rules.direction(ent.path, ent.stage, step.to_stage)
            apply_transition(session, ent, data_in, move, user.username,
                             destination=plan.destination if i == 0 else None)
        audit.record(session, username=user.username, action="transition", object_type="enterprises",
                     object_id=ent.id, before=before, after={**state(ent), "source": "ledger", "row": plan.number})
    if result.change_count:
        audit.record(session, username=user.username, action="ledger_import", object_type="enterprises",
                     object_id=None, after={"filename": filename[:200], "transitions": result.change_count,
                                            "rows": len(result.rows)})
        write_events.run_after_bulk(session, "enterprises", user.username)
    session.commit()
    LOGGER.info("ledger %s: %d transitions by %s", filename, result.change_count, user.username)
    return result


def export(session: Session, f: EnterpriseFilter, fmt: str) -> tuple[bytes, str]:
    """Return the filtered table as a ledger file (same layout the import reads) and its media type."""
    if fmt not in ledger_format.WRITERS:
        raise Unprocessable("导出格式须为 xlsx 或 csv", code="bad_format",
                            details={"field": "format"})
    rows = filtered(session, f)
    day = f.as_of or date.today()
    body = []
    for n, s in enumerate(rows, start=1):
        values = {"seq": n, "name": s.name, "credit_code": s.credit_code, "industry": s.industry,
                  "zone": s.zone_name, "path": PATH_LABELS.get(s.path, s.path), "destination": s.destination,
                  "stage": STAGE_LABELS[s.stage], "overdue": "是" if s.overdue else "否"}
        for code in STAGE_CODES[1:]:
            raw = s.stage_dates.get(code)
            values[code] = date.fromisoformat(raw[:10]) if raw else None
        body.append([values.get(key) for key, _ in ledger_format.EXPORT_COLUMNS])
    title = f"清水塘老工业区搬迁企业台账（截至 {day.isoformat()}）"
    return ledger_format.WRITERS[fmt](title, body), ledger_format.MEDIA_TYPES[fmt]
