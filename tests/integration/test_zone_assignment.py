"""Every feature knows its zone on every write path: the database assigns it (migration 0020).

The oracle is shapely on the zones as stored: the sub-area a feature overlaps
most, and its top-level zone — compared with what the trigger stored after a
save through the OGC API, an import, a bulk COPY into a partition, and after a
zone's outline changes.
"""
from __future__ import annotations

import shapely
from shapely.geometry import box
from sqlalchemy import func, select, text

from gis_tracker.models import Enterprise, Zone
from gis_tracker.services.exchange import copy_loader
from gis_tracker.services.features import catalog
from tests.factories import CELL, add_project, cell, lonlat, retire, unique
from tests.support.clients import login
from tests.support.features import get_feature, patch_feature, post_feature


def _zones(session) -> dict[str, dict]:
    rows = session.execute(select(Zone.id, Zone.code, Zone.name, Zone.level, Zone.parent_id,
                                  func.ST_AsBinary(Zone.geom)).where(Zone.deleted_at.is_(None))).all()
    return {r.code: {"id": r.id, "name": r.name, "level": r.level, "parent_id": r.parent_id,
                     "geom": shapely.from_wkb(bytes(r[5]))} for r in rows}


def _expected(zones: dict, geom) -> tuple[str | None, str | None]:
    """(sub-area code, top zone code) by largest overlap (polygons), as the issue defines it."""
    by_id = {z["id"]: code for code, z in zones.items()}
    subs = {code: round(z["geom"].intersection(geom).area, 3) for code, z in zones.items()
            if z["level"] == "sub_area"}
    subs = {c: a for c, a in subs.items() if a > 0}
    if subs:  # nested sub-areas overlapping it equally: the smaller, more specific one
        best = max(subs, key=lambda c: (subs[c], -zones[c]["geom"].area))
        return best, by_id[zones[best]["parent_id"]]
    tops = {c: z["geom"].intersection(geom).area for c, z in zones.items() if z["level"] == "zone"}
    tops = {c: a for c, a in tops.items() if a > 0}
    if not tops:
        return None, None
    best = max(tops, key=tops.get)
    return None, best


def _straddle(zones: dict, a: str, b: str, share: float = 0.7):
    """A 200 m square on the border of sub-areas ``a`` and ``b``, mostly (``share``) inside ``a``."""
    border = zones[a]["geom"].boundary.intersection(zones[b]["geom"].boundary)
    assert not border.is_empty, f"{a} and {b} do not touch"
    p = shapely.line_interpolate_point(shapely.line_merge(border), 0.5, normalized=True) \
        if border.geom_type in ("LineString", "MultiLineString") else border.representative_point()
    square = box(p.x - 100, p.y - 100, p.x + 100, p.y + 100)
    # Move the square into ``a`` until about ``share`` of it lies there.
    towards = zones[a]["geom"].intersection(square.buffer(300)).centroid
    dx, dy = towards.x - p.x, towards.y - p.y
    norm = max((dx * dx + dy * dy) ** 0.5, 1e-9)
    for step in range(0, 200, 5):
        moved = shapely.affinity.translate(square, dx / norm * step, dy / norm * step)
        if zones[a]["geom"].intersection(moved).area >= share * moved.area:
            return moved
    raise AssertionError("could not place a straddling square")


def test_a_project_drawn_over_two_sub_areas_gets_the_larger_one_and_its_zone(app, client, session):
    import shapely.affinity  # noqa: F401  (used by _straddle)
    zones = _zones(session)
    geom = _straddle(zones, "TX-SD-2", "TX-SD-3")
    sub, top = _expected(zones, geom)
    assert (sub, top) == ("TX-SD-2", "TX")  # the oracle agrees with how the square was built
    planner = login(client, "planner")
    resp = post_feature(planner, "projects", {"name": unique("跨功能区"), "project_type": "public",
                                              "status": "planned"}, lonlat(geom))
    assert resp.status_code == 201, resp.get_json()
    props = resp.get_json()["properties"]
    assert props["zone_code"] == "TX" and props["zone_name"] == zones["TX"]["name"]
    assert props["sub_area_code"] == "TX-SD-2" and props["sub_area_name"] == zones["TX-SD-2"]["name"]

    # Moved so that most of it lies in the other sub-area: the zone follows the geometry.
    fid, etag = resp.get_json()["id"], resp.headers["ETag"]
    other = _straddle(zones, "TX-SD-3", "TX-SD-2")
    moved = patch_feature(planner, "projects", fid, etag, geometry=lonlat(other))
    assert moved.status_code == 200, moved.get_json()
    props = get_feature(planner, "projects", fid).get_json()["properties"]
    assert props["sub_area_code"] == _expected(zones, other)[0] == "TX-SD-3"


