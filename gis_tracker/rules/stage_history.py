"""Reconstruct an enterprise's relocation stage on a past date from its recorded stage dates."""
from __future__ import annotations

from datetime import date

from .stages import STAGE_CODES


def _parse(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def stage_as_of(stage_dates: dict | None, as_of: date) -> str:
    """Return the furthest stage reached on or before ``as_of`` (``not_started`` if none).

    ``stage_dates`` maps stage codes to the ISO date each was reached.  Dates
    that do not parse are ignored: an undated stage cannot be placed in time,
    so it does not count as reached.
    """
    best = -1
    for code, value in (stage_dates or {}).items():
        if code not in STAGE_CODES:
            continue
        reached = _parse(value)
        if reached is not None and reached <= as_of:
            best = max(best, STAGE_CODES.index(code))
    if best < 0:
        return "not_started"
    return STAGE_CODES[best]
