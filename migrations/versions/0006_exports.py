"""Export history: every snapshot, interactive map and meeting pack with its stored file.

Revision ID: 0006_exports
Revises: 0002_versions_layers
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0006_exports"
down_revision = "0002_versions_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("format", sa.String(10), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("params", JSONB, nullable=False, server_default="{}"),
        sa.Column("username", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("file_path", sa.String(300), nullable=False, unique=True),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.CheckConstraint("kind IN ('snapshot', 'html', 'meeting_pack')", name="ck_exports_kind"),
        sa.CheckConstraint("format IN ('png', 'pdf', 'html')", name="ck_exports_format"),
    )
    op.create_index("ix_exports_username", "exports", ["username"])
    op.create_index("ix_exports_created_at", "exports", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_exports_created_at", table_name="exports")
    op.drop_index("ix_exports_username", table_name="exports")
    op.drop_table("exports")
