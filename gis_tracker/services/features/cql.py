"""CQL2 filters (OGC API – Features Part 3): parse with pygeofilter, compile to SQLAlchemy expressions.

``filter`` arrives as CQL2 text or CQL2 JSON; pygeofilter's parsers turn it
into an abstract syntax tree, which :func:`compile_filter` translates node by
node into a SQLAlchemy clause on the collection's columns (or JSONB
properties, for planner-defined layers).  Values are always bound
parameters and names are only the collection's declared fields: no SQL is
ever built from the filter's text.

What is supported (and declared in the conformance document):

* comparisons ``= <> < <= > >=`` between a property and a literal or two
  properties of the same type, ``LIKE`` (``%`` and ``_``, ``\\`` escapes),
  ``IN``, ``BETWEEN``, ``IS [NOT] NULL``, ``AND``/``OR``/``NOT``, ``CASEI``;
* the spatial functions ``S_INTERSECTS``, ``S_WITHIN``, ``S_CONTAINS``,
  ``S_DISJOINT``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``, ``S_EQUALS``
  with WKT (text) or GeoJSON (JSON) geometries and ``BBOX``, in ``filter-crs``
  (CRS84 by default; EPSG:4326/4490 latitude first, EPSG:4547 northing first);
* the temporal functions ``T_AFTER``, ``T_BEFORE``, ``T_DURING``, ``T_EQUALS``,
  ``T_INTERSECTS``, ``T_DISJOINT``, ``T_MEETS``, ``T_METBY``, ``T_OVERLAPS``,
  ``T_OVERLAPPEDBY``, ``T_STARTS``, ``T_STARTEDBY``, ``T_FINISHES``,
  ``T_FINISHEDBY``, ``T_CONTAINS`` on date properties (a date is one
  instant), with ``DATE``, ``TIMESTAMP`` (its calendar date) and ``INTERVAL``
  (dates, timestamps or ``'..'``).

pygeofilter 0.4's CQL2-text grammar writes temporal predicates infix and
accepts only timestamps in ``INTERVAL``; :func:`_text_parser` extends that
same grammar with the standard function form, dates and open ends in
intervals and ``''`` inside strings.  It also reads ``T_INTERSECTS`` as
``T_OVERLAPS``; here ``T_INTERSECTS`` is "not before and not after" and
``T_DISJOINT`` "before or after", in both encodings.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import shapely
from lark import Lark, v_args
from lark.exceptions import LarkError, UnexpectedInput, VisitError
from pygeofilter import ast, values
from pygeofilter.cql2 import TEMPORAL_PREDICATES_MAP
from pygeofilter.parsers.cql2_json import parse as parse_cql2_json
from pygeofilter.parsers.cql2_text import parser as cql2_text_module
from shapely.geometry import box, shape
from sqlalchemy import Date, and_, cast, false, func, literal, not_, or_, true
from sqlalchemy.dialects.postgresql import JSONB

from ...db import STORAGE_SRID
from ...errors import BadParameter
from ...spatial.measure import reproject
from .catalog import Collection

FILTER_LANGS = ("cql2-text", "cql2-json")
# Draft names still sent by clients: GDAL (3.6 to 3.12) sends filter-lang=cql-text, and ILIKE.
FILTER_LANG_ALIASES = {"cql-text": "cql2-text", "cql-json": "cql2-json"}
GEOMETRY_PROPERTY = "geometry"
MAX_FILTER_LENGTH = 20000
MAX_FILTER_VERTICES = 10000

_TEXT_EXTENSION = r'''
%extend temporal_predicate: _binary_temporal_predicate_func "(" expression "," expression ")" -> temporal_function
%extend _binary_temporal_predicate_func: "T_DISJOINT"i | "T_STARTS"i | "T_STARTEDBY"i | "T_FINISHES"i | "T_FINISHEDBY"i
%override ?interval: "INTERVAL"i "(" interval_bound "," interval_bound ")" -> interval
interval_bound: "'" DATETIME "'" | "'" DATE "'" | OPEN_BOUND
OPEN_BOUND: "'..'"
%override SINGLE_QUOTED: "'" /([^']|'')*/ "'"
%extend ?predicate: expression "ILIKE"i expression -> ilike
    | expression "NOT"i "ILIKE"i expression -> not_ilike
%extend ?literal: "BBOX"i "(" full_number "," full_number "," full_number "," full_number ")" -> bbox_literal
'''


def _temporal(op: str, lhs, rhs):
    """Return the AST node of a CQL2 temporal function (``T_INTERSECTS``/``T_DISJOINT`` rewritten exactly)."""
    op = op.lower()
    if op == "t_intersects":
        return ast.Not(ast.Or(ast.TimeBefore(lhs, rhs), ast.TimeAfter(lhs, rhs)))
    if op == "t_disjoint":
        return ast.Or(ast.TimeBefore(lhs, rhs), ast.TimeAfter(lhs, rhs))
    aliases = {"t_starts": "t_begins", "t_startedby": "t_begunby", "t_finishes": "t_ends",
               "t_finishedby": "t_endedby"}
    return TEMPORAL_PREDICATES_MAP[aliases.get(op, op)](lhs, rhs)


@v_args(meta=False, inline=True)
class _TextTransformer(cql2_text_module.CQLTransformer):
    """pygeofilter's CQL2-text transformer with the standard temporal function form."""

    def temporal_function(self, op, lhs, rhs):
        return _temporal(str(op), lhs, rhs)

    def binary_temporal_predicate(self, lhs, op, rhs):
        return _temporal(str(op), lhs, rhs)

    def bbox_literal(self, minx, miny, maxx, maxy):
        return values.Envelope(minx, miny, maxx, maxy)  # the field order of pygeofilter's CQL2-JSON bbox

    def interval_bound(self, value):
        return None if value == "'..'" else value

    def SINGLE_QUOTED(self, token):
        return token[1:-1].replace("''", "'")


