"""Alembic environment: run migrations on the app's database connection."""
from __future__ import annotations

from alembic import context

import gis_tracker.models  # noqa: F401  (registers the models on Base.metadata)
from gis_tracker.db import Base
from gis_tracker.services.platform.migrations import object_filter

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


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=object_filter(connection),
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
