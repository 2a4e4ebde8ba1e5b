"""Protected parts of at most 256 vertices (ST_Subdivide's default): fewer, larger parts check faster.

Measured with bench/encroachment.py (a 200,000-vertex area, 100 projects): 128-vertex parts cost about
four times as many part/project pairs as 256-vertex parts for the same overlaps.

Revision ID: 0004b_subdivide_256
Revises: 0004a_encroachment_cascade
Create Date: 2026-11-28
"""
from alembic import op

revision = "0004b_subdivide_256"
down_revision = "0004a_encroachment_cascade"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE OR REPLACE FUNCTION sync_protected_parts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    DELETE FROM protected_parts WHERE source = TG_TABLE_NAME AND feature_id = OLD.id;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF NEW.deleted_at IS NULL THEN
      INSERT INTO protected_parts (source, feature_id, geom)
      SELECT TG_TABLE_NAME, NEW.id, ST_Subdivide(NEW.geom, {n});
    END IF;
  END IF;
  RETURN NULL;
END $$;
"""


def _rebuild(max_vertices: int) -> None:
    op.execute(FUNCTION.replace("{n}", str(max_vertices)))
    op.execute("DELETE FROM protected_parts")
    for table in ("protected_areas", "water_bodies"):
        op.execute(f"INSERT INTO protected_parts (source, feature_id, geom) "
                   f"SELECT '{table}', id, ST_Subdivide(geom, {max_vertices}) FROM {table} WHERE deleted_at IS NULL")


def upgrade() -> None:
    _rebuild(256)


def downgrade() -> None:
    _rebuild(128)
