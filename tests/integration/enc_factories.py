"""Build protected areas, water bodies, projects and rules in EPSG:4547 for encroachment tests.

Test geometry lives in an empty part of the district (east of the town centre,
more than 2 km from any sample protected area, water body or project), one
400 m cell per test, so tests never touch the sample data or each other.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone

from shapely.geometry import MultiPolygon, box, mapping
from sqlalchemy import func

from gis_tracker.models import Project, ProtectedArea, WaterBody
from gis_tracker.services.encroachment import check as encroachment, flags
from gis_tracker.spatial.measure import reproject
from tests.conftest import unique

CELL_ORIGIN = (419000.0, 3083000.0)  # EPSG:4547; the district government is near (413000, 3085000)
CELL = 400.0
CELLS_PER_ROW = 10


def cell(i: int) -> tuple[float, float]:
    """Return the south-west corner of test cell ``i`` (0..69)."""
    return CELL_ORIGIN[0] + (i % CELLS_PER_ROW) * CELL, CELL_ORIGIN[1] + (i // CELLS_PER_ROW) * CELL


def rect(x0: float, y0: float, x1: float, y1: float):
    """Return a rectangle in EPSG:4547."""
    return box(x0, y0, x1, y1)


def lonlat(geom) -> dict:
    """Return ``geom`` (EPSG:4547) as a lon/lat GeoJSON geometry."""
    return json.loads(json.dumps(mapping(reproject(geom, 4547, 4326))))


def _multi(geom):
    return func.ST_Multi(func.ST_GeomFromText(geom.wkt, 4547))


def add_protected(session, geom, category: str = "forest_park", tier: str | None = None,
                  name: str | None = None) -> ProtectedArea:
    """Store a protected area (committed; its parts follow by trigger)."""
    area = ProtectedArea(name=name or unique("测试保护区"), category=category, tier=tier, geom=_multi(geom),
                         created_by="tests", updated_by="tests")
    session.add(area)
    session.commit()
    return area


def add_water(session, geom, kind: str = "pond", name: str | None = None) -> WaterBody:
    """Store a water body (committed)."""
    water = WaterBody(name=name or unique("测试水体"), kind=kind, geom=_multi(geom), created_by="tests",
                      updated_by="tests")
    session.add(water)
    session.commit()
    return water


def add_project(session, geom, project_type: str = "public", check: bool = True, **attrs) -> Project:
    """Store a project and (by default) check it, as a save would; committed."""
    geom = geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])
    project = Project(name=unique("测试项目"), project_type=project_type, status="planned",
                      geom=func.ST_GeomFromText(geom.wkt, 4547), created_by="tests", updated_by="tests", **attrs)
    session.add(project)
    session.flush()
    if check:
        encroachment.recheck(session, project_ids=[project.id], username="tests")
    session.commit()
    return project


def add_rule(session, names: list[str], relation: str = "intersects", distance_m: float = 0.0,
             severity: str = "review", layer: str = "protected_areas", **extra):
    """Create a rule watching only the features called ``names`` (so sample data is never involved)."""
    rule, _report = flags.create_rule(session, {
        "code": unique("test_rule"), "name": "测试规则", "layer": layer, "feature_filter": {"name": names},
        "relation": relation, "distance_m": distance_m, "severity": severity, "message": "测试",
        "basis": "测试依据", **extra}, "tests")
    return rule


def flags_for(session, project_id: int, rule=None) -> list[dict]:
    """Return the project's live flags (of one rule when given)."""
    session.expire_all()
    found = encroachment.project_flags(session, project_id)
    return [f for f in found if rule is None or f["rule"] == rule.code]


def retire(session, *objects) -> None:
    """Soft-delete what a test created and clear the flags it raised."""
    now = datetime.now(timezone.utc)
    project_ids = []
    for obj in objects:
        if hasattr(obj, "relation"):
            obj.active = False
        obj.deleted_at = now
        if isinstance(obj, Project):
            project_ids.append(obj.id)
    session.flush()
    encroachment.recheck(session, project_ids=project_ids or None, username="tests")
    session.commit()
