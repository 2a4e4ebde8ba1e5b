"""Parse the query parameters of the notifications and planning APIs (400 naming an unknown or bad one)."""
from __future__ import annotations

from datetime import date

from .. import parsing
from ..errors import BadParameter
from .params import parse_limit, parse_offset

TRUE_WORDS = {"1", "true", "yes"}
FALSE_WORDS = {"0", "false", "no"}


def refuse_unknown(args, allowed: set[str]) -> None:
    """Answer 400 naming the first parameter the endpoint does not know."""
    for name in args:
        if name not in allowed and name != "lang":
            raise BadParameter(f"未知参数 {name[:40]!r}", code="unknown_parameter", details={"parameter": name[:40]})


def parse_bool(raw: str | None, name: str) -> bool | None:
    """Return a yes/no parameter (1/true/yes, 0/false/no) or None when absent."""
    if raw in (None, ""):
        return None
    if raw.lower() in TRUE_WORDS:
        return True
    if raw.lower() in FALSE_WORDS:
        return False
    raise BadParameter(f"参数 {name} 须为 true 或 false", code="bad_parameter", details={"parameter": name})


def parse_date(raw: str | None, name: str) -> date | None:
    """Return a ``YYYY-MM-DD`` parameter as a date, None when absent."""
    if raw in (None, ""):
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadParameter(f"参数 {name} 须为 YYYY-MM-DD 格式的日期", code="bad_date",
                           details={"parameter": name}) from None


def parse_year(raw: str | None, name: str = "year") -> int | None:
    """Return a four-digit year parameter, None when absent."""
    if raw in (None, ""):
        return None
    if len(raw) != 4:
        raise BadParameter(f"参数 {name} 须为四位年份", code="bad_year", details={"parameter": name})
    return parsing.integer(raw, name, minimum=1000, maximum=9999, code="bad_year")


def paging(args, default: int = 50, maximum: int = 200) -> tuple[int, int]:
    """Return (limit, offset)."""
    return parse_limit(args.get("limit"), default, maximum), parse_offset(args.get("offset"))