def test_a_project_outside_every_zone_has_none_and_flags_list_names_zones(app, session, client):
    x, y = cell(61)
    project = add_project(session, box(x + 10, y + 10, x + 300, y + 300))
    try:
        row = session.execute(text("SELECT zone_id, top_zone_id FROM projects WHERE id = :id"),
                              {"id": project.id}).one()
        assert tuple(row) == (None, None)
    finally:
        retire(session, project)


def test_every_sample_enterprise_lies_in_the_sub_area_its_point_is_in(session):
    zones = _zones(session)
    by_id = {z["id"]: code for code, z in zones.items()}
    rows = session.execute(select(Enterprise.name, Enterprise.zone_id, Enterprise.top_zone_id,
                                  func.ST_AsBinary(Enterprise.geom)).where(Enterprise.deleted_at.is_(None))).all()
    assert len(rows) >= 172
    for name, zone_id, top_zone_id, wkb in rows:
        point = shapely.from_wkb(bytes(wkb))
        inside = [c for c, z in zones.items() if z["level"] == "sub_area" and z["geom"].intersects(point)]
        if inside:
            assert by_id.get(zone_id) in inside, name
            assert by_id.get(top_zone_id) == by_id[zones[by_id[zone_id]]["parent_id"]], name


def test_projects_imported_from_a_file_get_their_zones(app, client, headers, session, tmp_path, tmp_path_factory):
    import geopandas as gpd

    from tests.support.clients import commit, sandbox, upload
    zones = _zones(session)
    geom = _straddle(zones, "QST-SP-4", "QST-SP-3", share=0.8)
    title = unique("导入带片区")
    frame = gpd.GeoDataFrame({"项目名称": [title], "类型": ["public"], "状态": ["planned"]}, geometry=[geom],
                             crs="EPSG:4547")
    path = tmp_path / "zoned.gpkg"
    frame.to_file(path, driver="GPKG", engine="pyogrio")
    with sandbox(app, tmp_path_factory):
        record = upload(client, headers, path).get_json()
        body = {"target": "projects", "mapping": {"项目名称": "name", "类型": "project_type", "状态": "status"}}
        resp = commit(client, headers, record["id"], body)
        assert resp.status_code == 200, resp.get_json()
        found = client.get(f"/ogc/collections/projects/items?name={title}", headers=headers).get_json()
        props = found["features"][0]["properties"]
        expected = _expected(zones, geom)
        assert expected[1] == "QST" and expected[0] is not None
        assert (props["sub_area_code"], props["zone_code"]) == expected
        assert props["zone_name"] == "清水塘片区"


def _user_layer(session) -> catalog.Collection:
    name = unique("zoned").replace("-", "_")
    session.execute(text(
        "INSERT INTO user_layers (name, title, geometry_type, fields, style) VALUES (:n, '分区图层', 'Polygon', "
        "'[{\"name\": \"code\", \"type\": \"string\", \"label\": \"编号\"}]', '{}')"), {"n": name})
    session.flush()
    return catalog.get(name, session)


