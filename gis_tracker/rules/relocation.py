"""Stage transition rules: what may follow what, on which date, with which reason.

Pure functions on plain values (no database): the service, the ledger import
and the as-of reconstruction all call these, so the rules live in one place.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .stages import STAGE_CODES, STAGE_LABELS, stage_index

MIN_DATE = date(2000, 1, 1)
"""Earliest plausible transition date (catches typos such as 1016-05-03)."""

SKIPPABLE = {"relocate": frozenset(), "close": frozenset(), "transform": frozenset({"demolished"})}
"""Stages a path may pass over without an override: transform in place may skip equipment removal."""

PATHS_WITH_DESTINATION = frozenset({"relocate"})
DESTINATION_REQUIRED_FROM = "production_halted"

FORWARD, SKIP, BACK = "forward", "skip", "back"


@dataclass(frozen=True)
class Milestone:
    """A district deadline: by ``deadline``, every enterprise should have reached ``stage``.

    ``label`` is the relocation wording of 二(一)2(1) (“一年展开，三年攻坚，五年基本完成搬迁，
    十年建成生态科技新城”), ``step`` the 南提 wording of 二(二)1(1) (“一年全面展开、三年初见成效、
    五年综合整治基本到位、十年建成生态新城”), ``measure`` how the register measures it — the one
    milestone → stage mapping the dashboard, the meeting pack and the README show.
    """

    key: str
    label: str
    label_en: str
    deadline: date
    stage: str
    step: str = ""
    step_en: str = ""
    measure: str = ""
    measure_en: str = ""


MILESTONES = (
    Milestone("one_year", "一年展开", "Year one: under way", date(2014, 12, 31), "assessment",
              "一年全面展开", "year one: fully under way",
              "全部企业完成摸底评估（搬迁工作全面展开）", "every enterprise assessed (work fully under way)"),
    Milestone("three_years", "三年攻坚", "Year three: the hard push", date(2016, 12, 31), "agreement_signed",
              "三年初见成效", "year three: first results",
              "全部企业签订搬迁或关停协议", "every enterprise has signed its relocation or closure agreement"),
    Milestone("five_years", "五年基本完成搬迁", "Year five: relocation basically done",
              date(2018, 12, 31), "production_halted", "五年综合整治基本到位",
              "year five: remediation basically in place",
              "全部企业停产（搬迁基本完成）", "every enterprise has stopped production (relocation basically done)"),
    Milestone("full_2022", "2022年整体完成搬迁", "2022: relocation complete", date(2022, 12, 31), "accepted",
              "到2022年形成“一带、双心、三轴、四片”", "by 2022: the new spatial structure",
              "全部企业验收销号（整体完成搬迁）", "every enterprise accepted and closed (relocation complete)"),
    Milestone("ten_years", "十年建成生态科技新城", "Year ten: the eco-tech new town built", date(2024, 12, 31),
              "accepted", "十年建成生态新城", "year ten: the eco new town built",
              "全部企业验收销号、场地修复完成（新城建设用地腾出）",
              "every enterprise accepted and its site remediated (the new town's land cleared)"),
)
"""The plan's deadlines from 2014 (二(一)2(1), 二(二)1(1)), each measured by the stage every enterprise must reach."""


