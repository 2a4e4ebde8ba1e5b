"""One strict parser for every integer, number and identifier that comes from a request.

Python's own conversions are generous in ways a web server must not be:
``int("١")`` is 1 (an Arabic-Indic digit), ``"²".isdigit()`` is true,
``float("１e3")`` is 1000.0 (full-width digits), ``int("9" * 5000)`` costs
CPU, an offset of 2**63 overflows PostgreSQL's bigint, and ``re.match`` with
``$`` accepts a name ending in a newline.  Everything here accepts ASCII only,
checks the range before anything else sees the value, and refuses with 400
naming the parameter (``{"code": "bad_parameter", "parameter": name}``).

* :func:`integer` — ASCII digits (an optional minus only where negatives are
  allowed), at most 19 of them, within ``[minimum, maximum]`` (default
  0 … 2**63 − 1, PostgreSQL's bigint).
* :func:`number` — an ASCII decimal (``-12.5``, ``1e3``), finite, in range.
* :func:`identifier` — a name matched with ``fullmatch`` (never ``match``/``$``).
* :func:`text` — a free-text value (a search), stripped, of bounded length, no control characters.
* :func:`known_only` — refuse the first query parameter an endpoint does not know (400 naming it).
* :func:`path_id` — a feature id from a URL: None (→ 404) unless ASCII digits
  within PostgreSQL's integer.
* :class:`StrictIntConverter` replaces Werkzeug's ``<int:…>`` route converter
  (whose ``\\d+`` matches any Unicode digit): ASCII digits within bigint, else
  the route does not match (404).
"""
from __future__ import annotations

import math
import re

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter, ValidationError

from .errors import BadParameter

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
_INTEGER = re.compile(r"-?[0-9]{1,19}", re.ASCII)
_NUMBER = re.compile(r"[-+]?(?:[0-9]{1,20}(?:\.[0-9]{0,20})?|\.[0-9]{1,20})(?:[eE][-+]?[0-9]{1,3})?", re.ASCII)
_REQUIRED = object()


def _bad(name: str, message: str, code: str = "bad_parameter") -> BadParameter:
    return BadParameter(message, code=code, details={"parameter": name[:60]})


def integer(raw: object, name: str, *, minimum: int = 0, maximum: int = INT64_MAX, default=_REQUIRED,
            code: str = "bad_parameter") -> int:
    """Return ``raw`` as an int in ``[minimum, maximum]``; ``default`` when absent or empty (else 400)."""
    if raw is None or raw == "":
        if default is _REQUIRED:
            raise _bad(name, f"缺少参数 {name}", code)
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise _bad(name, f"参数 {name} 须为 {minimum}–{maximum} 之间的整数", code)
    if isinstance(raw, str):
        if not _INTEGER.fullmatch(raw) or (raw.startswith("-") and minimum >= 0):
            raise _bad(name, f"参数 {name} 须为 {minimum}–{maximum} 之间的整数", code)
        value = int(raw)
    else:
        value = raw
    if not minimum <= value <= maximum:
        raise _bad(name, f"参数 {name} 须为 {minimum}–{maximum} 之间的整数", code)
    return value


def number(raw: object, name: str, *, minimum: float = -math.inf, maximum: float = math.inf,
           default=_REQUIRED, code: str = "bad_parameter") -> float:
    """Return ``raw`` as a finite float in ``[minimum, maximum]`` (ASCII decimal text or a JSON number)."""
    if raw is None or raw == "":
        if default is _REQUIRED:
            raise _bad(name, f"缺少参数 {name}", code)
        return default
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise _bad(name, f"参数 {name} 须为数字", code)
    if isinstance(raw, str) and not _NUMBER.fullmatch(raw):
        raise _bad(name, f"参数 {name} 须为数字", code)
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise _bad(name, f"参数 {name} 须为数字", code) from None
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise _bad(name, f"参数 {name} 超出范围", code)
    return value


def identifier(raw: object, name: str, pattern: re.Pattern, message: str | None = None,
               code: str = "bad_parameter") -> str:
    """Return ``raw`` when the whole of it matches ``pattern`` (no trailing newline slips through)."""
    if not isinstance(raw, str) or not pattern.fullmatch(raw):
        raise _bad(name, message or f"参数 {name} 无效", code)
    return raw


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def text(raw: object, name: str, *, minimum: int = 1, maximum: int = 100, default=_REQUIRED,
         code: str = "bad_parameter") -> str:
    """Return ``raw`` stripped, ``minimum``–``maximum`` characters long, without control characters (else 400)."""
    if raw is None:
        if default is _REQUIRED:
            raise _bad(name, f"缺少参数 {name}", code)
        return default
    if not isinstance(raw, str):
        raise _bad(name, f"参数 {name} 须为 {minimum}–{maximum} 个字符", code)
    value = raw.strip()
    if not minimum <= len(value) <= maximum:
        raise _bad(name, f"参数 {name} 须为 {minimum}–{maximum} 个字符", code)
    if _CONTROL.search(value):
        raise _bad(name, f"参数 {name} 含有控制字符", code)
    return value


def known_only(args, allowed: set[str] | frozenset[str]) -> None:
    """Refuse (400 ``unknown_parameter`` naming it) the first parameter in ``args`` not in ``allowed``."""
    for name in args:
        if name not in allowed:
            raise BadParameter(f"未知参数 {name[:40]!r}", code="unknown_parameter", details={"parameter": name[:40]})


def path_id(raw: str, maximum: int = INT32_MAX) -> int | None:
    """Return an id from a URL segment as int, or None when it cannot be one (the caller answers 404)."""
    if not isinstance(raw, str) or not _INTEGER.fullmatch(raw) or raw.startswith("-"):
        return None
    value = int(raw)
    return value if 0 < value <= maximum else None


class StrictIntConverter(IntegerConverter):
    """``<int:…>`` in routes: ASCII digits only, within PostgreSQL's bigint (otherwise no match: 404)."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        """Convert, refusing anything beyond bigint (Werkzeug's converter takes any size and any digit)."""
        number_value = super().to_python(value)
        if number_value > INT64_MAX:
            raise ValidationError()
        return number_value


class JSONProvider(DefaultJSONProvider):
    """The app's JSON: Chinese kept readable; a body nested too deeply is malformed JSON (400), not a crash."""

    ensure_ascii = False

    def loads(self, s, **kwargs):
        """Parse JSON; ``request.get_json()`` then answers 400 for ``[[[[…`` instead of a RecursionError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def refuse_nul() -> None:
    """Refuse NUL in any path segment, query parameter or form field (400 naming it).

    PostgreSQL can neither store nor compare text holding NUL (psycopg2 refuses
    to send it), so such a value can never be a valid name, filter or field.
    """
    from flask import request

    sources = [(request.view_args or {}).items(), request.args.items(multi=True)]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        sources.append(request.form.items(multi=True))
    for items in sources:
        for name, value in items:
            if "\x00" in str(name) or (isinstance(value, str) and "\x00" in value):
                raise _bad(str(name).replace("\x00", ""), f"参数 {str(name).replace(chr(0), '')} 含有非法字符（NUL）")


def init_app(app) -> None:
    """Install the strict ``int`` route converter (before any blueprint is registered) and the JSON provider."""
    app.url_map.converters["int"] = StrictIntConverter
    app.json = JSONProvider(app)
    app.before_request(refuse_nul)
