"""Check projects against protected areas and water: set-based in SQL, one flag per (project, rule).

:func:`recheck` measures every (project, rule) pair of a set of projects in one
query against the subdivided ``protected_parts`` (GiST-indexed), decides in
:mod:`rules.encroachment` which rules fire and how each stored flag changes,
and writes the flags and their history in a few set-based statements.  It
returns a change report (raised, changed, cleared).  It runs inside the
caller's transaction and never commits:

* after a project is saved (write hook) — synchronously, so the save response
  carries the project's flags;
* after a protected area or water body is saved (write hook) — for the
  projects near its new geometry or flagged by its old one;
* after a bulk change of those layers or of projects (bulk hook), and after a
  rule changes (:mod:`services.encroachment.flags`).
"""
from __future__ import annotations

import json
import logging

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ... import sql
from ...i18n import gettext
from ...models import Project
from ...models.encroachment import EncroachmentFlag, EncroachmentRule
from ...rules import encroachment as rules
from ...spatial.measure import SQUARE_METRES_PER_MU
from ..accounts import notifications
from ..features import write_events

LOGGER = logging.getLogger(__name__)
WATCHED_LAYERS = ("protected_areas", "water_bodies")
SYSTEM_USER = "system"

MEASURE_TABLE_SQL = """
CREATE TEMP TABLE IF NOT EXISTS enc_measure (
  pid int, rule_id int, project_area float8, overlap geometry, piece_m2 float8, overlapping int,
  min_distance float8, nearest geometry, features jsonb, overlap_m2 float8, overlap_pct float8) ON COMMIT DROP
"""
MEASURE_SQL = """
INSERT INTO enc_measure (pid, rule_id, project_area, overlap, piece_m2, overlapping, min_distance, nearest,
                         features)
WITH r AS (
  SELECT * FROM jsonb_to_recordset(CAST(:rules AS jsonb))
    AS r(rule_id int, layer text, reach float8, types jsonb, filt jsonb)
), rule_features AS (
  SELECT r.rule_id, 'protected_areas'::text AS src, a.id AS fid, a.name
  FROM r JOIN protected_areas a ON r.layer = 'protected_areas' AND a.deleted_at IS NULL
  WHERE NOT EXISTS (SELECT 1 FROM jsonb_each(r.filt) f WHERE NOT jsonb_exists(f.value, coalesce(
          jsonb_build_object('category', a.category, 'tier', a.tier, 'name', a.name) ->> f.key, '')))
  UNION ALL
  SELECT r.rule_id, 'water_bodies'::text, w.id, w.name
  FROM r JOIN water_bodies w ON r.layer = 'water_bodies' AND w.deleted_at IS NULL
  WHERE NOT EXISTS (SELECT 1 FROM jsonb_each(r.filt) f WHERE NOT jsonb_exists(f.value, coalesce(
          jsonb_build_object('kind', w.kind, 'name', w.name) ->> f.key, '')))
), prj AS (
  SELECT p.id, p.project_type, p.geom, ST_Area(p.geom) AS area FROM projects p
  WHERE p.deleted_at IS NULL AND (CAST(:all_projects AS boolean) OR p.id = ANY(CAST(:project_ids AS int[])))
), near AS (
  SELECT p.id AS pid, p.project_type, p.area, p.geom AS pgeom, pp.source, pp.feature_id, pp.geom AS part
  FROM prj p JOIN protected_parts pp ON ST_DWithin(pp.geom, p.geom, CAST(:max_reach AS float8))
), hits AS (
  SELECT n.pid, r.rule_id, r.reach, n.area, n.pgeom, n.part, rf.src, rf.fid, rf.name,
         CASE WHEN r.reach > 0 THEN ST_Distance(n.part, n.pgeom) ELSE 0 END AS dist  -- reach 0: touching
  FROM near n
  JOIN rule_features rf ON rf.src = n.source AND rf.fid = n.feature_id
  JOIN r ON r.rule_id = rf.rule_id AND (r.types IS NULL OR jsonb_exists(r.types, n.project_type))
  WHERE r.reach >= CAST(:max_reach AS float8) OR ST_DWithin(n.part, n.pgeom, r.reach)
), pieces AS MATERIALIZED (  -- materialized: each intersection is computed once, not per use below
  SELECT i.*, coalesce(ST_Area(i.piece), 0) AS piece_area
  FROM (SELECT h.pid, h.rule_id, h.reach, h.area, h.src, h.fid, h.name, h.dist,
               CASE WHEN h.dist = 0 THEN ST_CollectionExtract(ST_Intersection(h.part, h.pgeom), 3) END AS piece,
               CASE WHEN h.reach > 0 THEN ST_ShortestLine(h.pgeom, h.part) END AS line
        FROM hits h) AS i
)
-- Pieces of one feature are disjoint (its parts are), so their areas add up exactly; they are only
-- dissolved (ST_UnaryUnion) where several features overlap the project, or when a flag is written.
SELECT pid, rule_id, max(area) AS project_area, ST_Collect(piece) AS overlap,
       sum(piece_area) AS piece_m2, count(DISTINCT src || fid) FILTER (WHERE piece_area > 0) AS overlapping,
       min(dist) AS min_distance,
       (array_agg(line ORDER BY dist) FILTER (WHERE reach > 0))[1] AS nearest,
       jsonb_agg(DISTINCT jsonb_build_object('layer', src, 'id', fid, 'name', name)) AS features
FROM pieces GROUP BY pid, rule_id
"""
AREA_SQL = """
UPDATE enc_measure
SET overlap_m2 = CASE WHEN overlapping > 1 THEN ST_Area(ST_UnaryUnion(overlap)) ELSE coalesce(piece_m2, 0) END;
UPDATE enc_measure SET overlap_pct = CASE WHEN project_area > 0 THEN 100 * overlap_m2 / project_area ELSE 0 END
"""
OVERLAP_GEOM = "CASE WHEN m.overlap_m2 > 0 THEN ST_Multi(ST_UnaryUnion(m.overlap)) ELSE m.nearest END"
INSERT_SQL = """
INSERT INTO encroachment_flags (project_id, rule_id, severity, status, overlap_m2, overlap_mu, overlap_pct,
                                min_distance_m, features, geom, version, first_flagged_at, checked_at)
SELECT m.pid, m.rule_id, k.sev, 'open', m.overlap_m2, m.overlap_m2 / :mu, m.overlap_pct, m.min_distance,
       m.features, """ + OVERLAP_GEOM + """, 1, now(), now()
FROM enc_measure m
JOIN unnest(CAST(:pids AS int[]), CAST(:rids AS int[]), CAST(:sevs AS text[])) AS k(pid, rid, sev)
  ON m.pid = k.pid AND m.rule_id = k.rid
RETURNING id, project_id, rule_id
"""
UPDATE_SQL = """
UPDATE encroachment_flags f
SET severity = k.sev, status = k.status, overlap_m2 = m.overlap_m2, overlap_mu = m.overlap_m2 / :mu,
    overlap_pct = m.overlap_pct, min_distance_m = m.min_distance, features = m.features,
    geom = """ + OVERLAP_GEOM + """,
    cleared_at = NULL, checked_at = now(), version = f.version + 1,
    status_reason = CASE WHEN k.status <> f.status THEN :reopen_reason ELSE f.status_reason END,
    status_by = CASE WHEN k.status <> f.status THEN :username ELSE f.status_by END,
    status_at = CASE WHEN k.status <> f.status THEN now() ELSE f.status_at END
FROM unnest(CAST(:fids AS int[]), CAST(:sevs AS text[]), CAST(:statuses AS text[])) AS k(fid, sev, status),
     enc_measure m
WHERE f.id = k.fid AND m.pid = f.project_id AND m.rule_id = f.rule_id
"""
CLEAR_SQL = """
UPDATE encroachment_flags SET cleared_at = now(), checked_at = now(), version = version + 1
WHERE id = ANY(CAST(:fids AS int[]))
"""
EVENTS_SQL = """
INSERT INTO encroachment_flag_events (flag_id, username, action, from_status, to_status, details)
SELECT k.fid, :username, k.action, k.from_status, k.to_status, CAST(k.details AS jsonb)
FROM unnest(CAST(:fids AS int[]), CAST(:actions AS text[]), CAST(:froms AS text[]), CAST(:tos AS text[]),
            CAST(:details AS text[])) AS k(fid, action, from_status, to_status, details)
"""


