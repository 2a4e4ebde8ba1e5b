"""Then vs now: what changed between two dates A and B.

* Relocation: every enterprise's stage on A and on B (replayed from the transition history), the ones
  whose stage changed and by how many stages (negative: went back), counts per sub-area, and a map
  coloured by the change.
* Projects: new (existing on B, not on A), removed (deleted in between), changed (saved in between; the
  fields that differ between the versions of A and B), and completed in between (竣工日期).
* Flags: new (active on B, not on A), cleared, changed (status or measurement), replayed from the flag
  history.
* Restoration: the counts by status on A and on B.
* Indicators: each register indicator's latest figure up to A's year and up to B's year.

A day means the end of that day (server time): "on 2020-06-30" includes everything saved that day.
"""
from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...errors import BadParameter
from ...i18n import pick
from ...models import FeatureVersion, Project, Zone
from ...models.encroachment import EncroachmentFlag, EncroachmentFlagEvent, EncroachmentRule
from ...rules import planning as planning_rules
from ...rules.stages import STAGE_CODES, STAGE_COLOURS, STAGE_LABELS, STAGE_LABELS_EN, stage_index
from ..relocation import status
from . import register, restoration

LOGGER = logging.getLogger(__name__)
EARLIEST = date(2000, 1, 1)
CHANGE_COLOURS = {-1: "#c00000", 0: "#bdbdbd", 1: "#c7e9c0", 2: "#74c476", 3: "#31a354", 4: "#006d2c"}
IGNORED_FIELDS = {"version", "updated_at", "updated_by", "created_at", "created_by"}


def change_colour(steps: int) -> str:
    """Return the map colour of a change of ``steps`` stages (red back, grey none, greens forward)."""
    return CHANGE_COLOURS[max(-1, min(4, steps))]


def check_range(start: date | None, end: date | None) -> tuple[date, date]:
    """Return (A, B) or raise 400 naming the parameter: both given, A before B, neither in the future."""
    today = date.today()
    if start is None:
        raise BadParameter("缺少参数 from（YYYY-MM-DD）", code="missing_parameter", details={"parameter": "from"})
    if end is None:
        raise BadParameter("缺少参数 to（YYYY-MM-DD）", code="missing_parameter", details={"parameter": "to"})
    for name, day in (("from", start), ("to", end)):
        if day > today:
            raise BadParameter(f"参数 {name} 不能晚于今天", code="bad_date", details={"parameter": name})
        if day < EARLIEST:
            raise BadParameter(f"参数 {name} 不能早于 {EARLIEST}", code="bad_date", details={"parameter": name})
    if start >= end:
        raise BadParameter("from 须早于 to", code="bad_range", details={"parameter": "from"})
    return start, end


def end_of(day: date) -> datetime:
    """Return the first moment after ``day`` (server time zone), the exclusive bound of "on that day"."""
    return datetime.combine(day + timedelta(days=1), time.min).astimezone()


# ---------------------------------------------------------------- relocation

def _relocation(session: Session, start: date, end: date) -> dict:
    before = {s.id: s for s in status.statuses(session, start)}
    after = status.statuses(session, end)
    zones = {z.code: z.name for z in session.scalars(select(Zone).where(Zone.deleted_at.is_(None)))}
    changed, features, by_zone = [], [], {}
    stage_from = {c: 0 for c in STAGE_CODES}
    stage_to = {c: 0 for c in STAGE_CODES}
    for s in after:
        old = before.get(s.id)
        from_stage = old.stage if old else "not_started"
        steps = stage_index(s.stage) - stage_index(from_stage)
        stage_from[from_stage] += 1
        stage_to[s.stage] += 1
        item = {"id": s.id, "name": s.name, "zone_code": s.zone_code, "zone_name": s.zone_name,
                "from_stage": from_stage, "to_stage": s.stage,
                "from_label": pick(STAGE_LABELS[from_stage], STAGE_LABELS_EN[from_stage]),
                "to_label": pick(STAGE_LABELS[s.stage], STAGE_LABELS_EN[s.stage]), "steps": steps}
        if steps:
            changed.append(item)
        features.append({"type": "Feature", "id": s.id,
                         "geometry": {"type": "Point", "coordinates": [round(s.lon, 7), round(s.lat, 7)]},
                         "properties": {**item, "colour": change_colour(steps),
                                        "from_colour": STAGE_COLOURS[from_stage],
                                        "to_colour": STAGE_COLOURS[s.stage]}})
        z = by_zone.setdefault(s.zone_code or "", {
            "zone_code": s.zone_code, "zone_name": s.zone_name or zones.get(s.zone_code or "", "—"), "total": 0,
            "changed": 0, "advanced": 0, "went_back": 0, "steps": 0, "accepted_from": 0, "accepted_to": 0})
        z["total"] += 1
        z["changed"] += bool(steps)
        z["advanced"] += steps > 0
        z["went_back"] += steps < 0
        z["steps"] += steps
        z["accepted_from"] += from_stage == "accepted"
        z["accepted_to"] += s.stage == "accepted"
    changed.sort(key=lambda i: (-abs(i["steps"]), i["zone_code"] or "", i["name"]))
    counts = {"total": len(after), "changed": len(changed), "advanced": sum(1 for c in changed if c["steps"] > 0),
              "went_back": sum(1 for c in changed if c["steps"] < 0), "stage_from": stage_from, "stage_to": stage_to}
    legend = [{"steps": k, "colour": v, "label": _step_label(k)} for k, v in CHANGE_COLOURS.items()]
    zones_sorted = sorted(by_zone.values(), key=lambda z: z["zone_code"] or "")
    return {"changed": changed, "counts": counts, "by_zone": zones_sorted,
            "map": {"type": "FeatureCollection", "features": features, "legend": legend}}


