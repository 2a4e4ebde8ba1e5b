"""The numbers leaders ask for: stage × sub-area counts, milestone progress, who is late, the burn-up over time."""
from __future__ import annotations

import logging
from calendar import monthrange
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...i18n import pick
from ...models import StageTransition
from ...rules import relocation as rules
from ...rules.stages import PATH_LABELS, STAGE_CODES, STAGE_COLOURS, STAGE_LABELS, STAGE_LABELS_EN, stage_index
from .status import EnterpriseStatus, check_as_of, histories, reached, stage_counts, statuses

LOGGER = logging.getLogger(__name__)


def _matrix(rows: list[EnterpriseStatus]) -> dict:
    zones = sorted({(s.zone_code or "", s.zone_name or "—") for s in rows})
    counts = {code: {z: 0 for z, _ in zones} for code in STAGE_CODES}
    for s in rows:
        counts[s.stage][s.zone_code or ""] += 1
    return {
        "zones": [{"code": z, "name": n} for z, n in zones],
        "rows": [{"stage": code, "label": pick(STAGE_LABELS[code], STAGE_LABELS_EN[code]),
                  "colour": STAGE_COLOURS[code], "counts": [counts[code][z] for z, _ in zones],
                  "total": sum(counts[code].values())} for code in STAGE_CODES],
        "zone_totals": [sum(counts[c][z] for c in STAGE_CODES) for z, _ in zones],
        "total": len(rows),
    }


def milestones(session: Session, day: date) -> list[dict]:
    """Return every milestone's progress as of ``day`` (the dashboard's table; the meeting pack uses it too)."""
    return _milestones(session, statuses(session, day), day)


def _milestones(session: Session, rows: list[EnterpriseStatus], day: date) -> list[dict]:
    total = len(rows) or 1
    result = []
    for m in rules.MILESTONES:
        now = sum(1 for s in rows if reached(s.stage, m.stage))
        due = m.deadline <= day
        at_deadline = None
        if due:
            at_deadline = sum(1 for s in statuses(session, m.deadline) if reached(s.stage, m.stage))
        result.append({
            "key": m.key, "label": pick(m.label, m.label_en), "deadline": m.deadline.isoformat(),
            "step": pick(m.step, m.step_en), "measure": pick(m.measure, m.measure_en),
            "stage": m.stage, "stage_label": pick(STAGE_LABELS[m.stage], STAGE_LABELS_EN[m.stage]),
            "due": due, "reached_now": now, "reached_at_deadline": at_deadline, "total": len(rows),
            "percent_now": round(100 * now / total, 1),
            "percent_at_deadline": None if at_deadline is None else round(100 * at_deadline / total, 1),
        })
    return result


def _months(first: date, last: date) -> list[str]:
    months, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def monthly(session: Session, day: date) -> dict:
    """Return how many enterprises reached each stage in each month up to ``day`` (goings back excluded)."""
    month = func.to_char(StageTransition.on_date, "YYYY-MM")
    found = session.execute(
        select(month, StageTransition.to_stage, func.count())
        .where(StageTransition.on_date <= day, StageTransition.direction != rules.BACK)
        .group_by(month, StageTransition.to_stage)).all()
    first = min((date.fromisoformat(m + "-01") for m, _, _ in found), default=day)
    labels = _months(first, day)
    index = {m: i for i, m in enumerate(labels)}
    series = {code: [0] * len(labels) for code in STAGE_CODES[1:]}
    for m, code, n in found:
        if code in series and m in index:
            series[code][index[m]] = n
    return {"labels": labels, "datasets": [
        {"stage": code, "label": pick(STAGE_LABELS[code], STAGE_LABELS_EN[code]), "colour": STAGE_COLOURS[code],
         "data": data} for code, data in series.items()]}


def _month_ends(first: date, last: date) -> list[date]:
    """Every month's last day from ``first``'s month up to ``last`` (the last one cut to ``last`` itself)."""
    ends, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        ends.append(min(date(y, m, monthrange(y, m)[1]), last))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return ends


def _timeline(events: list[tuple[str, date]]) -> list[tuple[date, int]]:
    """An enterprise's ``(date, stage index)`` after each of its events, in order (going back included)."""
    stage, dates, line = "not_started", {}, []
    for to_stage, on in events:
        stage, dates = rules.apply(stage, dates, to_stage, on)
        line.append((on, stage_index(stage)))
    return line


