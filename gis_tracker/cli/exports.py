"""Commands that make exports: ``snapshot`` (PNG/PDF/HTML map) and ``meeting-pack`` (PDF).

Both are recorded in the export history like exports made in the browser
(user ``cli``), and the file is also written to ``--out``.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext

from ..db import db
from ..errors import AppError
from ..services.cartography import exports

FORMAT_BY_SUFFIX = {".png": "png", ".pdf": "pdf", ".html": "html", ".htm": "html"}


def _target(out: str, fmt: str | None) -> tuple[Path, str]:
    path = Path(out)
    guessed = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if fmt and guessed and fmt != guessed:
        raise click.UsageError(f"--format {fmt} does not match the file name {path.name}")
    fmt = fmt or guessed
    if fmt is None:
        raise click.UsageError("cannot tell the format: name the file .png, .pdf or .html, or give --format")
    if not path.parent.exists():
        raise click.UsageError(f"directory {path.parent} does not exist")
    return path, fmt


def _write(row, path: Path) -> None:
    shutil.copyfile(exports.file_of(row), path)
    click.echo(f"wrote {path} ({row.size_bytes} bytes, sha256 {row.sha256[:16]}…), export #{row.id}")


@click.command("snapshot")
@with_appcontext
@click.option("--out", required=True, help="output file: .png, .pdf or .html")
@click.option("--zone", default=None, help="zone or sub-area name (or code) to frame")
@click.option("--bbox", default=None, help="minx,miny,maxx,maxy in lon/lat (WGS84)")
@click.option("--layers", default=None, help="comma-separated layer ids (default: the standard layers)")
@click.option("--title", default=None)
@click.option("--subtitle", default=None)
@click.option("--paper", default="A4", type=click.Choice(["A4", "A3"], case_sensitive=False), show_default=True)
@click.option("--landscape", is_flag=True, help="landscape instead of portrait")
@click.option("--dpi", default=96, type=int, show_default=True, help="PNG resolution (300 for print)")
@click.option("--format", "fmt", default=None, type=click.Choice(["png", "pdf", "html"]))
@click.option("--as-of", default=None, help="colour enterprises by their stage on this date (YYYY-MM-DD)")
@click.option("--no-internal-mark", is_flag=True, help="leave out the 内部资料 mark")
def snapshot_command(out, zone, bbox, layers, title, subtitle, paper, landscape, dpi, fmt, as_of,
                     no_internal_mark) -> None:
    """Render a map snapshot (PNG/PDF print page, or interactive HTML) to OUT."""
    path, fmt = _target(out, fmt)
    params = {"zone": zone, "bbox": bbox, "layers": layers, "title": title, "subtitle": subtitle,
              "paper": paper.upper(), "landscape": landscape, "dpi": dpi, "format": fmt, "as_of": as_of,
              "internal": not no_internal_mark}
    try:
        row = exports.produce(db.session, "html" if fmt == "html" else "snapshot", params, "cli")
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    _write(row, path)


@click.command("meeting-pack")
@with_appcontext
@click.option("--out", required=True, help="output PDF file")
@click.option("--as-of", default=None, help="the date the pack shows (YYYY-MM-DD, default today)")
@click.option("--title", default=None)
def meeting_pack_command(out, as_of, title) -> None:
    """Assemble the meeting pack (multi-page PDF) to OUT."""
    path, fmt = _target(out, None)
    if fmt != "pdf":
        raise click.UsageError("the meeting pack is a PDF: name the file .pdf")
    try:
        row = exports.produce(db.session, "meeting_pack", {"as_of": as_of, "title": title}, "cli",
                              progress=lambda p, m=None: click.echo(f"  {p:3d}% {m or ''}", err=True))
    except AppError as exc:
        raise click.ClickException(exc.message) from None
    _write(row, path)


def init_app(app: Flask) -> None:
    """Register the export commands on ``app``."""
    app.cli.add_command(snapshot_command)
    app.cli.add_command(meeting_pack_command)
