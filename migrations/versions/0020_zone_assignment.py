"""Every feature knows its zone: assigned in the database on every insert and geometry update.

``zone_assignment(geom)`` picks the live sub-area with the largest overlap
(area for polygons, length for lines, containment for points; between
nested sub-areas that overlap it equally — 五园 lie inside 三带 — the
smaller, more specific one) and its top-level zone; a feature that overlaps no sub-area gets the top-level zone
it overlaps most, a feature outside every zone gets none.  Triggers keep
``zone_id`` (the most specific zone) and ``top_zone_id`` (its 片区) of
projects, enterprises and user-layer features in step on every INSERT and
UPDATE OF geom, whatever the write path (map, OGC API, COPY imports,
restores); a change of a zone's outline, parent, level or deletion
re-assigns the features it touches.  A large import loads into a bare
partition first (migration 0012): ``layer_partition_attach`` assigns its
zones before attaching.  Existing rows are backfilled here.

Revision ID: 0020_zone_assignment
Revises: 0015_merge_heads
Create Date: 2026-12-01
"""
from alembic import op

revision = "0020_zone_assignment"
down_revision = "0030_browser_sessions"
branch_labels = None
depends_on = None

FEATURE_TABLES = ("projects", "enterprises", "layer_features")

OVERLAP_FUNCTION = """
CREATE FUNCTION zone_overlap(z geometry, g geometry) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE
    WHEN ST_Dimension(g) = 0 THEN 1.0
    WHEN ST_Covers(z, g) THEN CASE WHEN ST_Dimension(g) = 1 THEN ST_Length(g) ELSE ST_Area(g) END
    WHEN ST_Dimension(g) = 1 THEN ST_Length(ST_Intersection(z, g))
    ELSE ST_Area(ST_Intersection(z, g))
  END
$$;
"""
# PL/pgSQL (its plans are cached per session; a SQL function would be planned again for every row).
# Fast path: the smallest sub-area holding a point of the feature, when it covers the whole feature, is the
# one of largest overlap (nothing can overlap more; an equal nested one would be smaller and found first).
ASSIGNMENT_FUNCTION = """
CREATE FUNCTION zone_assignment(g geometry, OUT zone_id integer, OUT top_zone_id integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  inner_point geometry;
  best record;
BEGIN
  IF g IS NULL OR ST_IsEmpty(g) THEN
    RETURN;
  END IF;
  inner_point := ST_PointOnSurface(g);
  SELECT z.id, z.parent_id, z.geom INTO best FROM zones z
  WHERE z.deleted_at IS NULL AND z.level = 'sub_area' AND z.geom && inner_point AND ST_Intersects(z.geom, inner_point)
  ORDER BY ST_Area(z.geom), z.id LIMIT 1;
  IF FOUND AND (GeometryType(g) = 'POINT' OR ST_Covers(best.geom, g)) THEN
    zone_id := best.id;
    top_zone_id := coalesce(best.parent_id, best.id);
    RETURN;
  END IF;
  SELECT c.id, coalesce(c.parent_id, c.id) INTO zone_id, top_zone_id FROM (
    SELECT z.id, z.parent_id, z.level, round(zone_overlap(z.geom, g)::numeric, 3) AS overlap,
           ST_Area(z.geom) AS zone_area
    FROM zones z WHERE z.deleted_at IS NULL AND z.geom && g AND ST_Intersects(z.geom, g)) c
  WHERE c.overlap > 0
  ORDER BY (c.level = 'sub_area') DESC, c.overlap DESC, c.zone_area, c.id
  LIMIT 1;
END $$;
"""
FEATURE_TRIGGER_FUNCTION = """
CREATE FUNCTION assign_feature_zone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT a.zone_id, a.top_zone_id INTO NEW.zone_id, NEW.top_zone_id FROM zone_assignment(NEW.geom) a;
  RETURN NEW;
END $$;
"""
REASSIGN_SQL = """
WITH affected AS (
  SELECT f.id, a.zone_id, a.top_zone_id
  FROM {table} f CROSS JOIN LATERAL zone_assignment(f.geom) a
  WHERE {where}
)
UPDATE {table} f SET zone_id = affected.zone_id, top_zone_id = affected.top_zone_id
FROM affected
WHERE f.id = affected.id
  AND (f.zone_id IS DISTINCT FROM affected.zone_id OR f.top_zone_id IS DISTINCT FROM affected.top_zone_id)
"""
ZONE_TRIGGER_FUNCTION = """
CREATE FUNCTION reassign_zone_features() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t text;
  new_geom geometry;
  old_geom geometry;
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.geom IS NOT DISTINCT FROM OLD.geom
     AND NEW.deleted_at IS NOT DISTINCT FROM OLD.deleted_at
     AND NEW.parent_id IS NOT DISTINCT FROM OLD.parent_id AND NEW.level IS NOT DISTINCT FROM OLD.level THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    old_geom := OLD.geom;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    new_geom := NEW.geom;
  END IF;
  -- A feature assigned to this zone lies on its old or new outline, so these two cover every change.
  FOREACH t IN ARRAY ARRAY['projects', 'enterprises', 'layer_features'] LOOP
    EXECUTE format($f$
      WITH affected AS (
        SELECT f.id, a.zone_id, a.top_zone_id
        FROM %1$I f CROSS JOIN LATERAL zone_assignment(f.geom) a
        WHERE ST_Intersects(f.geom, $1) OR ST_Intersects(f.geom, $2)
      )
      UPDATE %1$I f SET zone_id = affected.zone_id, top_zone_id = affected.top_zone_id
      FROM affected
      WHERE f.id = affected.id
        AND (f.zone_id IS DISTINCT FROM affected.zone_id OR f.top_zone_id IS DISTINCT FROM affected.top_zone_id)
    $f$, t) USING new_geom, old_geom;
  END LOOP;
  RETURN NULL;
END $$;
"""

