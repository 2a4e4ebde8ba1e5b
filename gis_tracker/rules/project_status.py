"""The project status workflow and its review gate: "审查未通过的不得实施" (plan 二(七)2(3)).

Status moves ``planned → approved → under_construction → completed``.  A write
that takes a project to ``approved`` or beyond, or changes what was approved
(footprint, type, investment, park level, floor-area ratio, building coverage)
of a project already there, passes the gate only when

* the current assessment is 通过; or
* it is 需审查 and an issued review report on the current data (same
  fingerprint) concludes other than 不通过; or
* an admin overrode the review for the current data, with a reason, up to a
  status at least as far as the one asked for.

Otherwise the write is refused: ``review_failed`` (不通过) or ``review_required``
(需审查 without a report).  Moving back (e.g. 已批复 → 规划 when an approval is
withdrawn) and recording facts later (tax, dates, description) are never held.
The database decides *when* the gate applies (migration 0021, the same list
of columns as :data:`PLAN_FIELDS`); this module decides *whether* it passes.
"""
from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("planned", "approved", "under_construction", "completed")
STATUS_LABELS = {
    "planned": ("规划中", "Planned"),
    "approved": ("已批复", "Approved"),
    "under_construction": ("在建", "Under construction"),
    "completed": ("已建成", "Completed"),
}
PROJECT_TYPE_LABELS = {
    "industrial": ("工业", "Industrial"),
    "commercial": ("商业", "Commercial"),
    "residential": ("居住", "Residential"),
    "infrastructure": ("基础设施", "Infrastructure"),
    "public": ("公共服务", "Public"),
    "tourism": ("旅游", "Tourism"),
    "livestock": ("畜禽养殖", "Livestock"),
    "logistics": ("物流", "Logistics"),
}
"""Project types with their labels: the catalogue, the review pages and reports all show these."""
GATED = ("approved", "under_construction", "completed")
"""Statuses that mean the project is being implemented: reaching them needs the review."""
PLAN_FIELDS = ("project_type", "investment_wan", "park_level", "floor_area_ratio", "building_coverage")
"""What an approval approves besides the footprint: changing these at a gated status is reviewed again."""


def rank(status: str | None) -> int:
    """Return the position of ``status`` in the workflow (-1 when unknown or None)."""
    return STATUSES.index(status) if status in STATUSES else -1


def is_gated(status: str | None) -> bool:
    """Tell whether ``status`` means the project is implemented (approved or beyond)."""
    return status in GATED


@dataclass(frozen=True)
class GateDecision:
    """The gate's answer: ``passed``; else the error code; and what the pass rests on."""

    passed: bool
    code: str | None  # review_failed | review_required when refused
    basis: str  # assessment | report | override | refused


def decide(conclusion: str, to_status: str, report_conclusion: str | None, override_status: str | None) -> GateDecision:
    """Decide whether a project whose current assessment is ``conclusion`` may be at ``to_status``.

    ``report_conclusion`` is the conclusion of an issued report on the current
    data (None: none issued); ``override_status`` the furthest status an admin
    override on the current data allows (None: no override).
    """
    if not is_gated(to_status) or conclusion == "pass":
        return GateDecision(True, None, "assessment")
    if override_status is not None and rank(override_status) >= rank(to_status):
        return GateDecision(True, None, "override")
    if conclusion == "needs_review" and report_conclusion is not None and report_conclusion != "fail":
        return GateDecision(True, None, "report")
    return GateDecision(False, "review_failed" if conclusion == "fail" else "review_required", "refused")