class TransitionRefused(Exception):
    """A transition breaks a rule; ``kind`` is "conflict" (state) or "invalid" (a field's value)."""

    def __init__(self, code: str, message: str, *, kind: str = "conflict", field: str | None = None,
                 allowed: Iterable[str] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.field = field
        self.allowed = list(allowed)


@dataclass(frozen=True)
class Proposal:
    """A requested change of stage, with what the rules need to know about the enterprise."""

    path: str
    current: str
    to_stage: str
    on: date
    today: date
    last_date: date | None = None  # date of the latest recorded transition
    destination: str | None = None  # the destination the enterprise will have
    destination_given: bool = False  # the request itself sets a destination
    override: bool = False
    reason: str = ""
    may_override: bool = False  # the user is an admin


def label(code: str) -> str:
    """Return the Chinese label of a stage code (the code itself when unknown)."""
    return STAGE_LABELS.get(code, code)


def next_stages(path: str, stage: str) -> list[str]:
    """Return the stages reachable from ``stage`` by one ordinary forward step on ``path``."""
    result = []
    for code in STAGE_CODES[stage_index(stage) + 1:]:
        result.append(code)
        if code not in SKIPPABLE.get(path, ()):
            break
    return result


def direction(path: str, current: str, to_stage: str) -> str:
    """Classify a move as forward (one step), skip (needs an override) or back (needs a reason)."""
    if stage_index(to_stage) < stage_index(current):
        return BACK
    return FORWARD if to_stage in next_stages(path, current) else SKIP


def _names(codes: list[str]) -> str:
    return "、".join(f"{label(c)}（{c}）" for c in codes) or "无"


def check_date(on: date, today: date, last_date: date | None) -> None:
    """Refuse a date in the future, before the previous stage's date or implausibly early."""
    if on > today:
        raise TransitionRefused("date_in_future", f"日期 {on} 晚于今天",
                                kind="invalid", field="date")
    if on < MIN_DATE:
        raise TransitionRefused("date_too_early", f"日期 {on} 早于 {MIN_DATE}",
                                kind="invalid", field="date")
    if last_date is not None and on < last_date:
        raise TransitionRefused(
            "date_before_previous",
            f"日期 {on} 早于上一阶段的日期 {last_date}",
            kind="invalid", field="date")


def check(p: Proposal) -> str:
    """Check a proposal against every rule and return its direction; raise TransitionRefused."""
    if p.to_stage not in STAGE_CODES:
        raise TransitionRefused("unknown_stage", f"未知阶段 {p.to_stage[:40]!r}；可选：{_names(STAGE_CODES)}",
                                kind="invalid", field="to_stage", allowed=next_stages(p.path, p.current))
    allowed = next_stages(p.path, p.current)
    if p.to_stage == p.current:
        raise TransitionRefused(
            "same_stage", f"企业已处于“{label(p.current)}”；可选的下一阶段：{_names(allowed)}", allowed=allowed)
    move = direction(p.path, p.current, p.to_stage)
    reason = (p.reason or "").strip()
    if move == SKIP:
        if not (p.override and p.may_override):
            raise TransitionRefused(
                "invalid_transition",
                f"不能从“{label(p.current)}”直接到“{label(p.to_stage)}”（跳过阶段须管理员特批并说明理由）；"
                f"可选的下一阶段：{_names(allowed)}", allowed=allowed)
        if not reason:
            raise TransitionRefused("reason_required", "跳过阶段须填写特批理由",
                                    kind="invalid", field="reason")
    if move == BACK and not reason:
        raise TransitionRefused("reason_required", "退回到之前的阶段须填写理由",
                                kind="invalid", field="reason")
    check_date(p.on, p.today, p.last_date)
    check_destination(p.path, p.to_stage, p.destination, p.destination_given)
    return move


def check_destination(path: str, to_stage: str, destination: str | None, given: bool) -> None:
    """Refuse a destination on paths without one; require it on relocate from production halted."""
    has = bool((destination or "").strip())
    if path not in PATHS_WITH_DESTINATION:
        if given and has:
            raise TransitionRefused("destination_not_allowed",
                                    "关停和就地转型企业没有搬迁去向",
                                    kind="invalid", field="destination")
        return
    if stage_index(to_stage) >= stage_index(DESTINATION_REQUIRED_FROM) and not has:
        raise TransitionRefused(
            "destination_required",
            "整体搬迁企业在停产前须填写搬迁去向",
            kind="invalid", field="destination")


def replay(events: Iterable[tuple[str, date]]) -> tuple[str, dict[str, str]]:
    """Return (stage, stage_dates) after applying ``(to_stage, date)`` events in order.

    Going forward records the date a stage was reached; going back drops the
    dates of the stages after the one returned to (history keeps them).
    """
    stage, dates = "not_started", {}
    for to_stage, on in events:
        stage, dates = apply(stage, dates, to_stage, on)
    return stage, dates


def apply(stage: str, stage_dates: dict, to_stage: str, on: date) -> tuple[str, dict[str, str]]:
    """Return (stage, stage_dates) after one move to ``to_stage`` on ``on`` (see :func:`replay`)."""
    dates = dict(stage_dates or {})
    if stage_index(to_stage) < stage_index(stage):
        dates = {k: v for k, v in dates.items() if k in STAGE_CODES and stage_index(k) <= stage_index(to_stage)}
        if to_stage != "not_started":
            dates.setdefault(to_stage, on.isoformat())
    elif to_stage != "not_started":
        dates[to_stage] = on.isoformat()
    return to_stage, dates


def events_from_stage_dates(stage: str, stage_dates: dict) -> list[tuple[str, date]]:
    """Return the forward events implied by a stage and its reached dates (for records without history)."""
    events = []
    for code in STAGE_CODES[1:]:
        raw = (stage_dates or {}).get(code)
        if raw and stage_index(code) <= stage_index(stage):
            try:
                events.append((code, date.fromisoformat(str(raw)[:10])))
            except ValueError:
                continue
    return events


def overdue(stage: str, planned_dates: dict, as_of: date) -> list[tuple[str, date]]:
    """Return the ``(stage, planned date)`` pairs whose date passed before ``as_of`` without being reached."""
    late = []
    for code, raw in (planned_dates or {}).items():
        if code not in STAGE_CODES:
            continue
        try:
            planned = date.fromisoformat(str(raw)[:10])
        except ValueError:
            continue
        if planned < as_of and stage_index(stage) < stage_index(code):
            late.append((code, planned))
    return sorted(late, key=lambda item: item[1])
