"""Migrations upgrade an empty database and downgrade it back to empty."""
from sqlalchemy import create_engine, inspect

from gis_tracker.services import migrations

TABLES = {"users", "api_tokens", "audit_log", "district", "zones", "enterprises",
          "protected_areas", "water_bodies", "projects"}


def test_upgrade_then_downgrade_round_trip(empty_database_url):
    engine = create_engine(empty_database_url)
    try:
        migrations.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert TABLES <= tables
        columns = {c["name"]: c for c in inspect(engine).get_columns("projects")}
        assert "geom" in columns
        migrations.downgrade(engine, "base")
        left = set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
        assert left == set()
        migrations.upgrade(engine)  # and up again: downgrade left nothing behind
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_every_geometry_column_has_an_explicit_srid(session):
    from sqlalchemy import text
    rows = session.execute(text(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
        "WHERE f_table_schema = 'public'")).all()
    assert rows
    assert {r.srid for r in rows} == {4547}
