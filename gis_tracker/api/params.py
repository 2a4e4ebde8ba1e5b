"""Parse and validate query parameters into parameter objects (400 naming the parameter)."""
from __future__ import annotations

import math
from datetime import date, datetime

from .. import parsing
from ..errors import BadParameter
from ..i18n import gettext as _
from ..services.features import cql
from ..services.features.reads import ItemQuery
from .ogc_crs import parse_crs


def parse_limit(raw: str | None, default: int, maximum: int, name: str = "limit") -> int:
    """Return ``limit`` as an int in 1..maximum; above the maximum is refused (400), not silently cut."""
    return parsing.integer(raw, name, minimum=1, maximum=maximum, default=default, code="bad_limit")


def parse_offset(raw: str | None) -> int:
    """Return ``offset`` as an int in 0..2**63−1 (PostgreSQL's bigint)."""
    return parsing.integer(raw, "offset", minimum=0, default=0, code="bad_offset")


def parse_bbox(raw: str | None, geographic: bool = True) -> tuple[float, float, float, float] | None:
    """Return ``bbox=minx,miny,maxx,maxy`` as four floats (range-checked when lon/lat), or None."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    problem = None
    try:
        values = [parsing.number(p, "bbox") for p in parts]
    except BadParameter:
        values, problem = [], _("四个数字")
    if not problem and len(values) != 4:
        problem = _("需要 minx,miny,maxx,maxy 四个数字")
    if not problem and not all(math.isfinite(v) for v in values):
        problem = _("坐标必须是有限数")
    if not problem:
        minx, miny, maxx, maxy = values
        if geographic and not (-180 <= minx <= 180 and -180 <= maxx <= 180
                               and -90 <= miny <= 90 and -90 <= maxy <= 90):
            problem = _("经纬度超出范围")
        elif minx > maxx or miny > maxy:
            problem = _("最小值大于最大值")
    if problem:
        raise BadParameter(f"参数 bbox 无效：{problem}", code="bad_bbox", details={"parameter": "bbox"})
    return tuple(values)  # type: ignore[return-value]


MAX_FILTER_TEXT = 4000  # the longest text attribute (services/features/attributes.py)
STANDARD_PARAMETERS = {"limit", "offset", "bbox", "bbox-crs", "crs", "f", "sortby", "datetime", "lang",
                       "filter", "filter-lang", "filter-crs"}


def _instant(raw: str) -> date:
    """Return the calendar date of an RFC 3339 date or date-time (its own offset), or raise ValueError."""
    raw = raw.strip()
    if len(raw) == 11 and raw[10] in "Tt":
        raw = raw[:10]  # GDAL writes a date as "2021-05-01T"
    if len(raw) == 10:
        return date.fromisoformat(raw)
    if "T" not in raw.upper():
        raise ValueError(raw)
    return datetime.fromisoformat(raw).date()


def parse_datetime(raw: str | None) -> tuple[date | None, date | None] | None:
    """Return ``datetime`` (instant, ``a/b``, ``../b``, ``a/..``) as inclusive (start, end) dates, or None.

    Our temporal properties are dates, so a date-time counts by its calendar
    date as written (``2021-05-01T23:00:00+08:00`` is 1 May).
    """
    if raw is None or raw == "":
        return None
    parts = raw.split("/")
    try:
        if len(parts) == 1:
            day = _instant(parts[0])
            return day, day
        if len(parts) == 2:
            start = None if parts[0].strip() in ("", "..") else _instant(parts[0])
            end = None if parts[1].strip() in ("", "..") else _instant(parts[1])
            if start is None and end is None:
                raise ValueError(raw)
            if start and end and start > end:
                raise BadParameter("参数 datetime 的开始晚于结束", code="bad_datetime",
                                   details={"parameter": "datetime"})
            return start, end
    except ValueError:
        pass
    raise BadParameter(f"参数 datetime 无效：{raw[:60]!r}（例：2021-05-01、2020-01-01/2021-12-31、../2021-12-31）",
                       code="bad_datetime", details={"parameter": "datetime"})


def parse_filter(args, collection) -> tuple:
    """Return the SQL clauses of ``filter`` (CQL2 text or JSON, geometries in ``filter-crs``) and ``datetime``."""
    clauses = []
    node = cql.parse(args.get("filter"), args.get("filter-lang"))
    filter_crs = parse_crs(args.get("filter-crs"), "filter-crs")
    if node is not None:
        clauses.append(cql.compile_filter(collection, node, cql.FilterCrs(filter_crs.srid, filter_crs.north_first)))
    period = parse_datetime(args.get("datetime"))
    if period is not None:
        clauses.append(cql.datetime_clause(collection, *period))
    return tuple(clauses)


def _typed_filter(field, raw: str):
    """Convert a property filter value to the field's type (400 naming the parameter)."""
    try:
        if field.type == "integer":
            return parsing.integer(raw, field.name, minimum=-parsing.INT32_MAX - 1, maximum=parsing.INT32_MAX)
        if field.type == "number":
            return parsing.number(raw, field.name, minimum=-1e15, maximum=1e15)
        if field.type == "boolean":
            if raw.lower() not in ("true", "false"):
                raise ValueError
            return raw.lower() == "true"
        if field.type == "date":
            return date.fromisoformat(raw)
    except (ValueError, BadParameter):
        raise BadParameter(f"参数 {field.name} 的值 {raw[:40]!r} 不是 {field.type}",
                           code="bad_filter", details={"parameter": field.name}) from None
    if len(raw) > MAX_FILTER_TEXT or "\x00" in raw:
        raise BadParameter(f"参数 {field.name} 的值过长或含非法字符", code="bad_filter",
                           details={"parameter": field.name})
    return raw


