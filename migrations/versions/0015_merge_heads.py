"""Merge the eight branches that grew from 0002 into one chain.

Revision ID: 0015_merge_heads
Revises: 0003_relocation, 0004b_subdivide_256, 0006_exports, 0007_tile_cache, 0010_security,
         0012_layer_feature_partitions, 0013_import_previews_expire, 0014_job_heartbeat

The branches touch different tables, so their order never mattered; from here
on every migration follows the single head (``tests/integration/test_migrations.py``
fails when there is more than one).  Nothing is changed by this revision.
"""
from __future__ import annotations

revision = "0015_merge_heads"
down_revision = ("0003_relocation", "0004b_subdivide_256", "0006_exports", "0007_tile_cache", "0010_security", "0012_layer_feature_partitions", "0013_import_previews_expire", "0014_job_heartbeat")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to do: this revision only joins the branches."""


def downgrade() -> None:
    """Nothing to do: downgrading splits the chain into its branches again."""
