"""A throwaway PostGIS cluster in a temporary directory, for fault tests and benches.

Fault tests stop and restart PostgreSQL; they must never touch the shared
private cluster in ``var/pg``.  :class:`ThrowawayCluster` runs its own
``initdb``/``pg_ctl`` (as the ``postgres`` system user when we are root, like
:mod:`gis_tracker.localdb`), listens on 127.0.0.1 on a free port with trust
authentication (it lives for minutes and only on loopback), and has the same
two roles as the private cluster: an owner and the restricted app role.
"""
from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from gis_tracker.localdb import APP_ROLE, PG_BIN, RUNTIME_ROLE, _chown_postgres, _is_root

LOGGER = logging.getLogger(__name__)


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayCluster:
    """Start, stop, restart and delete a private PostgreSQL cluster in a temp dir."""

    def __init__(self, prefix: str = "shifeng-pg-") -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        _chown_postgres(self.root)

    def _run(self, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(PG_BIN / args[0]), *args[1:]]
        if _is_root():
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if check and result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def init(self) -> ThrowawayCluster:
        """Create and start the cluster with PostGIS in template1 and the two roles."""
        self._run(["initdb", "-D", str(self.data), "-U", "postgres", "--auth", "trust",
                   "--encoding", "UTF8", "--locale", "C.UTF-8"])
        with open(self.data / "postgresql.auto.conf", "a", encoding="utf-8") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                       "unix_socket_directories = ''\nmax_connections = 200\nfsync = off\n")
        self.start()
        self.sql("template1", "CREATE EXTENSION IF NOT EXISTS postgis")
        self.sql("postgres", f"CREATE ROLE {APP_ROLE} LOGIN CREATEDB")
        self.sql("postgres", f"CREATE ROLE {RUNTIME_ROLE} LOGIN")
        return self

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` simulates a crash)."""
        self._run(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop"], check=False)

    def is_running(self) -> bool:
        """Tell whether the server accepts connections."""
        return subprocess.run([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                               "-t", "1"], capture_output=True).returncode == 0

    def url(self, database: str, role: str = APP_ROLE) -> str:
        """Return the SQLAlchemy URL of ``database`` for ``role``."""
        return f"postgresql+psycopg2://{role}@127.0.0.1:{self.port}/{database}"

    def sql(self, database: str, statement: str) -> list[tuple]:
        """Run one statement as superuser and return its rows (if any)."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(statement)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def create_database(self, name: str) -> str:
        """Create an empty PostGIS database owned by the owner role; return its owner URL."""
        self.sql("postgres", f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')
        return self.url(name)

    def terminate_backends(self, application_name: str = "shifeng-gis") -> int:
        """Terminate every connection of the app (``pg_terminate_backend``); return how many."""
        rows = self.sql("postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    f"WHERE application_name = '{application_name}'")
        return int(rows[0][0])

    def wait_until_up(self, timeout: float = 30) -> None:
        """Wait until the server accepts connections."""
        deadline = time.monotonic() + timeout
        while not self.is_running():
            if time.monotonic() > deadline:
                raise RuntimeError(f"throwaway cluster did not come up; see {self.log}")
            time.sleep(0.2)

    def destroy(self) -> None:
        """Stop the server and delete its directory."""
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayCluster:
        return self.init()

    def __exit__(self, *exc) -> None:
        self.destroy()


def postgres_available() -> bool:
    """Tell whether the PostgreSQL server binaries are installed."""
    return (PG_BIN / "initdb").exists() and (os.geteuid() != 0 or shutil.which("runuser") is not None)
