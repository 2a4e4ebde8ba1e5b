"""Back up and restore the whole database with pg_dump / pg_restore (custom format).

A dump holds every password and token hash: it is written owner-only (0600).

Both run as the owner role (``MIGRATION_DATABASE_URL``).  A restore only goes
into an *empty* database (no application tables), runs in one transaction
and stops at the first error, so it either reproduces every row and geometry
or changes nothing; afterwards the app role is granted its access again
(append-only on the audit trail).
"""
from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from ... import storage
from ...errors import AppError, Conflict
from ...localdb import PG_BIN
from . import db_roles

LOGGER = logging.getLogger(__name__)


class BackupFailed(AppError):
    """pg_dump or pg_restore reported an error."""

    status = 500
    code = "backup_failed"


def _tool(name: str) -> str:
    path = PG_BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        raise BackupFailed(f"找不到 {name}，请安装 postgresql-client")
    return found


def _connection_args(url: str) -> tuple[list[str], dict[str, str]]:
    """Return libpq command-line options and environment for ``url`` (password never on the command line)."""
    parsed = make_url(url)
    args = ["--host", parsed.host or "127.0.0.1", "--port", str(parsed.port or 5432),
            "--username", parsed.username or "postgres", "--dbname", parsed.database]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    env["PGCONNECT_TIMEOUT"] = "10"
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    # umask 077: whatever the tool creates is the owner's only (a dump holds password and token hashes).
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, umask=0o077)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()[-2000:]
        LOGGER.error("%s failed: %s", Path(cmd[0]).name, message)
        raise BackupFailed(f"{Path(cmd[0]).name} 失败：{message}")


def backup(owner_url: str, out: Path) -> int:
    """Write a custom-format dump of the database to ``out``; return its size in bytes."""
    args, env = _connection_args(owner_url)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 before pg_dump writes into it: the dump holds password and token hashes.
    tmp = storage.private_file(out.with_name(out.name + ".partial"))
    # spatial_ref_sys belongs to PostGIS (created with the extension in the
    # target); its rows are PostGIS's standard definitions, not our data.
    _run([_tool("pg_dump"), *args, "--format=custom", "--compress=6",
          "--exclude-table-data=public.spatial_ref_sys", "--file", str(tmp)], env)
    os.chmod(tmp, 0o600)
    tmp.replace(out)  # never leave a truncated file under the final name
    return out.stat().st_size


def is_empty(owner_url: str) -> bool:
    """Tell whether the database has no application tables."""
    engine = create_engine(owner_url, poolclass=NullPool)
    try:
        tables = set(inspect(engine).get_table_names()) - {"spatial_ref_sys"}
    finally:
        engine.dispose()
    return not tables


def restore(owner_url: str, dump: Path, app_role: str | None = None) -> None:
    """Restore ``dump`` into the empty database at ``owner_url`` (all or nothing)."""
    dump = Path(dump)
    if not dump.is_file():
        raise BackupFailed(f"备份文件不存在：{dump}")
    if not is_empty(owner_url):
        raise Conflict("目标数据库不是空的：请恢复到新建的空数据库", code="database_not_empty")
    args, env = _connection_args(owner_url)
    _run([_tool("pg_restore"), *args, "--no-owner", "--no-privileges", "--no-comments",
          "--single-transaction", "--exit-on-error", str(dump)], env)
    if app_role:
        engine = create_engine(owner_url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                if db_roles.role_exists(conn, app_role):
                    db_roles.grant_app_role(conn, app_role)
        finally:
            engine.dispose()
