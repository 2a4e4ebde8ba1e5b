"""Manage the project's private PostGIS cluster under ``var/pg``.

The private cluster is what ``script/server`` and ``script/test`` use when no
``DATABASE_URL`` is given: a PostgreSQL 15 cluster owned by the project,
listening on 127.0.0.1 only, with password (SCRAM) authentication and the
data kept across restarts.  PostgreSQL refuses to run as root, so when we are
root every server binary runs as the ``postgres`` system user.

Layout (``var/pg`` may be a symlink, see :func:`_pg_root`)::

    var/pg/data/            PGDATA
    var/pg/log/server.log   server log
    var/pg/credentials      "role password" lines, readable by us only

Two login roles: ``shifeng`` owns the databases and runs the migrations,
backups and restores; ``shifeng_app`` is what the running app connects as.
It gets SELECT/INSERT/UPDATE/DELETE on the tables but only SELECT/INSERT on
``audit_log`` (see :mod:`gis_tracker.services.db_roles`), so the application
can never rewrite the audit trail.

The module is importable without side effects; run it as
``python -m gis_tracker.localdb start|stop|status|url|createdb NAME|dropdb NAME``.
"""
from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import pwd
import secrets
import subprocess
import sys
import time
from pathlib import Path

from . import storage

LOGGER = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DEFAULT_PORT = int(os.environ.get("LOCAL_PG_PORT", "55432"))
APP_ROLE = "shifeng"  # owner of the databases: migrations, backup, restore
RUNTIME_ROLE = "shifeng_app"  # what the running app connects as (no UPDATE/DELETE on audit_log)
APP_DB = "shifeng"


class LocalClusterError(RuntimeError):
    """The private cluster could not be prepared or started."""


def _is_root() -> bool:
    return os.geteuid() == 0


def _pg_root() -> Path:
    """Return the cluster directory ``var/pg``, creating it if needed.

    When we are root the ``postgres`` user must be able to reach the data
    directory.  A checkout under a private home (``/root/...``) is not
    traversable by ``postgres``; then the cluster lives under
    ``/var/lib/postgresql/shifeng-gis/<hash>`` and ``var/pg`` is a symlink to
    it, so the layout seen from the checkout stays the same.  The resolved
    path is returned, so every path handed to the server binaries is one the
    ``postgres`` user can reach.
    """
    var = PROJECT_ROOT / "var"
    var.mkdir(exist_ok=True)
    link = var / "pg"
    if link.exists():
        return link.resolve()
    if _is_root() and not _postgres_can_reach(var):
        digest = hashlib.sha1(str(PROJECT_ROOT).encode()).hexdigest()[:12]
        target = Path("/var/lib/postgresql/shifeng-gis") / digest
        target.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
        return target
    link.mkdir()
    return link.resolve()


def _postgres_can_reach(path: Path) -> bool:
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(path)],
        capture_output=True, cwd="/",
    )
    return result.returncode == 0


