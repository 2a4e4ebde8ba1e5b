"""The 导出 page: the snapshot and meeting-pack forms, progress, and the export history."""
from __future__ import annotations

from flask import Blueprint, render_template, request

from ..db import db
from ..services.cartography import exports

bp = Blueprint("exports", __name__, url_prefix="/exports")


@bp.get("/")
def index():
    """Show the export forms (pre-filled from the map's bbox and visible layers) and the history."""
    chosen = {"bbox": request.args.get("bbox", "")[:200],
              "layers": [x for x in request.args.get("layers", "").split(",") if x][:50]}
    return render_template("exports/index.html", options=exports.form_options(db.session), chosen=chosen,
                           history=exports.history(db.session))

