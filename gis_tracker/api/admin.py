"""Administrative JSON actions: ``POST /api/admin/basemap-check``."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from ..errors import BadParameter
from ..services.platform import basemap_check as basemap

bp = Blueprint("admin_api", __name__, url_prefix="/api/admin")


@bp.post("/basemap-check")
def basemap_check():
    """Fetch a sample tile of the basemap (or of ``{"url": ...}``) via the outbound allowlist."""
    body = request.get_json(silent=True) if request.content_length else {}
    if body is None or not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_json")
    template = body.get("url") or current_app.config.get("BASEMAP_URL", "")
    if not isinstance(template, str) or len(template) > 2000:
        raise BadParameter("url 须为字符串", code="bad_parameter")
    return jsonify(basemap.check(template, current_app.config.get("OUTBOUND_ALLOWLIST", "")))
