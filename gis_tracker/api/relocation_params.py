"""Parse relocation requests (transition bodies, table filters, as-of dates) into parameter objects."""
from __future__ import annotations

from datetime import date

from .. import parsing
from ..errors import BadParameter, Unprocessable
from ..rules.stages import PATH_LABELS, STAGE_CODES
from ..services.relocation.status import SORT_KEYS, EnterpriseFilter
from ..services.relocation.transitions import TransitionInput
from .params import parse_limit

TRUE_WORDS = ("1", "true", "on", "yes")
MAX_TEXT = 2000


def parse_as_of(raw: str | None) -> date | None:
    """Return ``as_of=YYYY-MM-DD`` as a date, None when absent (400 naming the parameter when malformed)."""
    if not raw:
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadParameter("参数 as_of 须为 YYYY-MM-DD 格式的日期",
                           code="bad_as_of", details={"parameter": "as_of"}) from None


def _text(body: dict, name: str, limit: int = MAX_TEXT) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unprocessable(f"{name} 须为文本", code="bad_field", details={"field": name})
    if len(value) > limit:
        raise Unprocessable(f"{name} 过长（最多 {limit} 字）", code="too_long",
                            details={"field": name})
    return value


def parse_transition(body: object, source: str) -> TransitionInput:
    """Build a :class:`TransitionInput` from a JSON object or form fields (422 naming the bad field)."""
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_body")
    to_stage = _text(body, "to_stage", 40).strip()
    if not to_stage:
        raise Unprocessable("请选择目标阶段（to_stage）", code="missing_field",
                            details={"field": "to_stage"})
    raw_date = _text(body, "date", 40).strip()
    try:
        on = date.fromisoformat(raw_date)
    except ValueError:
        raise Unprocessable("日期须为 YYYY-MM-DD", code="bad_date",
                            details={"field": "date"}) from None
    override = body.get("override")
    override = override is True or (isinstance(override, str) and override.lower() in TRUE_WORDS)
    destination = body.get("destination")
    return TransitionInput(to_stage=to_stage, on=on, note=_text(body, "note"), reason=_text(body, "reason"),
                           override=override, destination=_text(body, "destination", 200) if destination else None,
                           source=source)


MAX_PAGE = 1_000_000
BOOLEAN_WORDS = {"1": True, "true": True, "0": False, "false": False, "": None}


def _choice(args, name: str, allowed, default: str = "") -> str:
    value = args.get(name, default)
    if value and value not in allowed:
        raise BadParameter(f"参数 {name} 的值 {value[:40]!r} 无效", code="bad_parameter",
                           details={"parameter": name})
    return value


def _filter_text(args, name: str, limit: int) -> str:
    value = args.get(name, "")
    if len(value) > limit or "\x00" in value:
        raise BadParameter(f"参数 {name} 过长（最多 {limit} 字）", code="bad_parameter",
                           details={"parameter": name})
    return value


FILTER_PARAMETERS = {"as_of", "zone", "industry", "path", "stage", "overdue", "q", "sort", "desc", "page", "per_page",
                     "lang"}


def parse_filter(args, per_page_default: int = 50, extra: tuple[str, ...] = ()) -> EnterpriseFilter:
    """Build an :class:`EnterpriseFilter` from query arguments (unknown parameters, codes and numbers are refused).

    ``extra`` names the parameters the caller reads itself (e.g. the export's ``format``).
    """
    unknown = [name for name in args if name not in FILTER_PARAMETERS and name not in extra]
    if unknown:
        raise BadParameter(f"未知参数 {unknown[0][:40]!r}", code="unknown_parameter",
                           details={"parameter": unknown[0][:40]})
    stage = _choice(args, "stage", STAGE_CODES)
    path = _choice(args, "path", PATH_LABELS)
    overdue = BOOLEAN_WORDS[_choice(args, "overdue", BOOLEAN_WORDS)]
    return EnterpriseFilter(
        as_of=parse_as_of(args.get("as_of")), zone=_filter_text(args, "zone", 40),
        industry=_filter_text(args, "industry", 40), path=path, stage=stage, overdue=overdue,
        q=_filter_text(args, "q", 100), sort=_choice(args, "sort", SORT_KEYS) or "name",
        desc=_choice(args, "desc", (*TRUE_WORDS, "0", "false", "off", "no")) in TRUE_WORDS,
        page=parsing.integer(args.get("page"), "page", minimum=1, maximum=MAX_PAGE, default=1),
        per_page=parse_limit(args.get("per_page"), per_page_default, 500, name="per_page"))
