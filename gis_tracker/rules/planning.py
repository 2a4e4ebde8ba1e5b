"""Rules of following the plan through time, on plain values (no database).

* Ecological restoration: "因工程建设等造成山体、土壤、水体及河湖岸线损毁的，应在工程竣工一年内完成
  生态修复" (二(三)4(2)): the due date is the completion date plus one year; the status of a project
  (or of an enterprise site, whose 场地调查与修复 term runs from 停产 or 设备拆除) on a given day.
* The indicator register: whether a yearly value meets its target (达标/未达标/无数据), the value
  derived against a baseline year ("较2012年削减10%"), and the attainment score used by the index.
* The 两型社会建设指数: a weighted mean of the attainment scores, with the share of the weight
  that had data (coverage).
"""
from __future__ import annotations

import calendar
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

# ---------------------------------------------------------------- restoration deadlines

RESTORATION_YEARS = 1
"""工程竣工一年内完成生态修复."""
DUE_SOON_DAYS = 60
"""A restoration is "due soon" (即将到期) in the last 60 days before its due date."""

RESTORATION_STATUSES = {
    "not_required": ("无需修复", "Not required"),
    "no_completion": ("需修复（未竣工）", "Required (not completed yet)"),
    "pending": ("待修复", "Pending"),
    "due_soon": ("即将到期", "Due soon"),
    "overdue": ("已逾期", "Overdue"),
    "restored": ("已按期修复", "Restored on time"),
    "restored_late": ("逾期后修复", "Restored late"),
}
"""Status code -> (Chinese, English)."""

REMEDIATION_BASES = {"production_halted": ("停产", "Production halted"),
                     "demolished": ("设备拆除", "Equipment removed")}
"""Stages a site's 场地调查与修复 term may run from."""
REMEDIATION_DONE_STAGE = "accepted"
"""A site's remediation is complete when it is accepted (验收销号), the stage after 场地调查与修复."""
MAX_REMEDIATION_MONTHS = 120


def add_months(day: date, months: int) -> date:
    """Return ``day`` moved by ``months`` calendar months (the 31st becomes the month's last day)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def restoration_due(completion: date | None) -> date | None:
    """Return the day restoration is due: one year after completion (29 February → 28 February)."""
    return None if completion is None else add_months(completion, 12 * RESTORATION_YEARS)


def remediation_due(stage_dates: dict | None, basis: str | None, months: int | None) -> date | None:
    """Return when a site's 场地调查与修复 is due: ``months`` after it reached ``basis`` (None: no term set)."""
    if basis not in REMEDIATION_BASES or not months:
        return None
    raw = (stage_dates or {}).get(basis)
    try:
        reached = date.fromisoformat(str(raw)[:10]) if raw else None
    except ValueError:
        return None
    return None if reached is None else add_months(reached, int(months))


def deadline_status(required: bool, started: bool, due: date | None, done: date | None, as_of: date,
                    soon_days: int = DUE_SOON_DAYS) -> str:
    """Return the status of a deadline on ``as_of``.

    ``required``: restoration is needed at all; ``started``: the clock runs (the project is completed,
    the site reached the stage its term counts from); ``done``: the day it was done, if by ``as_of``.
    """
    if not required:
        return "not_required"
    if done is not None and done <= as_of:
        return "restored" if due is None or done <= due else "restored_late"
    if not started or due is None:
        return "no_completion"
    if as_of > due:
        return "overdue"
    if (due - as_of).days <= soon_days:
        return "due_soon"
    return "pending"


def project_restoration_status(required: bool, completion: date | None, restored: date | None,
                               as_of: date, soon_days: int = DUE_SOON_DAYS) -> str:
    """Return a project's restoration status on ``as_of`` (a completion date after ``as_of`` has not happened)."""
    completed = completion is not None and completion <= as_of
    return deadline_status(required, completed, restoration_due(completion), restored, as_of, soon_days)


