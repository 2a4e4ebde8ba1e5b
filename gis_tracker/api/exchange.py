"""Data exchange API: imports (upload, preview, options, commit), layer exports, rasters and indicators."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, request

from ..db import db
from ..errors import AppError, BadParameter
from ..i18n import gettext as _
from ..security import current_user
from ..services.exchange import imports, layer_export, rasters, zonal
from ..services.features import catalog
from ..services.platform import jobs
from .params import parse_item_query

REVIEW_CODES = ("review_failed", "review_required")
bp = Blueprint("exchange_api", __name__, url_prefix="/api")

OGC_EXPORT_FORMATS = ("gpkg", "shp", "kml", "csv", "xlsx")
OPTION_KEYS = ("crs", "encoding", "layer", "x_field", "y_field", "wkt_field")


def _options(source) -> dict:
    return {k: source.get(k) for k in OPTION_KEYS if source.get(k) not in (None, "")}


def _file():
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadParameter("请选择要上传的文件（表单字段 file）",
                           code="no_file", details={"field": "file"})
    return upload


def _json_body() -> dict:
    body = request.get_json(silent=True)
    if body is None and request.form:
        body = request.form.to_dict()
    return body if isinstance(body, dict) else {}


@bp.get("/imports")
def list_imports():
    """List the user's imports, newest first."""
    return jsonify({"imports": [imports.as_dict(r, with_preview=False)
                                for r in imports.list_for(db.session, current_user())]})


@bp.post("/imports")
def create_import():
    """Upload a file and return its preview (nothing is stored when the file is refused)."""
    upload = _file()
    record = imports.upload(db.session, current_user(), upload.filename, upload.stream, _options(request.form),
                            fmt=request.form.get("format") or None)
    return jsonify(imports.as_dict(record)), 201


@bp.get("/imports/<int:import_id>")
def get_import(import_id: int):
    """Return an import with its preview."""
    return jsonify(imports.as_dict(imports.get(db.session, current_user(), import_id)))


@bp.post("/imports/<int:import_id>/options")
def import_options(import_id: int):
    """Parse the upload again with new options (CRS, encoding, layer, columns)."""
    record = imports.set_options(db.session, current_user(), import_id, _options(_json_body()))
    return jsonify(imports.as_dict(record))


@bp.post("/imports/<int:import_id>/commit")
def commit_import(import_id: int):
    """Commit with a field mapping: 200 when done inline, 202 while it runs in the background."""
    record, job = imports.commit(db.session, current_user(), import_id, _json_body())
    if job.status == "failed":
        # A project the 两型审查 holds is a conflict with the review (409); other failures are the data's (422).
        status = 409 if job.error_code in REVIEW_CODES else 422
        raise AppError(job.message or _("导入失败"), code=job.error_code or "import_failed",
                       status=status, details={"job": jobs.as_dict(job)})
    status = 200 if job.status == "done" else 202
    return jsonify({"import": imports.as_dict(record, with_preview=False), "job": jobs.as_dict(job)}), status


@bp.delete("/imports/<int:import_id>")
def cancel_import(import_id: int):
    """Abandon an open import and remove its file."""
    return jsonify(imports.as_dict(imports.cancel(db.session, current_user(), import_id), with_preview=False))


def _send(exported: layer_export.ExportedFile) -> Response:
    try:
        data = exported.path.read_bytes()
    finally:
        layer_export.remove(exported)
    resp = Response(data, mimetype=exported.media_type)
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"{quote(exported.filename)}\"; "
                                           f"filename*=UTF-8''{quote(exported.filename)}")
    resp.headers["X-Feature-Count"] = str(exported.count)
    return resp



def export_items(collection_id: str, fmt: str) -> Response:
    """Answer ``/ogc/collections/{id}/items?f=<format>`` with the exporter's file (filters and crs honoured)."""
    coll = catalog.require(collection_id, db.session)
    cfg = current_app.config
    query = parse_item_query(request.args, cfg["OGC_DEFAULT_LIMIT"], cfg["OGC_MAX_LIMIT"], coll)
    paged = "limit" in request.args or "offset" in request.args
    return _send(layer_export.export(db.session, coll, fmt, query, query.out_srid, paged=paged))


@bp.get("/exports/<collection_id>")
def export_layer(collection_id: str):
    """Download a whole layer (filtered like OGC items) as ``format`` in ``crs``."""
    coll = catalog.require(collection_id, db.session)
    args = request.args.to_dict()
    fmt = args.pop("format", None)
    layer_export.check_format(fmt)
    cfg = current_app.config
    query = parse_item_query(args, cfg["OGC_DEFAULT_LIMIT"], cfg["OGC_MAX_LIMIT"], coll)
    return _send(layer_export.export(db.session, coll, fmt, query, query.out_srid, paged=False))


@bp.get("/rasters")
def list_rasters():
    """List stored rasters with overlay bounds and legends."""
    return jsonify({"rasters": [rasters.as_dict(r) for r in rasters.list_rasters(db.session)]})


@bp.post("/rasters")
def upload_raster():
    """Upload a GeoTIFF (DEM, land cover or imagery); it is stored as a COG."""
    upload = _file()
    form = request.form
    raster = rasters.upload(db.session, current_user(), upload.filename, upload.stream,
                            name=(form.get("name") or "").strip(), title=(form.get("title") or "").strip(),
                            kind=form.get("kind") or "", crs=form.get("crs") or None,
                            scheme=form.get("scheme") or None)
    return jsonify(rasters.as_dict(raster)), 201


@bp.get("/rasters/<name>")
def get_raster(name: str):
    """Describe one raster."""
    return jsonify(rasters.as_dict(rasters.get(db.session, name)))


@bp.delete("/rasters/<name>")
def delete_raster(name: str):
    """Hide a raster (admins)."""
    rasters.delete(db.session, current_user(), name)
    return jsonify({"name": name, "deleted": True})


@bp.get("/rasters/<name>/overlay.png")
def raster_overlay(name: str):
    """Return the raster rendered for the map (colour ramp or classes), in Web Mercator."""
    resp = Response(rasters.overlay_png(rasters.get(db.session, name)), mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


@bp.get("/rasters/<name>/clip")
def clip_raster(name: str):
    """Return the raster clipped to ``zone`` (a zone code) as GeoTIFF."""
    zone = request.args.get("zone") or ""
    if not zone:
        raise BadParameter("请指定片区编码 zone", code="bad_zone", details={"parameter": "zone"})
    data, filename = rasters.clip_to_zone(db.session, rasters.get(db.session, name), zone)
    resp = Response(data, mimetype="image/tiff")
    resp.headers["Content-Disposition"] = f"attachment; filename=\"{quote(filename)}\""
    return resp


@bp.get("/indicators")
def indicators():
    """Return per-zone land-cover shares, DEM statistics and the plan-target comparison."""
    return jsonify(zonal.indicators(db.session, request.args.get("landcover") or None,
                                    request.args.get("dem") or None))


@bp.put("/zones/<code>/population")
def set_population(code: str):
    """Store the population of a zone (planners)."""
    body = _json_body()
    return jsonify(zonal.set_population(db.session, current_user(), code, body.get("population"),
                                        body.get("year")))

