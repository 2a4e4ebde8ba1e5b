"""Property-based attack on the feature API: valid, invalid, huge and NaN geometries, random attributes.

Whatever is thrown at ``POST /ogc/collections/projects/items``: never a 5xx,
every error is JSON ``{"code", "message"}``, and every geometry that was
stored is valid.  Example counts are modest so the suite stays fast.
"""
from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from gis_tracker.db import db

PROJECT_TYPES = ["industrial", "commercial", "residential", "infrastructure", "public", "tourism",
                 "livestock", "logistics"]
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

finite = st.floats(allow_nan=False, allow_infinity=False)
weird_number = st.one_of(st.just(float("nan")), st.just(float("inf")), st.just(-float("inf")),
                         st.just(1e308), st.just(-1e308), finite, st.integers(-10**30, 10**30))
lon = st.floats(113.05, 113.2)
lat = st.floats(27.85, 27.98)


@st.composite
def valid_square(draw):
    x, y, size = draw(lon), draw(lat), draw(st.floats(1e-5, 0.01))
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


@st.composite
def random_ring(draw):
    pts = draw(st.lists(st.tuples(st.one_of(lon, weird_number), st.one_of(lat, weird_number)), min_size=0,
                        max_size=12))
    ring = [list(p) for p in pts]
    if ring and draw(st.booleans()):
        ring.append(ring[0])  # closed, maybe self-intersecting
    return {"type": draw(st.sampled_from(["Polygon", "MultiPolygon", "Point", "LineString", "Bogus"])),
            "coordinates": [ring] if draw(st.booleans()) else [[ring]]}


@st.composite
def huge_polygon(draw):
    n = draw(st.integers(1000, 20000))
    x, y = draw(lon), draw(lat)
    ring = [[x + 0.01 * math.cos(2 * math.pi * i / n), y + 0.01 * math.sin(2 * math.pi * i / n)] for i in range(n)]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


json_scalar = st.one_of(st.none(), st.booleans(), weird_number, st.text(max_size=50),
                        st.sampled_from(["' OR 1=1 --", "<script>alert(1)</script>", "../../etc/passwd",
                                         "2025-13-45", "2024-02-29", "\u0000", "测试" * 100]))
json_value = st.recursive(json_scalar, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)), max_leaves=6)

geometry = st.one_of(valid_square(), random_ring(), huge_polygon(), json_value, st.just(None))
known_fields = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.text(max_size=300), json_value),
    "project_type": st.one_of(st.sampled_from(PROJECT_TYPES), json_value),
    "status": st.one_of(st.sampled_from(["planned", "under_construction", "completed"]), json_value),
    "investment_wan": weird_number,
    "floor_area_ratio": st.one_of(weird_number, json_value),
    "land_supplied_date": st.one_of(st.dates().map(str), json_value),
    "description": st.one_of(st.text(max_size=200), json_value),
})
properties = st.one_of(known_fields, st.dictionaries(st.text(max_size=12), json_value, max_size=4), json_value)
feature = st.one_of(
    st.builds(lambda g, p: {"type": "Feature", "geometry": g, "properties": p}, geometry, properties),
    json_value)


def _post(client, token, body):
    data = json.dumps(body, allow_nan=True)  # NaN/Infinity literals, as a hostile client may send
    return client.post("/ogc/collections/projects/items", data=data, content_type="application/geo+json",
                       headers={"Authorization": f"Bearer {token}"})


def _check(resp, app):
    assert resp.status_code < 500, resp.get_data(as_text=True)[:500]
    if resp.status_code == 201:
        fid = int(resp.headers["Location"].rsplit("/", 1)[1])
        with app.app_context():
            valid, reason = db.session.execute(text(
                "SELECT ST_IsValid(geom), ST_IsValidReason(geom) FROM projects WHERE id = :f"), {"f": fid}).one()
            db.session.close()
        assert valid, reason
        return fid
    body = resp.get_json()
    assert body and body["code"] and body["message"], resp.get_data(as_text=True)[:300]
    return None


@SETTINGS
@given(body=feature)
def test_random_features_never_cause_a_server_error(app, api_token, body):
    _check(_post(app.test_client(), api_token, body), app)


@SETTINGS
@given(geom=valid_square(), name=st.text(min_size=1, max_size=100).filter(str.strip),
       kind=st.sampled_from(PROJECT_TYPES), money=weird_number)
def test_valid_geometries_are_stored_valid_and_bad_numbers_refused(app, api_token, geom, name, kind, money):
    body = {"type": "Feature", "geometry": geom,
            "properties": {"name": name, "project_type": kind, "status": "planned", "investment_wan": money}}
    resp = _post(app.test_client(), api_token, body)
    fid = _check(resp, app)
    if isinstance(money, float) and not math.isfinite(money):
        assert resp.status_code in (400, 422)  # NaN/Infinity are never stored
    if fid is not None:
        stored = app.test_client().get(f"/ogc/collections/projects/items/{fid}",
                                       headers={"Authorization": f"Bearer {api_token}"}).get_json()
        assert stored["properties"]["name"] == name


@pytest.mark.parametrize("geom", [
    {"type": "Polygon", "coordinates": [[[113.1, 27.9], [113.11, 27.91], [113.11, 27.9], [113.1, 27.91],
                                         [113.1, 27.9]]]},  # bow-tie
    {"type": "Polygon", "coordinates": [[[113.1, 27.9], [113.11, 27.9], [113.1, 27.9]]]},  # too few points
    {"type": "Polygon", "coordinates": [[["NaN", 27.9], [113.11, 27.9], [113.11, 27.91], [113.1, 27.9]]]},
])
def test_invalid_geometries_get_422_with_nothing_stored(app, api_token, geom, session):
    before = session.scalar(text("SELECT count(*) FROM projects"))
    resp = _post(app.test_client(), api_token, {"type": "Feature", "geometry": geom, "properties": {
        "name": "无效几何", "project_type": "public", "status": "planned"}})
    assert resp.status_code in (400, 422) and resp.get_json()["code"]
    assert session.scalar(text("SELECT count(*) FROM projects")) == before
