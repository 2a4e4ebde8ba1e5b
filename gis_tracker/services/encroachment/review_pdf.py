"""Render a review report as an A4 PDF with matplotlib (Chinese text in Noto CJK, embedded as TrueType)."""
from __future__ import annotations

import io
import logging
import textwrap
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
from matplotlib import rc_context  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ...rules import encroachment as enc_rules  # noqa: E402
from ...rules import land_use, project_status  # noqa: E402
from . import review_map  # noqa: E402

LOGGER = logging.getLogger(__name__)
A4 = (8.27, 11.69)
LEFT, RIGHT, TOP, BOTTOM = 0.08, 0.92, 0.95, 0.06
TYPE_LABELS = {code: zh for code, (zh, _en) in project_status.PROJECT_TYPE_LABELS.items()}
STATUS_LABELS = {code: zh for code, (zh, _en) in project_status.STATUS_LABELS.items()}
PARK_LABELS = {code: zh for code, (zh, _en) in land_use.PARK_LEVEL_LABELS.items()}


class _Pages:
    """Write lines of text top to bottom, starting a new A4 page when one is full."""

    def __init__(self, pdf: PdfPages, footer: str) -> None:
        self.pdf, self.footer, self.fig, self.y, self.page = pdf, footer, None, TOP, 0
        self.font = review_map.cjk_font()

    def _new_page(self) -> None:
        self.close()
        self.fig = Figure(figsize=A4)
        self.page += 1
        self.y = TOP

    def need(self, height: float) -> None:
        if self.fig is None or self.y - height < BOTTOM:
            self._new_page()

    def line(self, text: str, size: float = 9, x: float = LEFT, bold: bool = False, colour: str = "#000",
             wrap: int = 58) -> None:
        for part in (textwrap.wrap(text, width=wrap, break_long_words=True) or [""]):
            step = size / 72 / A4[1] * 1.55
            self.need(step)
            self.fig.text(x, self.y, part, fontproperties=self.font, fontsize=size, color=colour, va="top",
                          fontweight="bold" if bold else "normal")
            self.y -= step

    def row(self, cells: list[tuple[float, str, int]], size: float = 8, colour: str = "#000") -> None:
        """Write one table row: cells are (x, text, wrap width); the row is as tall as its tallest cell."""
        wrapped = [(x, textwrap.wrap(t, width=w, break_long_words=True) or [""]) for x, t, w in cells]
        step = size / 72 / A4[1] * 1.5
        height = step * max(len(lines) for _, lines in wrapped)
        self.need(height + step * 0.3)
        for x, lines in wrapped:
            for i, part in enumerate(lines):
                self.fig.text(x, self.y - i * step, part, fontproperties=self.font, fontsize=size, color=colour,
                              va="top")
        self.y -= height + step * 0.3

    def gap(self, share: float = 0.012) -> None:
        self.y -= share

    def image_axes(self, height: float):
        self.need(height)
        ax = self.fig.add_axes((LEFT, self.y - height, RIGHT - LEFT, height))
        self.y -= height + 0.01
        return ax

    def close(self) -> None:
        if self.fig is not None:
            self.fig.text(0.5, 0.03, f"{self.footer} · 第 {self.page} 页", fontproperties=self.font, fontsize=7,
                          ha="center", color="#555")
            self.pdf.savefig(self.fig)
            self.fig = None


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def render(a, number: str | None, issued_at: datetime | None, issued_by: str | None) -> bytes:
    """Return the PDF bytes of assessment ``a`` (see :mod:`.review`)."""
    buf = io.BytesIO()
    p = a.project
    footer = f"{number or '预览（未出具）'} · 数据版本 {a.data_version}"
    with rc_context({"pdf.fonttype": 42, "text.parse_math": False}), PdfPages(buf, metadata={
            "Title": f"两型审查报告 {number or ''} {p['name']}", "Creator": "石峰区规划地理信息平台",
            "CreationDate": None, "ModDate": None}) as pdf:
        w = _Pages(pdf, footer)
        w.line("株洲市石峰区 两型审查报告", size=16, bold=True)
        w.line("Two-oriented (resource-saving, environment-friendly) review", size=8, colour="#555")
        w.gap()
        w.line(f"报告编号：{number or '预览（未出具，不作为审查依据）'}", size=10)
        w.line(f"出具日期：{issued_at.astimezone().strftime('%Y-%m-%d %H:%M') if issued_at else '—'}"
               f"　出具人：{issued_by or '—'}", size=10)
        w.line(f"数据版本：{a.data_version}（项目版本 v{p['version']}）　评估日期：{a.as_of.isoformat()}", size=10)
        w.gap()
        label, label_en = enc_rules.CONCLUSION_LABELS[a.conclusion]
        colour = {"pass": "#2e7d32", "needs_review": "#b26a00", "fail": "#c00000"}[a.conclusion]
        w.line(f"审查结论：{label}（{label_en}）", size=14, bold=True, colour=colour)
        w.gap()
        w.line("一、项目概况", size=11, bold=True)
        w.line(f"项目名称：{p['name']}　类型：{TYPE_LABELS.get(p['project_type'], p['project_type'])}"
               f"　状态：{STATUS_LABELS.get(p['status'], p['status'])}")
        w.line(f"所在片区：{p['zone_name'] or '—'}" + (f"（{p['sub_area_name']}）" if p.get("sub_area_name") else "")
               + f"　园区级别：{PARK_LABELS.get(p['park_level'], '未填')}")
        w.line(f"用地面积：{_fmt(p['area_m2'])} m²（{_fmt(p['area_mu'])} 亩）"
               f"　总投资：{_fmt(p['investment_wan'], 0)} 万元")
        if a.extract is not None:
            ax = w.image_axes(0.42)
            review_map.draw(ax, a.extract)
            w.line("图：项目用地（紫）与保护区（红）、水体（蓝）及重叠范围（斜线）", size=7, colour="#555")
        w.gap()
        w.line("二、保护区与水体审查", size=11, bold=True)
        if not a.flags:
            w.line("未发现与保护区、水体相关的问题。")
        else:
            cols = [(LEFT, "规则", 16), (0.30, "严重程度", 6), (0.38, "状态", 6), (0.46, "重叠 m²", 12),
                    (0.58, "亩", 8), (0.66, "占项目 %", 8), (0.75, "最近距离 m", 8), (0.84, "涉及要素", 10)]
            w.row(cols, size=8, colour="#333")
            for f in a.flags:
                w.row([(LEFT, f["rule_name"], 16), (0.30, enc_rules.SEVERITY_LABELS[f["severity"]][0], 6),
                       (0.38, enc_rules.STATUS_LABELS[f["status"]][0], 6), (0.46, _fmt(f["overlap_m2"]), 12),
                       (0.58, _fmt(f["overlap_mu"], 3), 8), (0.66, _fmt(f["overlap_pct"], 3), 8),
                       (0.75, _fmt(f["min_distance_m"]), 8),
                       (0.84, "、".join(x["name"] for x in f["features"]), 10)])
            w.gap(0.006)
            for f in a.flags:
                w.line(f"· {f['rule_name']}：{f['message']}", size=8)
                w.line(f"  依据：{f['basis']}", size=7, colour="#444", wrap=72)
                if f["status"] in ("waived", "resolved") and f["status_reason"]:
                    w.line(f"  {enc_rules.STATUS_LABELS[f['status']][0]}理由（{f['status_by']}）：{f['status_reason']}",
                           size=7, colour="#444", wrap=72)
        w.gap()
        w.line("三、节约集约用地指标", size=11, bold=True)
        if not a.indicators:
            w.line("非工业项目，不适用投资强度、容积率、建筑系数、税收指标。")
        else:
            w.row([(LEFT, "指标", 20), (0.40, "实际值", 12), (0.55, "标准", 14), (0.72, "结果", 10)], colour="#333")
            for i in a.indicators:
                if i.ok is None:
                    result = "无法判断" if i.threshold is None else "无数据"
                else:
                    result = "达标" if i.ok else "未达标"
                standard = f"≥ {i.threshold:g} {i.unit}" if i.threshold is not None else "园区级别未填"
                w.row([(LEFT, i.label, 20), (0.40, f"{_fmt(i.value)} {i.unit}", 12),
                       (0.55, standard, 14), (0.72, result, 10)])
                if i.consequence:
                    w.line(f"  {i.consequence}", size=7, colour="#444", wrap=72)
            w.line(f"依据：{a.indicators[0].basis}", size=7, colour="#444", wrap=72)
        for f in a.findings:
            w.line(f"需审查：{f.text}", wrap=58)
        w.line(f"土地闲置：{a.idle.text}")
        w.line(f"依据：{a.idle.basis}", size=7, colour="#444", wrap=72)
        w.gap()
        w.line("四、结论", size=11, bold=True)
        w.line(f"{label}。依据《石峰区两型建设攻坚实施方案》二(七)2(3)，审查未通过的项目不得实施。")
        for reason in a.reasons():
            w.line(f"· {reason}", size=8, wrap=64)
        if a.override is not None:
            o = a.override
            w.gap()
            w.line("五、管理员越权放行", size=11, bold=True, colour="#c00000")
            w.line(f"{o.username} 于 {o.at.astimezone().strftime('%Y-%m-%d %H:%M')} 越权放行至"
                   f"“{STATUS_LABELS.get(o.to_status, o.to_status)}”（审查结论："
                   f"{enc_rules.CONCLUSION_LABELS[o.conclusion][0]}）。")
            w.line(f"理由：{o.reason}", wrap=58)
        w.close()
    return buf.getvalue()
