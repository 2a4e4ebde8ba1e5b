"""Encroachment rules on plain values: what fires, how severe, how a flag changes, the conclusion.

A rule watches one layer (protected areas or water bodies), selects features
by attribute (e.g. ``{"category": ["green_heart"], "tier": ["prohibited"]}``)
and relates a project to them: ``intersects`` (any overlap above the
thresholds), ``contained_in`` (the project lies entirely inside) or
``within_distance`` (``ST_DWithin``: a distance of exactly ``distance_m``
counts as within).  The database measures; these functions decide.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

LOGGER = logging.getLogger(__name__)

SEVERITIES = ("violation", "review", "warning")
SEVERITY_RANK = {"violation": 3, "review": 2, "warning": 1}
SEVERITY_LABELS = {
    "violation": ("违规", "Violation"),
    "review": ("需审查", "Needs review"),
    "warning": ("提示", "Warning"),
}
SEVERITY_COLOURS = {"violation": "#c00000", "review": "#e69138", "warning": "#f1c232"}

STATUSES = ("open", "acknowledged", "resolved", "waived")
STATUS_LABELS = {
    "open": ("待处理", "Open"),
    "acknowledged": ("已确认", "Acknowledged"),
    "resolved": ("已整改", "Resolved"),
    "waived": ("已豁免", "Waived"),
}
# Who may move a flag where; "open" is reached again only by a re-check or a reopen.
TRANSITIONS = {
    "open": ("acknowledged", "resolved", "waived"),
    "acknowledged": ("resolved", "waived", "open"),
    "resolved": ("open",),
    "waived": ("open",),
}
REASON_REQUIRED = ("waived", "resolved")
# Statuses that still count against a project in a review.
OPEN_STATUSES = ("open", "acknowledged")

RELATIONS = ("intersects", "contained_in", "within_distance")
RELATION_LABELS = {
    "intersects": ("相交（重叠）", "Overlaps"),
    "contained_in": ("位于其内", "Lies inside"),
    "within_distance": ("距离以内", "Within distance"),
}
LAYERS = ("protected_areas", "water_bodies")
FILTER_KEYS = {"protected_areas": ("category", "tier", "name"), "water_bodies": ("kind", "name")}

OVERLAP_EPSILON_M2 = 0.01
"""Overlaps below 1 dm² are numerical noise (touching edges), not encroachment."""
CONTAINED_PCT = 99.999
"""``contained_in`` fires when at least this share of the project is inside."""
CHANGE_TOLERANCE_M2 = 0.01
CHANGE_TOLERANCE_M = 0.01

CONCLUSIONS = ("pass", "needs_review", "fail")
CONCLUSION_LABELS = {
    "pass": ("通过", "Pass"),
    "needs_review": ("需审查", "Needs review"),
    "fail": ("不通过", "Fail"),
}


@dataclass(frozen=True)
class RuleSpec:
    """The parts of a rule that decide whether it fires."""

    relation: str
    distance_m: float = 0.0
    min_overlap_m2: float = 0.0
    min_overlap_pct: float = 0.0
    project_types: tuple[str, ...] | None = None

    @property
    def reach_m(self) -> float:
        """Return how far from a project a feature may be and still matter (metres)."""
        return float(self.distance_m or 0.0) if self.relation == "within_distance" else 0.0


@dataclass(frozen=True)
class Measurement:
    """What the database measured for one (project, rule): overlap and nearest distance."""

    overlap_m2: float
    overlap_pct: float
    min_distance_m: float | None
    within_distance: bool  # ST_DWithin(project, feature, distance_m) for at least one feature


def applies_to(rule: RuleSpec, project_type: str | None) -> bool:
    """Tell whether ``rule`` concerns projects of ``project_type``."""
    return not rule.project_types or project_type in rule.project_types


def fires(rule: RuleSpec, m: Measurement) -> bool:
    """Tell whether ``rule`` fires on the measurement ``m``."""
    if rule.relation == "within_distance":
        return m.within_distance
    if m.overlap_m2 <= OVERLAP_EPSILON_M2:
        return False  # touching is not overlapping
    if rule.relation == "contained_in":
        return m.overlap_pct >= CONTAINED_PCT
    return m.overlap_m2 >= (rule.min_overlap_m2 or 0.0) and m.overlap_pct >= (rule.min_overlap_pct or 0.0)


def validate_rule(values: dict) -> list[tuple[str, str]]:
    """Return the problems of a rule definition as ``(field, message)`` pairs (empty when valid)."""
    problems = []
    if values.get("layer") not in LAYERS:
        problems.append(("layer", "图层须为 protected_areas 或 water_bodies"))
    if values.get("relation") not in RELATIONS:
        problems.append(("relation", "关系须为 intersects、contained_in 或 within_distance"))
    if values.get("severity") not in SEVERITIES:
        problems.append(("severity", "严重程度须为 violation、review 或 warning"))
    distance = values.get("distance_m")
    if values.get("relation") == "within_distance" and not _positive(distance):
        problems.append(("distance_m", "距离规则须给出大于 0 的距离（米）"))
    for name in ("min_overlap_m2", "min_overlap_pct", "distance_m"):
        v = values.get(name)
        if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0):
            problems.append((name, f"{name} 须为非负数"))
    pct = values.get("min_overlap_pct")
    if isinstance(pct, (int, float)) and pct > 100:
        problems.append(("min_overlap_pct", "百分比不能超过 100"))
    filt = values.get("feature_filter")
    allowed = FILTER_KEYS.get(values.get("layer"), ())
    if not isinstance(filt, dict):
        problems.append(("feature_filter", "feature_filter 须为对象"))
    else:
        for key, options in filt.items():
            if key not in allowed:
                problems.append(("feature_filter", f"不能按 {key!r} 筛选"))
            elif not isinstance(options, list) or not options or not all(isinstance(o, str) for o in options):
                problems.append(("feature_filter", f"{key} 须为非空字符串列表"))
    types = values.get("project_types")
    if types is not None and (not isinstance(types, list) or not all(isinstance(t, str) for t in types)):
        problems.append(("project_types", "project_types 须为字符串列表"))
    for name in ("name", "message", "basis"):
        if not isinstance(values.get(name), str) or not values[name].strip():
            problems.append((name, f"{name} 不能为空"))
    return problems


def _positive(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0


@dataclass(frozen=True)
class FlagState:
    """A stored flag as far as re-checking cares."""

    status: str
    active: bool
    severity: str
    overlap_m2: float
    min_distance_m: float | None


@dataclass(frozen=True)
class FlagChange:
    """What a re-check does to one (project, rule): kind is raised, changed, cleared or unchanged."""

    kind: str
    status: str
    geometry_changed: bool = False


def _differs(a: float | None, b: float | None, tol: float) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return abs(a - b) > max(tol, 1e-9 * max(abs(a), abs(b)))


def reconcile(existing: FlagState | None, fired: Measurement | None, severity: str) -> FlagChange:
    """Decide what a re-check does to a flag.

    A new or re-appearing flag is raised ``open``.  A flag whose overlap or
    distance changed is ``changed`` and goes back to ``open`` (a waiver or
    resolution was given for the old situation).  Otherwise the status is
    kept — a waived flag stays waived across re-checks.  A flag whose rule no
    longer fires is ``cleared`` (kept, never deleted).
    """
    if fired is None:
        if existing is not None and existing.active:
            return FlagChange("cleared", existing.status)
        return FlagChange("unchanged", existing.status if existing else "open")
    if existing is None or not existing.active:
        return FlagChange("raised", "open", True)
    moved = (_differs(existing.overlap_m2, fired.overlap_m2, CHANGE_TOLERANCE_M2)
             or _differs(existing.min_distance_m, fired.min_distance_m, CHANGE_TOLERANCE_M))
    if moved:
        return FlagChange("changed", "open", True)
    if existing.severity != severity:
        return FlagChange("changed", existing.status, False)
    return FlagChange("unchanged", existing.status)


def check_transition(current: str, target: str, reason: str | None) -> str | None:
    """Return why a user may not move a flag from ``current`` to ``target`` (None when allowed)."""
    if target not in STATUSES:
        return "未知状态"
    if target not in TRANSITIONS.get(current, ()):
        return (f"不能从“{STATUS_LABELS[current][0]}”改为“{STATUS_LABELS[target][0]}”")
    if target in REASON_REQUIRED and not (reason or "").strip():
        return "豁免或整改须填写理由"
    return None


def worst_severity(severities) -> str | None:
    """Return the most severe of ``severities`` (None when empty)."""
    ranked = sorted(severities, key=lambda s: SEVERITY_RANK.get(s, 0), reverse=True)
    return ranked[0] if ranked else None


def conclude(flags: list[tuple[str, str]], land_use_outcome: str = "pass") -> str:
    """Return the review conclusion from ``(severity, status)`` of active flags and the land-use outcome.

    Open or acknowledged violations fail; open reviews need review; warnings
    alone pass (they are listed).  Waived or resolved flags do not count.
    ``land_use_outcome`` (see :func:`rules.land_use.outcome`) can only make it worse.
    """
    counting = [sev for sev, status in flags if status in OPEN_STATUSES]
    if "violation" in counting or land_use_outcome == "fail":
        return "fail"
    if "review" in counting or land_use_outcome == "needs_review":
        return "needs_review"
    return "pass"
