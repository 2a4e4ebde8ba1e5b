"""Import previews can expire: 'expired' joins the statuses of data_imports.

Previews nobody commits or cancels are closed after IMPORT_PREVIEW_HOURS and
their scratch files removed (services/exchange/imports.py ``expire_stale``).

Revision ID: 0013_import_previews_expire
Revises: 0005_data_exchange
Create Date: 2026-11-28
"""
from alembic import op

revision = "0013_import_previews_expire"
down_revision = "0005_data_exchange"
branch_labels = None
depends_on = None

OLD = "status IN ('previewed', 'committing', 'committed', 'failed', 'cancelled')"
NEW = "status IN ('previewed', 'committing', 'committed', 'failed', 'cancelled', 'expired')"


def upgrade() -> None:
    op.drop_constraint("ck_data_imports_status", "data_imports", type_="check")
    op.create_check_constraint("ck_data_imports_status", "data_imports", NEW)


def downgrade() -> None:
    op.execute("UPDATE data_imports SET status = 'cancelled' WHERE status = 'expired'")
    op.drop_constraint("ck_data_imports_status", "data_imports", type_="check")
    op.create_check_constraint("ck_data_imports_status", "data_imports", OLD)
