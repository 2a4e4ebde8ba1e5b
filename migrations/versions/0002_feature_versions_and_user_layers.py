"""Feature versions (history/restore), user-defined layers and background jobs.

Revision ID: 0002_versions_layers
Revises: 0001_foundation
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002_versions_layers"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _tracked() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", sa.String(64)),
    ]


def upgrade() -> None:
    op.create_table(
        "feature_versions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("collection", sa.String(80), nullable=False),
        sa.Column("feature_id", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("properties", JSONB, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", srid=4547, spatial_index=False)),
        sa.Column("username", sa.String(64)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("collection", "feature_id", "version", name="uq_feature_versions"),
    )
    op.create_table(
        "user_layers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(63), nullable=False, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200)),
        sa.Column("description", sa.Text),
        sa.Column("geometry_type", sa.String(30), nullable=False),
        sa.Column("fields", JSONB, nullable=False, server_default="[]"),
        sa.Column("style", JSONB, nullable=False, server_default="{}"),
        sa.Column("sort_order", sa.Integer, nullable=False, server_default="100"),
        sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),
        *_tracked(),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9_]{1,62}$'", name="ck_user_layers_name"),
    )
    op.create_table(
        "layer_features",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("layer_id", sa.Integer, sa.ForeignKey("user_layers.id"), nullable=False, index=True),
        sa.Column("properties", JSONB, nullable=False, server_default="{}"),
        sa.Column("geom", Geometry("GEOMETRY", srid=4547, spatial_index=False), nullable=False),
        *_tracked(),
        sa.CheckConstraint("ST_IsValid(geom)", name="ck_layer_features_geom_valid"),
    )
    op.create_index("ix_layer_features_geom", "layer_features", ["geom"], postgresql_using="gist")
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="queued"),
        sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
        sa.Column("message", sa.Text),
        sa.Column("params", JSONB, nullable=False, server_default="{}"),
        sa.Column("result", JSONB),
        sa.Column("error_code", sa.String(60)),
        sa.Column("username", sa.String(64), index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("jobs")
    op.drop_table("layer_features")
    op.drop_table("user_layers")
    op.drop_table("feature_versions")
