"""Command-line data exchange: ``flask --app app layers import|export`` and ``rasters import|load-sample``."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..api.params import parse_item_query
from ..db import db
from ..errors import AppError
from ..i18n import gettext as _
from ..services.exchange import imports, layer_export, rasters
from ..services.features import catalog
from ..services.features.reads import ItemQuery
from ..services.platform import jobs
from ..spatial import crs as crsmod

layers_cli = AppGroup("layers", help="导入导出矢量图层 / import and export vector layers")
rasters_cli = AppGroup("rasters", help="栅格（高程、土地覆盖） / rasters (DEM, land cover)")


@dataclass(frozen=True)
class CliActor:
    """The command line acts with admin rights and is recorded as ``cli``."""

    username: str = jobs.UNATTENDED_USERS[0]  # its imports are closed, not reopened, when the command dies
    role: str = "admin"


def _fail(exc: AppError) -> None:
    problems = exc.details.get("problems") if isinstance(exc.details, dict) else None
    lines = [f"{exc.message} [{exc.code}]"]
    for p in (problems or [])[:10]:
        lines.append(f"  #{p.get('index', 0) + 1}: {p.get('message')}")
    raise click.ClickException("\n".join(lines))


def _crs_option(value: str | None) -> str | None:
    try:
        return crsmod.normalise(value)
    except crsmod.CrsProblem as exc:
        raise click.BadParameter(str(exc)) from None


@layers_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", "layer_name", required=True, help="目标图层（已有的集合 id，或新图层名） / target layer")
@click.option("--crs", default=None, help="文件未声明坐标系时必填，如 EPSG:4547 或 GCJ02 / required when the file has "
              "none")
@click.option("--encoding", default=None, help="属性编码，如 gb18030 / attribute encoding")
@click.option("--source-layer", default=None, help="GeoPackage 图层或 Excel 工作表 / layer or sheet to read")
@click.option("--title", default=None, help="新图层标题 / title of a new layer")
@click.option("--repair", is_flag=True, help="自动修复无效几何 / repair invalid geometries")
def import_command(file: Path, layer_name: str, crs: str | None, encoding: str | None, source_layer: str | None,
                   title: str | None, repair: bool) -> None:
    """Import FILE into layer NAME (created when new); all features or none."""
    actor = CliActor()
    options = {"crs": _crs_option(crs), "encoding": encoding, "layer": source_layer}
    session = db.session
    record = None
    try:
        with open(file, "rb") as stream:
            record = imports.upload(session, actor, file.name, stream, {k: v for k, v in options.items() if v})
        preview = record.preview
        for warning in preview.get("warnings", []):
            click.echo(f"警告 warning: {warning}", err=True)
        if preview.get("needs_crs"):
            hint = f"（可能是 {', '.join(preview['crs_candidates'])}）" if preview.get("crs_candidates") else ""
            raise AppError(f"文件未声明坐标系，请用 --crs 指定{hint}",
                           code="crs_required", status=422)
        existing = catalog.get(layer_name, session)
        body = {"repair": repair}
        if existing is None:
            body.update({"target": "new", "name": layer_name, "title": title or layer_name})
        else:
            body.update({"target": existing.id})
        record, job = imports.commit(session, actor, record.id, body, wait=True)
        session.refresh(record)
        if job.status != "done":
            raise AppError(job.message or _("导入失败"), code=job.error_code or "import_failed")
    except AppError as exc:
        if record is not None:
            try:
                imports.cancel(session, actor, record.id)
            except AppError:
                pass
        _fail(exc)
    result = record.result or {}
    click.echo(f"imported {result.get('count')} features into {result.get('collection')} "
               f"(CRS {preview.get('crs')}, {preview.get('area_mu', 0):.2f} 亩)")


@layers_cli.command("expire-previews")
@click.option("--hours", type=float, default=None, help="older than this (default IMPORT_PREVIEW_HOURS, 72)")
def expire_previews_command(hours: float | None) -> None:
    """清理无人导入的预览及其文件 / remove import previews nobody committed or cancelled."""
    try:
        closed = imports.expire_stale(db.session, hours)
    except AppError as exc:
        _fail(exc)
    click.echo(_(f"已清理 {closed} 个过期预览"))


@layers_cli.command("export")
@click.argument("name")
@click.option("--format", "fmt", required=True, type=click.Choice(["gpkg", "shp", "geojson", "kml", "csv", "xlsx"]))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--crs", default="EPSG:4326", show_default=True, help="EPSG:4326、4490 或 4547")
@click.option("--bbox", default=None, help="minx,miny,maxx,maxy（经纬度 lon/lat）")
@click.option("--where", "filters", multiple=True, help="属性过滤 field=value（可重复） / property filter")
def export_command(name: str, fmt: str, out: Path, crs: str, bbox: str | None, filters: tuple[str, ...]) -> None:
    """Export layer NAME (filtered) to OUT."""
    session = db.session
    coll = catalog.get(name, session)
    try:
        if coll is None:
            raise AppError(f"图层 {name} 不存在", code="unknown_collection", status=404)
        args = {}
        for item in filters:
            if "=" not in item:
                raise AppError(f"过滤条件须为 field=value：{item}", code="bad_filter")
            key, value = item.split("=", 1)
            args[key.strip()] = value
        if bbox:
            args["bbox"] = bbox
        query: ItemQuery = parse_item_query(args, 100, 100, coll)
        srid = crsmod.srid(_crs_option(crs) or "EPSG:4326")
        exported = layer_export.export(session, coll, fmt, query, srid)
    except AppError as exc:
        _fail(exc)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(exported.path.read_bytes())
    finally:
        layer_export.remove(exported)
    for note in exported.notes:
        click.echo(f"注意 note: {note}", err=True)
    click.echo(f"exported {exported.count} features of {coll.id} to {out} ({fmt}, EPSG:{srid})")


@rasters_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["dem", "landcover", "imagery"]))
@click.option("--title", default=None)
@click.option("--crs", default=None)
@click.option("--scheme", default=None, help="土地覆盖分类方案 shifeng | worldcover")
def raster_import_command(file: Path, name: str, kind: str, title: str | None, crs: str | None,
                          scheme: str | None) -> None:
    """Store a GeoTIFF as a Cloud-Optimized GeoTIFF raster layer."""
    try:
        raster = rasters.ingest(db.session, "cli", file, name=name, title=title or name, kind=kind,
                                crs=_crs_option(crs), scheme=scheme, filename=file.name)
    except AppError as exc:
        _fail(exc)
    click.echo(f"raster {raster.name} stored ({raster.width}×{raster.height}, {raster.crs})")


@rasters_cli.command("load-sample")
def raster_samples_command() -> None:
    """Store the synthetic sample DEM and land cover from layers/ (those not yet present)."""
    load_sample_rasters()


def load_sample_rasters() -> None:
    """Load the sample rasters and say what was loaded (used by ``flask setup``)."""
    try:
        loaded = rasters.load_samples(db.session)
    except AppError as exc:
        _fail(exc)
    if loaded:
        click.echo("sample rasters loaded: " + ", ".join(loaded))


def init_app(app: Flask) -> None:
    """Register the command groups."""
    app.cli.add_command(layers_cli)
    app.cli.add_command(rasters_cli)
