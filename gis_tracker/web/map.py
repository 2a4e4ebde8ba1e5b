"""The map page of the district."""
from __future__ import annotations

from flask import Blueprint, render_template

from ..db import db
from ..security import current_user
from . import map_config

bp = Blueprint("map", __name__)


@bp.get("/")
def index():
    """Show the district map with all planning layers (and editing tools for editors)."""
    return render_template("map/index.html", config=map_config.build(db.session, current_user()))
