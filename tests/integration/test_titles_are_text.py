"""A layer title is text everywhere the server renders it: HTML pages, PDF/PNG maps, interactive maps, exports.

Markup stored in a title (HTML, or matplotlib's ``$…$`` mathtext) is shown as the characters typed,
never interpreted; the map's own JavaScript is checked in the browser tests.
"""
from __future__ import annotations

import html
import subprocess

import pytest
from sqlalchemy import text

from gis_tracker.db import db
from gis_tracker.services.cartography import html_snapshot, snapshot
from tests.factories import unique
from tests.support.clients import csrf_token_of, login

TITLE = '<img src=x onerror=alert(1)><b>粗</b> $\\notamacro{x}$ 10$'
SQUARE = {"type": "Polygon", "coordinates": [[[113.10, 27.90], [113.1005, 27.90], [113.1005, 27.9005],
                                              [113.10, 27.9005], [113.10, 27.90]]]}


@pytest.fixture(scope="module")
def marked_up_layer(app):
    client = login(app.test_client(), "planner")
    token = csrf_token_of(client)
    name = unique("markup").replace("-", "_")
    assert client.post("/api/layers", headers={"X-CSRFToken": token}, json={
        "name": name, "title": TITLE, "geometry_type": "Polygon",
        "fields": [{"name": "name", "type": "string", "label": "<i>名称</i>"}]}).status_code == 201
    assert client.post(f"/ogc/collections/{name}/items", headers={"X-CSRFToken": token}, json={
        "type": "Feature", "geometry": SQUARE, "properties": {"name": "$\\alpha$ <script>x</script>"}}).status_code == 201
    yield client, name
    with app.app_context():
        db.session.execute(text("UPDATE user_layers SET deleted_at = now(), deleted_by = 'tests' WHERE name = :n"),
                           {"n": name})
        db.session.commit()


@pytest.mark.parametrize("url", ["/ogc/collections?f=html", "/ogc/collections/{name}?f=html",
                                 "/ogc/collections/{name}/items?f=html", "/exchange", "/exports/"])
def test_pages_show_the_title_as_text(marked_up_layer, url):
    client, name = marked_up_layer
    resp = client.get(url.format(name=name))
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "<img src=x" not in page and "<b>粗</b>" not in page and "<script>x</script>" not in page
    if "exports" not in url:
        assert html.escape(TITLE, quote=False) in page or html.escape(TITLE) in page


def _pdf_text(content: bytes, tmp_path) -> str:
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(content)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_a_printed_map_shows_dollar_signs_and_backslashes_as_typed(app, marked_up_layer, tmp_path):
    _, name = marked_up_layer
    with app.app_context():
        req = snapshot.SnapshotRequest.from_params({"format": "pdf", "layers": f"zones,{name}",
                                                    "title": "$\\undefined$ 图", "map_date": "2026-01-01"})
        content = snapshot.render(db.session, req).content
        png = snapshot.render(db.session, snapshot.SnapshotRequest.from_params(
            {"format": "png", "layers": name, "title": "$x^2$", "dpi": 72})).content
        db.session.close()
    words = _pdf_text(content, tmp_path)
    assert "$\\undefined$" in words  # mathtext would have failed on the unknown command, or eaten the $ signs
    assert "$\\notamacro{x}$" in words and "<b>粗</b>" in words
    assert png.startswith(b"\x89PNG")


def test_an_interactive_map_escapes_the_title(app, marked_up_layer):
    _, name = marked_up_layer
    with app.app_context():
        page = html_snapshot.render(db.session, snapshot.SnapshotRequest.from_params(
            {"format": "html", "layers": name, "title": "<b>会商</b>"})).decode("utf-8")
        db.session.close()
    assert "<img src=x" not in page and "<b>粗</b>" not in page and "<b>会商</b>" not in page
    assert "<script>x</script>" not in page