def check_restored_date(restored: date, completion: date | None, today: date) -> str | None:
    """Return why ``restored`` cannot be recorded (in the future, implausibly early), or None."""
    if restored > today:
        return f"修复完成日期 {restored} 晚于今天"
    if restored < date(2000, 1, 1):
        return f"修复完成日期 {restored} 早于 2000-01-01"
    return None


# ---------------------------------------------------------------- the indicator register

DIRECTIONS = (">=", "<=")
MODES = ("level", "reduction_vs_baseline", "increase_vs_baseline")
STATUS_LABELS = {"met": ("达标", "Met"), "not_met": ("未达标", "Not met"), "no_data": ("无数据", "No data")}
EPSILON = 1e-9


@dataclass(frozen=True)
class Target:
    """What an indicator must reach: ``target`` in ``direction``; for baseline modes, against ``baseline_year``.

    * ``level``: the yearly value itself is compared (森林覆盖率 ≥ 55 %).
    * ``reduction_vs_baseline``: the yearly value is a quantity (t of SO₂); the measure is the reduction in
      percent from the baseline year's value, which must be ≥ the target (较2012年削减10%).
    * ``increase_vs_baseline``: the yearly value is a rate (%); the measure is its increase in percentage
      points over the baseline year (在2012年的基础上提高10%).
    """

    target: float
    direction: str = ">="
    mode: str = "level"
    baseline_year: int | None = None


def measure(t: Target, year: int, values: dict[int, float]) -> float | None:
    """Return the figure compared with the target for ``year`` (None: no value, or no baseline value)."""
    value = values.get(year)
    if value is None:
        return None
    if t.mode == "level":
        return value
    base = values.get(t.baseline_year) if t.baseline_year is not None else None
    if base is None or year == t.baseline_year:
        return None
    if t.mode == "reduction_vs_baseline":
        return None if base == 0 else 100.0 * (base - value) / base
    return value - base  # increase in percentage points


def meets(t: Target, measured: float | None) -> bool | None:
    """Tell whether ``measured`` meets the target (None: no data)."""
    if measured is None:
        return None
    if t.direction == "<=":
        return measured <= t.target + EPSILON
    return measured >= t.target - EPSILON


def status(t: Target, measured: float | None) -> str:
    """Return ``met``, ``not_met`` or ``no_data``."""
    ok = meets(t, measured)
    return "no_data" if ok is None else ("met" if ok else "not_met")


def score(t: Target, measured: float | None) -> float | None:
    """Return the attainment in [0, 1]: how much of the target is reached (1 when met; None: no data).

    ``≥`` targets: measured / target; ``≤`` targets: target / measured; capped at 1 so over-achieving one
    indicator never makes up for another, and at 0 below (a reduction that is an increase scores 0).
    """
    if measured is None or not math.isfinite(measured):
        return None
    if meets(t, measured):
        return 1.0
    if t.direction == "<=":
        return 0.0 if measured <= 0 else max(0.0, min(1.0, t.target / measured))
    if t.target <= 0:
        return 0.0
    return max(0.0, min(1.0, measured / t.target))


# ---------------------------------------------------------------- the 两型社会建设指数


@dataclass(frozen=True)
class IndexResult:
    """The index of one year: 0–100, the share of the total weight that had data, the weights used."""

    value: float | None
    coverage: float
    weight_used: float
    weight_total: float



def composite(components: Iterable[tuple[float, float | None]]) -> IndexResult:
    """Return 100 × Σ wᵢ·sᵢ / Σ wᵢ over the indicators with a score, and the coverage Σ wᵢ(with data) / Σ wᵢ."""
    pairs = [(float(w), s) for w, s in components if w and w > 0]
    total = sum(w for w, _ in pairs)
    scored = [(w, s) for w, s in pairs if s is not None]
    used = sum(w for w, _ in scored)
    if not scored or used <= 0:
        return IndexResult(None, 0.0, 0.0, total)
    value = 100.0 * sum(w * s for w, s in scored) / used
    return IndexResult(round(value, 2), round(used / total, 4) if total else 0.0, used, total)

