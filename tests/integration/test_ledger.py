"""The office's ledger: preview, all-or-nothing commit, idempotent re-import, export round trip."""
import io
from datetime import datetime

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from gis_tracker.db import db
from gis_tracker.models import AuditEntry, Enterprise, StageTransition
from tests.factories import borrowed_enterprise
from tests.support.clients import csrf_token_of, login

HEADERS = ["序号", "企业名称", " 统一社会\n信用代码 ", "所属行业", "搬迁方式", "搬迁去向", "当前进度",
           "协议签订\n时间", "停产日期（年月日）", "设备拆除", "场地调查与修复日期", "验收销号日期", "计划验收日期"]


def _workbook(rows) -> bytes:
    """A ledger as offices write it: a merged title row, messy headers, an industry merged over two rows."""
    wb = Workbook()
    ws = wb.active
    ws.append(["清水塘老工业区搬迁企业工作台账（2021年6月）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    if len(rows) >= 2:
        ws.merge_cells("D3:D4")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csrf(client):
    return csrf_token_of(client)


def _send(client, action, data, name="台账.xlsx"):
    return client.post(f"/api/relocation/ledger/{action}", data={"file": (io.BytesIO(data), name)},
                       headers={"X-CSRFToken": _csrf(client)}, content_type="multipart/form-data")


@pytest.fixture()
def three(app):
    """Three sample enterprises: close with a credit code, transform without one, relocate without destination."""
    with borrowed_enterprise(app, "assessment", "close", with_code=True) as a, \
            borrowed_enterprise(app, "agreement_signed", "transform", with_code=False) as b, \
            borrowed_enterprise(app, "agreement_signed", "relocate", destination=None) as c:
        with app.app_context():
            ents = {k: db.session.get(Enterprise, i) for k, i in (("a", a), ("b", b), ("c", c))}
            yield {k: (e.id, e.name, e.credit_code) for k, e in ents.items()}


def _rows(three, extra=()):
    (_, a_name, a_code), (_, b_name, _), (_, c_name, _) = three["a"], three["b"], three["c"]
    return [
        [1, a_name, f" {a_code.lower()} ", "化工", "关停", None, "已停产", "2019/5/3", 2020.5, None, None, None, "2022-12-31"],
        [2, b_name, None, None, "就地转型", None, "场地调查与修复", None, "2019年5月", None, datetime(2020, 8, 1), None, None],
        [3, c_name, None, "化工", "整体搬迁", "攸县工业集中区", "停产", None, "2021-03-05", None, None, None, None],
        *extra,
    ]


BAD_ROWS = [[4, "示例·并不存在的企业有限公司", None, "化工", "关停", None, "停产", "2019-01-01", "2020-01-01", None, None, None, None],
            [5, "株洲冶炼集团股份有限公司", None, "有色冶炼", "整体搬迁", None, "验收销号", None, None, None, None, "2021/2/30", None]]


def _transition_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(StageTransition))


def test_preview_then_all_or_nothing_commit_then_idempotent_reimport(app, client, three):
    login(client, "admin")  # the ledger names a destination: only an admin may set it (rights per field)
    before = _transition_count(app)
    messy = _workbook(_rows(three, BAD_ROWS))
    preview = _send(client, "preview", messy)
    assert preview.status_code == 200, preview.get_json()
    body = preview.get_json()
    rows = {r["row"]: r for r in body["rows"]}
    assert [rows[n]["status"] for n in (3, 4, 5, 6, 7)] == ["change", "change", "change", "error", "error"]
    assert [(c["to_stage"], c["date"]) for c in rows[3]["changes"]] == [
        ("agreement_signed", "2019-05-03"), ("production_halted", "2020-05-01")]  # matched by credit code
    assert rows[3]["enterprise_id"] == three["a"][0]
    assert [(c["to_stage"], c["date"]) for c in rows[4]["changes"]] == [
        ("production_halted", "2019-05-01"), ("remediation", "2020-08-01")]  # by name; transform skips 拆除
    assert "系统中没有该企业" in rows[6]["problems"][0]
    assert "不是有效日期" in rows[7]["problems"][0]
    assert body["problem_rows"] == 2
    assert _transition_count(app) == before  # a preview writes nothing

    refused = _send(client, "commit", messy)
    assert refused.status_code == 422 and refused.get_json()["code"] == "ledger_problems"
    assert _transition_count(app) == before  # all or nothing: nothing

    clean = _workbook(_rows(three))
    done = _send(client, "commit", clean)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["changes"] == 5
    assert _transition_count(app) == before + 5
    with app.app_context():
        a = db.session.get(Enterprise, three["a"][0])
        assert a.stage == "production_halted"
        assert a.stage_dates["agreement_signed"] == "2019-05-03" and a.stage_dates["production_halted"] == "2020-05-01"
        c = db.session.get(Enterprise, three["c"][0])
        assert c.stage == "production_halted" and c.destination == "攸县工业集中区"
        notes = db.session.scalars(select(StageTransition.note).where(
            StageTransition.enterprise_id == three["a"][0], StageTransition.source == "ledger")).all()
        assert any("日期精确到月：2020.5" in n for n in notes)
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "ledger_import")) >= 1
        versions = {k: db.session.get(Enterprise, v[0]).version for k, v in three.items()}

    again = _send(client, "preview", clean).get_json()
    assert [r["status"] for r in again["rows"]] == ["same", "same", "same"] and again["changes"] == 0
    assert _send(client, "commit", clean).get_json()["changes"] == 0
    assert _transition_count(app) == before + 5
    with app.app_context():
        assert {k: db.session.get(Enterprise, v[0]).version for k, v in three.items()} == versions


