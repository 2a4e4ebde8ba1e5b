"""Relocation pages over HTTP: every role may look, only officers and admins see the forms; filters work."""
import pytest

from tests.support.clients import csrf_token_of, login

PAGES = ["/relocation/", "/relocation/dashboard", "/relocation/ledger", "/relocation/?as_of=2017-01-01&sort=stage&desc=1",
         "/relocation/dashboard?as_of=2016-06-30"]


@pytest.mark.parametrize("role", ["admin", "planner", "relocation_officer", "viewer"])
def test_every_role_can_read_the_relocation_pages(client, role):
    login(client, role)
    for url in PAGES:
        resp = client.get(url)
        assert resp.status_code == 200, (role, url)
    assert "搬迁管理" in client.get("/").get_data(as_text=True)  # the nav link


def _first_enterprise_link(html: str) -> str:
    start = html.index('href="/relocation/enterprises/') + len('href="')
    return html[start:html.index('"', start)]


@pytest.mark.parametrize("role,sees_form", [("relocation_officer", True), ("admin", True),
                                            ("planner", False), ("viewer", False)])
def test_only_officers_and_admins_see_the_transition_form(client, role, sees_form):
    login(client, role)
    link = _first_enterprise_link(client.get("/relocation/").get_data(as_text=True))
    html = client.get(link).get_data(as_text=True)
    assert ('id="transition-form"' in html) is sees_form
    assert 'id="timeline"' in html and 'id="detail-map"' in html
    ledger = client.get("/relocation/ledger").get_data(as_text=True)
    assert ('id="ledger-form"' in ledger) is sees_form


def test_table_filters_search_sort_and_paging(client):
    login(client, "viewer")
    everything = client.get("/api/relocation/enterprises?per_page=500").get_json()
    assert everything["total"] == 172
    accepted = client.get("/api/relocation/enterprises?stage=accepted&per_page=500").get_json()
    assert accepted["total"] == sum(1 for e in everything["enterprises"] if e["stage"] == "accepted")
    closing = client.get("/api/relocation/enterprises?path=close&zone=QST-SP-1&per_page=500").get_json()
    assert all(e["path"] == "close" and e["zone_code"] == "QST-SP-1" for e in closing["enterprises"])
    found = client.get("/api/relocation/enterprises?q=株洲冶炼").get_json()
    assert [e["name"] for e in found["enterprises"]] == ["株洲冶炼集团股份有限公司"]
    code = next(e["credit_code"] for e in everything["enterprises"] if e["credit_code"])
    assert client.get(f"/api/relocation/enterprises?q={code.lower()}").get_json()["total"] == 1
    by_stage = client.get("/api/relocation/enterprises?sort=stage&desc=1&per_page=10&page=2").get_json()
    assert by_stage["page"] == 2 and len(by_stage["enterprises"]) == 10
    assert by_stage["enterprises"][0]["stage"] == "accepted"
    overdue = client.get("/api/relocation/enterprises?overdue=1&per_page=500").get_json()
    assert overdue["total"] > 0 and all(e["overdue"] for e in overdue["enterprises"])
    html = client.get("/relocation/?industry=化工&stage=accepted").get_data(as_text=True)
    assert 'data-stage="accepted"' in html and 'data-stage="remediation"' not in html


@pytest.mark.parametrize("url", ["/api/relocation/enterprises?as_of=2099-01-01", "/api/relocation/dashboard?as_of=2016-13-01",
                                 "/api/relocation/enterprises?stage=flying", "/api/relocation/map?as_of=yesterday"])
def test_bad_parameters_are_400_with_json(client, url):
    login(client, "viewer")
    resp = client.get(url)
    assert resp.status_code == 400 and resp.get_json()["code"]


def test_bad_as_of_on_a_page_is_a_readable_error_page(client):
    login(client, "viewer")
    resp = client.get("/relocation/?as_of=2099-01-01")
    assert resp.status_code == 400 and "截至日期不能晚于今天" in resp.get_data(as_text=True)


def test_ledger_import_through_the_pages_previews_then_commits(app, client, tmp_path, monkeypatch):
    import io
    import re

    from openpyxl import Workbook

    from tests.factories import borrowed_enterprise

    monkeypatch.setitem(app.config, "DATA_DIR", tmp_path)
    login(client, "relocation_officer")
    csrf_value = csrf_token_of(client)
    with borrowed_enterprise(app, "assessment", "close") as eid:
        name = client.get("/api/relocation/enterprises?per_page=500").get_json()
        name = next(e["name"] for e in name["enterprises"] if e["id"] == eid)
        wb = Workbook()
        wb.active.append(["台账"])
        wb.active.append(["企业名称", "当前阶段", "协议签订日期"])
        wb.active.append([name, "协议签订", "2021年4月"])
        out = io.BytesIO()
        wb.save(out)
        page = client.post("/relocation/ledger/preview", data={"csrf_token": csrf_value, "file": (io.BytesIO(out.getvalue()), "台账.xlsx")},
                           content_type="multipart/form-data")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and 'id="ledger-commit"' in html and "2021-04-01" in html
        token = re.search(r'name="token" value="([^"]+)"', html).group(1)
        assert client.get(f"/api/enterprises/{eid}/history").get_json()["transitions"][-1]["to_stage"] == "assessment"
        done = client.post("/relocation/ledger/commit", data={"csrf_token": csrf_value, "token": token})
        assert done.status_code == 200 and 'id="ledger-result"' in done.get_data(as_text=True)
        last = client.get(f"/api/enterprises/{eid}/history").get_json()["transitions"][-1]
        assert (last["to_stage"], last["date"], last["source"]) == ("agreement_signed", "2021-04-01", "ledger")
        # The stored upload is gone after the commit; committing it again is a clear error, not a 500.
        again = client.post("/relocation/ledger/commit", data={"csrf_token": csrf_value, "token": token})
        assert again.status_code == 422 and "重新上传" in again.get_data(as_text=True)
