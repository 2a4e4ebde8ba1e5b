"""Absolute links never come from the client's Host header: EXTERNAL_URL or a trusted host, else 400."""
from __future__ import annotations

import contextlib

import pytest
from flask import url_for

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from gis_tracker.hosts import ExternalUrlProblem
from tests.support.clients import csrf_token_of, login

SQUARE = {"type": "Polygon", "coordinates": [[[113.10, 27.90], [113.1004, 27.90], [113.1004, 27.9004],
                                              [113.10, 27.9004], [113.10, 27.90]]]}


@contextlib.contextmanager
def configured_app(database_url, **settings):
    config = TestConfig(database_url)
    for key, value in settings.items():
        setattr(config, key, value)
    app = create_app(config)
    try:
        yield app
    finally:
        app.extensions["db_engine"].dispose()


def _hrefs(doc) -> list[str]:
    return [link["href"] for link in doc["links"]]


@pytest.mark.parametrize("url", ["/ogc", "/ogc/collections", "/ogc/collections/zones/items?limit=1"])
def test_an_unknown_host_is_refused_before_any_link_is_built(client, headers, url):
    resp = client.get(url, headers={**headers, "Host": "evil.example"})
    assert resp.status_code == 400
    assert resp.get_json()["code"] == "untrusted_host"
    assert "evil.example" not in resp.get_data(as_text=True)


def test_an_unknown_host_gets_a_plain_page_in_the_browser(client):
    resp = client.get("/login", headers={"Host": "evil.example:5000"})
    assert resp.status_code == 400 and "Traceback" not in resp.get_data(as_text=True)
    assert "不受信任" in resp.get_data(as_text=True)


def test_a_forwarded_host_from_the_trusted_proxy_is_checked_too(database_url):
    with configured_app(database_url, TRUSTED_PROXIES=1) as app:
        client = app.test_client()
        assert client.get("/healthz", headers={"X-Forwarded-Host": "evil.example"}).status_code == 400
        assert client.get("/healthz", headers={"X-Forwarded-Host": "localhost"}).status_code == 200


def test_links_follow_a_trusted_request_host(client, headers):
    doc = client.get("/ogc", headers={**headers, "Host": "127.0.0.1:5616"}).get_json()
    assert all(h.startswith("http://127.0.0.1:5616/ogc") for h in _hrefs(doc)), _hrefs(doc)


def test_external_url_builds_every_absolute_link_whatever_the_host(database_url, api_token):
    auth = {"Authorization": f"Bearer {api_token}"}
    with configured_app(database_url, EXTERNAL_URL="https://gis.shifeng.example/") as app:
        client = app.test_client()
        for host in ("localhost", "127.0.0.1:5616", "gis.shifeng.example"):
            doc = client.get("/ogc", headers={**auth, "Host": host}).get_json()
            assert all(h.startswith("https://gis.shifeng.example/ogc") for h in _hrefs(doc)), _hrefs(doc)
        items = client.get("/ogc/collections/zones/items?limit=1", headers=auth).get_json()
        assert items["links"][0]["href"].startswith("https://gis.shifeng.example/ogc/collections/zones/items?")
        assert client.get("/ogc", headers={**auth, "Host": "evil.example"}).status_code == 400
        # A Location header (a link other modules add with url_for(..., _external=True)) too.
        planner = login(app.test_client(), "planner")
        created = planner.post("/ogc/collections/projects/items", headers={"X-CSRFToken": csrf_token_of(planner)},
                               json={"type": "Feature", "geometry": SQUARE,
                                     "properties": {"name": "外部地址测试", "project_type": "public",
                                                    "status": "planned"}})
        assert created.status_code == 201, created.get_json()
        assert created.headers["Location"].startswith("https://gis.shifeng.example/ogc/collections/projects/items/")
        planner.delete(created.headers["Location"].replace("https://gis.shifeng.example", ""),
                       headers={"X-CSRFToken": csrf_token_of(planner), "If-Match": created.headers["ETag"]})
        with app.app_context():  # outside any request (commands, background jobs)
            assert url_for("ogc.collections", _external=True) == "https://gis.shifeng.example/ogc/collections"


def test_external_url_with_a_path_prefixes_every_link(database_url, api_token):
    with configured_app(database_url, EXTERNAL_URL="https://intranet.example/gis") as app:
        doc = app.test_client().get("/ogc", headers={"Authorization": f"Bearer {api_token}"}).get_json()
        assert all(h.startswith("https://intranet.example/gis/ogc") for h in _hrefs(doc)), _hrefs(doc)


def test_a_configured_host_list_admits_exactly_those_hosts(database_url):
    with configured_app(database_url, TRUSTED_HOSTS=["gis.shifeng.example", ".zhuzhou.example"]) as app:
        client = app.test_client()
        for host, status in (("gis.shifeng.example", 200), ("map.zhuzhou.example:8080", 200),
                             ("localhost", 400), ("gis.shifeng.example.evil.example", 400), ("", 400)):
            assert client.get("/healthz", headers={"Host": host}).status_code == status, host


@pytest.mark.parametrize("value", ["gis.example", "ftp://gis.example", "https://", "https://gis.example/?x=1"])
def test_a_malformed_external_url_stops_the_start(database_url, value):
    with pytest.raises(ExternalUrlProblem), configured_app(database_url, EXTERNAL_URL=value):
        pass