@lru_cache(maxsize=1)
def _text_parser() -> Lark:
    folder = os.path.dirname(cql2_text_module.__file__)
    with open(os.path.join(folder, "grammar.lark"), encoding="utf-8") as fh:
        grammar = fh.read()
    return Lark(grammar + _TEXT_EXTENSION, parser="lalr", maybe_placeholders=False,
                transformer=_TextTransformer(), import_paths=[os.path.dirname(folder)])


def _rewrite_json_temporal(node):
    """Rewrite ``t_intersects``/``t_disjoint`` (and the STARTS/FINISHES names) in a CQL2-JSON tree."""
    if isinstance(node, list):
        return [_rewrite_json_temporal(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _rewrite_json_temporal(v) for k, v in node.items()}
    op = node.get("op")
    if isinstance(op, str) and isinstance(node.get("args"), list):
        name = op.lower()
        pair = node["args"]
        if name == "t_intersects":
            return {"op": "not", "args": [{"op": "or", "args": [{"op": "t_before", "args": pair},
                                                                  {"op": "t_after", "args": pair}]}]}
        if name == "t_disjoint":
            return {"op": "or", "args": [{"op": "t_before", "args": pair}, {"op": "t_after", "args": pair}]}
        aliases = {"t_starts": "t_begins", "t_startedby": "t_begunby", "t_finishes": "t_ends",
                   "t_finishedby": "t_endedby"}
        if name in aliases:
            return {**node, "op": aliases[name]}
    return node


def _bad(message: str, **details) -> BadParameter:
    return BadParameter(message, code="bad_filter", details={"parameter": "filter", **details})


def _syntax_problem(exc: Exception, text: str) -> BadParameter:
    if isinstance(exc, UnexpectedInput):
        column = getattr(exc, "column", None) or 0
        start = max(0, column - 1)
        near = text[start:start + 30]
        return _bad(f"filter 语法错误：第 {column} 个字符附近 {near!r}", column=column)
    return _bad(f"filter 语法错误：{str(exc)[:160]}")


def parse(text: str | None, lang: str | None) -> ast.Node | None:
    """Parse ``filter`` in ``filter-lang`` (cql2-text by default) into a pygeofilter AST (400 on bad syntax)."""
    if text is None or not text.strip():
        return None
    lang = (lang or "cql2-text").strip().lower()
    lang = FILTER_LANG_ALIASES.get(lang, lang)
    if lang not in FILTER_LANGS:
        raise BadParameter(f"不支持的 filter-lang {lang[:30]!r}；可选：{'、'.join(FILTER_LANGS)}",
                           code="bad_filter_lang", details={"parameter": "filter-lang"})
    if len(text) > MAX_FILTER_LENGTH:
        raise _bad(f"filter 过长（最多 {MAX_FILTER_LENGTH} 个字符）")
    try:
        if lang == "cql2-text":
            node = _text_parser().parse(text)
        else:
            try:
                tree = json.loads(text)
            except ValueError:
                raise _bad("filter 不是有效的 JSON（cql2-json）") from None
            node = parse_cql2_json(_rewrite_json_temporal(tree))
    except BadParameter:
        raise
    except VisitError as exc:
        raise _syntax_problem(exc.orig_exc, text) from None
    except (LarkError, ValueError, KeyError, TypeError, IndexError, AttributeError, RecursionError) as exc:
        raise _syntax_problem(exc, text) from None
    if not isinstance(node, ast.Node):
        raise _bad("filter 必须是条件表达式（如 stage = 'accepted'）")
    return node


# ---------------------------------------------------------------------------------------------
# Compilation to SQLAlchemy


@dataclass(frozen=True)
class Operand:
    """A compiled operand: its SQL expression and its kind (a field type, 'geometry' or 'null')."""

    expr: object
    kind: str
    jsonb: bool = False  # a JSONB property of a planner-defined layer (compared as JSONB)
    name: str | None = None  # the property it reads, for messages
    value: object = None  # the Python value of a literal


@dataclass(frozen=True)
class FilterCrs:
    """The CRS of geometry literals (``filter-crs``): its SRID and whether latitude/northing comes first."""

    srid: int = 4326
    north_first: bool = False


class _Compiler:
    def __init__(self, collection: Collection, crs: FilterCrs):
        self.coll = collection
        self.crs = crs

    # -- operands -----------------------------------------------------------------------------

    def operand(self, node) -> Operand:
        if isinstance(node, ast.Attribute):
            return self.attribute(node.name)
        if isinstance(node, ast.Function):
            return self.function(node)
        if isinstance(node, values.Envelope):
            # pygeofilter stores a CQL2 bbox [minx, miny, maxx, maxy] in the fields x1, x2, y1, y2.
            return Operand(self.envelope(node.x1, node.x2, node.y1, node.y2), "geometry")
        if isinstance(node, values.Geometry):
            return Operand(self.geometry_literal(node.__geo_interface__), "geometry")
        if isinstance(node, bool):
            return Operand(literal(node), "boolean", value=node)
        if isinstance(node, int):
            return Operand(literal(node), "integer", value=node)
        if isinstance(node, float):
            if not math.isfinite(node):
                raise _bad("filter 中的数值必须是有限数")
            return Operand(literal(node), "number", value=node)
        if isinstance(node, datetime):
            return Operand(literal(node.date(), Date), "date", value=node.date())
        if isinstance(node, date):
            return Operand(literal(node, Date), "date", value=node)
        if isinstance(node, str):
            return Operand(literal(node), "string", value=node)
        if node is None:
            return Operand(None, "null")
        if isinstance(node, ast.Arithmetic):
            raise _bad("filter 不支持算术运算")
        raise _bad(f"filter 不支持此表达式：{type(node).__name__}")

    def attribute(self, name: str) -> Operand:
        if name == GEOMETRY_PROPERTY:
            return Operand(self.coll.model.geom, "geometry", name=name)
        field = self.coll.field(name)
        if field is None or field.type == "object":
            queryable = "、".join(queryable_names(self.coll))
            raise _bad(f"集合 {self.coll.id} 没有可查询属性 {name[:60]!r}；可查询：{queryable}",
                       property=name[:60])
        if self.coll.storage == "jsonb":
            return Operand(self.coll.model.properties[name], field.type, jsonb=True, name=name)
        expr = field.expr() if field.expr else getattr(self.coll.model, name)
        return Operand(expr, field.type, name=name)

    def function(self, node: ast.Function) -> Operand:
        if node.name.lower() in ("lower", "casei") and len(node.arguments) == 1:
            inner = self.operand(node.arguments[0])
            if inner.kind != "string":
                raise _bad("CASEI 只能用于文本")
            text = inner.expr.astext if inner.jsonb else inner.expr
            value = inner.value.lower() if isinstance(inner.value, str) else None
            return Operand(func.lower(text), "string", name=inner.name, value=value)
        raise _bad(f"filter 不支持函数 {node.name[:40]!r}")

    def envelope(self, minx, miny, maxx, maxy):
        """Return a bounding box (in ``filter-crs`` axis order) as a storage geometry."""
        try:
            corners = [float(v) for v in (minx, miny, maxx, maxy)]
        except (TypeError, ValueError):
            raise _bad("BBOX 需要四个数字") from None
        a, b, c, d = corners
        return self.geometry_literal(box(min(a, c), min(b, d), max(a, c), max(b, d)).__geo_interface__)

    def geometry_literal(self, geojson: dict):
        """Return a geometry literal in storage coordinates, checked in Python (never a database error)."""
        try:
            geom = shape(geojson)
        except Exception:  # noqa: BLE001 - shapely raises several types for malformed input
            raise _bad("filter 中的几何无法解析") from None
        coords = shapely.get_coordinates(geom)
        if geom.is_empty or len(coords) == 0:
            raise _bad("filter 中的几何为空")
        if len(coords) > MAX_FILTER_VERTICES:
            raise _bad(f"filter 中的几何顶点过多（最多 {MAX_FILTER_VERTICES} 个）")
        if not all(math.isfinite(v) for v in coords.ravel()):
            raise _bad("filter 中的几何坐标必须是有限数")
        if self.crs.north_first:
            geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
        if self.crs.srid != STORAGE_SRID:
            xy = shapely.get_coordinates(geom)
            if not ((abs(xy[:, 0]) <= 180).all() and (abs(xy[:, 1]) <= 90).all()):
                raise _bad("filter 中的几何超出经纬度范围（经度 ±180，纬度 ±90；注意 filter-crs 的坐标轴顺序）")
            geom = reproject(geom, self.crs.srid, STORAGE_SRID)
            if not all(math.isfinite(v) for v in shapely.get_coordinates(geom).ravel()):
                raise _bad("filter 中的几何无法投影到 EPSG:4547")
        return func.ST_GeomFromText(geom.wkt, STORAGE_SRID)

    # -- predicates ---------------------------------------------------------------------------

    def compile(self, node):  # noqa: C901 - one branch per CQL2 construct
        if isinstance(node, ast.And):
            return and_(self.compile(node.lhs), self.compile(node.rhs))
        if isinstance(node, ast.Or):
            return or_(self.compile(node.lhs), self.compile(node.rhs))
        if isinstance(node, ast.Not):
            return not_(self.compile(node.sub_node))
        if isinstance(node, ast.Include):
            return false() if node.not_ else true()
        if isinstance(node, ast.Comparison):
            return self.comparison(node.op.value, self.operand(node.lhs), self.operand(node.rhs))
        if isinstance(node, ast.Between):
            lhs = self.operand(node.lhs)
            clause = and_(self.comparison(">=", lhs, self.operand(node.low)),
                          self.comparison("<=", lhs, self.operand(node.high)))
            return not_(clause) if node.not_ else clause
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            lhs = self.operand(node.lhs)
            if not node.sub_nodes:
                raise _bad("IN 需要至少一个值")
            clause = or_(*(self.comparison("=", lhs, self.operand(v)) for v in node.sub_nodes))
            return not_(clause) if node.not_ else clause
        if isinstance(node, ast.IsNull):
            return self.is_null(self.operand(node.lhs), node.not_)
        if isinstance(node, ast.SpatialComparisonPredicate):
            return self.spatial(node)
        if isinstance(node, ast.BBox):
            lhs = self.operand(node.lhs)
            if lhs.kind != "geometry":
                raise _bad("BBOX 的第一个参数必须是 geometry")
            if node.crs:
                raise _bad("BBOX 的坐标系请用参数 filter-crs 指定")
            return func.ST_Intersects(lhs.expr, self.envelope(node.minx, node.miny, node.maxx, node.maxy))
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        if isinstance(node, (ast.Relate, ast.SpatialDistancePredicate)):
            raise _bad("filter 不支持 RELATE、DWITHIN、BEYOND（请用 S_INTERSECTS 等空间函数）")
        if isinstance(node, ast.ArrayPredicate):
            raise _bad("filter 不支持数组运算")
        if isinstance(node, ast.Exists):
            raise _bad("filter 不支持 EXISTS")
        if isinstance(node, ast.Attribute):
            operand = self.attribute(node.name)
            if operand.kind != "boolean":
                raise _bad(f"属性 {node.name} 不是布尔值，不能单独作为条件")
            return self.comparison("=", operand, self.operand(True))
        raise _bad(f"filter 不支持此条件：{type(node).__name__}")

    def _check_kinds(self, lhs: Operand, rhs: Operand, op: str) -> None:
        numeric = {"integer", "number"}
        if lhs.kind == rhs.kind or (lhs.kind in numeric and rhs.kind in numeric):
            return
        if "geometry" in (lhs.kind, rhs.kind):
            raise _bad("几何只能用空间函数比较（S_INTERSECTS 等）")
        named = lhs if lhs.name else rhs
        other = rhs if named is lhs else lhs
        raise _bad(f"属性 {named.name or '?'} 是 {_KIND_LABELS.get(named.kind, named.kind)}，"
                   f"不能与 {_KIND_LABELS.get(other.kind, other.kind)} {_shown(other.value)} 比较（{op}）",
                   property=named.name)

    def _promote_date(self, lhs: Operand, rhs: Operand) -> tuple[Operand, Operand]:
        """Let a date property be compared with an ISO date string ('2020-01-01'), as clients send them."""
        def as_date(o: Operand) -> Operand:
            if o.kind == "string" and o.name is None and isinstance(o.value, str):
                try:
                    day = date.fromisoformat(o.value[:10])
                except ValueError:
                    return o
                return Operand(literal(day, Date), "date", value=day)
            return o
        if lhs.kind == "date":
            rhs = as_date(rhs)
        if rhs.kind == "date":
            lhs = as_date(lhs)
        return lhs, rhs

    def comparison(self, op: str, lhs: Operand, rhs: Operand):
        if "null" in (lhs.kind, rhs.kind):
            raise _bad("与 NULL 比较请用 IS NULL / IS NOT NULL")
        lhs, rhs = self._promote_date(lhs, rhs)
        self._check_kinds(lhs, rhs, op)
        if lhs.kind == "geometry":
            raise _bad("几何只能用空间函数比较（S_INTERSECTS 等）")
        if lhs.kind == "boolean" and op not in ("=", "<>"):
            raise _bad("布尔值只能用 = 或 <> 比较")
        left, right, guards = self._sides(lhs, rhs)
        ops = {"=": left.__eq__, "<>": left.__ne__, "<": left.__lt__, "<=": left.__le__,
               ">": left.__gt__, ">=": left.__ge__}
        clause = ops[op](right)
        return and_(*guards, clause) if guards else clause

    def _sides(self, lhs: Operand, rhs: Operand):
        """Return both sides as comparable SQL, and the guards that keep JSONB comparisons within one type."""
        guards = []
        sides = []
        for o in (lhs, rhs):
            if o.jsonb:
                guards.append(func.jsonb_typeof(o.expr) == _JSON_TYPES[o.kind])
                sides.append(o.expr)
            elif (lhs.jsonb or rhs.jsonb) and o.name is None:
                value = o.value.isoformat() if isinstance(o.value, date) else o.value
                sides.append(cast(literal(json.dumps(value, ensure_ascii=False)), JSONB))
            elif lhs.jsonb or rhs.jsonb:  # a column compared with a JSONB property: compare as JSONB
                sides.append(func.to_jsonb(o.expr))
            else:
                sides.append(o.expr)
        return sides[0], sides[1], guards

    def like(self, node: ast.Like):
        lhs = self.operand(node.lhs)
        pattern = node.pattern
        if isinstance(pattern, ast.Function):
            pat = self.function(pattern)
        else:
            pat = self.operand(pattern)
        if lhs.kind != "string" or pat.kind != "string":
            raise _bad(f"LIKE 只能用于文本属性{('（' + lhs.name + '）') if lhs.name else ''}",
                       property=lhs.name)
        text = lhs.expr.astext if lhs.jsonb else lhs.expr
        clause = (func.lower(text).like(func.lower(pat.expr), escape="\\") if node.nocase
                  else text.like(pat.expr, escape="\\"))
        if lhs.jsonb:
            clause = and_(func.jsonb_typeof(lhs.expr) == "string", clause)
        return not_(clause) if node.not_ else clause

    def is_null(self, operand: Operand, negate: bool):
        if operand.name is None:
            raise _bad("IS NULL 只能用于属性")
        if operand.jsonb:
            clause = func.coalesce(func.jsonb_typeof(operand.expr), "null") == "null"
        else:
            clause = operand.expr.is_(None)
        return not_(clause) if negate else clause

    def spatial(self, node: ast.SpatialComparisonPredicate):
        lhs, rhs = self.operand(node.lhs), self.operand(node.rhs)
        if lhs.kind != "geometry" or rhs.kind != "geometry":
            raise _bad(f"空间函数的参数必须是 {GEOMETRY_PROPERTY} 或几何（WKT / GeoJSON）")
        functions = {
            "INTERSECTS": func.ST_Intersects, "DISJOINT": func.ST_Disjoint, "CONTAINS": func.ST_Contains,
            "WITHIN": func.ST_Within, "TOUCHES": func.ST_Touches, "CROSSES": func.ST_Crosses,
            "OVERLAPS": func.ST_Overlaps, "EQUALS": func.ST_Equals,
        }
        return functions[node.op.name](lhs.expr, rhs.expr)

    # -- temporal -----------------------------------------------------------------------------

    def _period(self, node) -> tuple[_End, _End]:
        """Return (start, end) of a temporal operand: a date property or a date literal is one instant.

        Dates of planner-defined layers are ISO text in JSONB: compared as text
        (byte order), so a malformed stored value can never raise a database error.
        """
        as_text = self.coll.storage == "jsonb"
        if isinstance(node, values.Interval):
            return self._bound(node.start, -1, as_text), self._bound(node.end, 1, as_text)
        operand = self._promote_date(Operand(None, "date"), self.operand(node))[1]
        if operand.kind != "date":
            where = f"（{operand.name} 不是日期）" if operand.name else ""
            raise _bad(f"时间函数只能用于日期属性和日期值{where}", property=operand.name)
        if operand.jsonb:
            expr = operand.expr.astext.collate("C")
        elif as_text and operand.name is None:
            expr = literal(operand.value.isoformat()).collate("C")
        else:
            expr = operand.expr
        return _End(expr), _End(expr)

    def _bound(self, value, open_side: int, as_text: bool) -> _End:
        if value is None:
            return _End(None, open_side)  # '..': unbounded
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            raise _bad("INTERVAL 的端点必须是日期、时间戳或 '..'")
        return _End(literal(value.isoformat()).collate("C") if as_text else literal(value, Date))

    def temporal(self, node: ast.TemporalPredicate):
        (a0, a1), (b0, b1) = self._period(node.lhs), self._period(node.rhs)
        guards = [func.jsonb_typeof(self.coll.model.properties[side.name]) == "string"
                  for side in (node.lhs, node.rhs)
                  if isinstance(side, ast.Attribute) and self.coll.storage == "jsonb"]
        lt, eq = _End.less, _End.equal
        relations = {
            "TimeAfter": lambda: lt(b1, a0),
            "TimeBefore": lambda: lt(a1, b0),
            "TimeDuring": lambda: and_(lt(b0, a0), lt(a1, b1)),
            "TimeContains": lambda: and_(lt(a0, b0), lt(b1, a1)),
            "TimeEquals": lambda: and_(eq(a0, b0), eq(a1, b1)),
            "TimeMeets": lambda: eq(a1, b0),
            "TimeMetBy": lambda: eq(a0, b1),
            "TimeOverlaps": lambda: and_(lt(a0, b0), lt(b0, a1), lt(a1, b1)),
            "TimeOverlappedBy": lambda: and_(lt(b0, a0), lt(a0, b1), lt(b1, a1)),
            "TimeBegins": lambda: and_(eq(a0, b0), lt(a1, b1)),
            "TimeBegunBy": lambda: and_(eq(a0, b0), lt(b1, a1)),
            "TimeEnds": lambda: and_(lt(b0, a0), eq(a1, b1)),
            "TimeEndedBy": lambda: and_(lt(a0, b0), eq(a1, b1)),
        }
        relation = relations.get(type(node).__name__)
        if relation is None:
            raise _bad(f"filter 不支持时间函数 {type(node).__name__}")
        clause = relation()
        return and_(*guards, clause) if guards else clause


@dataclass(frozen=True)
class _End:
    """One end of a period: an SQL date, or an open end (``infinite`` -1 before everything, +1 after)."""

    expr: object
    infinite: int = 0

    @staticmethod
    def less(x: _End, y: _End):
        """Return the clause ``x < y``."""
        if x.infinite or y.infinite:
            return true() if (x.infinite < 0 and y.infinite >= 0) or (x.infinite <= 0 and y.infinite > 0) else false()
        return x.expr < y.expr

    @staticmethod
    def equal(x: _End, y: _End):
        """Return the clause ``x = y`` (two open ends on the same side are equal)."""
        if x.infinite or y.infinite:
            return true() if x.infinite == y.infinite else false()
        return x.expr == y.expr


_JSON_TYPES = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean",
               "date": "string"}
