"""The audit trail is append-only: the app's role cannot rewrite it, and a trigger backs that up."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gis_tracker.db import db
from gis_tracker.services.accounts import audit
from gis_tracker.services.platform import db_roles


def _one_audit_row(session) -> int:
    audit.record(session, username="tester", action="probe", object_type="test", object_id="x")
    session.commit()
    return session.scalar(text("SELECT max(id) FROM audit_log"))


def test_app_runs_as_a_role_other_than_the_owner(app):
    with app.app_context():
        assert db.app_role == "shifeng_app"
        assert db.session.scalar(text("SELECT current_user")) == "shifeng_app"


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'forged' WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
    "TRUNCATE audit_log",
])
def test_app_role_cannot_update_delete_or_truncate_audit_log(session, statement):
    row_id = _one_audit_row(session)
    with pytest.raises(DBAPIError) as err:
        session.execute(text(statement), {"id": row_id})
    session.rollback()
    assert "permission denied" in str(err.value.orig)
    assert session.scalar(text("SELECT action FROM audit_log WHERE id = :id"), {"id": row_id}) == "probe"


def test_app_role_can_still_insert_and_read_audit_and_write_other_tables(app, session):
    with app.app_context():
        privileges = db_roles.app_role_privileges(db.session.connection(), "shifeng_app", "audit_log")
        assert privileges == {"SELECT", "INSERT"}
        assert {"SELECT", "INSERT", "UPDATE", "DELETE"} <= db_roles.app_role_privileges(
            db.session.connection(), "shifeng_app", "projects")
        db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'forged' WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
])
def test_even_the_owner_is_stopped_by_the_trigger(app, session, statement):
    row_id = _one_audit_row(session)
    with app.app_context():
        with db.migration_engine.connect() as conn:
            with pytest.raises(DBAPIError) as err:
                conn.execute(text(statement), {"id": row_id})
            conn.rollback()
    assert "append-only" in str(err.value.orig)
    assert session.scalar(text("SELECT action FROM audit_log WHERE id = :id"), {"id": row_id}) == "probe"


def test_tables_added_by_later_migrations_get_the_grants(app):
    """ALTER DEFAULT PRIVILEGES: a table the owner creates later is usable by the app at once."""
    with app.app_context():
        with db.migration_engine.begin() as conn:
            conn.execute(text("CREATE TABLE grant_probe (id serial PRIMARY KEY, v text)"))
        try:
            db.session.execute(text("INSERT INTO grant_probe (v) VALUES ('ok')"))
            db.session.execute(text("UPDATE grant_probe SET v = 'changed'"))
            db.session.commit()
        finally:
            db.session.rollback()
            with db.migration_engine.begin() as conn:
                conn.execute(text("DROP TABLE grant_probe"))
