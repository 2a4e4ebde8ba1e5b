"""``POST /api/admin/basemap-check``: fetches through the outbound guard only from allowlisted hosts."""
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from gis_tracker import create_app
from gis_tracker.config import TestConfig
from tests.support.clients import csrf_token_of, login

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


class _TileHandler(BaseHTTPRequestHandler):
    requests_seen: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server API
        _TileHandler.requests_seen.append(self.path)
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def tile_server():
    server = HTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture()
def checker(app, database_url, tile_server):
    config = TestConfig(database_url)
    config.OUTBOUND_ALLOWLIST = "127.0.0.1/32"
    config.BASEMAP_URL = tile_server + "/{z}/{x}/{y}.png"
    app = create_app(config)
    client = login(app.test_client(), "admin")
    client.environ_base["HTTP_X_CSRFTOKEN"] = csrf_token_of(client)
    yield client
    app.extensions["db_engine"].dispose()


def test_configured_basemap_on_an_allowlisted_host_is_checked(checker):
    _TileHandler.requests_seen.clear()
    resp = checker.post("/api/admin/basemap-check", json={})
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"] is True, body
    assert body["status"] == 200 and body["content_type"] == "image/png" and body["bytes"] == len(PNG)
    assert _TileHandler.requests_seen == ["/12/3334/1708.png"]


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd",
                                 "http://localhost:1/x", "http://[::1]/x", "gopher://127.0.0.1/"])
def test_other_hosts_and_schemes_are_refused_without_a_connection(checker, url):
    _TileHandler.requests_seen.clear()
    resp = checker.post("/api/admin/basemap-check", json={"url": url})
    assert resp.status_code == 400 and resp.get_json()["code"] == "outbound_refused"
    assert _TileHandler.requests_seen == []


def test_redirects_are_not_followed(checker, tile_server):
    resp = checker.post("/api/admin/basemap-check", json={"url": tile_server + "/redirect"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["ok"] is False and body["status"] == 302


def test_unreachable_allowlisted_host_is_reported_not_a_server_error(checker):
    resp = checker.post("/api/admin/basemap-check", json={"url": "http://127.0.0.1:1/{z}/{x}/{y}.png"})
    assert resp.status_code == 200 and resp.get_json()["ok"] is False


def test_only_admins_may_check(app):
    planner = login(app.test_client(), "planner")
    token = csrf_token_of(planner)
    resp = planner.post("/api/admin/basemap-check", json={}, headers={"X-CSRFToken": token})
    assert resp.status_code == 403
