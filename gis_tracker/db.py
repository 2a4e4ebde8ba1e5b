"""Database plumbing: the declarative base and the unbound ``db`` extension.

``db.init_app(app)`` binds an engine to the app (the private cluster's URL
when ``DATABASE_URL`` is unset).  ``db.session`` is one SQLAlchemy session per
app context, closed at teardown; services own its transactions.
"""
from __future__ import annotations

import logging
import time

import psycopg2
from flask import Flask, current_app, g, request
from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool

from . import localdb

LOGGER = logging.getLogger(__name__)

STORAGE_SRID = 4547
"""Storage CRS: CGCS2000 / 3-degree Gauss-Kruger CM 114E (metres).

Why: it is the official projected grid for this longitude, so areas (m², 亩)
and distances (ST_DWithin in metres) are computed directly on stored, indexed
geometries, with no per-query transform; its scale error across the district
(113.03–113.25 E) is below 0.02 %.  Reads are transformed to WGS84/CGCS2000
lon/lat for GeoJSON and to 3857 for tiles.
"""
WGS84 = 4326
CGCS2000 = 4490

WARM_UP_SQL = (
    "SELECT ST_Transform(ST_Transform(ST_Transform(ST_Transform("
    "ST_SetSRID(ST_MakePoint(113.13, 27.95), 4326), 4547), 3857), 4547), 4326)"
)
"""Run on every new app connection: loads PostGIS and builds the PROJ transformations the
tiles (4547 <-> 3857) and GeoJSON (4547 <-> 4326) use.  A fresh PostgreSQL backend spends
100-150 ms on that (measured: PostGIS ~9 ms, each new CRS pair 25-60 ms); pooled, a
connection pays it once, not on a user's first tile."""


class Base(DeclarativeBase):
    """Declarative base of every model."""


