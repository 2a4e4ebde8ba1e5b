"""User-layer features partitioned by layer: a large layer can be loaded before it is indexed.

``layer_features`` becomes a table partitioned by ``layer_id`` (LIST).  The
existing table, with its rows and indexes, becomes the DEFAULT partition,
where every layer's features live unless the layer has a partition of its
own — nothing is copied.  A large import into an empty layer gets its own
partition through two owner functions the app may call (the app's role
cannot run DDL itself):

* ``layer_partition_begin(layer)`` creates a bare table shaped like
  ``layer_features`` (constraints, no indexes) for an existing, empty layer;
* the app COPYs the rows into it, in the import's transaction;
* ``layer_partition_attach(layer)`` attaches it: PostgreSQL builds its
  indexes in bulk (sorted GiST build) and validates the foreign key with one
  query, instead of maintaining four indexes and a foreign-key check row by
  row.  If anything fails, the whole transaction — table included — rolls back.

The primary key becomes (id, layer_id), as a partitioned table's must
include the partition key; ids still come from the one sequence.

Revision ID: 0012_layer_feature_partitions
Revises: 0011_layer_feature_indexes
Create Date: 2026-11-28
"""
from alembic import op

revision = "0012_layer_feature_partitions"
down_revision = "0011_layer_feature_indexes"
branch_labels = None
depends_on = None

PARENT_INDEXES = (
    ("ix_layer_features_geom", "USING gist (geom)", ""),
    ("ix_layer_features_live", "(layer_id)", "WHERE deleted_at IS NULL"),
    ("ix_layer_features_deleted", "(layer_id)", "WHERE deleted_at IS NOT NULL"),
)

BEGIN_FUNCTION = """
CREATE FUNCTION layer_partition_begin(p_layer integer) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    t text := 'layer_features_l' || p_layer;
BEGIN
    -- The row lock also keeps the layer from being deleted while its partition is built.
    PERFORM 1 FROM user_layers WHERE id = p_layer FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no user layer %', p_layer USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM layer_features WHERE layer_id = p_layer AND deleted_at IS NULL)
       OR EXISTS (SELECT 1 FROM layer_features WHERE layer_id = p_layer AND deleted_at IS NOT NULL) THEN
        RAISE EXCEPTION 'user layer % already has features', p_layer USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF to_regclass(t) IS NOT NULL THEN
        RAISE EXCEPTION 'user layer % already has a partition', p_layer USING ERRCODE = 'duplicate_table';
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE layer_features INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', t);
    -- Lets ATTACH see without scanning that every row belongs to the layer.
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (layer_id = %s)', t, t || '_only', p_layer);
    RETURN t;  -- the app's role may write it by the schema's default privileges (services/platform/db_roles.py)
END $$;
"""

ATTACH_FUNCTION = """
CREATE FUNCTION layer_partition_attach(p_layer integer) RETURNS void
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


def upgrade() -> None:
    # The present table becomes the default partition, keeping its rows and (renamed) indexes.
    op.execute("ALTER TABLE layer_features RENAME TO layer_features_default")
    op.execute("ALTER TABLE layer_features_default DROP CONSTRAINT layer_features_pkey")
    op.execute("ALTER TABLE layer_features_default DROP CONSTRAINT layer_features_layer_id_fkey")
    for name, _, _ in PARENT_INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name.replace('ix_layer_features', 'layer_features_default')}")
    op.execute("CREATE TABLE layer_features (LIKE layer_features_default INCLUDING DEFAULTS INCLUDING CONSTRAINTS, "
               "CONSTRAINT layer_features_pkey PRIMARY KEY (id, layer_id), "
               "CONSTRAINT layer_features_layer_id_fkey FOREIGN KEY (layer_id) REFERENCES user_layers (id)) "
               "PARTITION BY LIST (layer_id)")
    op.execute("ALTER SEQUENCE layer_features_id_seq OWNED BY layer_features.id")
    for name, how, where in PARENT_INDEXES:
        op.execute(f"CREATE INDEX {name} ON layer_features {how} {where}")
    # Matching indexes of the default partition are adopted, not rebuilt; the key index is new.
    op.execute("ALTER TABLE layer_features ATTACH PARTITION layer_features_default DEFAULT")
    op.execute(BEGIN_FUNCTION)
    op.execute(ATTACH_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION layer_partition_begin(integer) FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION layer_partition_attach(integer) FROM PUBLIC")


def downgrade() -> None:
    op.execute("DROP FUNCTION layer_partition_attach(integer)")
    op.execute("DROP FUNCTION layer_partition_begin(integer)")
    # Every per-layer partition's rows go back to the default partition, which becomes the table again.
    op.execute("""
        DO $$
        DECLARE part regclass;
        BEGIN
            FOR part IN SELECT inhrelid::regclass FROM pg_inherits
                        WHERE inhparent = 'layer_features'::regclass
                          AND inhrelid <> 'layer_features_default'::regclass LOOP
                EXECUTE format('ALTER TABLE layer_features DETACH PARTITION %s', part);
                EXECUTE format('INSERT INTO layer_features_default SELECT * FROM %s', part);
                EXECUTE format('DROP TABLE %s', part);
            END LOOP;
        END $$;
    """)
    op.execute("ALTER TABLE layer_features DETACH PARTITION layer_features_default")
    op.execute("ALTER SEQUENCE layer_features_id_seq OWNED BY layer_features_default.id")
    op.execute("DROP TABLE layer_features")
    op.execute("ALTER TABLE layer_features_default RENAME TO layer_features")
    for name, _, _ in PARENT_INDEXES:
        op.execute(f"ALTER INDEX {name.replace('ix_layer_features', 'layer_features_default')} RENAME TO {name}")
    # A detached partition keeps copies of the parent's key and foreign key: put back the originals.
    op.execute("ALTER TABLE layer_features DROP CONSTRAINT IF EXISTS layer_features_default_pkey")
    op.execute("ALTER TABLE layer_features DROP CONSTRAINT IF EXISTS layer_features_layer_id_fkey")
    op.execute("ALTER TABLE layer_features ADD CONSTRAINT layer_features_pkey PRIMARY KEY (id)")
    op.execute("ALTER TABLE layer_features ADD CONSTRAINT layer_features_layer_id_fkey "
               "FOREIGN KEY (layer_id) REFERENCES user_layers (id)")
