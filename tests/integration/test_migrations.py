"""Migrations upgrade an empty database and downgrade it back to empty."""
from sqlalchemy import create_engine, inspect

from gis_tracker.services.platform import migrations

TABLES = {"users", "api_tokens", "audit_log", "district", "zones", "enterprises",
          "protected_areas", "water_bodies", "projects"}


def test_upgrade_then_downgrade_round_trip(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert tables >= TABLES
        columns = {c["name"]: c for c in inspect(engine).get_columns("projects")}
        assert "geom" in columns
        migrations.downgrade(engine, "base")
        left = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
        assert left == set()
        migrations.upgrade(engine)  # and up again: downgrade left nothing behind
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()


def test_the_chain_has_exactly_one_head():
    """A new revision must follow the current head; two heads leave the order between them undefined."""
    assert len(migrations.heads()) == 1, f"migrations have several heads: {migrations.heads()}"


def test_the_models_match_the_migrated_schema(empty_database_url):
    """Every column, type, index and table the models declare is what the migrations build, and no more."""
    engine = create_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        assert migrations.schema_differences(engine) == []
    finally:
        migrations.downgrade(engine, "base")
        engine.dispose()


def test_every_geometry_column_has_an_explicit_srid(session):
    from sqlalchemy import text
    rows = session.execute(text(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
        "WHERE f_table_schema = 'public'")).all()
    assert rows
    assert {r.srid for r in rows} == {4547}


def _leftovers(engine) -> dict[str, list[str]]:
    """Return the schema objects in public that no extension owns (tables, views, sequences, functions, types)."""
    from sqlalchemy import text
    not_extension = ("NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')")
    queries = {
        "relations": "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                     "WHERE n.nspname = 'public' AND c.relkind IN ('r','v','m','S','p') "
                     "AND c.relname NOT IN ('spatial_ref_sys', 'alembic_version') AND "
                     + not_extension.format(oid="c.oid"),
        "functions": "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                     "WHERE n.nspname = 'public' AND " + not_extension.format(oid="p.oid"),
        "types": "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                 "WHERE n.nspname = 'public' AND t.typtype IN ('e','d','c') AND t.typrelid = 0 AND "
                 + not_extension.format(oid="t.oid"),
        "triggers": "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal",
    }
    with engine.connect() as conn:
        return {kind: sorted(conn.scalars(text(sql)).all()) for kind, sql in queries.items()}


def test_every_migration_downgrades_to_nothing(empty_database_url):
    """upgrade heads → downgrade base leaves no table, sequence, function, type or trigger; then up again."""
    engine = create_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        assert _leftovers(engine)["triggers"], "expected the audit_log triggers after upgrade"
        migrations.downgrade(engine, "base")
        assert _leftovers(engine) == {"relations": [], "functions": [], "types": [], "triggers": []}
        migrations.upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
    finally:
        engine.dispose()
