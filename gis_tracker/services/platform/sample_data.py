"""Load the illustrative sample layers from ``layers/`` into an empty database.

The files are WGS84 GeoJSON (see ``layers/README.md``); geometries are
transformed to the storage CRS in PostGIS.  Everything loads in one
transaction: all layers or none.
"""
from __future__ import annotations

import json
import logging
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...config import PROJECT_ROOT
from ...db import STORAGE_SRID, WGS84
from ...errors import Conflict
from ...models import District, Enterprise, Project, ProtectedArea, WaterBody, Zone
from ..accounts import audit
from ..encroachment import gate
from ..features import write_events
from ..relocation import transitions

LOGGER = logging.getLogger(__name__)
LAYERS_DIR = PROJECT_ROOT / "layers"
LOADER = "sample-loader"
EXISTING_REASON = "示例数据：系统启用前已批复或在建的既有项目，按原状登记，须补做两型审查"


def _features(name: str, directory: Path) -> list[dict]:
    data = json.loads((directory / f"{name}.geojson").read_text(encoding="utf-8"))
    return data["features"]


def _geom(geometry: dict, multi: bool = True):
    expr = func.ST_Transform(func.ST_SetSRID(func.ST_GeomFromGeoJSON(json.dumps(geometry)), WGS84),
                             STORAGE_SRID)
    return func.ST_Multi(expr) if multi else expr


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def has_data(session: Session) -> bool:
    """Tell whether any planning layer already holds features."""
    return session.scalar(select(func.count()).select_from(Zone)) > 0


def load(session: Session, directory: Path = LAYERS_DIR) -> dict[str, int]:
    """Load every sample layer and commit; refuse when data is already present."""
    if has_data(session):
        raise Conflict("数据库中已有数据，未加载示例数据",
                       code="not_empty")
    counts = {}
    for feat in _features("district", directory):
        p = feat["properties"]
        session.add(District(name=p["name"], name_en=p.get("name_en"), adcode=p.get("adcode"),
                             geom=_geom(feat["geometry"])))
    counts["zones"] = _load_zones(session, _features("zones", directory))
    for feat in _features("protected_areas", directory):
        p = feat["properties"]
        session.add(ProtectedArea(
            name=p["name"], category=p["category"], tier=p.get("tier"), approval_no=p.get("approval_no"),
            effective_date=_date(p.get("effective_date")), geom=_geom(feat["geometry"]),
            created_by=LOADER, updated_by=LOADER))
    counts["protected_areas"] = len(_features("protected_areas", directory))
    for feat in _features("water_bodies", directory):
        p = feat["properties"]
        session.add(WaterBody(name=p["name"], kind=p["kind"], geom=_geom(feat["geometry"]),
                              created_by=LOADER, updated_by=LOADER))
    counts["water_bodies"] = len(_features("water_bodies", directory))
    enterprises = _features("enterprises", directory)
    for feat in enterprises:
        p = feat["properties"]
        session.add(Enterprise(
            name=p["name"], credit_code=p.get("credit_code"), industry=p.get("industry"),
            is_sample=bool(p.get("is_sample")), land_area_m2=p.get("land_area_m2"),
            employees=p.get("employees"), path=p["path"], destination=p.get("destination"),
            stage=p["stage"], stage_dates=p.get("stage_dates") or {},
            planned_dates=p.get("planned_dates") or {},  # zone_id: set by the database from the point
            geom=_geom(feat["geometry"], multi=False),
            parcel_geom=_geom(p["parcel"]) if p.get("parcel") else None,
            created_by=LOADER, updated_by=LOADER))
    counts["enterprises"] = len(enterprises)
    session.flush()
    counts["stage_transitions"] = transitions.seed_history(session, LOADER)  # initial relocation history
    projects = _features("projects", directory)
    for feat in projects:
        p = feat["properties"]
        session.add(Project(
            name=p["name"], project_type=p["project_type"], investment_wan=p.get("investment_wan"),
            status=p.get("status") or "planned",  # zone_id: set by the database from the footprint
            park_level=p.get("park_level"), floor_area_ratio=p.get("floor_area_ratio"),
            building_coverage=p.get("building_coverage"), annual_tax_wan=p.get("annual_tax_wan"),
            land_price_wan=p.get("land_price_wan"), land_supplied_date=_date(p.get("land_supplied_date")),
            construction_started_date=_date(p.get("construction_started_date")),
            description=p.get("description"), geom=_geom(feat["geometry"]),
            created_by=LOADER, updated_by=LOADER))
    counts["projects"] = len(projects)
    session.flush()
    # The first encroachment check of the loaded projects.
    checked = write_events.run_after_bulk(session, "projects", LOADER)
    if "encroachment_changes" in checked:
        counts["encroachment_flags"] = checked["encroachment_changes"]["counts"]["raised"]
    # Projects already approved or built are recorded as they stand; the review register shows their conclusion.
    counts["existing_overrides"] = len(gate.register_existing(session, LOADER, EXISTING_REASON))
    audit.record(session, username=LOADER, action="load_sample", object_type="dataset",
                 object_id="layers", after=counts)
    session.commit()
    LOGGER.info("sample data loaded: %s", counts)
    return counts


def _load_zones(session: Session, feats: list[dict]) -> int:
    """Insert zones parents first, resolving ``parent_code`` to ids."""
    by_code: dict[str, Zone] = {}
    pending = sorted(feats, key=lambda f: f["properties"].get("parent_code") is not None)
    for feat in pending:
        p = feat["properties"]
        zone = Zone(code=p["code"], name=p["name"], name_en=p.get("name_en"), level=p["level"],
                    kind=p.get("kind"), description=p.get("description"), geom=_geom(feat["geometry"]),
                    parent=by_code.get(p.get("parent_code")), created_by=LOADER, updated_by=LOADER)
        session.add(zone)
        by_code[p["code"]] = zone
    session.flush()
    return len(feats)
