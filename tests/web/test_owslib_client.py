"""A real client: OWSLib's OGC API – Features (as Python scripts and QGIS plugins use it), over HTTP Basic with a token."""
import json

import pytest
from owslib.ogcapi.features import Features
from owslib.util import Authentication


@pytest.fixture()
def api(live_server, api_token):
    return Features(f"{live_server}/ogc", auth=Authentication("planner", api_token), timeout=60)


def test_owslib_reads_conformance_and_collections(api):
    conforms = api.conformance()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in conforms
    assert "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text" in conforms
    ids = [c["id"] for c in api.collections()["collections"]]
    assert {"zones", "enterprises", "protected_areas", "water_bodies", "projects"} <= set(ids)
    assert set(api.feature_collections()) >= {"zones", "enterprises"}


def test_owslib_reads_queryables_and_the_schema(api):
    queryables = api.collection_queryables("enterprises")
    assert queryables["properties"]["stage"]["enum"] and queryables["properties"]["stage"]["title"] == "当前阶段"
    assert queryables["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"
    schema = api.collection_schema("projects")
    assert schema["properties"]["land_supplied_date"]["format"] == "date"
    assert schema["properties"]["id"]["x-ogc-role"] == "id"


def test_owslib_items_with_cql2_filters(api, client, headers):
    text = "stage IN ('accepted', 'remediation') AND employees >= 200"
    got = api.collection_items("enterprises", filter=text, limit=1000)
    expected = client.get("/ogc/collections/enterprises/items", headers=headers,
                          query_string={"limit": 1000}).get_json()["features"]
    wanted = {f["id"] for f in expected if f["properties"]["stage"] in ("accepted", "remediation")
              and (f["properties"]["employees"] or 0) >= 200}
    assert {f["id"] for f in got["features"]} == wanted and wanted
    assert got["numberMatched"] == len(wanted)
    as_json = {"op": "like", "args": [{"property": "name"}, "%冶炼%"]}
    got = api.collection_items("enterprises", filter=json.dumps(as_json), limit=1000, **{"filter-lang": "cql2-json"})
    assert got["features"] and all("冶炼" in f["properties"]["name"] for f in got["features"])
    with pytest.raises(RuntimeError, match="bad_filter"):
        api.collection_items("enterprises", filter="height > 3")


def test_owslib_with_the_account_password_is_refused(live_server):
    from tests.support.clients import PASSWORD

    with pytest.raises(RuntimeError, match="unauthorized"):
        Features(f"{live_server}/ogc", auth=Authentication("planner", PASSWORD), timeout=60).collections()