def active_rules(session: Session) -> list[EncroachmentRule]:
    """Return the rules in force, in display order."""
    return list(session.scalars(select(EncroachmentRule).where(
        EncroachmentRule.active.is_(True), EncroachmentRule.deleted_at.is_(None))
        .order_by(EncroachmentRule.sort_order, EncroachmentRule.id)))


def spec_of(rule: EncroachmentRule) -> rules.RuleSpec:
    """Return the pure specification of a stored rule."""
    return rules.RuleSpec(relation=rule.relation, distance_m=rule.distance_m or 0.0,
                          min_overlap_m2=rule.min_overlap_m2 or 0.0, min_overlap_pct=rule.min_overlap_pct or 0.0,
                          project_types=tuple(rule.project_types) if rule.project_types else None)


def _rules_json(chosen: list[EncroachmentRule]) -> str:
    return json.dumps([{"rule_id": r.id, "layer": r.layer, "reach": spec_of(r).reach_m,
                        "types": list(r.project_types) if r.project_types else None,
                        "filt": r.feature_filter or {}} for r in chosen], ensure_ascii=False)


def _measure(session: Session, chosen: list[EncroachmentRule], project_ids: list[int] | None) -> None:
    max_reach = max([spec_of(r).reach_m for r in chosen] or [0.0])
    # JIT compiling this query costs more (≈ 0.3 s) than running it: the geometry functions dominate.
    session.execute(text("SET LOCAL jit = off"))
    # One temp table per transaction, emptied per call: re-checks in a loop do not pile up locks.
    session.execute(text(MEASURE_TABLE_SQL))
    session.execute(text("DELETE FROM enc_measure"))
    session.execute(text(MEASURE_SQL), {
        "rules": _rules_json(chosen), "all_projects": project_ids is None,
        "project_ids": list(project_ids or []), "max_reach": max_reach})
    for statement in AREA_SQL.strip().split(";\n"):
        session.execute(text(statement))


