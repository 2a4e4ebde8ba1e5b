"""Read and write the relocation office's ledger (台账) as .xlsx or .csv.

Readers tolerate what real office spreadsheets contain: a title row above the
header, merged cells (title, grouped header, an industry written once for
several rows), a two-row header, spaces and line breaks inside headers, and
dates written as 2016-05-03, 2016/5/3, 2016.5, 2016年5月 or real date cells.
Formats are a registry by name: ``READERS`` and ``WRITERS``.
"""
from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ...errors import Unprocessable
from ...exporters import cells
from ...rules.stages import STAGE_CODES, STAGE_LABELS

LOGGER = logging.getLogger(__name__)
HEADER_SEARCH_ROWS = 20

COLUMN_ALIASES = {
    "seq": ("序号", "编号", "no"),
    "name": ("企业名称", "单位名称", "企业", "名称", "企业全称"),
    "credit_code": ("统一社会信用代码", "信用代码", "社会信用代码", "统一信用代码"),
    "industry": ("行业", "所属行业", "行业类别"),
    "zone": ("所在功能区", "功能区", "所在片区", "片区"),
    "path": ("搬迁方式", "处置方式", "搬迁类型", "退出方式"),
    "destination": ("搬迁去向", "去向", "搬迁地点", "承接园区"),
    "stage": ("当前阶段", "阶段", "当前进度", "进度", "工作进度"),
    "overdue": ("是否逾期", "逾期"),
}
STAGE_KEYWORDS = (
    ("accepted", ("验收销号", "验收", "销号")),
    ("remediation", ("场地调查与修复", "场地调查", "修复", "治理")),
    ("demolished", ("设备拆除", "拆除")),
    ("production_halted", ("停产",)),
    ("agreement_signed", ("协议签订", "签订协议", "签约", "协议")),
    ("assessment", ("摸底评估", "摸底", "评估")),
)
NOT_STARTED_WORDS = ("未启动", "未开始", "未搬迁")
PATH_WORDS = (("transform", ("就地转型", "转型")), ("close", ("关停", "关闭")), ("relocate", ("整体搬迁", "搬迁")))
SUMMARY_NAMES = {"合计", "小计", "总计"}

EXPORT_COLUMNS = (
    ("seq", "序号"), ("name", "企业名称"), ("credit_code", "统一社会信用代码"), ("industry", "行业"),
    ("zone", "所在功能区"), ("path", "搬迁方式"), ("destination", "搬迁去向"), ("stage", "当前阶段"),
    *((code, f"{STAGE_LABELS[code]}日期") for code in STAGE_CODES[1:]),
    ("overdue", "是否逾期"),
)


@dataclass(frozen=True)
class LedgerDate:
    """A date read from a cell; ``precision`` is "day" or "month" (then ``value`` is the 1st)."""

    value: date
    precision: str
    text: str


@dataclass
class LedgerRow:
    """One data row: its sheet row number and the recognised cells (raw values)."""

    number: int
    values: dict = field(default_factory=dict)
    dates: dict = field(default_factory=dict)  # stage code -> raw cell value


@dataclass
class LedgerSheet:
    """The recognised layout and data rows of a ledger file."""

    columns: dict[str, str]  # key -> header text as found
    stage_columns: dict[str, str]  # stage code -> header text as found
    rows: list[LedgerRow]


def normalise_header(value: object) -> str:
    """Return a header without spaces, line breaks, asterisks and bracketed remarks."""
    text = re.sub(r"\s+|\u3000|\*", "", str(value or ""))
    return re.sub(r"[（(][^）)]*[）)]", "", text).lower()


def _column_key(header: str) -> str | None:
    for key, aliases in COLUMN_ALIASES.items():
        if header in aliases:
            return key
    return None


def _stage_column(header: str) -> str | None:
    if not header or "计划" in header:
        return None
    for code, words in STAGE_KEYWORDS:
        if any(w in header for w in words):
            return code
    return None


def parse_stage(value: object) -> str | None:
    """Return the stage code a cell names (code, label or common wording), or None when empty."""
    text = re.sub(r"\s+", "", str(value or ""))
    if not text:
        return None
    if text in STAGE_CODES:
        return text
    if any(w in text for w in NOT_STARTED_WORDS):
        return "not_started"
    for code, words in STAGE_KEYWORDS:
        if any(w in text for w in words):
            return code
    raise ValueError(text)


def parse_path(value: object) -> str | None:
    """Return the path code a cell names, or None when empty; ValueError when unknown."""
    text = re.sub(r"\s+", "", str(value or ""))
    if not text:
        return None
    if text in ("relocate", "close", "transform"):
        return text
    for code, words in PATH_WORDS:
        if any(w in text for w in words):
            return code
    raise ValueError(text)


DAY_PATTERNS = (re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
                re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
                re.compile(r"^(\d{4})(\d{2})(\d{2})$"))
MONTH_PATTERNS = (re.compile(r"^(\d{4})[-/.](\d{1,2})$"), re.compile(r"^(\d{4})年(\d{1,2})月?$"))


