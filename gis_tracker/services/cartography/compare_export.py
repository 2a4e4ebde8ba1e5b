"""Then vs now for meetings: the comparison of two dates as a PDF (maps side by side, then the changes) or a
PNG (the first page).

Page 1 shows the district twice, the enterprises coloured by their stage on date A and on date B, with the
summary counts; the next pages list the counts per sub-area, the enterprises whose stage changed, the
projects and flags new, removed or changed, and the indicators on both dates.  The numbers are those of
``GET /api/compare`` for the same dates.
"""
from __future__ import annotations

import io
import textwrap
from datetime import date

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Enterprise
from ...spatial import cartography
from ..planning import compare
from ..relocation import transitions
from . import map_figure, png_encode, snapshot

PAGE = cartography.paper_inches("A4", True)
MAP_LAYERS = ("zones", "water_bodies", "enterprises")
ROWS_PER_PAGE = 24
PNG_DPI = 150


def default_title(start: date, end: date) -> str:
    """Return the export's title."""
    return f"今昔对比：{start.isoformat()} → {end.isoformat()}"


def _text(fig: Figure, x: float, y: float, s: str, size: float = 8.5, **kw) -> None:
    fig.text(x, y, s, transform=fig.dpi_scale_trans, fontsize=size, va="top", **kw)


def _footer(fig: Figure, title: str, number: int, total: int) -> None:
    _text(fig, PAGE[0] / 2, 0.4, f"第 {number} 页 / 共 {total} 页", 8, ha="center")
    _text(fig, 0.45, 0.4, title, 7, color="#666666")
    _text(fig, PAGE[0] - 0.45, 0.4, snapshot.INTERNAL_MARK, 8, color="#b00020", ha="right")


def _enterprise_extent(session: Session):
    """Return the enterprises' extent (EPSG:4547) with a margin: the maps frame the relocation area."""
    extent = func.ST_Extent(Enterprise.geom)
    box = session.execute(select(func.ST_XMin(extent), func.ST_YMin(extent), func.ST_XMax(extent),
                                 func.ST_YMax(extent)).where(Enterprise.deleted_at.is_(None))).first()
    if box is None or box[0] is None:
        return None
    margin = max(box[2] - box[0], box[3] - box[1], 500.0) * 0.08
    return (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)


def _maps(session: Session, fig: Figure, data: dict, start: date, end: date) -> None:
    _text(fig, 0.45, PAGE[1] - 0.35, default_title(start, end), 17, fontweight="bold")
    width, height = (PAGE[0] - 1.2) / 2, PAGE[1] - 3.3
    legend = None
    for i, (day, label) in enumerate(((start, "日期 A"), (end, "日期 B"))):
        x = 0.45 + i * (width + 0.3)
        req = snapshot.SnapshotRequest(layers=MAP_LAYERS, as_of=day, labels=False,
                                       stage_overrides=transitions.stages_as_of(session, day))
        frame = snapshot.load_frame(session, req, (width, height), 300, extent=_enterprise_extent(session))
        ax = fig.add_axes((x / PAGE[0], 1.95 / PAGE[1], width / PAGE[0], height / PAGE[1]))
        map_figure.draw_map(ax, frame, fig.dpi, 6.0, labels=False)
        _text(fig, x, PAGE[1] - 0.95, f"{label}：{day.isoformat()} 企业搬迁阶段", 11, fontweight="bold")
        legend = [e for e in frame.legend if e.layer_id == "enterprises"]
    if legend:
        map_figure.draw_legend(fig, (0.45, 0.7, PAGE[0] * 0.45, 1.1), legend, 7, title="图例（企业阶段）")
    c = data["counts"]
    lines = [f"阶段变化的企业 {c['enterprises_changed']} 家（前进 {c['enterprises_advanced']}，"
             f"退回 {c['enterprises_went_back']}）",
             f"建设项目：新增 {c['projects_new']}，删除 {c['projects_removed']}，修改 {c['projects_changed']}，"
             f"竣工 {c['projects_completed']}",
             f"侵占预警：新增 {c['flags_new']}，消除 {c['flags_cleared']}，变化 {c['flags_changed']}",
             f"生态修复逾期：A {c['restoration_overdue_from']} → B {c['restoration_overdue_to']}"]
    for k, line in enumerate(lines):
        _text(fig, PAGE[0] * 0.55, 1.75 - k * 0.25, line, 9)