def _step_label(steps: int) -> str:
    if steps < 0:
        return pick("退回", "went back")
    if steps == 0:
        return pick("无变化", "no change")
    if steps >= 4:
        return pick("前进 4 个阶段及以上", "4 or more stages forward")
    return pick(f"前进 {steps} 个阶段", f"{steps} stage(s) forward")


# ---------------------------------------------------------------- projects

def _latest_versions(session: Session, bound: datetime) -> dict[int, dict]:
    latest = (select(FeatureVersion.feature_id, func.max(FeatureVersion.version).label("v"))
              .where(FeatureVersion.collection == "projects", FeatureVersion.at < bound)
              .group_by(FeatureVersion.feature_id).subquery())
    rows = session.execute(select(FeatureVersion.feature_id, FeatureVersion.properties).join(
        latest, (latest.c.feature_id == FeatureVersion.feature_id) & (latest.c.v == FeatureVersion.version))
        .where(FeatureVersion.collection == "projects")).all()
    return {fid: props for fid, props in rows}


def _projects(session: Session, start: date, end: date) -> dict:
    a, b = end_of(start), end_of(end)
    rows = session.execute(select(Project.id, Project.name, Project.project_type, Project.created_at,
                                  Project.deleted_at, Project.completion_date, Zone.name)
                           .outerjoin(Zone, Zone.id == Project.zone_id).order_by(Project.id)).all()

    def exists(created, deleted, bound):
        return created < bound and (deleted is None or deleted >= bound)

    saved = set(session.scalars(select(FeatureVersion.feature_id).where(
        FeatureVersion.collection == "projects", FeatureVersion.at >= a, FeatureVersion.at < b,
        FeatureVersion.action.in_(("update", "split", "restore")))).all())
    at_a, at_b = _latest_versions(session, a), _latest_versions(session, b)
    new, removed, changed, completed = [], [], [], []
    for pid, name, kind, created, deleted, completion, zone_name in rows:
        item = {"id": pid, "name": name, "project_type": kind, "zone_name": zone_name, "link": f"/flags/projects/{pid}"}
        then, now = exists(created, deleted, a), exists(created, deleted, b)
        if now and not then:
            new.append(item)
        elif then and not now:
            removed.append(item)
        elif then and now and pid in saved:
            old, cur = at_a.get(pid), at_b.get(pid)
            fields = None
            if old is not None and cur is not None:
                fields = sorted(k for k in set(old) | set(cur) if k not in IGNORED_FIELDS and old.get(k) != cur.get(k))
            changed.append({**item, "fields": fields})
        if now and completion is not None and start < completion <= end:
            completed.append({**item, "completion_date": completion.isoformat()})
    return {"new": new, "removed": removed, "changed": changed, "completed": completed,
            "counts": {"new": len(new), "removed": len(removed), "changed": len(changed),
                       "completed": len(completed)}}


# ---------------------------------------------------------------- flags

def _flag_states(events: list[EncroachmentFlagEvent], bound: datetime) -> tuple[bool, str | None, int]:
    """Return (active, status, number of measurement changes) of a flag from its events before ``bound``."""
    active, state, moves = False, None, 0
    for e in events:
        if e.at >= bound:
            break
        if e.action in ("raised", "changed"):
            active = True
            moves += e.action == "changed"
        elif e.action == "cleared":
            active = False
        if e.to_status:
            state = e.to_status
    return active, state, moves


