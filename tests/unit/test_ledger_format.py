"""Reading the office's ledger: messy headers, title rows, merged cells, two-row headers, dates, encodings."""
import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from gis_tracker.errors import Unprocessable
from gis_tracker.services.relocation import ledger_format
from gis_tracker.services.relocation.ledger_format import parse_date


@pytest.mark.parametrize("raw,expected,precision", [
    ("2016-05-03", date(2016, 5, 3), "day"),
    ("2016/5/3", date(2016, 5, 3), "day"),
    ("2016.5.3", date(2016, 5, 3), "day"),
    ("2016年5月3日", date(2016, 5, 3), "day"),
    (" 2016 年 5 月 ", date(2016, 5, 1), "month"),
    ("2016.5", date(2016, 5, 1), "month"),
    (2016.5, date(2016, 5, 1), "month"),  # typed into Excel as a number
    (2016.12, date(2016, 12, 1), "month"),
    ("2016-05", date(2016, 5, 1), "month"),
    (datetime(2016, 5, 3, 0, 0), date(2016, 5, 3), "day"),
    (date(2016, 5, 3), date(2016, 5, 3), "day"),
    (42493, date(2016, 5, 3), "day"),  # an Excel serial day number
    ("2016-05-03 00:00:00", date(2016, 5, 3), "day"),
])
def test_dates_in_the_formats_offices_write(raw, expected, precision):
    found = parse_date(raw)
    assert (found.value, found.precision) == (expected, precision)


@pytest.mark.parametrize("raw", ["2016-13-01", "2016/2/30", "去年五月", "2016", "5/3/2016"])
def test_bad_dates_are_refused(raw):
    with pytest.raises(ValueError):
        parse_date(raw)


def test_empty_cells_are_no_date():
    assert parse_date(None) is None and parse_date("  ") is None


def test_stage_and_path_wording():
    assert ledger_format.parse_stage("已停产") == "production_halted"
    assert ledger_format.parse_stage("验收销号") == "accepted"
    assert ledger_format.parse_stage("未启动") == "not_started"
    assert ledger_format.parse_stage("remediation") == "remediation"
    assert ledger_format.parse_path("整体搬迁") == "relocate" and ledger_format.parse_path("关停退出") == "close"
    with pytest.raises(ValueError):
        ledger_format.parse_stage("进行中")


def _xlsx(build) -> bytes:
    wb = Workbook()
    build(wb.active)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_two_row_header_with_merged_group_and_merged_data_cells():
    def build(ws):
        ws.append(["2021年搬迁工作台账"])
        ws.merge_cells("A1:F1")
        ws.append(["企业名称", "行业", "完成时间", None, None, "计划验收日期"])
        ws.append([None, None, "协议签订", "停产", "验收", None])
        ws.merge_cells("A2:A3")
        ws.merge_cells("B2:B3")
        ws.merge_cells("C2:E2")
        ws.append(["甲公司", "化工", "2019/5/3", "2020.5", None, "2022-12-31"])
        ws.append(["乙公司", None, "2018-01-02", None, None, None])
        ws.merge_cells("B4:B5")  # the industry written once for both rows
        ws.append([None, None, None, None, None, None])
        ws.append(["合计", None, None, None, None, None])
    sheet = ledger_format.read("台账.xlsx", _xlsx(build))
    assert set(sheet.stage_columns) == {"agreement_signed", "production_halted", "accepted"}
    assert [r.number for r in sheet.rows] == [4, 5]  # blank and summary rows skipped
    assert sheet.rows[1].values["industry"] == "化工"
    assert sheet.rows[0].dates["production_halted"] == "2020.5"


def test_gbk_csv_with_a_title_row():
    text = "清水塘企业台账\r\n 企业名称 ,统一社会信用代码,当前阶段,摸底评估日期\r\n丙公司,91430200MA4L000000,摸底评估,2016年5月\r\n"
    sheet = ledger_format.read("ledger.csv", text.encode("gb18030"))
    assert sheet.rows[0].values["name"] == "丙公司"
    assert sheet.rows[0].dates == {"assessment": "2016年5月"}


def test_files_without_a_header_or_of_other_types_are_refused():
    with pytest.raises(Unprocessable):
        ledger_format.read("x.csv", b"a,b\r\n1,2\r\n")
    with pytest.raises(Unprocessable):
        ledger_format.read("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(Unprocessable):
        ledger_format.read("x.xlsx", b"PK\x03\x04 broken")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_exported_text_never_runs_as_a_formula_and_reads_back_unchanged(fmt):
    from openpyxl import load_workbook

    name = "=HYPERLINK(\"http://evil.example\",\"点我\")"
    row = [1, name, None, "-化工", None, None, None, "未启动", *([None] * 6), "否"]
    data = ledger_format.WRITERS[fmt]("标题", [row])
    if fmt == "xlsx":
        cell = load_workbook(io.BytesIO(data)).active.cell(3, 2)
        assert cell.data_type == "s" and cell.value == name
    else:
        assert "'=HYPERLINK" in data.decode("utf-8-sig")
    back = ledger_format.read(f"x.{fmt}", data).rows[0].values
    assert back["name"] == name and back["industry"] == "-化工"
