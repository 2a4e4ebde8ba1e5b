"""Jobs carry a heartbeat, so a job whose process died can be told from a slow one.

Every progress update stamps ``heartbeat_at``; a queued or running job whose
heartbeat is older than JOB_STALE_MINUTES is reported failed (``interrupted``)
and an import it was committing is reopened (services/platform/jobs.py ``reap_stale``).

Revision ID: 0014_job_heartbeat
Revises: 0002_versions_layers
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_job_heartbeat"
down_revision = "0002_versions_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), server_default=sa.func.now()))


def downgrade() -> None:
    op.drop_column("jobs", "heartbeat_at")
