"""Exports may be then-vs-now comparisons (kind ``compare``, PDF or PNG).

Revision ID: 0043_compare_exports
Revises: 0042_plan_indicators
Create Date: 2026-12-04

Downgrading removes the recorded comparison exports (their files stay under EXPORT_DIR) so the older
constraint holds again.
"""
from alembic import op

revision = "0043_compare_exports"
down_revision = "0042_plan_indicators"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("ck_exports_kind", "exports", type_="check")
    op.create_check_constraint("ck_exports_kind", "exports", "kind IN ('snapshot', 'html', 'meeting_pack', 'compare')")


def downgrade() -> None:
    op.execute("DELETE FROM exports WHERE kind = 'compare'")
    op.drop_constraint("ck_exports_kind", "exports", type_="check")
    op.create_check_constraint("ck_exports_kind", "exports", "kind IN ('snapshot', 'html', 'meeting_pack')")