def _flags(session: Session, start: date, end: date) -> dict:
    a, b = end_of(start), end_of(end)
    events: dict[int, list] = {}
    for e in session.scalars(select(EncroachmentFlagEvent).where(EncroachmentFlagEvent.at < b)
                             .order_by(EncroachmentFlagEvent.flag_id, EncroachmentFlagEvent.at,
                                       EncroachmentFlagEvent.id)):
        events.setdefault(e.flag_id, []).append(e)
    if not events:
        return {"new": [], "cleared": [], "changed": [], "counts": {"new": 0, "cleared": 0, "changed": 0}}
    info = {r.id: r for r in session.execute(
        select(EncroachmentFlag.id, EncroachmentFlag.project_id, EncroachmentFlag.severity,
               Project.name.label("project"), EncroachmentRule.name.label("rule_name"))
        .join(Project, Project.id == EncroachmentFlag.project_id)
        .join(EncroachmentRule, EncroachmentRule.id == EncroachmentFlag.rule_id)
        .where(EncroachmentFlag.id.in_(list(events))))}
    new, cleared, changed = [], [], []
    for fid, found in events.items():
        if fid not in info:
            continue
        then, now = _flag_states(found, a), _flag_states(found, b)
        row = info[fid]
        item = {"id": fid, "project_id": row.project_id, "project": row.project, "rule_name": row.rule_name,
                "severity": row.severity, "status_from": then[1] if then[0] else None,
                "status_to": now[1] if now[0] else None, "link": f"/flags/projects/{row.project_id}"}
        if now[0] and not then[0]:
            new.append(item)
        elif then[0] and not now[0]:
            cleared.append(item)
        elif then[0] and now[0] and (then[1] != now[1] or now[2] > then[2]):
            changed.append(item)
    rank = {"violation": 0, "review": 1, "warning": 2}
    for group in (new, cleared, changed):
        group.sort(key=lambda i: (rank.get(i["severity"], 9), i["project"], i["id"]))
    return {"new": new, "cleared": cleared, "changed": changed,
            "counts": {"new": len(new), "cleared": len(cleared), "changed": len(changed)}}


# ---------------------------------------------------------------- restoration and indicators

def _restoration(session: Session, start: date, end: date) -> dict:
    def counts(day: date) -> dict:
        found = {code: 0 for code in planning_rules.RESTORATION_STATUSES}
        for p in restoration.projects(session, day):
            if p.required:
                found[p.status] += 1
        for s in restoration.sites(session, day):
            found[s.status] += 1
        return found
    return {"from": counts(start), "to": counts(end)}


def _latest_up_to(entry: dict, year: int) -> dict | None:
    years = [int(y) for y, v in entry["values"].items() if int(y) <= year and v.get("measure") is not None]
    if not years:
        return None
    y = max(years)
    v = entry["values"][str(y)]
    return {"year": y, "value": v["value"], "measure": v["measure"], "status": v["status"], "kind": v["kind"]}


def _indicators(session: Session, start: date, end: date) -> list[dict]:
    out = []
    for entry in register.register(session, today=end):
        then, now = _latest_up_to(entry, start.year), _latest_up_to(entry, end.year)
        if then is None and now is None:
            continue
        change = None if then is None or now is None else round(now["measure"] - then["measure"], 4)
        out.append({"key": entry["key"], "label": entry["label"], "unit": entry["unit"], "target": entry["target"],
                    "direction": entry["direction"], "from": then, "to": now, "change": change})
    return out


def compare(session: Session, start: date | None, end: date | None) -> dict:
    """Return everything that changed between ``start`` (A) and ``end`` (B), with the counts."""
    start, end = check_range(start, end)
    relocation = _relocation(session, start, end)
    projects = _projects(session, start, end)
    flags = _flags(session, start, end)
    restored = _restoration(session, start, end)
    indicators = _indicators(session, start, end)
    counts = {"enterprises_changed": relocation["counts"]["changed"],
              "enterprises_advanced": relocation["counts"]["advanced"],
              "enterprises_went_back": relocation["counts"]["went_back"],
              **{f"projects_{k}": v for k, v in projects["counts"].items()},
              **{f"flags_{k}": v for k, v in flags["counts"].items()},
              "restoration_overdue_from": restored["from"]["overdue"],
              "restoration_overdue_to": restored["to"]["overdue"],
              "indicators": len(indicators)}
    return {"from": start.isoformat(), "to": end.isoformat(), "counts": counts, "relocation": relocation,
            "projects": projects, "flags": flags, "restoration": restored, "indicators": indicators}
