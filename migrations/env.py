"""Alembic environment: run migrations on the app's database connection."""
from __future__ import annotations

from alembic import context

from gis_tracker.db import Base
import gis_tracker.models  # noqa: F401  (registers the models on Base.metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations on the connection handed over by the CLI, or a new one."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from sqlalchemy import create_engine

    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)


def _include_object(obj, name, type_, reflected, compare_to):
    # PostGIS's own tables are not ours to migrate.
    return not (type_ == "table" and name in {"spatial_ref_sys"})


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