ORIGINAL_ATTACH_FUNCTION = """
CREATE OR REPLACE FUNCTION layer_partition_attach(p_layer integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t text := 'layer_features_l' || p_layer;
BEGIN
    IF to_regclass(t) IS NULL OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(t)) THEN
        RAISE EXCEPTION 'no detached partition for user layer %', p_layer USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('ALTER TABLE layer_features ATTACH PARTITION %I FOR VALUES IN (%s)', t, p_layer);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_only');
END $$;
"""
# The bare partition has no triggers while it is filled: its features get their zones in one statement here.
ATTACH_FUNCTION = """
CREATE OR REPLACE FUNCTION layer_partition_attach(p_layer integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t text := 'layer_features_l' || p_layer;
BEGIN
    IF to_regclass(t) IS NULL OR EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass(t)) THEN
        RAISE EXCEPTION 'no detached partition for user layer %', p_layer USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('UPDATE %I f SET (zone_id, top_zone_id) = '
                   '(SELECT a.zone_id, a.top_zone_id FROM zone_assignment(f.geom) a)', t);
    EXECUTE format('ALTER TABLE layer_features ATTACH PARTITION %I FOR VALUES IN (%s)', t, p_layer);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', t, t || '_only');
END $$;
"""


def _zone_key(table: str, on_delete: str | None) -> None:
    """Point ``table.zone_id`` at zones again, with ``on_delete`` (the column predates this revision)."""
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_zone_id_fkey")
    action = f" ON DELETE {on_delete}" if on_delete else ""
    op.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_zone_id_fkey FOREIGN KEY (zone_id) "
               f"REFERENCES zones (id){action}")


def upgrade() -> None:
    # A zone removed outright leaves its features unassigned (then re-assigned by the trigger), never blocked.
    for table in ("projects", "enterprises"):
        _zone_key(table, "SET NULL")
    op.execute("ALTER TABLE projects ADD COLUMN top_zone_id integer REFERENCES zones (id) ON DELETE SET NULL")
    op.execute("ALTER TABLE enterprises ADD COLUMN top_zone_id integer REFERENCES zones (id) ON DELETE SET NULL")
    op.execute("CREATE INDEX ix_projects_top_zone_id ON projects (top_zone_id)")
    op.execute("CREATE INDEX ix_enterprises_top_zone_id ON enterprises (top_zone_id)")
    op.execute("ALTER TABLE layer_features ADD COLUMN zone_id integer REFERENCES zones (id) ON DELETE SET NULL, "
               "ADD COLUMN top_zone_id integer REFERENCES zones (id) ON DELETE SET NULL")
    op.execute(OVERLAP_FUNCTION)
    op.execute(ASSIGNMENT_FUNCTION)
    op.execute(FEATURE_TRIGGER_FUNCTION)
    op.execute(ZONE_TRIGGER_FUNCTION)
    for table in FEATURE_TABLES:
        op.execute(f"CREATE TRIGGER trg_{table}_zone BEFORE INSERT OR UPDATE OF geom ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION assign_feature_zone()")
        op.execute(REASSIGN_SQL.format(table=table, where="true"))
    # AFTER DELETE runs after the foreign keys' SET NULL (their RI_ triggers sort first).
    op.execute("CREATE TRIGGER trg_zones_reassign AFTER INSERT OR DELETE OR UPDATE OF geom, deleted_at, parent_id, "
               "level ON zones FOR EACH ROW EXECUTE FUNCTION reassign_zone_features()")
    op.execute(ATTACH_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION layer_partition_attach(integer) FROM PUBLIC")


def downgrade() -> None:
    op.execute(ORIGINAL_ATTACH_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION layer_partition_attach(integer) FROM PUBLIC")
    op.execute("DROP TRIGGER IF EXISTS trg_zones_reassign ON zones")
    for table in FEATURE_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_zone ON {table}")
    op.execute("DROP FUNCTION IF EXISTS reassign_zone_features()")
    op.execute("DROP FUNCTION IF EXISTS assign_feature_zone()")
    op.execute("DROP FUNCTION IF EXISTS zone_assignment(geometry)")
    op.execute("DROP FUNCTION IF EXISTS zone_overlap(geometry, geometry)")
    op.execute("ALTER TABLE layer_features DROP COLUMN IF EXISTS zone_id, DROP COLUMN IF EXISTS top_zone_id")
    op.execute("DROP INDEX IF EXISTS ix_enterprises_top_zone_id")
    op.execute("DROP INDEX IF EXISTS ix_projects_top_zone_id")
    op.execute("ALTER TABLE enterprises DROP COLUMN IF EXISTS top_zone_id")
    op.execute("ALTER TABLE projects DROP COLUMN IF EXISTS top_zone_id")
    for table in ("projects", "enterprises"):
        _zone_key(table, None)