def parse_date(value: object) -> LedgerDate | None:
    """Return the date a cell holds, None when empty; ValueError when it is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return LedgerDate(value.date(), "day", value.date().isoformat())
    if isinstance(value, date):
        return LedgerDate(value, "day", value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 20000 < value < 80000 and float(value).is_integer():  # an Excel serial day number
            day = date(1899, 12, 30) + timedelta(days=int(value))
            return LedgerDate(day, "day", day.isoformat())
        value = repr(value) if isinstance(value, float) else str(value)
    text = re.sub(r"\s+", "", str(value)) if "年" in str(value) else str(value).strip()
    for pattern in DAY_PATTERNS:
        m = pattern.match(text)
        if m:
            return LedgerDate(date(int(m[1]), int(m[2]), int(m[3])), "day", text)
    for pattern in MONTH_PATTERNS:
        m = pattern.match(text)
        if m:
            return LedgerDate(date(int(m[1]), int(m[2]), 1), "month", text)
    raise ValueError(text)


def _xlsx_grid(data: bytes) -> list[list[object]]:
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Unprocessable("无法读取该 Excel 文件（请另存为 .xlsx）",
                            code="bad_ledger_file", details={"field": "file"}) from exc
    ws = wb.worksheets[0]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    for merged in ws.merged_cells.ranges:
        top = grid[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row - 1, min(merged.max_row, len(grid))):
            for c in range(merged.min_col - 1, merged.max_col):
                if c < len(grid[r]):
                    grid[r][c] = top
    return grid


def _csv_grid(data: bytes) -> list[list[object]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Unprocessable("无法识别 CSV 文件编码（请用 UTF-8 或 GBK）",
                            code="bad_ledger_file", details={"field": "file"})
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [[_uncsv_cell(v) for v in r] for r in csv.reader(io.StringIO(text), dialect)]


def _uncsv_cell(value: str) -> str:
    """Undo the apostrophe :func:`_csv_cell` puts before formula-like text."""
    return cells.csv_untext(value)


def _join_header(upper: str, lower: str) -> str:
    """Combine a grouped header ("完成时间") with its sub-header ("停产")."""
    if lower in ("", upper):
        return upper
    return lower if _column_key(lower) else upper + lower


def _layout(grid: list[list[object]]) -> tuple[int, dict[str, int], dict[str, int], list[str]]:
    """Find the header row(s); return (first data row index, column map, stage column map, headers)."""
    for i, row in enumerate(grid[:HEADER_SEARCH_ROWS]):
        headers = [normalise_header(v) for v in row]
        if not any(_column_key(h) == "name" for h in headers):
            continue
        name_col = next(c for c, h in enumerate(headers) if _column_key(h) == "name")
        start = i + 1
        # A two-row header: merged cells repeat the upper text in the lower row.
        lower = [normalise_header(v) for v in grid[start]] if start < len(grid) else []
        if name_col < len(lower) and lower[name_col] == headers[name_col]:
            headers = [_join_header(h, lower[j] if j < len(lower) else "") for j, h in enumerate(headers)]
            start += 1
        columns, stages = {}, {}
        for c, h in enumerate(headers):
            key = _column_key(h)
            if key and key not in columns:
                columns[key] = c
            elif key is None and (code := _stage_column(h)) and code not in stages:
                stages[code] = c
        return start, columns, stages, headers
    raise Unprocessable("没有找到表头：须有“企业名称”列",
                        code="ledger_no_header", details={"field": "file"})


def read(filename: str, data: bytes) -> LedgerSheet:
    """Read a ledger file (.xlsx or .csv) into recognised rows."""
    fmt = format_of(filename, data)
    grid = READERS[fmt](data)
    start, columns, stages, headers = _layout(grid)
    rows = []
    for i in range(start, len(grid)):
        cells = grid[i]

        def cell(c, cells=cells):
            return cells[c] if c is not None and c < len(cells) else None
        values = {k: cell(c) for k, c in columns.items()}
        if all(v is None or str(v).strip() == "" for v in cells):
            continue
        name = str(values.get("name") or "").strip()
        if name in SUMMARY_NAMES and not values.get("credit_code"):
            continue
        rows.append(LedgerRow(i + 1, values, {code: cell(c) for code, c in stages.items()}))
    return LedgerSheet({k: headers[c] for k, c in columns.items()}, {k: headers[c] for k, c in stages.items()}, rows)


def format_of(filename: str, data: bytes) -> str:
    """Return "xlsx" or "csv" for an upload, refusing other files."""
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    if name.endswith(".xls") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise Unprocessable("不支持旧版 .xls，请在 Excel 中另存为 .xlsx",
                            code="bad_ledger_file", details={"field": "file"})
    raise Unprocessable("台账须为 .xlsx 或 .csv 文件",
                        code="bad_ledger_file", details={"field": "file"})


def _write_xlsx(title: str, rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    width = len(EXPORT_COLUMNS)
    cells.append_row(ws, [title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    ws.cell(1, 1).font = Font(bold=True, size=14)
    ws.cell(1, 1).alignment = Alignment(horizontal="center")
    ws.append([h for _, h in EXPORT_COLUMNS])
    for c in range(1, width + 1):
        ws.cell(2, c).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(c)].width = 30 if c == 2 else 14
    for r in rows:
        cells.append_row(ws, r)  # formula-like text (a name like "=HYPERLINK(…)") as text, never a formula
        for c, v in enumerate(r, start=1):
            if isinstance(v, date):
                ws.cell(ws.max_row, c).number_format = "yyyy-mm-dd"
    ws.freeze_panes = "C3"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _csv_cell(value: object) -> object:
    """Return a CSV cell; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, str):
        return cells.csv_text(value)
    return value


def _write_csv(title: str, rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_csv_cell(title)])
    writer.writerow([h for _, h in EXPORT_COLUMNS])
    for r in rows:
        writer.writerow([_csv_cell(v) for v in r])
    # UTF-8 with BOM: Excel on Chinese Windows then opens it without garbled text.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


READERS: dict[str, Callable[[bytes], list[list[object]]]] = {"xlsx": _xlsx_grid, "csv": _csv_grid}
WRITERS: dict[str, Callable[[str, list[list[object]]], bytes]] = {"xlsx": _write_xlsx, "csv": _write_csv}
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}
