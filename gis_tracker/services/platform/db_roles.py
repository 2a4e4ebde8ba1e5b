"""Grant the application's database role what it needs, and no more.

The app runs as a restricted role (``shifeng_app`` in the private cluster);
migrations, backups and restores run as the owner.  The restricted role gets
SELECT/INSERT/UPDATE/DELETE on every table and USAGE/SELECT/UPDATE on every
sequence of the ``public`` schema, except ``audit_log``, where it only gets
SELECT and INSERT: the audit trail is append-only for the application.  A
trigger (migration 0003) refuses UPDATE/DELETE/TRUNCATE on ``audit_log`` for
every role as a second line of defence (a trigger alone can be disabled by
the owner; missing privileges cannot be bypassed by the app).

``ALTER DEFAULT PRIVILEGES`` makes tables that later migrations create get
the same grants; :func:`grant_app_role` runs again after every upgrade so
tables created before the defaults existed (other migration heads) are
covered too.  Both are idempotent.
"""
from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ... import sql

LOGGER = logging.getLogger(__name__)

APPEND_ONLY_TABLES = ("audit_log",)
PARTITION_FUNCTIONS = ("layer_partition_begin(integer)", "layer_partition_attach(integer)")


def role_exists(conn: Connection, role: str) -> bool:
    """Tell whether the login role ``role`` exists in the cluster."""
    return bool(conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}))


def grant_app_role(conn: Connection, role: str) -> None:
    """Give ``role`` data access to every table, append-only on the audit trail."""
    owner = conn.scalar(text("SELECT current_user"))
    if owner == role:
        LOGGER.warning("migrations run as the app role %s: the audit trail relies on the trigger only", role)
        return
    statements = [(template, {"role": role}) for template in (
        "GRANT USAGE ON SCHEMA public TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO {role}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {role}",
    )]
    for function in PARTITION_FUNCTIONS:  # owner functions the bulk import calls (migration 0012)
        if conn.scalar(text("SELECT to_regprocedure(:f) IS NOT NULL"), {"f": function}):
            # Again every time: a restore without privileges (pg_restore --no-privileges) leaves
            # functions executable by PUBLIC.
            name, args = function.split("(", 1)
            statements.append(("REVOKE ALL ON FUNCTION {fn}(" + args + " FROM PUBLIC", {"fn": name}))
            statements.append(("GRANT EXECUTE ON FUNCTION {fn}(" + args + " TO {role}", {"fn": name, "role": role}))
    for table in APPEND_ONLY_TABLES:
        exists = conn.scalar(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": f"public.{table}"})
        if exists:
            statements.append(("REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {role}",
                               {"table": table, "role": role}))
            statements.append(("REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC", {"table": table}))
    for template, names in statements:
        conn.execute(text(sql.statement(conn, template, **names)))
    LOGGER.info("granted table access to %s (append-only on %s)", role, ", ".join(APPEND_ONLY_TABLES))


def app_role_privileges(conn: Connection, role: str, table: str) -> set[str]:
    """Return the privileges ``role`` holds on ``table`` (for checks and tests)."""
    rows = conn.execute(text(
        "SELECT privilege_type FROM information_schema.role_table_grants "
        "WHERE grantee = :r AND table_schema = 'public' AND table_name = :t"), {"r": role, "t": table})
    return {row[0] for row in rows}
