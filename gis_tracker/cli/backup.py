"""Backup and restore commands: ``flask --app app backup --out FILE`` / ``restore FILE``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..db import db
from ..errors import AppError
from ..services.platform import backup as backup_service


@click.command("backup")
@with_appcontext
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the dump file to write (pg_dump custom format)")
def backup_command(out: Path) -> None:
    """Back up the whole database (every table and geometry) to FILE."""
    try:
        size = backup_service.backup(current_app.config["MIGRATION_DATABASE_URL"], out)
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"backup written: {out} ({size / 1024 / 1024:.1f} MB)")


@click.command("restore")
@with_appcontext
@click.argument("dump", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(dump: Path) -> None:
    """Restore DUMP into the configured database, which must be empty."""
    try:
        backup_service.restore(current_app.config["MIGRATION_DATABASE_URL"], dump, app_role=db.app_role)
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"restored {dump}")


def init_app(app: Flask) -> None:
    """Register the backup and restore commands."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
