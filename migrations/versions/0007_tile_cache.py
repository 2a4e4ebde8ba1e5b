"""Vector tile cache with per-tile bounds and per-collection epochs.

Revision ID: 0007_tile_cache
Revises: 0002_versions_layers
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0007_tile_cache"
down_revision = "0002_versions_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tile_cache",
        sa.Column("collection", sa.String(80), primary_key=True),
        sa.Column("z", sa.Integer, primary_key=True),
        sa.Column("x", sa.Integer, primary_key=True),
        sa.Column("y", sa.Integer, primary_key=True),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("bounds", Geometry("POLYGON", srid=4547, spatial_index=False), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_tile_cache_bounds", "tile_cache", ["bounds"], postgresql_using="gist")
    op.create_table(
        "tile_epochs",
        sa.Column("collection", sa.String(80), primary_key=True),
        sa.Column("epoch", sa.BigInteger, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("tile_epochs")
    op.drop_table("tile_cache")