def _existing(session: Session, project_ids: list[int] | None, rule_ids: list[int] | None) -> dict:
    stmt = select(EncroachmentFlag.id, EncroachmentFlag.project_id, EncroachmentFlag.rule_id,
                  EncroachmentFlag.status, EncroachmentFlag.cleared_at, EncroachmentFlag.severity,
                  EncroachmentFlag.overlap_m2, EncroachmentFlag.min_distance_m)
    if project_ids is not None:
        stmt = stmt.where(EncroachmentFlag.project_id.in_(project_ids))
    if rule_ids is not None:
        stmt = stmt.where(EncroachmentFlag.rule_id.in_(rule_ids))
    return {(r.project_id, r.rule_id): r for r in session.execute(stmt)}


def recheck(session: Session, project_ids: list[int] | None = None, rule_ids: list[int] | None = None,
            username: str | None = None) -> dict:
    """Re-evaluate flags of ``project_ids`` (None: all projects) for ``rule_ids`` (None: all rules).

    Returns the change report ``{"raised": [...], "changed": [...], "cleared": [...], "checked_projects"}``.
    """
    username = username or SYSTEM_USER
    if project_ids is not None and not project_ids:
        return _report([], [], [], 0)
    chosen = [r for r in active_rules(session) if rule_ids is None or r.id in rule_ids]
    by_id = {r.id: r for r in chosen}
    _measure(session, chosen, project_ids)
    measured = session.execute(text(
        "SELECT pid, rule_id, overlap_m2, overlap_pct, min_distance FROM enc_measure")).all()
    fired = {}
    for row in measured:
        rule = by_id[row.rule_id]
        m = rules.Measurement(row.overlap_m2, row.overlap_pct, row.min_distance, within_distance=True)
        if rules.fires(spec_of(rule), m):
            fired[(row.pid, row.rule_id)] = m
    existing = _existing(session, project_ids, rule_ids)
    new_keys, updates, clears, events = [], [], [], []
    for key in set(fired) | set(existing):
        old = existing.get(key)
        rule = by_id.get(key[1])
        severity = rule.severity if rule else (old.severity if old else "warning")
        state = None if old is None else rules.FlagState(old.status, old.cleared_at is None, old.severity,
                                                           old.overlap_m2, old.min_distance_m)
        change = rules.reconcile(state, fired.get(key), severity)
        if change.kind == "unchanged":
            continue
        if old is None:
            new_keys.append((key, severity))
        elif change.kind == "cleared":
            clears.append(old.id)
            events.append((old.id, "cleared", old.status, old.status, _details(old, None)))
        else:
            updates.append((old.id, severity, change.status))
            events.append((old.id, change.kind, old.status, change.status, _details(old, fired[key])))
    inserted = _write(session, new_keys, updates, clears, username)
    events += [(fid, "raised", None, "open", _details(None, fired[key])) for key, fid in inserted.items()]
    _write_events(session, events, username)
    report = _describe(session, events)
    reopened = {e[0] for e in events if e[1] == "changed" and e[2] != "open" and e[3] == "open"}
    notifications.flags_raised(session, report[0] + [c for c in report[1] if c["flag_id"] in reopened], username)
    checked = len(project_ids) if project_ids is not None else session.scalar(
        select(func.count()).select_from(Project).where(Project.deleted_at.is_(None)))
    return _report(*report, checked)