_KIND_LABELS = {"string": "文本", "integer": "整数", "number": "数字", "boolean": "布尔值", "date": "日期",
                "geometry": "几何", "null": "NULL"}


def _shown(value) -> str:
    return repr(value)[:40] if value is not None else ""


def queryable_names(collection: Collection) -> list[str]:
    """Return the names a filter may use: every declared non-object property, and ``geometry``."""
    return [f.name for f in collection.fields if f.type != "object"] + [GEOMETRY_PROPERTY]


def datetime_clause(collection: Collection, start: date | None, end: date | None):
    """Return the clause of ``datetime`` (an instant is start = end; None is an open end), inclusive.

    It applies to the collection's temporal property; features without a date do not match.
    """
    field = collection.temporal_field()
    if field is None:
        raise BadParameter(f"集合 {collection.id} 没有时间属性，不支持参数 datetime", code="datetime_not_supported",
                           details={"parameter": "datetime"})
    if collection.storage == "jsonb":
        expr = collection.model.properties[field.name]
        text = expr.astext.collate("C")
        clauses = [func.jsonb_typeof(expr) == "string"]
        if start is not None:
            clauses.append(text >= literal(start.isoformat()).collate("C"))
        if end is not None:
            clauses.append(text <= literal(end.isoformat()).collate("C"))
        return and_(*clauses)
    expr = field.expr() if field.expr else getattr(collection.model, field.name)
    clauses = [expr.is_not(None)]
    if start is not None:
        clauses.append(expr >= literal(start, Date))
    if end is not None:
        clauses.append(expr <= literal(end, Date))
    return and_(*clauses)


def compile_filter(collection: Collection, node: ast.Node, crs: FilterCrs | None = None):
    """Return the SQLAlchemy clause of a parsed filter on ``collection`` (400 naming the problem)."""
    try:
        return _Compiler(collection, crs or FilterCrs()).compile(node)
    except RecursionError:
        raise _bad("filter 嵌套过深") from None


