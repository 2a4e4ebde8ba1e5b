"""The OpenAPI 3.0 description of the API at ``/ogc/openapi``; ``?f=html`` is the API documentation page.

The page (the landing page's ``service-doc``) is generated on the server from
the same document, so it works offline and can never disagree with it.
"""
from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from ..i18n import pick
from . import openapi_spec
from .ogc_html import wants_html

bp = Blueprint("openapi", __name__)
METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def _operations(doc: dict) -> list[dict]:
    rows = []
    for key, item in doc["paths"].items():
        prefix = (item.get("servers") or [{"url": ""}])[0]["url"]
        path = (prefix + key).rstrip("/") if key != "/" else prefix or "/"
        for method in METHOD_ORDER:
            op = item.get(method)
            if op is None:
                continue
            rows.append({
                "path": path, "method": method.upper(), "summary": op.get("summary", ""),
                "parameters": op.get("parameters", []),
                "body": sorted((op.get("requestBody") or {}).get("content", {})),
                "responses": [(status, sorted(r.get("content", {})) or ["—"])
                              for status, r in sorted(op["responses"].items())],
            })
    return rows


@bp.get("/ogc/openapi")
def document():
    """Return the OpenAPI 3.0 document (JSON), or with ``f=html`` the API documentation page."""
    doc = openapi_spec.build()
    if wants_html():
        return render_template("ogc/service_doc.html", doc=doc, operations=_operations(doc),
                               title=pick("API 说明", "API documentation"))
    resp = jsonify(doc)
    resp.mimetype = "application/vnd.oai.openapi+json"
    resp.headers["Content-Type"] = "application/vnd.oai.openapi+json;version=3.0"
    return resp
