"""Apply and revert the Alembic migrations in ``migrations/``."""
from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from ... import models
from ...config import PROJECT_ROOT
from ...db import Base
from . import db_roles

NOT_OURS = {"spatial_ref_sys"}  # PostGIS's own table


def _config(engine: Engine, connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "heads", app_role: str | None = None) -> None:
    """Migrate the database up to ``revision`` (all heads by default).

    ``engine`` must connect as the owner role.  With ``app_role`` the
    restricted application role is then granted access to every table
    (append-only on the audit trail), see :mod:`.db_roles`.
    """
    with engine.begin() as conn:
        command.upgrade(_config(engine, conn), revision)
    if app_role:
        with engine.begin() as conn:
            db_roles.grant_app_role(conn, app_role)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Migrate the database down to ``revision`` (empty by default)."""
    with engine.begin() as conn:
        command.downgrade(_config(engine, conn), revision)


def is_empty(engine: Engine) -> bool:
    """Tell whether the database has no application tables yet."""
    return not inspect(engine).has_table("users")


def heads() -> tuple[str, ...]:
    """Return the head revisions of ``migrations/`` (one: the chain is linear)."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return tuple(ScriptDirectory.from_config(cfg).get_heads())


def object_filter(conn: Connection):
    """Return Alembic's ``include_object`` hook: skip PostGIS's tables and layer partitions.

    Partitions of ``layer_features`` are made at run time for large imports
    (migration 0012); the model describes the partitioned parent only.
    """
    partitions = set(conn.scalars(text("SELECT relname FROM pg_class WHERE relispartition")))

    def include(obj, name, type_, reflected, compare_to):
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table not in NOT_OURS and table not in partitions
    return include


def schema_differences(engine: Engine) -> list:
    """Return what autogenerate finds between the models and the migrated database (empty: they match)."""
    assert models.__all__  # every model is registered on Base.metadata
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": object_filter(conn)})
        return compare_metadata(ctx, Base.metadata)