def parse_sortby(raw: str | None, collection) -> tuple[tuple[str, bool], ...]:
    """Return ``sortby=[+|-]name,…`` (OGC API – Features Part 5 draft) as (field, descending) pairs.

    Each key is one declared, non-object field with at most one sign (``-`` descending; ``+`` or none
    ascending — a ``+`` sent unencoded arrives as a space); anything else is 400 ``bad_sortby``.
    """
    if not raw:
        return ()
    result = []
    for part in raw.split(","):
        part = part.strip()
        desc = part.startswith("-")
        name = part[1:] if part[:1] in ("+", "-") else part
        field = collection.field(name)
        if field is None or field.type == "object":
            raise BadParameter(f"不能按 {name[:40]!r} 排序",
                               code="bad_sortby", details={"parameter": "sortby"})
        result.append((name, desc))
    return tuple(result)


def parse_item_query(args, default_limit: int, max_limit: int, collection=None) -> ItemQuery:
    """Build an :class:`ItemQuery` from request arguments, refusing unknown parameters."""
    out_crs = parse_crs(args.get("crs"), "crs")
    bbox_crs = parse_crs(args.get("bbox-crs"), "bbox-crs")
    raw_bbox = args.get("bbox")
    if raw_bbox and bbox_crs.north_first and raw_bbox.count(",") == 3:
        # The client sends this CRS's axis order (lat/lon, northing/easting); ours is x/y.
        a, b, c, d = raw_bbox.split(",")
        raw_bbox = ",".join((b, a, d, c))
    bbox = parse_bbox(raw_bbox, geographic=bbox_crs.srid != 4547)
    filters = []
    for name in args:
        if name in STANDARD_PARAMETERS:
            continue
        field = collection.field(name) if collection is not None else None
        if field is None or field.type == "object":
            raise BadParameter(f"未知参数 {name[:40]!r}",
                               code="unknown_parameter", details={"parameter": name[:40]})
        filters.append((name, _typed_filter(field, args.get(name))))
    return ItemQuery(
        limit=parse_limit(args.get("limit"), default_limit, max_limit),
        offset=parse_offset(args.get("offset")),
        bbox=bbox,
        bbox_srid=bbox_crs.srid,
        out_srid=out_crs.srid,
        north_first=out_crs.north_first,
        decimals=out_crs.decimals,
        filters=tuple(filters),
        sortby=parse_sortby(args.get("sortby"), collection) if collection is not None else (),
        where=parse_filter(args, collection) if collection is not None else (),
    )


def parse_feature_id(raw: str) -> int | None:
    """Return a feature id as int, or None when it cannot be one (→ 404): ASCII digits within integer."""
    return parsing.path_id(raw)
