"""What a planner-defined layer may look like: its name, geometry type, fields and style.

Pure checks on plain values; each problem raises :class:`LayerSpecProblem`
naming the offending field so the form can highlight it.  Style keys are the
ones the map, the legend and exported snapshots read: ``color``,
``fillColor``, ``weight``, ``opacity``, ``fillOpacity``, ``label_field``.
"""
from __future__ import annotations

import math
import re

from pypinyin import lazy_pinyin

LAYER_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
GEOMETRY_TYPES = ("Point", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
FIELD_TYPES = ("string", "integer", "number", "boolean", "date")
STYLE_KEYS = ("color", "fillColor", "weight", "opacity", "fillOpacity", "label_field")
DEFAULT_STYLE = {"color": "#3366cc", "fillColor": "#3366cc", "weight": 2, "opacity": 1.0,
                 "fillOpacity": 0.3, "label_field": None}
MAX_FIELDS = 50
MAX_CHOICES = 100
MAX_TITLE = 200
MAX_LABEL = 100
# Names the feature rows or the API already use; a field with one would be ambiguous.
RESERVED_FIELD_NAMES = {"id", "geom", "geometry", "version", "properties", "type", "bbox"}


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def ascii_identifier(text: str) -> str:
    """Return a field-name candidate for a column title: Chinese spelt in pinyin syllables (``企业名称`` →
    ``qi_ye_ming_cheng``), Latin letters lower-cased, anything else a separator; "" when nothing is left.
    The title itself stays the field's label."""
    text = (text or "").strip()
    if HAN.search(text):
        text = "_".join(lazy_pinyin(text))
    slug = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    if slug and not slug[0].isalpha():
        slug = f"f_{slug}"
    return slug[:60].rstrip("_")


class LayerSpecProblem(ValueError):
    """A layer definition or style that cannot be accepted, and which field is wrong."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def check_text(value: object, field: str, label: str, limit: int, required: bool) -> str | None:
    """Return stripped text (or None when empty and optional), refusing non-text and over-long values."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise LayerSpecProblem(field, f"{label}为必填项")
        return None
    if not isinstance(value, str):
        raise LayerSpecProblem(field, f"{label}必须是文本")
    value = value.strip()
    if len(value) > limit or "\x00" in value:
        raise LayerSpecProblem(field, f"{label}过长或含非法字符")
    return value


def check_name(name: object, taken: set[str]) -> str:
    """Return a valid, unused layer name (the OGC collection id)."""
    if not isinstance(name, str) or not LAYER_NAME.fullmatch(name):
        raise LayerSpecProblem("name", "图层名须为 2–63 位小写字母、数字或下划线，以字母开头")
    if name in taken:
        raise LayerSpecProblem("name", f"图层名 {name} 已被使用")
    return name


def check_field(spec: object, index: int) -> dict:
    """Return one field definition, cleaned: name, type, label, label_en, required, choices."""
    where = f"fields[{index}]"
    if not isinstance(spec, dict):
        raise LayerSpecProblem(where, f"第 {index + 1} 个字段格式错误")
    name = spec.get("name")
    if not isinstance(name, str) or not FIELD_NAME.fullmatch(name) or name in RESERVED_FIELD_NAMES:
        raise LayerSpecProblem(f"{where}.name",
                               f"第 {index + 1} 个字段名无效"
                               "（小写字母、数字、下划线，以字母开头，且不能是 id/geometry 等保留名）")
    kind = spec.get("type", "string")
    if kind not in FIELD_TYPES:
        raise LayerSpecProblem(f"{where}.type", f"字段 {name} 的类型须为 {'/'.join(FIELD_TYPES)}")
    clean = {"name": name, "type": kind,
             "label": check_text(spec.get("label"), f"{where}.label", "字段标题", MAX_LABEL, False) or name,
             "label_en": check_text(spec.get("label_en"), f"{where}.label_en", "英文标题", MAX_LABEL, False),
             "required": bool(spec.get("required"))}
    choices = spec.get("choices")
    if choices:
        if kind != "string" or not isinstance(choices, list) or len(choices) > MAX_CHOICES:
            raise LayerSpecProblem(f"{where}.choices",
                                   f"字段 {name} 的可选值须为文本列表（仅文本字段，最多 {MAX_CHOICES} 个）")
        values = [check_text(c, f"{where}.choices", "可选值", MAX_LABEL, True) for c in choices]
        if len(set(values)) != len(values):
            raise LayerSpecProblem(f"{where}.choices", f"字段 {name} 的可选值有重复")
        clean["choices"] = values
    return clean


def check_fields(fields: object) -> list[dict]:
    """Return the cleaned field list of a new layer (unique names, at most MAX_FIELDS)."""
    if fields is None:
        return []
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise LayerSpecProblem("fields", f"字段须为列表，最多 {MAX_FIELDS} 个")
    clean = [check_field(spec, i) for i, spec in enumerate(fields)]
    names = [f["name"] for f in clean]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise LayerSpecProblem(f"fields[{i}].name", f"字段名 {name} 重复")
    return clean


def check_geometry_type(value: object) -> str:
    """Return a geometry type a layer may hold."""
    if value not in GEOMETRY_TYPES:
        raise LayerSpecProblem("geometry_type", f"几何类型须为 {'/'.join(GEOMETRY_TYPES)}")
    return value


def _number(value: object, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise LayerSpecProblem(f"style.{key}", f"样式 {key} 须为 {low}–{high} 之间的数字")
    return float(value)


def check_style(style: object, field_names: list[str], base: dict | None = None) -> dict:
    """Return ``base`` (or the default style) updated with the valid keys of ``style``."""
    if not isinstance(style, dict):
        raise LayerSpecProblem("style", "样式须为对象")
    unknown = sorted(set(style) - set(STYLE_KEYS))
    if unknown:
        raise LayerSpecProblem(f"style.{unknown[0]}", f"未知样式项 {unknown[0][:40]}")
    clean = dict(DEFAULT_STYLE)
    clean.update(base or {})
    for key in ("color", "fillColor"):
        if key in style:
            if not isinstance(style[key], str) or not COLOUR.fullmatch(style[key]):
                raise LayerSpecProblem(f"style.{key}", "颜色须为 #RRGGBB")
            clean[key] = style[key].lower()
    if "weight" in style:
        clean["weight"] = _number(style["weight"], "weight", 0, 20)
    for key in ("opacity", "fillOpacity"):
        if key in style:
            clean[key] = _number(style[key], key, 0, 1)
    if "label_field" in style:
        label = style["label_field"] or None
        if label is not None and label not in field_names:
            raise LayerSpecProblem("style.label_field", "标注字段须是该图层的字段")
        clean["label_field"] = label
    return clean


def check_order(names: object, known: set[str]) -> list[str]:
    """Return a display order: every name once, each a known layer."""
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise LayerSpecProblem("order", "顺序须为图层名列表")
    if len(set(names)) != len(names):
        raise LayerSpecProblem("order", "顺序中有重复的图层")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LayerSpecProblem("order", f"未知图层 {unknown[0][:63]}")
    return names
