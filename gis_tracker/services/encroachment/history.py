"""Projects and their encroachment flags as they stood on a past date, from the recorded history.

A meeting pack "截至 2021-12-31" must not list a project drawn today, nor a
flag raised today, nor today's name of a project renamed since.  Projects
come from ``feature_versions`` (the newest version saved before the end of
that day; a project never edited since it was loaded is taken as loaded), flags
from ``encroachment_flag_events`` (raised, changed, cleared, status changes).
This is what the system had recorded by then — not a reconstruction of the
world: a project entered into the system later is not in an earlier pack.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from ...rules import encroachment as rules
from ...spatial.measure import SQUARE_METRES_PER_MU

LOGGER = logging.getLogger(__name__)

PROJECTS_SQL = """
WITH before AS (
  SELECT DISTINCT ON (feature_id) feature_id, action, properties, geom
  FROM feature_versions WHERE collection = 'projects' AND at < :end
  ORDER BY feature_id, version DESC
), first AS (
  SELECT DISTINCT ON (feature_id) feature_id, action, properties, geom
  FROM feature_versions WHERE collection = 'projects'
  ORDER BY feature_id, version
), state AS (
  SELECT p.id,
         CASE WHEN b.feature_id IS NOT NULL THEN b.action
              WHEN f.feature_id IS NULL THEN 'current'
              WHEN f.action = 'load' THEN 'load' END AS source,
         coalesce(b.properties, CASE WHEN f.action = 'load' THEN f.properties END) AS properties,
         CASE WHEN b.feature_id IS NOT NULL THEN b.geom WHEN f.feature_id IS NULL THEN p.geom
              WHEN f.action = 'load' THEN f.geom END AS geom,
         p.name, p.project_type, p.status
  FROM projects p
  LEFT JOIN before b ON b.feature_id = p.id
  LEFT JOIN first f ON f.feature_id = p.id
  WHERE p.created_at < :end AND (f.feature_id IS NOT NULL OR p.deleted_at IS NULL OR p.deleted_at >= :end)
)
SELECT s.id, s.source, coalesce(s.properties ->> 'name', s.name) AS name,
       coalesce(s.properties ->> 'project_type', s.project_type) AS project_type,
       coalesce(s.properties ->> 'status', s.status) AS status,
       ST_AsBinary(s.geom) AS wkb, a.zone_id, a.top_zone_id
FROM state s CROSS JOIN LATERAL zone_assignment(s.geom) a
WHERE s.source IS NOT NULL AND s.source <> 'delete' AND s.geom IS NOT NULL
ORDER BY s.id
"""
FLAGS_SQL = """
WITH last AS (
  SELECT DISTINCT ON (e.flag_id) e.flag_id, e.action, e.to_status
  FROM encroachment_flag_events e WHERE e.at < :end
  ORDER BY e.flag_id, e.at DESC, e.id DESC
), measured AS (
  SELECT DISTINCT ON (e.flag_id) e.flag_id, e.details -> 'after' AS after
  FROM encroachment_flag_events e WHERE e.at < :end AND e.action IN ('raised', 'changed')
  ORDER BY e.flag_id, e.at DESC, e.id DESC
)
SELECT f.id, f.project_id, r.code AS rule, r.name AS rule_name, r.name_en AS rule_name_en, f.severity,
       l.to_status AS status, (m.after ->> 'overlap_m2')::float8 AS overlap_m2,
       (m.after ->> 'overlap_pct')::float8 AS overlap_pct, (m.after ->> 'min_distance_m')::float8 AS min_distance_m
FROM last l
JOIN encroachment_flags f ON f.id = l.flag_id
JOIN encroachment_rules r ON r.id = f.rule_id
LEFT JOIN measured m ON m.flag_id = l.flag_id
WHERE l.action <> 'cleared' AND l.to_status = ANY(CAST(:statuses AS text[]))
ORDER BY f.project_id, r.sort_order, f.id
"""


def end_of(day: date) -> datetime:
    """Return the first moment after ``day`` in the server's time zone (as ``date.today()`` counts days).

    What was recorded before it counts.  A deployment runs with TZ=Asia/Shanghai.
    """
    return datetime.combine(day + timedelta(days=1), time.min).astimezone()


@dataclass(frozen=True)
class FlagThen:
    """A flag as it stood on the day: open or acknowledged, with the overlap measured then."""

    id: int
    project_id: int
    rule: str
    rule_name: str
    rule_name_en: str | None
    severity: str
    status: str
    overlap_m2: float
    overlap_pct: float
    min_distance_m: float | None

    @property
    def overlap_mu(self) -> float:
        """Return the overlap in 亩."""
        return self.overlap_m2 / SQUARE_METRES_PER_MU


@dataclass
class ProjectThen:
    """A project as recorded on the day: attributes, footprint (EPSG:4547) and its zone then."""

    id: int
    name: str
    project_type: str
    status: str
    geom: object
    zone_id: int | None
    top_zone_id: int | None
    source: str  # the version it comes from: create, update, load, current, ...
    flags: list[FlagThen] = field(default_factory=list)


def projects_as_of(session: Session, day: date) -> list[ProjectThen]:
    """Return the live projects as recorded on ``day``, each with its flags still to be dealt with then."""
    end = end_of(day)
    rows = session.execute(text(PROJECTS_SQL), {"end": end}).all()
    projects = {r.id: ProjectThen(r.id, r.name, r.project_type, r.status, shapely.from_wkb(bytes(r.wkb)),
                                  r.zone_id, r.top_zone_id, r.source) for r in rows}
    for flag in flags_as_of(session, day):
        if flag.project_id in projects:
            projects[flag.project_id].flags.append(flag)
    for p in projects.values():
        p.flags.sort(key=lambda f: (-rules.SEVERITY_RANK.get(f.severity, 0), f.rule))
    return list(projects.values())


def flags_as_of(session: Session, day: date, statuses: tuple[str, ...] = rules.OPEN_STATUSES) -> list[FlagThen]:
    """Return the flags active on ``day`` whose status then was one of ``statuses`` (default: still open)."""
    rows = session.execute(text(FLAGS_SQL), {"end": end_of(day), "statuses": list(statuses)}).all()
    return [FlagThen(r.id, r.project_id, r.rule, r.rule_name, r.rule_name_en, r.severity, r.status,
                     r.overlap_m2 or 0.0, r.overlap_pct or 0.0, r.min_distance_m) for r in rows]