def _details(old, m: rules.Measurement | None) -> str:
    body = {}
    if old is not None:
        body["before"] = {"overlap_m2": round(old.overlap_m2, 2), "min_distance_m": old.min_distance_m}
    if m is not None:
        body["after"] = {"overlap_m2": round(m.overlap_m2, 2), "overlap_pct": round(m.overlap_pct, 3),
                         "min_distance_m": m.min_distance_m}
    return json.dumps(body)


def _write(session: Session, new_keys, updates, clears, username: str) -> dict:
    inserted = {}
    if new_keys:
        rows = session.execute(text(INSERT_SQL), {
            "pids": [k[0] for k, _ in new_keys], "rids": [k[1] for k, _ in new_keys],
            "sevs": [s for _, s in new_keys], "mu": SQUARE_METRES_PER_MU}).all()
        inserted = {(r.project_id, r.rule_id): r.id for r in rows}
    if updates:
        session.execute(text(UPDATE_SQL), {
            "fids": [u[0] for u in updates], "sevs": [u[1] for u in updates],
            "statuses": [u[2] for u in updates], "mu": SQUARE_METRES_PER_MU, "username": username,
            "reopen_reason": gettext("重新检查：情况变化，重新打开")})
    if clears:
        session.execute(text(CLEAR_SQL), {"fids": clears})
    return inserted


def _write_events(session: Session, events: list, username: str) -> None:
    if not events:
        return
    session.execute(text(EVENTS_SQL), {
        "fids": [e[0] for e in events], "actions": [e[1] for e in events], "froms": [e[2] for e in events],
        "tos": [e[3] for e in events], "details": [e[4] for e in events], "username": username})


def _describe(session: Session, events: list) -> tuple[list, list, list]:
    """Return the raised, changed and cleared flags of this re-check for the change report."""
    if not events:
        return [], [], []
    kinds = {e[0]: e[1] for e in events}
    rows = session.execute(text(
        "SELECT f.id, f.project_id, p.name AS project, r.code AS rule, r.name AS rule_name, f.severity, "
        "f.status, f.overlap_m2, f.overlap_pct, f.min_distance_m FROM encroachment_flags f "
        "JOIN projects p ON p.id = f.project_id JOIN encroachment_rules r ON r.id = f.rule_id "
        "WHERE f.id = ANY(CAST(:ids AS int[])) ORDER BY f.project_id, r.sort_order"),
        {"ids": list(kinds)}).mappings().all()
    out = {"raised": [], "changed": [], "cleared": []}
    for row in rows:
        item = dict(row)
        item["flag_id"] = item.pop("id")
        item["overlap_m2"] = round(item["overlap_m2"], 2)
        item["overlap_pct"] = round(item["overlap_pct"], 3)
        out[kinds[row["id"]]].append(item)
    return out["raised"], out["changed"], out["cleared"]


