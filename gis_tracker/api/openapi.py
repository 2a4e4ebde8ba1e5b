"""The OpenAPI 3.0 description of the API, served at ``/ogc/openapi``."""
from __future__ import annotations

from flask import Blueprint, jsonify

from . import openapi_spec

bp = Blueprint("openapi", __name__)


@bp.get("/ogc/openapi")
def document():
    """Return the OpenAPI 3.0 document (JSON) of the OGC and /api routes."""
    resp = jsonify(openapi_spec.build())
    resp.mimetype = "application/vnd.oai.openapi+json"
    return resp