def test_an_officers_ledger_does_not_set_a_destination(app, client, three):
    """Destinations belong to admins: an officer's ledger naming one is told so, and cannot halt production."""
    login(client, "relocation_officer")
    row = {r["row"]: r for r in _send(client, "preview", _workbook(_rows(three))).get_json()["rows"]}[5]
    assert any("搬迁去向由管理员填写" in w for w in row["warnings"])
    assert row["status"] == "error" and any("搬迁去向" in p for p in row["problems"])
    assert _send(client, "commit", _workbook(_rows(three))).status_code == 422
    with app.app_context():
        assert db.session.get(Enterprise, three["c"][0]).destination is None


def test_ledger_cannot_go_back(app, client, three):
    login(client, "relocation_officer")
    _, name, code = three["a"]
    back = _workbook([[1, name, code, None, None, None, "未启动", None, None, None, None, None, None]])
    row = _send(client, "preview", back).get_json()["rows"][0]
    assert row["status"] == "error" and "退回须在企业页面填写理由" in row["problems"][0]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_round_trip_changes_nothing(app, client, fmt):
    login(client, "relocation_officer")
    exported = client.get(f"/api/relocation/ledger/export?format={fmt}")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    preview = _send(client, "preview", exported.data, name=f"export.{fmt}").get_json()
    assert len(preview["rows"]) == 172
    assert preview["problem_rows"] == 0 and preview["changes"] == 0, [
        r for r in preview["rows"] if r["status"] != "same"][:3]
    assert all(r["enterprise_id"] for r in preview["rows"]) and not any(r["warnings"] for r in preview["rows"])


def test_export_follows_the_table_filters(client):
    login(client, "viewer")
    resp = client.get("/api/relocation/ledger/export?format=xlsx&stage=not_started&as_of=2016-01-01")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert "2016-01-01" in ws.cell(1, 1).value
    assert [c.value for c in ws[2]][:3] == ["序号", "企业名称", "统一社会信用代码"]
    stages = {row[7] for row in ws.iter_rows(min_row=3, values_only=True)}
    assert stages == {"未启动"} and ws.max_row > 3
    assert client.get("/api/relocation/ledger/export?format=pdf").status_code == 422


@pytest.mark.parametrize("role", ["planner", "viewer"])
def test_planner_and_viewer_may_not_import(client, role):
    login(client, role)
    assert _send(client, "preview", _workbook([])).status_code == 403
    assert _send(client, "commit", _workbook([])).status_code == 403


def test_unreadable_and_empty_files_get_a_clear_error(client):
    login(client, "relocation_officer")
    bad = _send(client, "preview", b"not a spreadsheet", name="台账.docx")
    assert bad.status_code == 422 and bad.get_json()["field"] == "file"
    empty = _send(client, "preview", _workbook([]))
    assert empty.status_code == 422 and empty.get_json()["code"] == "ledger_empty"
    missing = client.post("/api/relocation/ledger/preview", data={}, headers={"X-CSRFToken": _csrf(client)},
                          content_type="multipart/form-data")
    assert missing.status_code == 400


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("code", ["<b>9143020x</b>", "=1+2 <i>", "91430200 mA4l"])
def test_a_code_with_markup_round_trips_as_no_change(app, client, fmt, code):
    """An exported ledger re-imported unchanged is "no changes", whatever text a credit code holds."""
    with borrowed_enterprise(app, "assessment", "close", with_code=True) as eid:
        with app.app_context():
            ent = db.session.get(Enterprise, eid)
            saved, ent.credit_code = ent.credit_code, code
            db.session.commit()
        try:
            login(client, "relocation_officer")
            exported = client.get(f"/api/relocation/ledger/export?format={fmt}")
            preview = _send(client, "preview", exported.data, name=f"export.{fmt}").get_json()
            row = next(r for r in preview["rows"] if r["enterprise_id"] == eid)
            assert row["status"] == "same" and row["problems"] == [] and row["warnings"] == [], row
            assert preview["problem_rows"] == 0 and preview["changes"] == 0
        finally:
            with app.app_context():
                db.session.get(Enterprise, eid).credit_code = saved
                db.session.commit()


def test_the_preview_can_show_only_rows_with_problems_or_changes(app, client, three):
    login(client, "admin")
    messy = _workbook(_rows(three, BAD_ROWS))
    every = _send(client, "preview", messy).get_json()
    problems = client.post("/api/relocation/ledger/preview?show=problems",
                           data={"file": (io.BytesIO(messy), "台账.xlsx")}, headers={"X-CSRFToken": _csrf(client)},
                           content_type="multipart/form-data").get_json()
    assert {r["status"] for r in problems["rows"]} == {"error"} and len(problems["rows"]) == 2
    assert problems["total_rows"] == len(every["rows"]) and problems["problem_rows"] == every["problem_rows"]
    changes = client.post("/api/relocation/ledger/preview?show=changes",
                          data={"file": (io.BytesIO(messy), "台账.xlsx")}, headers={"X-CSRFToken": _csrf(client)},
                          content_type="multipart/form-data").get_json()
    assert {r["status"] for r in changes["rows"]} == {"change"}
    bad = client.post("/api/relocation/ledger/preview?show=some",
                      data={"file": (io.BytesIO(messy), "台账.xlsx")}, headers={"X-CSRFToken": _csrf(client)},
                      content_type="multipart/form-data")
    assert bad.status_code == 400 and bad.get_json()["parameter"] == "show"