def burnup(session: Session, rows: list[EnterpriseStatus], day: date, plan: list[dict] | None = None) -> dict:
    """For each stage, how many enterprises were at or past it at the end of every month up to ``day``.

    Replayed from the stage history (``stage_transitions``; enterprises without one from their stage dates),
    so an enterprise sent back drops out of the later stages again. The last point is ``day`` itself and is
    the picture of :func:`statuses` for that day, the same numbers as the stage table and the milestones.
    ``plan`` are the milestones (:func:`milestones`) drawn on the chart.
    """
    live = {s.id: s for s in rows}
    found = histories(session)  # whole histories: one that starts after ``day`` still means "not started then"
    lines = {}
    for eid, s in live.items():
        events = found.get(eid)
        if events is None:
            events = rules.events_from_stage_dates(s.stage, s.stage_dates)
        lines[eid] = _timeline([(st, on) for st, on in events if on <= day])
    first = min((line[0][0] for line in lines.values() if line), default=day)
    first = date(first.year, first.month, 1)
    points = [first] + [d for d in _month_ends(first, day) if d > first]
    codes = STAGE_CODES[1:]
    series = {code: [] for code in codes}
    walk = [[line, 0, 0] for line in lines.values()]  # each timeline, its next event, its stage index so far
    for t in points[:-1]:
        for w in walk:
            line = w[0]
            while w[1] < len(line) and line[w[1]][0] <= t:
                w[2] = line[w[1]][1]
                w[1] += 1
        at = [w[2] for w in walk]
        for code in codes:
            k = stage_index(code)
            series[code].append(sum(1 for i in at if i >= k))
    for code in codes:  # the day itself: the database's picture, as the tables above show it
        series[code].append(sum(1 for s in rows if reached(s.stage, code)))
    return {
        "as_of": day.isoformat(), "total": len(rows), "dates": [d.isoformat() for d in points],
        "series": [{"stage": code, "label": pick(STAGE_LABELS[code], STAGE_LABELS_EN[code]),
                    "colour": STAGE_COLOURS[code], "data": series[code]} for code in codes],
        "milestones": [{"key": m["key"], "label": m["label"], "deadline": m["deadline"], "stage": m["stage"],
                        "stage_label": m["stage_label"], "reached_at_deadline": m["reached_at_deadline"]}
                       for m in plan or []],
    }


def overdue_list(rows: list[EnterpriseStatus], day: date) -> list[dict]:
    """Return the late enterprises, the longest overdue first."""
    late = sorted((s for s in rows if s.overdue), key=lambda s: (s.overdue[0][1], s.name))
    return [{"id": s.id, "name": s.name, "zone_name": s.zone_name, "path": s.path,
             "path_label": PATH_LABELS.get(s.path, s.path), "stage": s.stage,
             "stage_label": pick(STAGE_LABELS[s.stage], STAGE_LABELS_EN[s.stage]),
             "late": [{"stage": c, "label": pick(STAGE_LABELS[c], STAGE_LABELS_EN[c]), "planned": d.isoformat(),
                       "days": (day - d).days} for c, d in s.overdue]} for s in late]


def dashboard(session: Session, as_of: date | None = None) -> dict:
    """Return every dashboard number for ``as_of`` (today by default)."""
    day = check_as_of(as_of)
    rows = statuses(session, day)
    plan = _milestones(session, rows, day)
    return {
        "as_of": day.isoformat(), "total": len(rows),
        "stage_counts": stage_counts(rows),
        "matrix": _matrix(rows),
        "milestones": plan,
        "overdue": overdue_list(rows, day),
        "monthly": monthly(session, day),
        "burnup": burnup(session, rows, day, plan),
    }


def map_features(session: Session, as_of: date | None = None) -> dict:
    """Return the enterprises as GeoJSON points with their stage (and colour) as of a date."""
    day = check_as_of(as_of)
    feats = []
    for s in statuses(session, day):
        feats.append({"type": "Feature", "id": s.id,
                      "geometry": {"type": "Point", "coordinates": [round(s.lon, 7), round(s.lat, 7)]},
                      "properties": {"name": s.name, "stage": s.stage,
                                     "stage_label": pick(STAGE_LABELS[s.stage], STAGE_LABELS_EN[s.stage]),
                                     "colour": STAGE_COLOURS[s.stage], "path": s.path,
                                     "zone_name": s.zone_name, "overdue": bool(s.overdue),
                                     "stage_date": s.stage_date}})
    return {"type": "FeatureCollection", "as_of": day.isoformat(), "features": feats}
