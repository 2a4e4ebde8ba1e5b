"""Render a 两型社会建设指数 report as an A4 PDF: the number, the index with its coverage and formula, the
index over the years (chart), and every indicator's figure, attainment, weight, status and source.

Text is real text in Noto Sans CJK (TrueType, so ``pdftotext`` reads it); the same inputs give the same
file (no creation date in the metadata).
"""
from __future__ import annotations

import io
import textwrap
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager, rc_context  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ...rules import planning as rules  # noqa: E402
from ..encroachment import review_map  # noqa: E402

A4 = (8.27, 11.69)
ROWS_PER_PAGE = 24
STATUS_WORDS = {code: zh for code, (zh, _en) in rules.STATUS_LABELS.items()}
COLOURS = {"met": "#38761d", "not_met": "#c00000", "no_data": "#777777"}


def _family() -> str:
    font = review_map.cjk_font()
    font_manager.fontManager.addfont(font.get_file())
    return font.get_name()


def _number(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def _text(fig: Figure, x: float, y: float, s: str, size: float = 9, **kw) -> None:
    fig.text(x, y, s, fontsize=size, va="top", **kw)


def _footer(fig: Figure, number: str, page: int, total: int) -> None:
    _text(fig, 0.5, 0.035, f"{number} · 第 {page} 页 / 共 {total} 页", 8, ha="center", color="#444444")
    _text(fig, 0.92, 0.035, "内部资料", 8, ha="right", color="#b00020")


def _cover(fig: Figure, number: str, year: int, result: dict, history: list[dict], formula: str,
           published_at: datetime, username: str) -> None:
    _text(fig, 0.5, 0.95, f"石峰区 {year} 年两型社会建设指数报告", 18, ha="center", fontweight="bold")
    _text(fig, 0.5, 0.915, number, 11, ha="center")
    _text(fig, 0.5, 0.89, f"发布日期 {published_at.astimezone().date().isoformat()} · 发布人 {username}", 9,
          ha="center", color="#444444")
    shown = "—" if result["index"] is None else f"{result['index']:.1f}"
    _text(fig, 0.08, 0.85, "两型社会建设指数", 12, fontweight="bold")
    _text(fig, 0.08, 0.825, shown, 30, fontweight="bold", color="#1c4587")
    _text(fig, 0.36, 0.815, f"覆盖率 {100 * result['coverage']:.0f}%（有数据指标 {result['indicators_with_data']}"
                            f" / {result['indicators_total']} 项，权重 {result['weight_used']:g} / "
                            f"{result['weight_total']:g}）", 9)
    counts = {code: sum(1 for c in result["components"] if c["status"] == code) for code in STATUS_WORDS}
    _text(fig, 0.36, 0.79, f"达标 {counts['met']} 项 · 未达标 {counts['not_met']} 项 · "
                           f"无数据 {counts['no_data']} 项", 9)
    y = 0.755
    _text(fig, 0.08, y, "计算方法", 10, fontweight="bold")
    for line in textwrap.wrap(formula, 52):
        y -= 0.018
        _text(fig, 0.08, y, line, 8.5)
    y -= 0.02
    _text(fig, 0.08, y, "依据：《石峰区两型建设攻坚实施方案》三(五)“定期对区各责任单位两型社会建设指数"
                        "进行统计并予以发布”。", 8, color="#444444")
    ax = fig.add_axes((0.1, 0.3, 0.82, 0.3))
    years = [h["year"] for h in history]
    values = [h["index"] or 0 for h in history]
    bars = ax.bar([str(y) for y in years], values, color=["#1c4587" if y == year else "#9fc5e8" for y in years])
    for bar, h in zip(bars, history):
        ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 1, _number(h["index"], 1), ha="center",
                fontsize=8)
    ax.set_ylim(0, 105)
    ax.set_ylabel("指数", fontsize=9)
    ax.set_title("历年两型社会建设指数", fontsize=10)
    ax.tick_params(labelsize=8)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for k, line in enumerate(("各指标的目标、当年数值、达成度、权重和数据来源见后页。",
                              "数值由区两型办及有关单位填报（注明来源），或由本平台据土地覆盖栅格、",
                              "项目与企业台账计算（标“计算”）。")):
        _text(fig, 0.08, 0.25 - k * 0.018, line, 8, color="#444444")


def _table_page(fig: Figure, year: int, rows: list[dict], start: int) -> None:
    _text(fig, 0.08, 0.95, f"{year} 年各指标情况", 13, fontweight="bold")
    columns = [(0.08, "序号"), (0.13, "指标"), (0.40, "目标"), (0.52, "数值"), (0.62, "达成度"), (0.70, "权重"),
               (0.76, "状态"), (0.83, "来源")]
    y = 0.915
    for x, name in columns:
        _text(fig, x, y, name, 8, fontweight="bold")
    y -= 0.022
    for i, c in enumerate(rows, start=start + 1):
        label = textwrap.wrap(c["label"], 14) or [""]
        source = textwrap.wrap("计算：" + (c["source"] or "") if c["kind"] == "computed" else (c["source"] or "—"), 9)
        height = max(len(label), min(len(source), 3)) * 0.0145 + 0.008
        figure = c["measure"] if c["measure"] is not None else c["value"]
        cells = [(0.08, [str(i)]), (0.13, label), (0.40, [f"{c['direction'].replace('>=', '≥').replace('<=', '≤')}"
                                                         f" {_number(c['target'])} {c['unit']}"]),
                 (0.52, [_number(figure)]), (0.62, ["—" if c["score"] is None else f"{100 * c['score']:.0f}%"]),
                 (0.70, [_number(c["weight"])]), (0.83, source[:3])]
        for x, lines in cells:
            for k, line in enumerate(lines):
                _text(fig, x, y - k * 0.0145, line, 7.5)
        _text(fig, 0.76, y, STATUS_WORDS[c["status"]], 7.5, color=COLOURS[c["status"]], fontweight="bold")
        y -= height
        fig.add_artist(Line2D([0.08, 0.92], [y + 0.004, y + 0.004], linewidth=0.3,
                                               color="#cccccc"))


def render(number: str, year: int, result: dict, history: list[dict], formula: str,
           published_at: datetime, username: str) -> bytes:
    """Return the report as PDF bytes."""
    rows = result["components"]
    chunks = [rows[i:i + ROWS_PER_PAGE] for i in range(0, len(rows), ROWS_PER_PAGE)] or [[]]
    total = 1 + len(chunks)
    buf = io.BytesIO()
    with rc_context({"pdf.fonttype": 42, "font.family": [_family()], "axes.unicode_minus": False}):
        with PdfPages(buf, metadata={"CreationDate": None, "ModDate": None, "Title": f"{number} 两型社会建设指数报告",
                                     "Creator": "石峰区规划地理信息平台"}) as pdf:
            fig = Figure(figsize=A4)
            _cover(fig, number, year, result, history, formula, published_at, username)
            _footer(fig, number, 1, total)
            pdf.savefig(fig)
            for page, chunk in enumerate(chunks, start=2):
                fig = Figure(figsize=A4)
                _table_page(fig, year, chunk, (page - 2) * ROWS_PER_PAGE)
                _footer(fig, number, page, total)
                pdf.savefig(fig)
    return buf.getvalue()
