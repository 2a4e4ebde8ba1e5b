"""Check that the configured basemap tile server answers (through the outbound guard)."""
from __future__ import annotations

import logging

from ...errors import AppError, BadParameter
from . import outbound

LOGGER = logging.getLogger(__name__)
# A tile over Qingshuitang at zoom 12 (XYZ / Web Mercator).
SAMPLE_TILE = {"z": 12, "x": 3334, "y": 1708, "s": "a"}


def tile_url(template: str) -> str:
    """Fill an XYZ template (``{z}/{x}/{y}``, optional ``{s}``) with a tile over the district."""
    if not template:
        raise BadParameter("未配置底图地址（BASEMAP_URL），也未提供 url",
                           code="no_basemap")
    url = template
    for key, value in SAMPLE_TILE.items():
        url = url.replace("{" + key + "}", str(value))
    return url


def check(template: str, allowlist_text: str) -> dict:
    """Fetch one sample tile and report whether the basemap answers like a tile server."""
    url = tile_url(template)
    allowlist = outbound.Allowlist.parse(allowlist_text)
    try:
        result = outbound.fetch(url, allowlist)
    except outbound.OutboundRefused:
        raise
    except AppError as exc:
        LOGGER.info("basemap check failed for %s: %s", url, exc.message)
        return {"ok": False, "url": url, "reason": exc.details.get("reason", exc.code), "message": exc.message}
    ok = result.status == 200 and result.content_type.startswith("image/")
    return {"ok": ok, "url": url, "status": result.status, "content_type": result.content_type,
            "bytes": result.size, "elapsed_ms": result.elapsed_ms}
