"""Data exchange pages: upload and preview imports, map fields, follow the commit; rasters; indicators."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from ..db import db
from ..errors import AppError
from ..i18n import pick
from ..security import current_user
from ..services.exchange import imports, layer_export, rasters, zonal
from ..services.exchange.zones import zone_shapes
from ..services.features import catalog
from ..spatial import raster as rmath
from ..spatial.crs import EXPORT_CRS
from . import import_forms

bp = Blueprint("exchange", __name__)


def _index(error: str | None = None, status: int = 200):
    user = current_user()
    layers = [(c.id, pick(c.title, c.title_en)) for c in catalog.all_collections(db.session).values()]
    return render_template("exchange/index.html", imports=imports.list_for(db.session, user), error=error,
                           layers=layers, export_formats=layer_export.exporters.names(), export_crs=EXPORT_CRS,
                           status_labels=import_forms.STATUS_LABELS, **import_forms.upload_choices()), status


@bp.get("/exchange")
def index():
    """Show the upload form, the user's imports and the export form."""
    return _index()


@bp.post("/exchange/upload")
def upload():
    """Upload a file and go to its preview (the form again with the reason when refused)."""
    file = request.files.get("file")
    options = {k: request.form.get(k) for k in ("crs", "encoding", "layer", "x_field", "y_field", "wkt_field")
               if request.form.get(k)}
    try:
        record = imports.upload(db.session, current_user(), file.filename if file else "",
                                file.stream if file else None,
                                options)
    except AppError as exc:
        return _index(exc.message, exc.status)
    return redirect(url_for("exchange.import_page", import_id=record.id))


def _page(import_id: int, error: str | None = None, status: int = 200):
    user = current_user()
    record = imports.get(db.session, user, import_id)
    target = request.values.get("target")
    context = import_forms.page_context(db.session, user, record, target)
    return render_template("exchange/import.html", error=error, **context), status


@bp.get("/exchange/imports/<int:import_id>")
def import_page(import_id: int):
    """Show an import: preview, validation report, options, field mapping or progress."""
    return _page(import_id)


@bp.post("/exchange/imports/<int:import_id>/options")
def import_options(import_id: int):
    """Re-read the file with the chosen CRS, encoding, layer or columns."""
    options = {k: request.form.get(k) or None for k in ("crs", "encoding", "layer", "x_field", "y_field", "wkt_field")}
    try:
        imports.set_options(db.session, current_user(), import_id, options)
    except AppError as exc:
        return _page(import_id, exc.message, exc.status)
    return redirect(url_for("exchange.import_page", import_id=import_id))


@bp.post("/exchange/imports/<int:import_id>/commit")
def commit(import_id: int):
    """Start the commit with the mapping from the form; the page then follows its progress."""
    try:
        record = imports.get(db.session, current_user(), import_id)
        body = import_forms.commit_body(request.form, len((record.preview or {}).get("fields") or []))
        imports.commit(db.session, current_user(), import_id, body)
    except AppError as exc:
        return _page(import_id, exc.message, exc.status)
    return redirect(url_for("exchange.import_page", import_id=import_id))


@bp.post("/exchange/imports/<int:import_id>/cancel")
def cancel(import_id: int):
    """Abandon an import."""
    try:
        imports.cancel(db.session, current_user(), import_id)
    except AppError as exc:
        return _page(import_id, exc.message, exc.status)
    return redirect(url_for("exchange.index"))


def _rasters_page(error: str | None = None, status: int = 200):
    return render_template("exchange/rasters.html", rasters=[rasters.as_dict(r) for r in
                                                             rasters.list_rasters(db.session)],
                           error=error, zones=[z["code"] for z in zone_shapes(db.session, "EPSG:4547")],
                           schemes=list(rmath.LANDCOVER_SCHEMES),
                           **import_forms.upload_choices()), status


@bp.get("/exchange/rasters")
def rasters_page():
    """List rasters, their legends and downloads; upload form."""
    return _rasters_page()


@bp.post("/exchange/rasters")
def upload_raster():
    """Upload a GeoTIFF from the form."""
    file = request.files.get("file")
    form = request.form
    try:
        rasters.upload(db.session, current_user(), file.filename if file else "", file.stream if file else None,
                       name=(form.get("name") or "").strip(), title=(form.get("title") or "").strip(),
                       kind=form.get("kind") or "", crs=form.get("crs") or None, scheme=form.get("scheme") or None)
    except AppError as exc:
        return _rasters_page(exc.message, exc.status)
    return redirect(url_for("exchange.rasters_page"))


@bp.get("/indicators")
def indicators_page():
    """Compare each zone's green indicators with the plan's targets."""
    data = zonal.indicators(db.session)
    return render_template("exchange/indicators.html", data=data, error=request.args.get("error"))


@bp.post("/indicators/population")
def population():
    """Store a zone's population from the indicators page."""
    try:
        zonal.set_population(db.session, current_user(), request.form.get("zone", ""),
                             request.form.get("population"), request.form.get("year"))
    except AppError as exc:
        data = zonal.indicators(db.session)
        return render_template("exchange/indicators.html", data=data, error=exc.message), exc.status
    return redirect(url_for("exchange.indicators_page") + "#zone-" + request.form.get("zone", ""))