def test_user_layer_features_get_zones_on_the_map_and_through_a_bulk_partition_load(app, client, session):
    zones = _zones(session)
    spot = zones["TX-WY-2"]["geom"].representative_point()
    coll = _user_layer(session)
    session.commit()
    try:
        planner = login(client, "planner")
        square = box(spot.x - 20, spot.y - 20, spot.x + 20, spot.y + 20)
        resp = post_feature(planner, coll.id, {"code": "A"}, lonlat(square))
        assert resp.status_code == 201, resp.get_json()
        stored = session.execute(text("SELECT z.code, t.code FROM layer_features f JOIN zones z ON z.id = f.zone_id "
                                      "JOIN zones t ON t.id = f.top_zone_id WHERE f.id = :id"),
                                 {"id": resp.get_json()["id"]}).one()
        assert tuple(stored) == _expected(zones, square) == ("TX-WY-2", "TX")

        # A large load into an empty layer goes through a bare partition (no triggers while filled).
        big = _user_layer(session)
        x0, y0 = spot.x - 300, spot.y - 300
        rows = [({"code": f"P{i}"}, box(x0 + (i % 80) * 7.0, y0 + (i // 80) * 7.0,
                                        x0 + (i % 80) * 7.0 + 5, y0 + (i // 80) * 7.0 + 5)) for i in range(5200)]
        copy_loader.copy_features(session, big, rows, "planner")
        session.commit()
        assert session.scalar(text("SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass(:t)"),
                              {"t": f"layer_features_l{big.layer_id}"}) == 1
        stored = dict(session.execute(text(
            "SELECT f.properties->>'code', z.code FROM layer_features f LEFT JOIN zones z ON z.id = f.zone_id "
            "WHERE f.layer_id = :l"), {"l": big.layer_id}).all())
        assert len(stored) == 5200
        for code, geom in ((p["code"], g) for p, g in rows[::97]):
            assert stored[code] == _expected(zones, geom)[0], code
        assert None not in {stored[p["code"]] for p, _ in rows[::97]}
    finally:
        session.rollback()
        session.execute(text("UPDATE user_layers SET deleted_at = now() WHERE name LIKE 'zoned_%' "
                             "AND deleted_at IS NULL"))
        session.commit()


def test_changing_a_zone_outline_reassigns_the_features_it_touches(app, session):
    """A temporary zone in the empty test cells: its sub-area moves away, then the zone is deleted."""
    x, y = cell(64)
    top = Zone(code=unique("TZ"), name=unique("测试片区"), level="zone",
               geom=func.ST_Multi(func.ST_GeomFromText(box(x, y, x + 3 * CELL, y + CELL).wkt, 4547)))
    session.add(top)
    session.flush()
    sub = Zone(code=unique("TZ-S"), name=unique("测试功能区"), level="sub_area", parent_id=top.id,
               geom=func.ST_Multi(func.ST_GeomFromText(box(x, y, x + CELL, y + CELL).wkt, 4547)))
    session.add(sub)
    session.commit()
    project = add_project(session, box(x + 50, y + 50, x + 150, y + 150), check=False)

    def zone_of():
        session.expire_all()
        return tuple(session.execute(text("SELECT zone_id, top_zone_id FROM projects WHERE id = :id"),
                                     {"id": project.id}).one())
    try:
        assert zone_of() == (sub.id, top.id)
        # The sub-area is redrawn away from the project: the project falls back to its zone.
        session.execute(text("UPDATE zones SET geom = ST_Multi(ST_GeomFromText(:wkt, 4547)) WHERE id = :id"),
                        {"wkt": box(x + 2 * CELL, y, x + 3 * CELL, y + CELL).wkt, "id": sub.id})
        session.commit()
        assert zone_of() == (top.id, top.id)
        # Redrawn back over it: the project is in the sub-area again.
        session.execute(text("UPDATE zones SET geom = ST_Multi(ST_GeomFromText(:wkt, 4547)) WHERE id = :id"),
                        {"wkt": box(x, y, x + CELL, y + CELL).wkt, "id": sub.id})
        session.commit()
        assert zone_of() == (sub.id, top.id)
        # Deleting the zones (soft, as the app does) leaves the project in none.
        session.execute(text("UPDATE zones SET deleted_at = now() WHERE id IN (:a, :b)"), {"a": sub.id, "b": top.id})
        session.commit()
        assert zone_of() == (None, None)
    finally:
        session.rollback()
        retire(session, project)
        session.execute(text("DELETE FROM zones WHERE id IN (:a, :b)"), {"a": sub.id, "b": top.id})
        session.commit()
