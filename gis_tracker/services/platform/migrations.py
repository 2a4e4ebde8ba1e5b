"""Apply and revert the Alembic migrations in ``migrations/``."""
from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from ...config import PROJECT_ROOT
from . import db_roles


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
