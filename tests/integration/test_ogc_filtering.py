"""OGC API – Features Part 3: queryables, CQL2 filters (text and JSON), filter-crs and datetime.

Every filter's answer is compared with the same condition evaluated in Python
over all the collection's features, so a filter that matched too much or too
little fails.
"""
import json
from datetime import date

import jsonschema_rs
import pytest
import shapely
from shapely.geometry import box, shape

from tests.factories import unique

FILTER_CLASSES = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
]
# Qingshuitang's industrial belt, lon/lat
AREA = box(113.07, 27.84, 113.11, 27.88)


def _all(client, headers, cid):
    body = client.get(f"/ogc/collections/{cid}/items?limit=10000", headers=headers).get_json()
    assert body["numberMatched"] == len(body["features"])
    return body["features"]


def _ids(client, headers, cid, **params):
    resp = client.get(f"/ogc/collections/{cid}/items", query_string={"limit": 10000, **params}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["numberMatched"] == body["numberReturned"]
    return {f["id"] for f in body["features"]}


def _expect(features, predicate):
    return {f["id"] for f in features if predicate(f["properties"], f["geometry"])}


def _bad(client, headers, cid, **params):
    resp = client.get(f"/ogc/collections/{cid}/items", query_string=params, headers=headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)
    return resp.get_json()


def test_conformance_declares_the_filter_classes(client, headers):
    conforms = client.get("/ogc/conformance", headers=headers).get_json()["conformsTo"]
    assert set(FILTER_CLASSES) <= set(conforms)


def test_queryables_are_json_schema_with_every_property_type_enum_and_title(client, headers):
    from gis_tracker.services.features import catalog

    for cid, coll in catalog.collections().items():
        resp = client.get(f"/ogc/collections/{cid}/queryables", headers=headers)
        assert resp.status_code == 200 and resp.mimetype == "application/schema+json"
        doc = resp.get_json()
        assert jsonschema_rs.meta.is_valid(doc), cid
        assert doc["type"] == "object" and doc["$id"].endswith(f"/ogc/collections/{cid}/queryables")
        expected = {f.name for f in coll.fields if f.type != "object"} | {"geometry"}
        assert set(doc["properties"]) == expected
        for f in coll.fields:
            if f.type == "object":
                continue
            prop = doc["properties"][f.name]
            assert prop["title"] and prop["type"] in ("string", "integer", "number", "boolean")
            if f.type == "date":
                assert prop == {**prop, "type": "string", "format": "date"}
            if f.choices:
                assert prop["enum"] == list(f.choices)
        assert doc["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"


def test_comparisons_like_in_between_null_and_logic(client, headers):
    feats = _all(client, headers, "enterprises")
    cases = {
        "stage = 'accepted'": lambda p, g: p["stage"] == "accepted",
        "stage <> 'accepted'": lambda p, g: p["stage"] != "accepted",
        "employees > 500": lambda p, g: p["employees"] is not None and p["employees"] > 500,
        "employees <= 50": lambda p, g: p["employees"] is not None and p["employees"] <= 50,
        "land_area_m2 >= 100000.5": lambda p, g: p["land_area_m2"] is not None and p["land_area_m2"] >= 100000.5,
        "name LIKE '%冶炼%'": lambda p, g: "冶炼" in p["name"],
        "name NOT LIKE '株洲%'": lambda p, g: not p["name"].startswith("株洲"),
        "stage IN ('accepted', 'remediation')": lambda p, g: p["stage"] in ("accepted", "remediation"),
        "path NOT IN ('close')": lambda p, g: p["path"] != "close",
        "employees BETWEEN 100 AND 500": lambda p, g: p["employees"] is not None and 100 <= p["employees"] <= 500,
        "credit_code IS NULL": lambda p, g: p["credit_code"] is None,
        "destination IS NOT NULL": lambda p, g: p["destination"] is not None,
        "stage = 'accepted' AND employees > 100": lambda p, g: p["stage"] == "accepted" and (p["employees"] or 0) > 100,
        "stage = 'accepted' OR path = 'close'": lambda p, g: p["stage"] == "accepted" or p["path"] == "close",
        "NOT (path = 'close')": lambda p, g: p["path"] != "close",
        "CASEI(stage_label) = CASEI('验收销号')": lambda p, g: p["stage_label"] == "验收销号",
        "is_sample = false": lambda p, g: p["is_sample"] is False,
        "zone_code = 'QST-SP-1'": lambda p, g: p["zone_code"] == "QST-SP-1",
    }
    for text, predicate in cases.items():
        expected = _expect(feats, predicate)
        assert _ids(client, headers, "enterprises", filter=text) == expected, text
    # the Chinese and the English message name the problem; the draft language name GDAL sends works too
    assert _ids(client, headers, "enterprises", filter="name ILIKE '%冶炼%'", **{"filter-lang": "cql-text"}) == \
        _expect(feats, lambda p, g: "冶炼" in p["name"])


def test_cql2_json_gives_the_same_answers(client, headers):
    feats = _all(client, headers, "enterprises")
    tree = {"op": "and", "args": [
        {"op": "in", "args": [{"property": "stage"}, ["accepted", "remediation"]]},
        {"op": "between", "args": [{"property": "employees"}, [100, 2000]]},
        {"op": "not", "args": [{"op": "isNull", "args": [{"property": "industry"}]}]},
        {"op": "like", "args": [{"property": "name"}, "%公司%"]},
    ]}
    expected = _expect(feats, lambda p, g: p["stage"] in ("accepted", "remediation") and p["employees"] is not None
                       and 100 <= p["employees"] <= 2000 and p["industry"] is not None and "公司" in p["name"])
    got = _ids(client, headers, "enterprises", filter=json.dumps(tree), **{"filter-lang": "cql2-json"})
    assert got == expected and expected


def test_spatial_filters_with_wkt_and_geojson_in_either_axis_order(client, headers):
    feats = _all(client, headers, "enterprises")
    inside = _expect(feats, lambda p, g: AREA.intersects(shape(g)))
    assert 0 < len(inside) < len(feats)
    wkt = AREA.wkt
    assert _ids(client, headers, "enterprises", filter=f"S_INTERSECTS(geometry, {wkt})") == inside
    assert _ids(client, headers, "enterprises", filter=f"S_WITHIN(geometry, {wkt})") == inside  # points
    assert _ids(client, headers, "enterprises", filter="S_INTERSECTS(geometry, BBOX(113.07, 27.84, 113.11, 27.88))") \
        == inside
    # EPSG:4326 is latitude first: the same area written lat/lon finds the same enterprises
    latlon = shapely.transform(AREA, lambda xy: xy[:, ::-1])
    assert _ids(client, headers, "enterprises", filter=f"S_INTERSECTS(geometry, {latlon.wkt})",
                **{"filter-crs": "http://www.opengis.net/def/crs/EPSG/0/4326"}) == inside
    # and in EPSG:4547 (northing first), metres
    from gis_tracker.spatial.measure import reproject
    metres = shapely.transform(reproject(AREA, 4326, 4547), lambda xy: xy[:, ::-1])
    assert _ids(client, headers, "enterprises", filter=f"S_INTERSECTS(geometry, {metres.wkt})",
                **{"filter-crs": "EPSG:4547"}) == inside
    tree = {"op": "s_within", "args": [{"property": "geometry"}, shapely.geometry.mapping(AREA)]}
    assert _ids(client, headers, "enterprises", filter=json.dumps(tree), **{"filter-lang": "cql2-json"}) == inside
    projects = _all(client, headers, "projects")
    touching = _expect(projects, lambda p, g: AREA.intersects(shape(g)))
    within = _expect(projects, lambda p, g: shape(g).within(AREA))
    assert _ids(client, headers, "projects", filter=f"S_INTERSECTS(geometry, {wkt})") == touching
    assert _ids(client, headers, "projects", filter=f"S_WITHIN(geometry, {wkt})") == within
    assert within < touching


def test_temporal_functions_and_date_comparisons(client, headers):
    feats = _all(client, headers, "projects")

    def day(p):
        return date.fromisoformat(p["land_supplied_date"]) if p["land_supplied_date"] else None

    cut, end = date(2019, 1, 1), date(2021, 12, 31)
    cases = {
        "T_AFTER(land_supplied_date, DATE('2019-01-01'))": lambda d: d > cut,
        "T_BEFORE(land_supplied_date, DATE('2019-01-01'))": lambda d: d < cut,
        "T_INTERSECTS(land_supplied_date, INTERVAL('2019-01-01', '2021-12-31'))": lambda d: cut <= d <= end,
        "T_DURING(land_supplied_date, INTERVAL('2019-01-01', '2021-12-31'))": lambda d: cut < d < end,
        "T_INTERSECTS(land_supplied_date, INTERVAL('2019-01-01', '..'))": lambda d: d >= cut,
        "T_DISJOINT(land_supplied_date, INTERVAL('2019-01-01', '2021-12-31'))": lambda d: d < cut or d > end,
        "land_supplied_date >= DATE('2019-01-01')": lambda d: d >= cut,
        "land_supplied_date < '2019-01-01'": lambda d: d < cut,
        "land_supplied_date BETWEEN DATE('2019-01-01') AND DATE('2021-12-31')": lambda d: cut <= d <= end,
    }
    for text, predicate in cases.items():
        expected = _expect(feats, lambda p, g, pr=predicate: day(p) is not None and pr(day(p)))
        assert _ids(client, headers, "projects", filter=text) == expected, text
    some = _expect(feats, lambda p, g: day(p) is not None and cut <= day(p) <= end)
    assert 0 < len(some) < len(feats)


def test_datetime_is_honoured_on_the_temporal_property(client, headers):
    feats = _all(client, headers, "projects")
    doc = client.get("/ogc/collections/projects", headers=headers).get_json()
    assert doc["temporalProperty"] == "land_supplied_date"
    first, last = doc["extent"]["temporal"]["interval"][0]
    days = sorted(date.fromisoformat(f["properties"]["land_supplied_date"]) for f in feats
                  if f["properties"]["land_supplied_date"])
    assert first.startswith(days[0].isoformat()) and last.startswith(days[-1].isoformat())
    target = days[len(days) // 2]

    def between(lo, hi):
        return _expect(feats, lambda p, g: p["land_supplied_date"] is not None
                       and lo <= date.fromisoformat(p["land_supplied_date"]) <= hi)

    assert _ids(client, headers, "projects", datetime=target.isoformat()) == between(target, target)
    assert _ids(client, headers, "projects", datetime=f"{target.isoformat()}T10:00:00Z") == between(target, target)
    assert _ids(client, headers, "projects", datetime="2019-01-01/2021-12-31") == \
        between(date(2019, 1, 1), date(2021, 12, 31))
    assert _ids(client, headers, "projects", datetime="../2019-01-01") == between(date.min, date(2019, 1, 1))
    assert _ids(client, headers, "projects", datetime="2019-01-01/..") == between(date(2019, 1, 1), date.max)
    schema = client.get("/ogc/collections/projects/schema", headers=headers).get_json()
    assert schema["properties"]["land_supplied_date"]["x-ogc-role"] == "primary-instant"


@pytest.mark.parametrize("value", ["garbage", "2021-13-01", "2021-05-01/garbage", "../..", "2022-01-01/2021-01-01"])
def test_malformed_datetime_is_refused(client, headers, value):
    body = _bad(client, headers, "projects", datetime=value)
    assert body["code"] == "bad_datetime" and body["parameter"] == "datetime"


def test_datetime_is_refused_where_there_is_no_temporal_property(client, headers):
    for cid in ("zones", "water_bodies", "enterprises"):
        body = _bad(client, headers, cid, datetime="2021-01-01")
        assert body["code"] == "datetime_not_supported" and cid in body["message"]
        assert "temporal" not in client.get(f"/ogc/collections/{cid}", headers=headers).get_json().get("extent", {})


def test_unknown_properties_and_bad_syntax_answer_400_naming_the_problem(client, headers):
    body = _bad(client, headers, "enterprises", filter="colour = 'red'")
    assert body["code"] == "bad_filter" and body["property"] == "colour" and "colour" in body["message"]
    assert "stage" in body["message"]  # the queryables are listed
    body = _bad(client, headers, "enterprises", filter="stage_dates IS NULL")  # an object: not queryable
    assert body["property"] == "stage_dates"
    body = _bad(client, headers, "enterprises", filter="stage = ")
    assert body["code"] == "bad_filter" and "语法" in body["message"]
    body = _bad(client, headers, "enterprises", filter="employees = 'many'")
    assert body["property"] == "employees" and "employees" in body["message"]
    body = _bad(client, headers, "enterprises", filter="{not json", **{"filter-lang": "cql2-json"})
    assert body["code"] == "bad_filter"
    body = _bad(client, headers, "enterprises", filter="stage = 'x'", **{"filter-lang": "sql"})
    assert body["code"] == "bad_filter_lang" and body["parameter"] == "filter-lang"
    body = _bad(client, headers, "enterprises", filter="S_INTERSECTS(geometry, POINT(27.86 113.1))")
    assert "filter-crs" in body["message"]  # latitude 113: the axis order hint
    body = _bad(client, headers, "enterprises", filter="stage = 'x'", **{"filter-crs": "EPSG:3857"})
    assert body["parameter"] == "filter-crs"
    english = client.get("/ogc/collections/enterprises/items", query_string={"filter": "colour = 'red'", "lang": "en"},
                         headers=headers).get_json()
    assert "no queryable property" in english["message"] and "colour" in english["message"]


def test_hostile_filters_are_values_never_sql(client, headers):
    feats = _all(client, headers, "enterprises")
    for text in ("name = 'x'' OR 1=1 --'", "name = 'x''); DROP TABLE enterprises; --'"):
        assert _ids(client, headers, "enterprises", filter=text) == set()
    assert len(_all(client, headers, "enterprises")) == len(feats)
    deep = "stage = 'x'" + " AND stage = 'x'" * 3000
    assert _bad(client, headers, "enterprises", filter=deep)["code"] == "bad_filter"


@pytest.fixture()
def layer_name(app):
    """A unique planner layer name; the layer is retired afterwards (other tests expect the built-in ones)."""
    from sqlalchemy import func, select

    from gis_tracker.db import db
    from gis_tracker.models import UserLayer

    name = unique("parcels").replace("-", "_")
    yield name
    with app.app_context():
        for layer in db.session.scalars(select(UserLayer).where(UserLayer.name == name)):
            layer.deleted_at = func.now()
        db.session.commit()


def test_filters_on_a_planner_layer_use_its_fields(client, headers, layer_name):
    """Planner-defined layers keep attributes in JSONB: the same filters work on them, typed."""
    name = layer_name
    layer = {"name": name, "title": "地块", "geometry_type": "Point",
             "fields": [{"name": "grade", "type": "string", "label": "等级", "choices": ["一级", "二级"]},
                        {"name": "area", "type": "number", "label": "面积"},
                        {"name": "surveyed", "type": "date", "label": "调查日期"}]}
    resp = client.post("/api/layers", json=layer, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    rows = [("一级", 120.5, "2020-03-01"), ("二级", 80.0, "2021-07-15"), ("一级", None, None)]
    for i, (grade, area, surveyed) in enumerate(rows):
        body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.10 + i * 0.001, 27.87]},
                "properties": {"grade": grade, "area": area, "surveyed": surveyed}}
        assert client.post(f"/ogc/collections/{name}/items", json=body, headers=headers).status_code == 201
    feats = _all(client, headers, name)
    by_grade = _expect(feats, lambda p, g: p["grade"] == "一级")
    assert len(by_grade) == 2
    assert _ids(client, headers, name, filter="grade = '一级'") == by_grade
    assert _ids(client, headers, name, filter="area > 100") == _expect(feats, lambda p, g: (p["area"] or 0) > 100)
    assert _ids(client, headers, name, filter="area IS NULL") == _expect(feats, lambda p, g: p["area"] is None)
    assert _ids(client, headers, name, filter="T_AFTER(surveyed, DATE('2021-01-01'))") == \
        _expect(feats, lambda p, g: p["surveyed"] == "2021-07-15")
    assert _ids(client, headers, name, datetime="2020-01-01/2020-12-31") == \
        _expect(feats, lambda p, g: p["surveyed"] == "2020-03-01")
    queryables = client.get(f"/ogc/collections/{name}/queryables", headers=headers).get_json()
    assert queryables["properties"]["surveyed"]["format"] == "date"
    assert queryables["properties"]["grade"]["enum"] == ["一级", "二级"]
    assert _bad(client, headers, name, filter="area = 'big'")["property"] == "area"
