"""Request numbers and names that used to give 500s (or the wrong feature) are refused with 400/404/422."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from gis_tracker.db import db
from gis_tracker.models import UserLayer
from tests.factories import borrowed_enterprise, unique
from tests.support.clients import csrf_token_of, login

BIG = "9223372036854775808"  # 2**63: one past PostgreSQL's bigint


@pytest.fixture(scope="module")
def zone(app):
    with app.app_context():
        row = db.session.execute(text("SELECT id, version FROM zones WHERE deleted_at IS NULL ORDER BY id LIMIT 1")).one()
        db.session.close()
    return row.id, f'"zones-{row.id}-v{row.version}"'


@pytest.mark.parametrize("f", ["", "&f=json", "&f=html", "&f=csv", "&f=xlsx"])
def test_an_offset_past_bigint_is_400_naming_it(client, headers, f):
    resp = client.get(f"/ogc/collections/zones/items?offset={BIG}{f}", headers=headers)
    assert resp.status_code == 400, resp.status_code
    if f != "&f=html":
        assert resp.get_json()["code"] == "bad_offset" and resp.get_json()["parameter"] == "offset"


def test_the_largest_offset_is_an_empty_page(client, headers):
    resp = client.get(f"/ogc/collections/zones/items?offset={2**63 - 1}", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["numberReturned"] == 0


def test_a_limit_above_the_maximum_is_400(app, client, headers):
    too_many = app.config["OGC_MAX_LIMIT"] + 1
    for url in (f"/ogc/collections/zones/items?limit={too_many}", f"/api/exports/zones?format=csv&limit={too_many}",
                "/api/relocation/enterprises?per_page=501", "/ogc/collections/zones/items?limit=１０"):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 400, (url, resp.status_code)
        assert resp.get_json()["parameter"] in ("limit", "per_page")
    assert client.get(f"/ogc/collections/zones/items?limit={too_many - 1}", headers=headers).status_code == 200


@pytest.fixture(scope="module")
def admin_headers(app):
    from gis_tracker.services.accounts import users
    with app.app_context():
        token = users.issue_token(db.session, "admin", name="strict params")
        db.session.close()
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("raw", ["%C2%B2", "%D9%A1", "%EF%BC%91", "1%0A", "0", "-1", "2147483648", BIG])
def test_feature_ids_are_ascii_digits_within_integer(client, admin_headers, zone, raw):
    headers = admin_headers
    fid, etag = zone
    if raw == "%D9%A1":  # Arabic-Indic one: must not be read as feature 1
        raw = "%D9%A1" if fid == 1 else raw
    base = "/ogc/collections/zones/items"
    calls = [("GET", f"{base}/{raw}", None), ("PUT", f"{base}/{raw}", {"type": "Feature", "properties": {}}),
             ("PATCH", f"{base}/{raw}", {"properties": {}}), ("DELETE", f"{base}/{raw}", None),
             ("POST", f"{base}/{raw}/split", {"parts": []}),
             ("GET", f"/api/collections/zones/items/{raw}/versions", None),
             ("POST", f"/api/collections/zones/items/{raw}/versions/1/restore", None),
             ("POST", f"/api/collections/zones/items/{raw}/restore", None)]
    for method, url, body in calls:
        resp = client.open(url, method=method, headers={**headers, "If-Match": etag}, json=body)
        assert resp.status_code == 404, (method, url, resp.status_code, resp.get_data(as_text=True)[:200])


@pytest.mark.parametrize("raw", ["%D9%A1", "%C2%B2", "１", BIG + "0"])
def test_integer_route_segments_are_ascii_within_bigint(client, headers, zone, raw):
    fid, _ = zone
    for url in (f"/api/imports/{raw}", f"/api/jobs/{raw}", f"/api/enterprises/{raw}/history", f"/api/relocation/attachments/{raw}",
                f"/api/collections/zones/items/{fid}/versions/{raw}/restore", f"/tiles/zones/{raw}/0/0.mvt"):
        method = "POST" if url.endswith("restore") else "GET"
        assert client.open(url, method=method, headers=headers).status_code == 404, url


def test_unicode_digits_in_filters_and_bbox_are_400(client, headers):
    for query, parameter in (("bbox=١١٣,٢٧,١١٣.١,٢٧.١", "bbox"), ("employees=١٢", "employees"),
                             ("employees=99999999999999999999", "employees"), ("bbox=113,27,113.1,27.1%0A", "bbox")):
        resp = client.get(f"/ogc/collections/enterprises/items?{query}", headers=headers)
        assert resp.status_code == 400, query
        assert resp.get_json()["parameter"] == parameter


def _layer_count(app) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(UserLayer))
        db.session.close()
    return count


@pytest.mark.parametrize("change", [{"name": "roads_x\n"}, {"fields": [{"name": "a\n", "type": "string"}]},
                                    {"fields": [{"name": "a", "type": "string", "label": "x" * 101}]},
                                    {"title": "标" * 201}, {"style": {"color": "#ffffff\n"}}])
def test_layer_names_fields_and_titles_are_checked_whole(app, client, headers, change):
    before = _layer_count(app)
    body = {"name": unique("strict").replace("-", "_"), "title": "严格", "geometry_type": "Point",
            "fields": [{"name": "a", "type": "string"}], **change}
    resp = client.post("/api/layers", headers=headers, json=body)
    assert resp.status_code in (400, 422), (change, resp.status_code)
    assert _layer_count(app) == before  # nothing stored


def test_a_credit_code_longer_than_its_column_is_422_before_the_database(app):
    officer = login(app.test_client(), "relocation_officer")
    with borrowed_enterprise(app, "assessment", "close") as eid:
        item = officer.get(f"/ogc/collections/enterprises/items/{eid}")
        resp = officer.patch(f"/ogc/collections/enterprises/items/{eid}", json={"properties": {"credit_code": "9" * 19}},
                             headers={"If-Match": item.headers["ETag"], "X-CSRFToken": csrf_token_of(officer)})
        assert resp.status_code == 422, resp.get_json()
        assert resp.get_json()["field"] == "credit_code" and "18" in resp.get_json()["message"]
        assert officer.get(f"/ogc/collections/enterprises/items/{eid}").headers["ETag"] == item.headers["ETag"]


@pytest.mark.parametrize("body", ['{"properties": {"name": "\\ud800"}}', '{"properties": {"name": "a\\u0000b"}}'])
def test_text_no_database_can_store_is_refused(client, headers, zone, body):
    fid, etag = zone
    resp = client.patch(f"/ogc/collections/zones/items/{fid}", data=body, content_type="application/json",
                        headers={**headers, "If-Match": etag})
    assert resp.status_code in (400, 422), resp.get_data(as_text=True)[:300]
    assert client.get(f"/ogc/collections/zones/items/{fid}", headers=headers).headers["ETag"] == etag


def test_a_lone_surrogate_in_a_filter_is_400(client, headers):
    resp = client.post("/api/layers", headers=headers, data='{"name": "\\udc80x"}', content_type="application/json")
    assert resp.status_code in (400, 422)


def test_the_import_form_field_count_is_a_bounded_integer(app, tmp_path):
    from tests.support.clients import sandbox, upload
    with sandbox(app, tmp_path_factory=_Factory(tmp_path)):
        client = login(app.test_client(), "planner")
        path = tmp_path / "points.csv"
        path.write_text("name,lon,lat\na,113.12,27.92\n", encoding="utf-8")
        token = csrf_token_of(client)
        resp = upload(client, {"X-CSRFToken": token}, path)
        assert resp.status_code == 201, resp.get_json()
        import_id = resp.get_json()["id"]
        for count in ("abc", "١", "2000000", "-1"):
            page = client.post(f"/exchange/imports/{import_id}/commit",
                               data={"csrf_token": token, "target": "new", "name": unique("fc").replace("-", "_"),
                                     "field_count": count})
            assert page.status_code == 400, (count, page.status_code)
            assert "field_count" in page.get_data(as_text=True)
        assert client.get(f"/api/imports/{import_id}").get_json()["status"] == "previewed"


class _Factory:
    """A minimal tmp_path_factory for :func:`tests.support.clients.sandbox` inside one test."""

    def __init__(self, root):
        self.root, self.n = root, 0

    def mktemp(self, name):
        self.n += 1
        path = self.root / f"{name}{self.n}"
        path.mkdir()
        return path


@pytest.mark.parametrize("url", ["/ogc/collections/%00", "/api/collections/a%00b/deleted", "/ogc/collections/zones/items?name=%00",
                                 "/api/relocation/enterprises?q=a%00", "/admin/audit?user=%00"])
def test_nul_anywhere_in_a_url_is_400_naming_the_parameter(client, admin_headers, url):
    resp = client.get(url, headers=admin_headers)
    assert resp.status_code == 400, (url, resp.status_code)
    if resp.is_json:
        assert resp.get_json()["code"] == "bad_parameter"


def test_an_unknown_parameter_of_the_enterprise_table_is_400(app, client, headers):
    viewer = login(app.test_client(), "viewer")
    for url in ("/relocation/?format=%20", "/api/relocation/enterprises?colour=red"):
        resp = viewer.get(url)
        assert resp.status_code == 400, url
    assert viewer.get("/api/relocation/ledger/export?format=csv").status_code == 200  # its own parameter


@pytest.mark.parametrize("url", ["/api/exports", "/api/admin/basemap-check", "/api/layers", "/api/imports/1/commit"])
def test_json_nested_too_deeply_is_400(client, admin_headers, url):
    resp = client.post(url, data="[" * 5000, content_type="application/json", headers=admin_headers)
    assert 400 <= resp.status_code < 500, (url, resp.status_code)
