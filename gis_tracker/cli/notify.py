"""``flask --app app notify scan|send|digest``: deadlines, waiting e-mail and the daily digest, for timers."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..db import db
from ..services.accounts import mail
from ..services.planning import deadlines

notify_cli = AppGroup("notify", help="通知：截止日期检查与邮件发送 / notifications: deadlines and e-mail")


def _report(name: str, outcome: mail.Outcome) -> None:
    counts = outcome.as_dict()
    click.echo(f"{name}: " + ", ".join(f"{k}={v}" for k, v in counts.items()))
    if outcome.failed:
        raise click.ClickException(f"{outcome.failed} notices could not be e-mailed (kept, retried next run)")


@notify_cli.command("scan")
def scan_command() -> None:
    """Announce newly overdue stages, passed milestones and due or overdue restorations (once each)."""
    sent = deadlines.scan(db.session, username="cli")
    click.echo("deadlines: " + ", ".join(f"{k}={v}" for k, v in sent.items()))
    _report("immediate e-mail", mail.deliver(db.session, "immediate"))


@notify_cli.command("send")
def send_command() -> None:
    """Send immediate e-mail still waiting (after a relay outage)."""
    _report("immediate e-mail", mail.deliver(db.session, "immediate"))


@notify_cli.command("digest")
@click.option("--no-scan", is_flag=True, help="do not look for passed deadlines first")
def digest_command(no_scan: bool) -> None:
    """Run the deadline scan, then send waiting immediate e-mail and the daily digests (run once a day)."""
    if not no_scan:
        sent = deadlines.scan(db.session, username="cli")
        click.echo("deadlines: " + ", ".join(f"{k}={v}" for k, v in sent.items()))
    immediate = mail.deliver(db.session, "immediate")
    digest = mail.deliver(db.session, "digest")
    click.echo("immediate e-mail: " + ", ".join(f"{k}={v}" for k, v in immediate.as_dict().items()))
    _report("digest e-mail", mail.Outcome(digest.messages, digest.notices, digest.skipped,
                                          digest.failed + immediate.failed))


def init_app(app: Flask) -> None:
    """Register the ``notify`` commands."""
    app.cli.add_command(notify_cli)
