"""Validate feature attributes against a collection's declared fields.

Unknown names are refused (400) so nothing is silently dropped; wrong types,
missing required values and values outside a field's choices are refused
(422) with the field named, so the form can highlight it.
"""
from __future__ import annotations

import math
from datetime import date

from ...errors import BadParameter, Unprocessable
from .catalog import Collection, Field

MAX_TEXT = 4000


def _encodable(text: str) -> bool:
    """Tell whether ``text`` can be stored as UTF-8 (JSON may carry lone surrogates such as \\ud800)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _bad(field: Field, problem: str) -> Unprocessable:
    return Unprocessable(f"字段“{field.label}”{problem}",
                         code="invalid_property", details={"field": field.name})


def max_length(coll: Collection, field: Field) -> int:
    """Return the most characters a text field holds: its column's length (``varchar(n)``), else MAX_TEXT."""
    if coll.storage == "columns":
        column = coll.model.__table__.columns.get(field.name)
        length = getattr(getattr(column, "type", None), "length", None)
        if length:
            return min(length, MAX_TEXT)
    return MAX_TEXT


def _coerce(field: Field, value, coerce_dates: bool, limit: int = MAX_TEXT):
    if value is None or (value == "" and field.type != "string"):
        return None
    kind = field.type
    if kind == "string":
        if not isinstance(value, str):
            raise _bad(field, "必须是文本")
        if len(value) > limit:  # checked here, before PostgreSQL refuses it (a varchar(18) credit code, say)
            raise _bad(field, f"不能超过 {limit} 个字符")
        if "\x00" in value or not _encodable(value):
            raise _bad(field, "含有非法字符")
        return value.strip() if field.required else value
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**31 - 1:
            raise _bad(field, "必须是整数")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _bad(field, "必须是有限数字")
        if abs(value) > 1e15:
            raise _bad(field, "数值过大")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(field, "必须是“是/否”")
        return value
    if kind == "date":
        if isinstance(value, str):
            try:
                parsed = date.fromisoformat(value)
            except ValueError:
                raise _bad(field, "必须是日期 YYYY-MM-DD") from None
            return parsed
        raise _bad(field, "必须是日期 YYYY-MM-DD")
    if kind == "object":
        if not isinstance(value, dict):
            raise _bad(field, "必须是对象")
        return value
    return value


def check_properties(coll: Collection, props: dict, current: dict | None, partial: bool,
                     coerce_dates: bool = True) -> dict:
    """Return the validated, typed values of ``props`` that generic writes may set.

    ``current`` is the stored attributes (None on create): a read-only field
    sent back unchanged (as clients that echo the whole feature do) is
    ignored; a changed one is refused.
    """
    clean: dict = {}
    for name, value in props.items():
        field = coll.field(name)
        if field is None:
            raise BadParameter(f"未知字段 {str(name)[:60]!r}", code="unknown_property",
                               details={"field": str(name)[:60]})
        if not field.editable:
            if current is not None and name in current and current[name] != value:
                raise Unprocessable(f"字段“{field.label}”只读，不能在此修改",
                                    code="read_only_property", details={"field": name})
            continue
        typed = _coerce(field, value, coerce_dates, max_length(coll, field))
        if field.choices and typed is not None and typed not in field.choices:
            allowed = "、".join(f"{k}（{v[0]}）" for k, v in field.choices.items())
            raise _bad(field, f"取值无效，可选：{allowed}")
        clean[name] = typed
    if coll.storage == "jsonb":
        clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in clean.items()}
    if not partial:
        for field in coll.fields:
            if field.required and field.editable and clean.get(field.name) in (None, ""):
                raise _bad(field, "为必填项")
    else:
        for name, value in clean.items():
            if coll.field(name).required and value in (None, ""):
                raise _bad(coll.field(name), "为必填项")
    return clean