def _report(raised, changed, cleared, checked: int) -> dict:
    return {"raised": raised, "changed": changed, "cleared": cleared, "checked_projects": checked,
            "counts": {"raised": len(raised), "changed": len(changed), "cleared": len(cleared)}}


def affected_by_feature(session: Session, layer: str, feature_id: int) -> list[int]:
    """Return projects near a protected feature's current geometry or flagged because of it."""
    reach = max([spec_of(r).reach_m for r in active_rules(session)] or [0.0])
    if layer not in WATCHED_LAYERS:
        raise ValueError(f"not a protected layer: {layer}")
    near = session.scalars(text(sql.statement(
        session, "SELECT p.id FROM projects p JOIN {table} t ON t.id = :fid "
        "WHERE p.deleted_at IS NULL AND ST_DWithin(p.geom, t.geom, :reach)", table=layer)),
        {"fid": feature_id, "reach": reach}).all()
    flagged = session.scalars(select(EncroachmentFlag.project_id).where(
        EncroachmentFlag.features.contains([{"layer": layer, "id": feature_id}]))).all()
    return sorted(set(near) | set(flagged))


def project_flags(session: Session, project_id: int, include_cleared: bool = False) -> list[dict]:
    """Return a project's flags as JSON-ready dicts, most severe first."""
    stmt = (select(EncroachmentFlag, EncroachmentRule)
            .join(EncroachmentRule, EncroachmentRule.id == EncroachmentFlag.rule_id)
            .where(EncroachmentFlag.project_id == project_id))
    if not include_cleared:
        stmt = stmt.where(EncroachmentFlag.cleared_at.is_(None))
    rows = session.execute(stmt).all()
    rows.sort(key=lambda fr: (-rules.SEVERITY_RANK.get(fr[0].severity, 0), fr[1].sort_order, fr[0].id))
    return [flag_dict(flag, rule) for flag, rule in rows]


def flag_etag(flag: EncroachmentFlag) -> str:
    """Return the ETag of a flag's current version."""
    return f'"flag-{flag.id}-v{flag.version}"'


def flag_dict(flag: EncroachmentFlag, rule: EncroachmentRule) -> dict:
    """Return the JSON view of a flag."""
    return {
        "id": flag.id, "project_id": flag.project_id, "rule": rule.code, "rule_name": rule.name,
        "rule_name_en": rule.name_en, "severity": flag.severity, "status": flag.status,
        "overlap_m2": round(flag.overlap_m2, 2), "overlap_mu": round(flag.overlap_mu, 4),
        "overlap_pct": round(flag.overlap_pct, 3),
        "min_distance_m": None if flag.min_distance_m is None else round(flag.min_distance_m, 2),
        "features": flag.features, "message": rule.message, "message_en": rule.message_en,
        "basis": rule.basis, "basis_en": rule.basis_en, "status_reason": flag.status_reason,
        "status_by": flag.status_by, "status_at": flag.status_at.isoformat() if flag.status_at else None,
        "cleared": flag.cleared_at is not None, "version": flag.version, "etag": flag_etag(flag),
        "first_flagged_at": flag.first_flagged_at.isoformat() if flag.first_flagged_at else None,
    }


def _after_write(session: Session, collection_id: str, feature_id: int, action: str, username: str) -> dict | None:
    """Re-check after a save: the project itself, or the projects around a protected feature."""
    if collection_id == "projects":
        report = recheck(session, project_ids=[feature_id], username=username)
        return {"flags": project_flags(session, feature_id), "encroachment_changes": report}
    if collection_id in WATCHED_LAYERS:
        report = recheck(session, project_ids=affected_by_feature(session, collection_id, feature_id),
                         username=username)
        return {"encroachment_changes": report}
    return None


def _after_bulk(session: Session, collection_id: str, username: str) -> dict | None:
    """Re-check every project after a bulk change of projects or a protected layer."""
    if collection_id in WATCHED_LAYERS or collection_id == "projects":
        return {"encroachment_changes": recheck(session, username=username)}
    return None


def init_app(app) -> None:
    """Register the re-check hooks (idempotent)."""
    write_events.register_after_write(_after_write)
    write_events.register_after_bulk(_after_bulk)
