"""Data exchange: imports awaiting commit, stored rasters (COG files + metadata), zone populations.

Revision ID: 0005_data_exchange
Revises: 0002_versions_layers
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0005_data_exchange"
down_revision = "0002_versions_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_imports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, index=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("format", sa.String(20), nullable=False),
        sa.Column("size_bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("status", sa.String(20), nullable=False, server_default="previewed"),
        sa.Column("token", sa.String(40), nullable=False, unique=True),
        sa.Column("options", JSONB, nullable=False, server_default="{}"),
        sa.Column("preview", JSONB, nullable=False, server_default="{}"),
        sa.Column("target", sa.String(80)),
        sa.Column("mapping", JSONB),
        sa.Column("job_id", sa.Integer),
        sa.Column("result", JSONB),
        sa.Column("error_code", sa.String(60)),
        sa.Column("message", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("status IN ('previewed', 'committing', 'committed', 'failed', 'cancelled')",
                           name="ck_data_imports_status"),
    )
    op.create_table(
        "rasters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("crs", sa.Text, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("dtype", sa.String(20), nullable=False),
        sa.Column("nodata", sa.Float),
        sa.Column("bounds", JSONB, nullable=False),
        sa.Column("bounds_4326", JSONB, nullable=False),
        sa.Column("res", JSONB, nullable=False),
        sa.Column("stats", JSONB, nullable=False, server_default="{}"),
        sa.Column("scheme", sa.String(40)),
        sa.Column("size_bytes", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("source_filename", sa.String(255)),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", sa.String(64)),
        sa.CheckConstraint("kind IN ('dem', 'landcover', 'imagery')", name="ck_rasters_kind"),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9_]{1,62}$'", name="ck_rasters_name"),
    )
    op.create_table(
        "zone_populations",
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("population", sa.Integer, nullable=False),
        sa.Column("year", sa.Integer),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("population >= 0", name="ck_zone_populations_population"),
    )


def downgrade() -> None:
    op.drop_table("zone_populations")
    op.drop_table("rasters")
    op.drop_table("data_imports")
