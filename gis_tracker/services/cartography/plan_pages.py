"""The meeting pack's pages from the plan's register: the indicators with their status and the 两型 index,
and the state of ecological restoration — as of the pack's date.

:func:`pages` returns ``(heading, draw, in_contents)`` triples; the pack's page plan turns them into its
pages (one line in :mod:`.meeting_pack`), numbers them and adds the footer.  Long lists continue on
further pages headed "（续）".
"""
from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import date

from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from ...rules import planning as planning_rules
from ...spatial import cartography
from ..encroachment import history
from ..planning import index, register, restoration

PAGE = cartography.paper_inches("A4", True)
ROWS_PER_PAGE = 19
STATUS_COLOURS = {"met": "#38761d", "not_met": "#c00000", "no_data": "#777777"}
RESTORATION_COLOURS = {"overdue": "#c00000", "due_soon": "#b45f06", "pending": "#1c4587", "no_completion": "#1c4587",
                       "restored": "#38761d", "restored_late": "#6aa84f"}
Draw = Callable[[Figure], None]


def _heading(fig: Figure, text: str) -> None:
    fig.text(0.45, PAGE[1] - 0.45, text, transform=fig.dpi_scale_trans, fontsize=17, fontweight="bold", va="top")


def _line(fig: Figure, x: float, y: float, text: str, size: float = 8.5, **kw) -> None:
    fig.text(x, y, text, transform=fig.dpi_scale_trans, fontsize=size, va="top", **kw)


