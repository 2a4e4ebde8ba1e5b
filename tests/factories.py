"""Test data: features, files and borrowed sample records, built the way the tests need them.

Tests share one database for the whole session, so every factory here either
puts its data where no sample feature lies (the encroachment cells, the
exchange spot), gives it a unique name, or borrows a sample record and puts it
back exactly as it was.
"""
from __future__ import annotations

import io
import json
import struct
import uuid
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from sqlalchemy import delete, func, select, text

from gis_tracker.db import db
from gis_tracker.models import Enterprise, Project, ProtectedArea, StageTransition, TransitionAttachment, WaterBody
from gis_tracker.services.encroachment import check as encroachment
from gis_tracker.services.encroachment import flags
from gis_tracker.spatial.measure import reproject


def unique(prefix: str) -> str:
    """Return a unique name for features created by a test."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@contextmanager
def temporary_project(app, name: str, lon: float, lat: float, radius_m: float):
    """Yield the id of a round project at lon/lat (created directly in the table), removed afterwards."""
    from sqlalchemy import func

    from gis_tracker.models import Project

    with app.app_context():
        project = Project(name=name, project_type="public", status="planned",
                          geom=func.ST_Multi(func.ST_Buffer(func.ST_Transform(func.ST_SetSRID(
                              func.ST_MakePoint(lon, lat), 4326), 4547), radius_m)))
        db.session.add(project)
        db.session.commit()
        pid = project.id
    try:
        yield pid
    finally:
        with app.app_context():
            db.session.delete(db.session.get(Project, pid))
            db.session.commit()


# ---------------------------------------------------------------- data exchange: files

# A spot in Qingshuitang/Tianxin, EPSG:4547 metres (about 113.12 E, 27.92 N).
X0, Y0 = 413_500.0, 3_089_500.0


def sample_frame(crs: str = "EPSG:4547") -> gpd.GeoDataFrame:
    """Three polygons (one with a hole) with Chinese text, an integer, a number with a null."""
    ring = box(X0 + 2000, Y0, X0 + 2600, Y0 + 500)
    holed = Polygon(ring.exterior.coords, [box(X0 + 2200, Y0 + 100, X0 + 2300, Y0 + 200).exterior.coords])
    frame = gpd.GeoDataFrame(
        {"name": ["清水塘示例地块", "田心·轨道交通园", "九郎山森林公园"], "n": [1, 22, 333],
         "v": [1.25, None, 3.5], "备注": ["说明一", "第二条（含括号）", "三"]},
        geometry=[box(X0, Y0, X0 + 500.123, Y0 + 300.456), box(X0 + 800, Y0, X0 + 1100, Y0 + 900), holed],
        crs="EPSG:4547")
    return frame.to_crs(crs)


def write_zip(path: Path, files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    """Write a zip with the given members."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def shapefile_zip(frame: gpd.GeoDataFrame, directory: Path, name: str = "layer", encoding: str = "UTF-8",
                  drop: tuple[str, ...] = (), clear_ldid: bool = False) -> Path:
    """Write ``frame`` as a Shapefile and zip it, leaving out the extensions in ``drop``."""
    parts = directory / f"{name}_parts"
    parts.mkdir()
    frame.to_file(parts / f"{name}.shp", driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    if clear_ldid:
        dbf = parts / f"{name}.dbf"
        data = bytearray(dbf.read_bytes())
        data[29] = 0
        dbf.write_bytes(bytes(data))
    files = {p.name: p.read_bytes() for p in parts.iterdir() if p.suffix.lower().lstrip(".") not in drop}
    return write_zip(directory / f"{name}.zip", files)


def bomb_zip(directory: Path) -> Path:
    """A zip whose single member inflates 60 MB of zeros from a few KB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("layer.shp", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(60):
                member.write(chunk)
    path = directory / "bomb.zip"
    path.write_bytes(buf.getvalue())
    return path


def huge_tiff_header(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A little-endian TIFF whose directory claims ``width`` × ``height`` pixels (no pixel data)."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, width * height & 0xFFFFFFFF)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd)
    return path


VRT_XML = (b'<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Byte" band="1">'
           b'<SimpleSource><SourceFilename>/vsicurl/http://example.invalid/x.tif</SourceFilename>'
           b'</SimpleSource></VRTRasterBand></VRTDataset>')

KML_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&secret;</name>
<Point><coordinates>113.12,27.92</coordinates></Point></Placemark></Document></kml>"""


def layer_rows(session, name: str) -> list[tuple[dict, object]]:
    """Return (properties, shapely geometry in EPSG:4547) of a user layer's live features in id order."""
    rows = session.execute(text(
        "SELECT f.properties, ST_AsBinary(f.geom) FROM layer_features f JOIN user_layers l ON l.id = f.layer_id "
        "WHERE l.name = :name AND f.deleted_at IS NULL ORDER BY f.id"), {"name": name}).all()
    return [(props, shapely.from_wkb(bytes(wkb))) for props, wkb in rows]


# ---------------------------------------------------------------- relocation: borrowed sample enterprises

_BORROWED: set[int] = set()


@contextmanager
def borrowed_enterprise(app, stage: str, path: str, with_code: bool | None = None, **changes):
    """Yield the id of a sample enterprise at ``stage`` on ``path`` (optionally changed first); restore it after."""
    with app.app_context():
        s = db.session
        stmt = (select(Enterprise).where(Enterprise.stage == stage, Enterprise.path == path,
                                         Enterprise.is_sample.is_(True), Enterprise.deleted_at.is_(None),
                                         Enterprise.id.not_in(_BORROWED or {0}))
                .order_by(Enterprise.id))
        if with_code is not None:
            stmt = stmt.where(Enterprise.credit_code.is_not(None) if with_code else Enterprise.credit_code.is_(None))
        ent = s.scalars(stmt).first()
        assert ent is not None, f"no sample enterprise at {stage} on {path}"
        saved = {"stage": ent.stage, "stage_dates": dict(ent.stage_dates), "destination": ent.destination,
                 "planned_dates": dict(ent.planned_dates), "contact_person": ent.contact_person,
                 "contact_phone": ent.contact_phone}
        point = s.scalar(select(func.ST_AsEWKB(Enterprise.geom)).where(Enterprise.id == ent.id))
        last = s.scalar(select(func.max(StageTransition.id))) or 0
        for key, value in changes.items():
            setattr(ent, key, value)
        eid = ent.id
        _BORROWED.add(eid)
        s.commit()
    try:
        yield eid
    finally:
        with app.app_context():
            s = db.session
            added = select(StageTransition.id).where(StageTransition.enterprise_id == eid, StageTransition.id > last)
            s.execute(delete(TransitionAttachment).where(TransitionAttachment.transition_id.in_(added)))
            s.execute(delete(StageTransition).where(StageTransition.enterprise_id == eid, StageTransition.id > last))
            ent = s.get(Enterprise, eid)
            for key, value in saved.items():
                setattr(ent, key, value)
            ent.geom = func.ST_GeomFromEWKB(point)  # a test may have moved it
            s.commit()
            _BORROWED.discard(eid)


# ---------------------------------------------------------------- encroachment: protected areas, water, projects, rules

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


def add_project(session, geom, project_type: str = "public", check: bool = True, name: str | None = None,
                **attrs) -> Project:
    """Store a planned project and (by default) check it, as a save would; committed."""
    geom = geom if geom.geom_type == "MultiPolygon" else MultiPolygon([geom])
    project = Project(name=name or unique("测试项目"), project_type=project_type, status="planned",
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
    now = datetime.now(UTC)
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
