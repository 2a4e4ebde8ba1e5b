"""The review gate's decision on plain values: 审查未通过的不得实施."""
import pytest

from gis_tracker.rules import project_status as ps


@pytest.mark.parametrize("conclusion,to_status,report,override,expected", [
    ("pass", "approved", None, None, (True, None, "assessment")),
    ("fail", "planned", None, None, (True, None, "assessment")),  # not implementing: never held
    ("fail", "approved", None, None, (False, "review_failed", "refused")),
    ("fail", "approved", "fail", None, (False, "review_failed", "refused")),  # a report does not lift a failure
    ("needs_review", "approved", None, None, (False, "review_required", "refused")),
    ("needs_review", "under_construction", "needs_review", None, (True, None, "report")),
    ("needs_review", "approved", "fail", None, (False, "review_required", "refused")),
    ("fail", "approved", None, "approved", (True, None, "override")),
    ("fail", "completed", None, "approved", (False, "review_failed", "refused")),  # only as far as allowed
    ("needs_review", "under_construction", None, "completed", (True, None, "override")),
])
def test_decide(conclusion, to_status, report, override, expected):
    d = ps.decide(conclusion, to_status, report, override)
    assert (d.passed, d.code, d.basis) == expected


def test_the_workflow_order_and_gated_statuses():
    assert [ps.rank(s) for s in ps.STATUSES] == [0, 1, 2, 3] and ps.rank(None) == -1
    assert ps.GATED == ("approved", "under_construction", "completed") and not ps.is_gated("planned")
    assert ps.STATUS_LABELS["planned"][0] == "规划中" and ps.PROJECT_TYPE_LABELS["tourism"][0] == "旅游"


def test_the_database_queues_exactly_the_writes_this_module_judges():
    """Migration 0021 lists the columns an approval approves; it must be this module's list."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "migrations/versions/0021_review_workflow.py"
    spec = importlib.util.spec_from_file_location("review_workflow_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.PLAN_FIELDS == ps.PLAN_FIELDS
    assert ", ".join(f"'{s}'" for s in ps.GATED) == migration.GATED