def _number(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _indicator_rows(entries: list[dict]) -> list[list[str]]:
    rows = []
    for e in entries:
        latest = e["latest"]
        shown = "—" if latest is None else f"{_number(latest['measure'])}（{latest['year']}）"
        sign = "≥" if e["direction"] == ">=" else "≤"
        rows.append([e["label_zh"], f"{sign} {_number(e['target'])} {e['unit']}", str(e["deadline"] or "—"),
                     shown, e["status"]])
    return rows


def _indicator_drawer(heading: str, rows: list[list[str]], start: int, summary: list[str]) -> Draw:
    columns = (0.45, 0.85, 5.2, 6.9, 7.7, 9.6)

    def draw(fig: Figure) -> None:
        _heading(fig, heading)
        y = PAGE[1] - 1.0
        for text in summary:
            _line(fig, 0.45, y, text, 9.5)
            y -= 0.25
        y -= 0.1
        for x, name in zip(columns, ("序号", "指标", "目标", "期限", "最新数值（年份）", "状态")):
            _line(fig, x, y, name, 9, fontweight="bold")
        y -= 0.3
        for n, (label, target, deadline, latest, state) in enumerate(rows, start=start + 1):
            parts = textwrap.wrap(label, 30) or [""]
            _line(fig, columns[0], y, str(n))
            for k, part in enumerate(parts[:2]):
                _line(fig, columns[1], y - k * 0.16, part)
            _line(fig, columns[2], y, target)
            _line(fig, columns[3], y, deadline)
            _line(fig, columns[4], y, latest)
            _line(fig, columns[5], y, planning_rules.STATUS_LABELS[state][0], color=STATUS_COLOURS[state],
                  fontweight="bold")
            y -= 0.16 * min(len(parts), 2) + 0.12
    return draw


def indicator_pages(session: Session, as_of: date) -> list[tuple[str, Draw, bool]]:
    """Return the register's pages as of ``as_of``: every indicator, its latest figure up to that year, status."""
    entries = register.register(session, up_to_year=as_of.year, today=as_of)
    yearly = index.yearly(session, today=as_of)["years"]
    counts = {code: sum(1 for e in entries if e["status"] == code) for code in planning_rules.STATUS_LABELS}
    summary = [f"截至 {as_of.isoformat()}：共 {len(entries)} 项指标，达标 {counts['met']} 项，"
               f"未达标 {counts['not_met']} 项，无数据 {counts['no_data']} 项（数值截至 {as_of.year} 年）。"]
    latest = next((y for y in reversed(yearly) if y["year"] <= as_of.year and y["index"] is not None), None)
    if latest is not None:
        summary.append(f"两型社会建设指数（{latest['year']} 年）：{latest['index']:.1f}，"
                       f"覆盖率 {100 * latest['coverage']:.0f}%（有数据指标 {latest['indicators_with_data']} 项）。")
    rows = _indicator_rows(entries)
    heading = "规划指标与两型社会建设指数"
    out = []
    for start in range(0, len(rows), ROWS_PER_PAGE):
        title = heading if start == 0 else f"{heading}（续）"
        out.append((title, _indicator_drawer(title, rows[start:start + ROWS_PER_PAGE], start,
                                             summary if start == 0 else []), start == 0))
    return out


def _restoration_drawer(heading: str, items: list[dict], summary: list[str]) -> Draw:
    columns = (0.45, 4.0, 5.4, 7.0, 8.4)

    def draw(fig: Figure) -> None:
        _heading(fig, heading)
        y = PAGE[1] - 1.0
        for text in summary:
            _line(fig, 0.45, y, text, 9.5)
            y -= 0.25
        y -= 0.1
        if not items:
            _line(fig, 0.45, y, "（无）", 10)
            return
        for x, name in zip(columns, ("名称", "类型", "状态", "期限", "说明")):
            _line(fig, x, y, name, 9, fontweight="bold")
        y -= 0.3
        for item in items:
            due = item.get("restoration_due") if item["kind"] == "project" else item.get("remediation_due")
            note = ("竣工 " + (item.get("completion_date") or "—")) if item["kind"] == "project" else \
                f"{item['basis_label']} {item.get('basis_date') or '—'} + {item['remediation_months']} 个月"
            _line(fig, columns[0], y, textwrap.shorten(item["name"], 34, placeholder="…"))
            _line(fig, columns[1], y, "建设项目" if item["kind"] == "project" else "企业场地")
            _line(fig, columns[2], y, planning_rules.RESTORATION_STATUSES[item["status"]][0],
                  color=RESTORATION_COLOURS.get(item["status"], "#000000"), fontweight="bold")
            _line(fig, columns[3], y, due or "—")
            _line(fig, columns[4], y, note)
            y -= 0.27
    return draw


def restoration_pages(session: Session, as_of: date) -> list[tuple[str, Draw, bool]]:
    """Return the restoration pages as of ``as_of``: counts by status and the open and late items."""
    data = restoration.overview(session, as_of)
    items, counts = data["items"], data["counts"]
    if as_of < date.today():  # the pack shows what was recorded then: projects entered later are not in it
        then = {p.id: p.name for p in history.projects_as_of(session, as_of)}
        items = [{**i, "name": then[i["id"]]} if i["kind"] == "project" else i for i in items
                 if i["kind"] != "project" or i["id"] in then]
        counts = {code: sum(1 for i in items if i["status"] == code) for code in counts}
    summary = [f"截至 {as_of.isoformat()}：已逾期 {counts['overdue']}，即将到期 {counts['due_soon']}，待修复 "
               f"{counts['pending'] + counts['no_completion']}，已按期修复 {counts['restored']}，"
               f"逾期后修复 {counts['restored_late']}。",
               "依据：因工程建设等造成山体、土壤、水体及河湖岸线损毁的，应在工程竣工一年内完成生态修复（二(三)4(2)）。"]
    items = [i for i in items if i["status"] != "restored"]
    heading = "生态修复情况"
    chunks = [items[i:i + ROWS_PER_PAGE] for i in range(0, len(items), ROWS_PER_PAGE)] or [[]]
    return [(heading if n == 0 else f"{heading}（续）",
             _restoration_drawer(heading if n == 0 else f"{heading}（续）", chunk, summary if n == 0 else []), n == 0)
            for n, chunk in enumerate(chunks)]


def pages(session: Session, as_of: date) -> list[tuple[str, Draw, bool]]:
    """Return the pack's planning pages: the indicators and index, then restoration."""
    return indicator_pages(session, as_of) + restoration_pages(session, as_of)