def _text_problem(value: object, depth: int = 0) -> str | None:
    """Return why PostgreSQL would refuse this text (or JSON) value, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "含有非法字符（NUL）"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "含有无法存储的字符"
        return None
    if depth < 50 and isinstance(value, dict):
        return next((p for k, v in value.items() for p in (_text_problem(k, depth + 1), _text_problem(v, depth + 1))
                     if p), None)
    if depth < 50 and isinstance(value, (list, tuple)):
        return next((p for v in value if (p := _text_problem(v, depth + 1))), None)
    return None


@event.listens_for(Session, "before_flush")
def check_text_columns(session: Session, flush_context, instances) -> None:
    """Refuse, before PostgreSQL sees it, text longer than its column or text no column can store.

    The last line of defence for every ORM write (services check their fields
    first, with friendlier messages): a value longer than ``varchar(n)`` or
    holding NUL or a lone surrogate would otherwise reach PostgreSQL and come
    back as a database error (a 500).  Answers 422 naming the column.
    """
    from .errors import Unprocessable

    for obj in list(session.new) + list(session.dirty):
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            if attr.key not in state.dict or not (state.pending or state.attrs[attr.key].history.has_changes()):
                continue  # not written by this flush: nothing to check
            value = state.dict[attr.key]
            column = attr.columns[0]
            length = getattr(column.type, "length", None)
            if isinstance(value, str) and length and len(value) > length:
                raise Unprocessable(f"字段 {column.name} 过长（最多 {length} 个字符）", code="too_long",
                                    details={"field": column.name, "max_length": length})
            if isinstance(value, (str, dict, list)):
                problem = _text_problem(value)
                if problem:
                    raise Unprocessable(f"字段 {column.name} {problem}", code="bad_text",
                                        details={"field": column.name})


class Database:
    """Bind an engine and session factory to each Flask app."""

    def init_app(self, app: Flask) -> None:
        """Create the engine for ``app`` from its configuration.

        Without ``DATABASE_URL`` the private cluster is used: the app runs as
        its restricted role, migrations as the owner role.
        """
        url = app.config.get("DATABASE_URL")
        if not url:
            app.config["MIGRATION_DATABASE_URL"] = localdb.ensure_running()
            url = localdb.runtime_url()
        app.config["DATABASE_URL"] = url
        app.config["MIGRATION_DATABASE_URL"] = app.config.get("MIGRATION_DATABASE_URL") or url
        timeout = int(app.config.get("STATEMENT_TIMEOUT_MS", 15000))
        engine = create_engine(
            url,
            # Checked when idle for a second or more (_ping_if_idle), not on every checkout: a busy
            # server would otherwise spend a round trip per request on "SELECT 1".
            pool_size=int(app.config.get("DB_POOL_SIZE", 10)),
            max_overflow=20,
            pool_timeout=10,
            connect_args={
                "connect_timeout": 5,
                # jit off: the app's queries are short, and a 5,000-feature page is costed high
                # enough (ST_Transform) to be JIT-compiled on every request, 5–12 ms for nothing.
                # No parallel workers: PostGIS's function costs make tile and bbox queries look
                # expensive enough for a parallel plan, and each parallel worker is a fresh backend
                # that loads PostGIS and PROJ again (~100 ms) before 5-20 ms of work.
                "options": (f"-c statement_timeout={timeout} -c lock_timeout={timeout} -c jit=off "
                            "-c max_parallel_workers_per_gather=0"),
                "application_name": "shifeng-gis",
            },
        )
        event.listen(engine, "connect", _warm_connection)
        event.listen(engine, "checkout", _ping_if_idle)
        event.listen(engine, "checkin", _mark_checked_in)
        app.extensions["db_engine"] = engine
        app.extensions["db_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
        app.extensions["db_autocommit_sessionmaker"] = sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)
        app.before_request(self._choose_session)  # registered first: before any hook uses the session
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def autocommit_reads(when=None):
        """Mark a GET view whose queries need no transaction (reads, and single-statement writes).

        Its session then runs each statement on its own (AUTOCOMMIT): no ``BEGIN``/``ROLLBACK``
        round trip per request, which on the busiest read endpoints (a feature, a page of items,
        a tile) is one round trip in four.  Statements see committed data as they would in a
        READ COMMITTED transaction.  Only for views whose every write is a single statement
        (a token's last use, a rendered tile kept in the cache); ``when()`` may narrow it down
        per request.
        """
        def mark(view):
            view._db_autocommit_reads = when or (lambda: True)
            return view
        return mark

    @staticmethod
    def _choose_session() -> None:
        when = getattr(current_app.view_functions.get(request.endpoint), "_db_autocommit_reads", None)
        if when is not None and request.method in ("GET", "HEAD") and when():
            g.db_autocommit = True

    @property
    def engine(self) -> Engine:
        """Return the current app's engine."""
        return current_app.extensions["db_engine"]

    @property
    def migration_engine(self) -> Engine:
        """Return an engine connected as the owner role (migrations, backup, restore)."""
        ext = current_app.extensions
        if "db_migration_engine" not in ext:
            ext["db_migration_engine"] = create_engine(
                current_app.config["MIGRATION_DATABASE_URL"], poolclass=NullPool,
                connect_args={"connect_timeout": 5, "application_name": "shifeng-gis-admin"})
        return ext["db_migration_engine"]

    @property
    def app_role(self) -> str | None:
        """Return the app's database role when it differs from the owner role, else None."""
        runtime = make_url(current_app.config["DATABASE_URL"]).username
        owner = make_url(current_app.config["MIGRATION_DATABASE_URL"]).username
        return runtime if runtime and runtime != owner else None

    @property
    def session(self) -> Session:
        """Return the session of the current app context, creating it on first use."""
        if "db_session" not in g:
            factory = "db_autocommit_sessionmaker" if g.get("db_autocommit") else "db_sessionmaker"
            g.db_session = current_app.extensions[factory]()
        return g.db_session

    @staticmethod
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is None:
            return
        try:
            if exc is not None:
                session.rollback()
            session.close()
        except DBAPIError as err:
            # The connection died (PostgreSQL restarted, backend terminated):
            # the answer is already decided; the pool discards the connection.
            LOGGER.warning("could not close a database session cleanly: %s", err.__class__.__name__)
            session.invalidate()


db = Database()


PING_AFTER_IDLE_S = 1.0


def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
    """Ping a pooled connection idle for PING_AFTER_IDLE_S or more before handing it out.

    A dead one (PostgreSQL restarted, backend terminated) is replaced by the pool at once, as
    ``pool_pre_ping`` would.  One that died less than a second after its last use fails its
    first query: that request is answered 503 and the pool drops every connection as old.
    """
    if time.monotonic() - record.info.get("checked_in", 0.0) < PING_AFTER_IDLE_S:
        return
    try:
        dbapi_connection.autocommit = True  # no transaction for the ping (as SQLAlchemy's own)
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.autocommit = False
    except psycopg2.Error:
        raise DisconnectionError("pooled connection is gone") from None


def _mark_checked_in(_dbapi_connection, record) -> None:
    record.info["checked_in"] = time.monotonic()


def _warm_connection(dbapi_connection, record) -> None:
    record.info["checked_in"] = time.monotonic()  # just opened: no ping needed
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(WARM_UP_SQL)
        dbapi_connection.commit()
    except psycopg2.Error as err:  # no PostGIS yet (before the first migration): nothing to warm
        dbapi_connection.rollback()
        LOGGER.debug("connection not warmed: %s", err)


def warm_pool(app: Flask, connections: int) -> None:
    """Open ``connections`` pooled connections of ``app`` at once (each warmed on connect).

    Called by each gunicorn worker before it takes requests (``deploy/gunicorn.conf.py``):
    its threads then find warm backends.  A database that is down is not an error here;
    the connections are made on first use instead.
    """
    engine = app.extensions.get("db_engine") if isinstance(app, Flask) else None
    if engine is None:
        return
    opened = []
    try:
        for _ in range(max(1, connections)):
            opened.append(engine.connect())
    except DBAPIError as err:
        LOGGER.warning("could not warm the connection pool: %s", err.__class__.__name__)
    finally:
        for conn in opened:
            conn.close()