def _rows_pages(title: str, header: list[str], columns: list[float], rows: list[list[str]]) -> list:
    """Return drawers for a table that flows over as many pages as it needs."""
    chunks = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    drawers = []
    for n, chunk in enumerate(chunks):
        def draw(fig: Figure, chunk=chunk, n=n) -> None:
            _text(fig, 0.45, PAGE[1] - 0.35, title if n == 0 else f"{title}（续）", 15, fontweight="bold")
            y = PAGE[1] - 1.0
            for x, name in zip(columns, header):
                _text(fig, x, y, name, 9, fontweight="bold")
            y -= 0.28
            if not chunk:
                _text(fig, columns[0], y, "（无）", 9)
            for row in chunk:
                for x, cell in zip(columns, row):
                    _text(fig, x, y, cell)
                y -= 0.25
        drawers.append(draw)
    return drawers


def _short(text: str, width: int = 40) -> str:
    return textwrap.shorten(text or "—", width, placeholder="…")


def _table_pages(data: dict) -> list:
    reloc = data["relocation"]
    zones = [[z["zone_name"] or "—", str(z["total"]), str(z["changed"]), str(z["advanced"]), str(z["went_back"]),
              str(z["accepted_from"]), str(z["accepted_to"])] for z in reloc["by_zone"]]
    header = ["功能区", "企业数", "阶段变化", "前进", "退回", "验收销号 A", "验收销号 B"]
    pages = _rows_pages("各功能区企业阶段变化", header, [0.45, 4.0, 5.0, 6.0, 7.0, 8.0, 9.3], zones)
    changed = [[_short(e["name"]), e["zone_name"] or "—", e["from_label"], e["to_label"], f"{e['steps']:+d}"]
               for e in reloc["changed"]]
    pages += _rows_pages("阶段变化的企业", ["企业", "功能区", "日期 A", "日期 B", "变化"], [0.45, 4.5, 6.6, 8.2, 9.8],
                         changed)
    listed = []
    for group, word in (("new", "新增"), ("removed", "删除"), ("changed", "修改"), ("completed", "竣工")):
        for p in data["projects"][group]:
            extra = "、".join(p.get("fields") or []) if group == "changed" else p.get("completion_date", "")
            listed.append([word, _short(p["name"]), p.get("zone_name") or "—", _short(extra, 50)])
    pages += _rows_pages("建设项目的变化", ["变化", "项目", "片区", "说明"], [0.45, 1.4, 5.6, 7.4], listed)
    flags = []
    for group, word in (("new", "新增"), ("cleared", "消除"), ("changed", "变化")):
        for f in data["flags"][group]:
            flags.append([word, _short(f["project"], 30), _short(f["rule_name"], 30), f["severity"],
                          f"{f['status_from'] or '—'} → {f['status_to'] or '—'}"])
    pages += _rows_pages("侵占预警的变化", ["变化", "项目", "规则", "严重程度", "状态"], [0.45, 1.4, 4.6, 7.6, 8.9],
                         flags)
    indicators = []
    for i in data["indicators"]:
        def shown(v):
            return "—" if v is None else f"{v['measure']:g}（{v['year']}）"
        sign = "≥" if i["direction"] == ">=" else "≤"
        indicators.append([_short(i["label"], 44), f"{sign} {i['target']:g} {i['unit']}", shown(i["from"]),
                           shown(i["to"]), "—" if i["change"] is None else f"{i['change']:+g}"])
    pages += _rows_pages("规划指标", ["指标", "目标", "日期 A", "日期 B", "变化"], [0.45, 5.0, 6.8, 8.3, 9.8],
                         indicators)
    return pages


def render(session: Session, start: date, end: date, fmt: str, progress=None) -> bytes:
    """Return the comparison of ``start`` and ``end`` as PDF or PNG bytes."""
    progress = progress or (lambda percent, message=None: None)
    data = compare.compare(session, start, end)
    progress(30, "对比数据")
    title = default_title(start, end)
    with matplotlib.rc_context(map_figure.rc_params()):
        if fmt == "png":
            fig = Figure(figsize=PAGE, dpi=PNG_DPI)
            FigureCanvasAgg(fig)
            _maps(session, fig, data, start, end)
            _footer(fig, title, 1, 1)
            progress(90, "保存文件")
            return png_encode.figure_png(fig, PNG_DPI)
        drawers = [lambda fig: _maps(session, fig, data, start, end)] + _table_pages(data)
        buf = io.BytesIO()
        with PdfPages(buf, metadata={"CreationDate": None, "ModDate": None, "Title": title,
                                     "Creator": "石峰区规划地理信息平台"}) as pdf:
            for number, draw in enumerate(drawers, start=1):
                fig = Figure(figsize=PAGE, dpi=150)
                FigureCanvasAgg(fig)
                draw(fig)
                _footer(fig, title, number, len(drawers))
                pdf.savefig(fig)
                progress(30 + int(65 * number / len(drawers)), f"{number}/{len(drawers)}")
        return buf.getvalue()