def _run_pg(args: list[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run a PostgreSQL server binary, as ``postgres`` when we are root."""
    cmd = [str(PG_BIN / args[0]), *args[1:]]
    if _is_root():
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    kwargs.setdefault("cwd", "/")  # the checkout itself may not be reachable by postgres
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise LocalClusterError(
            f"{args[0]} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
        )
    return result


def _chown_postgres(path: Path) -> None:
    if _is_root():
        pw = pwd.getpwnam("postgres")
        os.chown(path, pw.pw_uid, pw.pw_gid)


def _credentials_file() -> Path:
    return _pg_root() / "credentials"


def _read_credentials() -> dict[str, str]:
    path = _credentials_file()
    if not path.exists():
        return {}
    pairs = (line.split(" ", 1) for line in path.read_text().splitlines() if line.strip())
    return {role: password for role, password in pairs}


def _write_credentials(creds: dict[str, str]) -> None:
    path = _credentials_file()
    # 0600 from its creation (never readable by others, not even for a moment); atomic: concurrent readers
    # never see a half-written file.
    storage.write_private(path, "".join(f"{role} {pw}\n" for role, pw in creds.items()).encode())


def port() -> int:
    """Return the port the private cluster listens on."""
    return DEFAULT_PORT


def url(database: str = APP_DB, role: str = APP_ROLE) -> str:
    """Return the SQLAlchemy URL for ``database`` in the private cluster."""
    creds = _read_credentials()
    if role not in creds:
        raise LocalClusterError("the private cluster is not initialised; run script/server")
    return f"postgresql+psycopg2://{role}:{creds[role]}@127.0.0.1:{port()}/{database}"


def runtime_url(database: str = APP_DB) -> str:
    """Return the URL the running app uses for ``database`` (the restricted role)."""
    return url(database, RUNTIME_ROLE)


def runtime_url_for(owner_url: str) -> str | None:
    """Return the restricted-role URL of the same database as ``owner_url``.

    None when ``owner_url`` is not the owner role of this private cluster
    (an external database keeps whatever URL it was given).
    """
    from sqlalchemy.engine import make_url

    parsed = make_url(owner_url)
    if parsed.host != "127.0.0.1" or parsed.port != port() or parsed.username != APP_ROLE:
        return None
    if RUNTIME_ROLE not in _read_credentials():
        return None
    return runtime_url(parsed.database)


def is_initialised() -> bool:
    """Tell whether ``var/pg/data`` holds a cluster."""
    return (_pg_root() / "data" / "PG_VERSION").exists()


def is_running() -> bool:
    """Tell whether the private cluster accepts connections."""
    result = subprocess.run(
        [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port()), "-t", "1"],
        capture_output=True,
    )
    return result.returncode == 0


def _initialise() -> None:
    """Create the cluster, the app role, the app database and PostGIS."""
    root = _pg_root()
    data = root / "data"
    for sub in (data, root / "log"):
        sub.mkdir(parents=True, exist_ok=True)
        _chown_postgres(sub)
    _chown_postgres(root)
    data.chmod(0o700)
    creds = {"postgres": secrets.token_urlsafe(24), APP_ROLE: secrets.token_urlsafe(24)}
    pwfile = root / ".initpw"
    storage.write_private(pwfile, (creds["postgres"] + "\n").encode())
    _chown_postgres(pwfile)
    try:
        _run_pg([
            "initdb", "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
            "--auth", "scram-sha-256", "--encoding", "UTF8", "--locale", "C.UTF-8",
        ])
    finally:
        pwfile.unlink(missing_ok=True)
    with open(data / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port()}\n"
            "unix_socket_directories = ''\n"
            "max_connections = 200\n"
            "shared_buffers = '256MB'\n"
            "fsync = on\n"
        )
    _write_credentials(creds)
    _start_server()
    _psql_admin("postgres", f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB PASSWORD '{creds[APP_ROLE]}'")
    # PostGIS in template1: every database the app role creates (including
    # throwaway test databases) has PostGIS without needing superuser.
    _psql_admin("template1", "CREATE EXTENSION IF NOT EXISTS postgis")
    _psql_admin("postgres", f"CREATE DATABASE {APP_DB} OWNER {APP_ROLE}")
    _ensure_runtime_role()


def _ensure_runtime_role() -> None:
    """Create the restricted login role the app runs as (once per cluster)."""
    lock_path = _pg_root() / ".roles.lock"
    with open(lock_path, "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # several processes may start at once
        creds = _read_credentials()
        if RUNTIME_ROLE in creds:
            return
        password = secrets.token_urlsafe(24)
        _psql_admin("postgres", f"""
            DO $$BEGIN
              IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{RUNTIME_ROLE}') THEN
                CREATE ROLE {RUNTIME_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
              END IF;
            END$$;
            ALTER ROLE {RUNTIME_ROLE} PASSWORD '{password}';""")
        creds[RUNTIME_ROLE] = password
        _write_credentials(creds)


def _psql_admin(database: str, sql: str) -> None:
    """Run one SQL statement as the cluster superuser."""
    import psycopg2  # local import: the module must import without a venv

    creds = _read_credentials()
    conn = psycopg2.connect(
        host="127.0.0.1", port=port(), user="postgres",
        password=creds["postgres"], dbname=database,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def _start_server() -> None:
    root = _pg_root()
    log = root / "log" / "server.log"
    _run_pg(["pg_ctl", "-D", str(root / "data"), "-l", str(log), "-w", "-t", "60", "start"])
    for _ in range(60):
        if is_running():
            return
        time.sleep(0.5)
    raise LocalClusterError(f"PostgreSQL did not start; see {log}")


def ensure_running() -> str:
    """Initialise and start the private cluster if needed; return the app URL."""
    if not PG_BIN.exists():
        raise LocalClusterError(f"PostgreSQL binaries not found in {PG_BIN}; run script/bootstrap")
    if not is_initialised():
        LOGGER.info("initialising the private PostGIS cluster in %s", _pg_root())
        _initialise()
    elif not is_running():
        _start_server()
    if RUNTIME_ROLE not in _read_credentials():
        _ensure_runtime_role()
    return url()


def stop() -> None:
    """Stop the private cluster (fast shutdown)."""
    if is_initialised() and is_running():
        _run_pg(["pg_ctl", "-D", str(_pg_root() / "data"), "-m", "fast", "-w", "stop"])


def create_database(name: str) -> str:
    """Create an empty database (with PostGIS, from template1) and return its URL."""
    ensure_running()
    _psql_admin("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql_admin("postgres", f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')
    return url(name)


def drop_database(name: str) -> None:
    """Drop a database of the private cluster if it exists."""
    _psql_admin("postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main(argv: list[str]) -> int:
    """Command-line entry point used by the scripts in ``script/``."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    command = argv[0] if argv else "status"
    try:
        if command == "start":
            ensure_running()
            print(f"PostGIS cluster running on 127.0.0.1:{port()} ({_pg_root().resolve()})")
        elif command == "stop":
            stop()
        elif command == "status":
            print("running" if is_running() else "stopped")
        elif command == "url":
            print(ensure_running())
        elif command == "createdb":
            print(create_database(argv[1]))
        elif command == "dropdb":
            drop_database(argv[1])
        else:
            print(f"unknown command {command}", file=sys.stderr)
            return 2
    except LocalClusterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
