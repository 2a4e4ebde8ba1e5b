"""``sortby=[+|-]field,…`` on items (OGC API – Features Part 5 draft, as the attribute table sends it):
strict keys, nulls last, ties by id, the same order in the file exports."""
import csv
import io
import json
from urllib.parse import quote

import pytest


def _items(client, query):
    resp = client.get("/ogc/collections/projects/items?limit=500&" + query)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()["features"]


def _key(values, reverse=False):
    present = [v for v in values if v is not None]
    return sorted(present, reverse=reverse) + [None] * (len(values) - len(present))


def test_sortby_ascending_descending_plus_sign_and_nulls_last(admin_client):
    up = [f["properties"]["floor_area_ratio"] for f in _items(admin_client, "sortby=floor_area_ratio")]
    assert up == _key(up) and None in up and len(set(v for v in up if v is not None)) > 3
    down = [f["properties"]["floor_area_ratio"] for f in _items(admin_client, "sortby=-floor_area_ratio")]
    assert down == _key(down, reverse=True)
    plus = _items(admin_client, "sortby=%2Bfloor_area_ratio")  # "+" encoded
    assert [f["id"] for f in plus] == [f["id"] for f in _items(admin_client, "sortby=floor_area_ratio")]


def test_sortby_several_keys_computed_fields_and_ties_by_id(admin_client):
    feats = _items(admin_client, "sortby=zone_name,-investment_wan")
    pairs = [(f["properties"]["zone_name"], f["properties"]["investment_wan"], f["id"]) for f in feats]
    expected = sorted(pairs, key=lambda p: (p[0] is None, p[0] or "", p[1] is None, -(p[1] or 0), p[2]))
    assert pairs == expected
    status = [f["properties"]["status"] for f in _items(admin_client, "sortby=status")]  # a choice: by code
    assert status == sorted(status)


@pytest.mark.parametrize("sortby", ["colour", "+-name", "--name", "name,", ",name", "stage_dates", "id",
                                    "name desc", "-"])
def test_sortby_refuses_anything_but_declared_fields(admin_client, sortby):
    collection = "enterprises" if sortby == "stage_dates" else "projects"
    resp = admin_client.get(f"/ogc/collections/{collection}/items?sortby={quote(sortby)}")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["code"] == "bad_sortby" and body["parameter"] == "sortby"


def test_the_csv_export_keeps_the_filter_and_the_sort(admin_client):
    cql = json.dumps({"op": "=", "args": [{"property": "status"}, "completed"]})
    query = f"filter={quote(cql)}&filter-lang=cql2-json&sortby=-investment_wan"
    expected = [f["properties"]["name"] for f in _items(admin_client, query)]
    assert 1 < len(expected) < len(_items(admin_client, ""))
    resp = admin_client.get("/ogc/collections/projects/items?f=csv&" + query)
    assert resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == expected
