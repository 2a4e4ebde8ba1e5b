"""Parse and validate query parameters into parameter objects (400 naming the parameter)."""
from __future__ import annotations

import math

from ..errors import BadParameter
from ..services.features import ItemQuery


def parse_limit(raw: str | None, default: int, maximum: int) -> int:
    """Return ``limit`` as an int in 1..maximum (values above are capped, as OGC allows)."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(f"参数 limit 必须是正整数 / limit must be a positive integer, got {raw[:40]!r}",
                           code="bad_limit", details={"parameter": "limit"}) from None
    if value < 1:
        raise BadParameter("参数 limit 必须 ≥ 1 / limit must be at least 1",
                           code="bad_limit", details={"parameter": "limit"})
    return min(value, maximum)


def parse_offset(raw: str | None) -> int:
    """Return ``offset`` as a non-negative int."""
    if raw is None or raw == "":
        return 0
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise BadParameter("参数 offset 必须是非负整数 / offset must be a non-negative integer",
                           code="bad_offset", details={"parameter": "offset"})
    return value


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """Return ``bbox=minx,miny,maxx,maxy`` (lon/lat) as four floats, or None."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    problem = None
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values, problem = [], "四个数字 / four numbers expected"
    if not problem and len(values) != 4:
        problem = "需要 minx,miny,maxx,maxy 四个数字 / four numbers minx,miny,maxx,maxy expected"
    if not problem and not all(math.isfinite(v) for v in values):
        problem = "坐标必须是有限数 / coordinates must be finite"
    if not problem:
        minx, miny, maxx, maxy = values
        if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
            problem = "经纬度超出范围 / longitude/latitude out of range"
        elif minx > maxx or miny > maxy:
            problem = "最小值大于最大值 / min greater than max"
    if problem:
        raise BadParameter(f"参数 bbox 无效：{problem}", code="bad_bbox", details={"parameter": "bbox"})
    return tuple(values)  # type: ignore[return-value]


def parse_item_query(args, default_limit: int, max_limit: int) -> ItemQuery:
    """Build an :class:`ItemQuery` from request arguments."""
    return ItemQuery(
        limit=parse_limit(args.get("limit"), default_limit, max_limit),
        offset=parse_offset(args.get("offset")),
        bbox=parse_bbox(args.get("bbox")),
    )


def parse_feature_id(raw: str) -> int | None:
    """Return a feature id as int, or None when it cannot be one (→ 404)."""
    if not raw.isdigit() or len(raw) > 12:
        return None
    return int(raw)
