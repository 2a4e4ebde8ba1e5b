"""Backup (pg_dump) then restore (pg_restore) into an empty database reproduces every row and geometry."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from gis_tracker import create_app, localdb
from gis_tracker.config import TestConfig
from gis_tracker.db import db
from gis_tracker.services.accounts import users


def _fingerprint(url: str) -> dict[str, tuple]:
    """Return {table: (rows, row checksum, ST_AsBinary checksum of each geometry column)}."""
    engine = create_engine(url, poolclass=NullPool)
    result = {}
    with engine.connect() as conn:
        tables = conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys' "
            "ORDER BY tablename")).all()
        for table in tables:
            count = conn.scalar(text(f'SELECT count(*) FROM "{table}"'))
            rows = conn.scalar(text(f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) '
                                    f'FROM "{table}" t'))
            geoms = conn.scalars(text(
                "SELECT f_geometry_column FROM geometry_columns WHERE f_table_schema = 'public' "
                "AND f_table_name = :t ORDER BY 1"), {"t": table}).all()
            geom_sums = tuple(conn.scalar(text(
                f"SELECT md5(coalesce(string_agg(encode(ST_AsBinary(\"{g}\"), 'hex'), ',' "
                f"ORDER BY encode(ST_AsBinary(\"{g}\"), 'hex')), '')) FROM \"{table}\"")) for g in geoms)
            result[table] = (count, rows, geom_sums)
    engine.dispose()
    return result


@pytest.fixture()
def fresh_database():
    name = f"shifeng_test_restore_{__import__('os').getpid()}"
    url = localdb.create_database(name)
    yield url
    localdb.drop_database(name)


def test_backup_then_restore_into_an_empty_database_reproduces_everything(app, database_url, fresh_database,
                                                                           tmp_path):
    dump = tmp_path / "shifeng.dump"
    result = app.test_cli_runner().invoke(args=["backup", "--out", str(dump)])
    assert result.exit_code == 0, result.output
    assert dump.stat().st_size > 10_000

    restored_app = create_app(TestConfig(fresh_database))
    try:
        result = restored_app.test_cli_runner().invoke(args=["restore", str(dump)])
        assert result.exit_code == 0, result.output
        before, after = _fingerprint(database_url), _fingerprint(fresh_database)
        assert set(before) == set(after)
        assert {t: v[0] for t, v in after.items()} == {t: v[0] for t, v in before.items()}
        assert after == before
        assert before["enterprises"][0] >= 172 and before["audit_log"][0] > 0
        with restored_app.app_context():
            # The restored database works for the app role, audit trail still append-only.
            assert users.authenticate(db.session, "admin", "test-password-1") is not None
            privileges = db.session.execute(text(
                "SELECT has_table_privilege('shifeng_app', 'audit_log', 'UPDATE'), "
                "has_table_privilege('shifeng_app', 'projects', 'UPDATE')")).one()
            assert tuple(privileges) == (False, True)
    finally:
        restored_app.extensions["db_engine"].dispose()


def test_restore_refuses_a_database_that_is_not_empty(app, tmp_path):
    dump = tmp_path / "again.dump"
    assert app.test_cli_runner().invoke(args=["backup", "--out", str(dump)]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["restore", str(dump)])
    assert result.exit_code != 0 and "不是空的" in result.output
