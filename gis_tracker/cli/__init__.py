"""Command-line interface: ``flask --app app <command>`` (thin wrappers over services)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import func, select

from .. import storage
from ..access import ROLES
from ..db import db
from ..errors import AppError
from ..i18n import gettext as _
from ..models import User
from ..services.accounts import audit_search, users
from ..services.platform import migrations, sample_data
from . import backup, exchange, exports, notify

users_cli = AppGroup("users", help="管理用户与令牌 / manage users and API tokens")
audit_cli = AppGroup("audit", help="审计记录 / the audit trail")


def _fail(exc: AppError) -> None:
    raise click.ClickException(exc.message)


@click.command("migrate")
@click.option("--revision", default="heads", show_default=True)
def migrate_command(revision: str) -> None:
    """Apply database migrations (upgrade to REVISION)."""
    migrations.upgrade(db.migration_engine, revision, app_role=db.app_role)
    click.echo("migrations applied")


@click.command("downgrade")
@click.option("--revision", default="-1", show_default=True)
def downgrade_command(revision: str) -> None:
    """Revert database migrations (to REVISION, e.g. base)."""
    migrations.downgrade(db.migration_engine, revision)
    click.echo(f"downgraded to {revision}")


@click.command("load-sample")
def load_sample_command() -> None:
    """Load the illustrative sample layers from layers/ into an empty database."""
    try:
        counts = sample_data.load(db.session)
    except AppError as exc:
        _fail(exc)
    click.echo("loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))


@click.command("setup")
def setup_command() -> None:
    """Migrate, load sample data if empty, and create the first admin (used by script/server)."""
    _setup()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--dev", is_flag=True, envvar="DEV_SERVER",
              help="the reloading development server instead of gunicorn (or DEV_SERVER=1)")
def serve_command(host: str, port: int, dev: bool) -> None:
    """Run ``setup``, then serve the app: gunicorn (deploy/gunicorn.conf.py), or with --dev the reloader.

    Used by ``script/server``.  Production serving goes through :mod:`gis_tracker.server`, the
    entry point the benches and the tests' live server use too.
    """
    from flask import current_app

    from .. import server

    reloaded = dev and bool(os.environ.get("WERKZEUG_RUN_MAIN"))  # the reloader's child: set up and said
    if not reloaded:
        _setup()
    db.session.close()
    current_app.extensions["db_engine"].dispose()  # the workers open their own connections
    if dev:
        from werkzeug.serving import run_simple

        app = current_app._get_current_object()
        app.config["TEMPLATES_AUTO_RELOAD"] = True
        if not reloaded:
            click.echo(f"==> Development server (reloads on code changes) on http://{host}:{port}  (Ctrl+C to stop)")
        run_simple(host, port, app, threaded=True, use_reloader=True, use_debugger=False,
                   extra_files=[str(server.PROJECT_ROOT / "gis_tracker" / "translations" / "en.json")])
        return
    server.serve(bind=f"{host}:{port}")


def _setup() -> None:
    migrations.upgrade(db.migration_engine, app_role=db.app_role)
    if not sample_data.has_data(db.session):
        counts = sample_data.load(db.session)
        click.echo("sample data loaded: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
        exchange.load_sample_rasters()  # synthetic DEM and land cover (data exchange)
    if users.find_user(db.session, "admin") is None and not _any_user():
        password = secrets.token_urlsafe(12)
        users.create_user(db.session, "admin", "admin", password, display_name="系统管理员")
        click.echo("=" * 64)
        click.echo(_("首次启动：已创建管理员账号"))
        click.echo("  用户名 username: admin")
        click.echo(f"  密码 password:   {password}")
        click.echo(_("请妥善保存，此密码只显示一次"))
        click.echo("  .venv/bin/flask --app app users set-password admin")
        click.echo("=" * 64)


def _any_user() -> bool:
    return db.session.scalar(select(func.count()).select_from(User)) > 0


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default=None)
def users_create(username: str, role: str, password: str, display_name: str | None) -> None:
    """Create a user with ROLE."""
    try:
        users.create_user(db.session, username, role, password, display_name, actor="cli")
    except AppError as exc:
        _fail(exc)
    click.echo(f"user {username} created with role {role}")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def users_set_password(username: str, password: str) -> None:
    """Reset USERNAME's password."""
    try:
        users.set_password(db.session, username, password, actor="cli")
    except AppError as exc:
        _fail(exc)
    click.echo(f"password of {username} changed")


@users_cli.command("token")
@click.argument("username")
@click.option("--name", default=None, help="a label for the token")
@click.option("--expires", "expires", default=None, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="last day the token works, YYYY-MM-DD (default: until revoked)")
def users_token(username: str, name: str | None, expires) -> None:
    """Print a new API token for USERNAME (last line of the output)."""
    try:
        token = users.issue_token(db.session, username, name, expires_on=expires.date() if expires else None)
    except AppError as exc:
        _fail(exc)
    click.echo("API token (shown once):")
    click.echo(token)


@audit_cli.command("export")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default=None,
              help="csv or xlsx (default: from the file name, else csv)")
@click.option("--user", default=None)
@click.option("--object-type", default=None)
@click.option("--from", "date_from", default=None, help="YYYY-MM-DD（北京时间 Beijing time）")
@click.option("--to", "date_to", default=None, help="YYYY-MM-DD")
def audit_export(out: Path, fmt: str | None, user: str | None, object_type: str | None, date_from: str | None,
                 date_to: str | None) -> None:
    """Write the (filtered) audit trail to OUT, readable by the owner only (0600)."""
    fmt = fmt or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv")
    try:
        filt = audit_search.AuditFilter.from_args({"user": user, "object_type": object_type, "from": date_from,
                                                   "to": date_to})
    except AppError as exc:
        _fail(exc)
    body = (audit_search.export_xlsx if fmt == "xlsx" else audit_search.export_csv)(db.session, filt)
    storage.write_private(out, body)  # the trail names people and what they did: not for every account
    click.echo(f"audit trail written: {out} ({len(body)} bytes, mode 0600)")


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    for cmd in (migrate_command, downgrade_command, load_sample_command, setup_command, serve_command):
        app.cli.add_command(cmd)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    exchange.init_app(app)  # layers import/export, rasters
    backup.init_app(app)
    exports.init_app(app)
    notify.init_app(app)  # deadlines and e-mail for timers
