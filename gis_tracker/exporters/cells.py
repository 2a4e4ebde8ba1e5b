"""Spreadsheet cells that cannot attack the spreadsheet (CSV/formula injection, OWASP).

A text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is run as a formula by Excel, WPS and LibreOffice when the file is
opened (``=HYPERLINK("http://…"&A1,"点我")`` sends the neighbouring cell away).
Every CSV and XLSX the app writes — layer exports, the relocation ledger, the
audit trail — passes its cells through this module:

* CSV: such text gets a leading apostrophe, as OWASP recommends (the
  spreadsheet shows the text; the ledger import takes the apostrophe off again).
* XLSX: such text is written as a string cell with Excel's "quote prefix"
  style — what Excel itself stores when a user types ``'=…`` — so the value
  stays exactly what was entered, is shown as text and stays text when edited;
  no cell is ever written as a formula.

Only text is touched: numbers, dates and booleans are typed cells (a negative
number is a number, not a formula).
"""
from __future__ import annotations

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """Tell whether a spreadsheet would treat ``value`` as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_text(value: str) -> str:
    """Return the text of a CSV cell, with an apostrophe before formula-like text."""
    return "'" + value if is_formula_like(value) else value


def csv_untext(value: str) -> str:
    """Undo :func:`csv_text` (for files we read back, e.g. the ledger)."""
    if value.startswith("'") and value[1:2] and value[1] in FORMULA_START:
        return value[1:]
    return value


def as_text_cell(cell: Cell) -> Cell:
    """Make a cell holding formula-like text a plain string cell shown as text (never evaluated)."""
    if is_formula_like(cell.value) or cell.data_type == "f":
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def append_row(sheet, values: list) -> None:
    """Append ``values`` to a worksheet (normal or write-only), formula-like text as text cells."""
    if isinstance(sheet, WriteOnlyWorksheet):
        sheet.append([as_text_cell(WriteOnlyCell(sheet, value=v)) if is_formula_like(v) else v for v in values])
        return
    sheet.append(values)
    row = sheet.max_row
    for column, value in enumerate(values, start=1):
        if is_formula_like(value):
            as_text_cell(sheet.cell(row, column))
