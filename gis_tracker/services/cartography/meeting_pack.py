"""Assemble the meeting pack: one multi-page PDF with the district's state as it stood on a given date.

The pack is a list of sections (:data:`SECTIONS`), each a function of the
:class:`PackContext` returning its pages; another module adds its own with one
call to :func:`add_section`.  Built in: the cover and contents; the district
overview map; for each top-level zone a map page and the tables that matter
there (relocation progress and milestones where there are enterprises, the
construction projects, the green indicators of the zone and its sub-areas);
the encroachment flags still open with a small map per project; the
district-wide indicators table.  Every page but the cover carries its heading
and "第 n 页 / 共 N 页".

Everything is as of the pack's date: enterprise stages from their transitions,
projects and flags from the version and flag history
(:mod:`services.encroachment.history`).  Tables flow onto continuation pages
with their header repeated, so no row is ever cut; text uses only glyphs the
embedded Noto CJK font has.
"""
from __future__ import annotations

import io
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import gettext as _
from ...models import Enterprise, Zone
from ...rules import encroachment as enc_rules
from ...rules import project_status
from ...rules.stages import STAGE_CODES, STAGE_LABELS
from ...spatial import cartography
from ..encroachment import history
from ..exchange import zonal
from ..features import catalog
from ..relocation import dashboard, transitions
from . import map_figure, plan_pages, snapshot, snapshot_data

LOGGER = logging.getLogger(__name__)
PAGE = cartography.paper_inches("A4", True)
MARGIN = 0.45
TABLE_TOP = PAGE[1] - 1.0  # below the heading
TABLE_BOTTOM = 0.6  # above the footer
FLAGS_PER_PAGE = 4
SEVERITY_LABELS = {code: zh for code, (zh, _en) in enc_rules.SEVERITY_LABELS.items()}
FLAG_STATUS_LABELS = {code: zh for code, (zh, _en) in enc_rules.STATUS_LABELS.items()}
OVERVIEW_LAYERS = ("zones", "protected_areas", "water_bodies", "projects", "enterprises")
FLAG_LAYERS = ("zones", "protected_areas", "water_bodies", "projects")
MISSING = "—"
MILESTONE_NOTE = ("依“一年展开，三年攻坚，五年基本完成搬迁，十年建成生态科技新城”和南提“一年全面展开、"
                  "三年初见成效、五年综合整治基本到位、十年建成生态新城”；每个目标以全部企业须达到的阶段衡量。")
BASIS_NOTE = ("企业阶段依搬迁记录的日期；建设项目与侵占预警依系统中截至该日的版本和预警记录"
              "（此后录入或修改的不计入）。")


def default_title(as_of: date) -> str:
    """Return the pack's default title for ``as_of``."""
    return f"石峰区规划与清水塘搬迁工作会议材料（截至 {as_of.isoformat()}）"


@dataclass
class Page:
    """One page of the pack: its heading (for the contents) and how to draw it."""

    heading: str
    draw: Callable[[Figure], None]
    in_contents: bool = True
    numbered: bool = True


@dataclass
class PackContext:
    """What the pages need: the session, the date, and the state of things on that date (loaded once)."""

    session: Session
    as_of: date
    title: str
    stages: dict[int, str] = field(default_factory=dict)
    _projects: list | None = None
    _indicators: dict | None = None
    _zones: list | None = None

    @property
    def projects(self) -> list[history.ProjectThen]:
        """Return the projects as recorded on the pack's date, with their open flags then."""
        if self._projects is None:
            self._projects = history.projects_as_of(self.session, self.as_of)
        return self._projects

    @property
    def indicators(self) -> dict:
        """Return the green indicators (district, central city, zones) from the stored rasters."""
        if self._indicators is None:
            self._indicators = zonal.indicators(self.session)
        return self._indicators

    @property
    def zones(self) -> list[Zone]:
        """Return the live zones and sub-areas, top-level zones first in their order."""
        if self._zones is None:
            self._zones = list(self.session.scalars(select(Zone).where(Zone.deleted_at.is_(None))
                                                    .order_by(Zone.level.desc(), Zone.id)))
        return self._zones

    def zone_name(self, zone_id: int | None) -> str:
        """Return the name of a zone or sub-area by id (— when None)."""
        return next((z.name for z in self.zones if z.id == zone_id), MISSING)


Section = Callable[[PackContext], list[Page]]


# ---- page furniture ---------------------------------------------------------------------------

def _heading(fig: Figure, text: str) -> None:
    fig.text(MARGIN, PAGE[1] - 0.45, text, transform=fig.dpi_scale_trans, fontsize=17, fontweight="bold", va="top")


def _footer(fig: Figure, number: int, total: int, title: str) -> None:
    tr = fig.dpi_scale_trans
    fig.text(PAGE[0] / 2, 0.3, f"第 {number} 页 / 共 {total} 页", transform=tr, fontsize=8, ha="center")
    fig.text(MARGIN, 0.3, title, transform=tr, fontsize=7, color="#666666")
    fig.text(PAGE[0] - MARGIN, 0.3, snapshot.INTERNAL_MARK, transform=tr, fontsize=8, color="#b00020", ha="right")


def _note(fig: Figure, y: float, text: str, fontsize: float = 8, colour: str = "#444444") -> float:
    """Write wrapped notes from ``y`` (inches, downwards); return the y below them."""
    width_em = (PAGE[0] - 2 * MARGIN) * 72 / fontsize
    for line in cartography.wrap_text(text, width_em):
        fig.text(MARGIN, y, line, transform=fig.dpi_scale_trans, fontsize=fontsize, color=colour, va="top")
        y -= fontsize * 1.45 / 72
    return y


@dataclass(frozen=True)
class Column:
    """A table column: its heading, share of the table width and alignment."""

    heading: str
    width: float
    align: str = "left"


def table_pages(heading: str, columns: list[Column], rows: list[list[str]], intro: str | None = None,
                fontsize: float = 8.5, in_contents: bool = True) -> list[Page]:
    """Return the pages of a table: rows flow onto continuation pages, the header repeated on each.

    Cells are wrapped to their column; every row is drawn (a row taller than a
    page gets one of its own); an empty table says "（无）".
    """
    width = PAGE[0] - 2 * MARGIN
    total = sum(c.width for c in columns)
    widths = [width * c.width / total for c in columns]
    line = fontsize * 1.4 / 72
    pad = 0.05

    def lines_of(row, size=fontsize):
        return [cartography.wrap_text(str(cell), max(1.0, (w - 2 * pad) * 72 / size)) for cell, w in zip(row, widths)]
    header = lines_of([c.heading for c in columns])
    header_h = max(len(x) for x in header) * line + 2 * pad
    wrapped = [lines_of(r) for r in rows]
    heights = [max(len(x) for x in cells) * line + 2 * pad for cells in wrapped]
    intro_h = (len(cartography.wrap_text(intro, width * 72 / 8.5)) * 8.5 * 1.45 / 72 + 0.1) if intro else 0.0
    room = TABLE_TOP - TABLE_BOTTOM - header_h
    spans = cartography.paginate(heights, room - intro_h, room)

    def drawer(start: int, stop: int, first: bool):
        def draw(fig: Figure) -> None:
            tr = fig.dpi_scale_trans
            _heading(fig, heading if first else f"{heading}（续）")
            y = TABLE_TOP
            if intro and first:
                y = _note(fig, y, intro, 8.5) - 0.1
            if not rows:
                fig.text(MARGIN, y, "（无）", transform=tr, fontsize=fontsize, va="top")
                return
            y = _row(fig, y, header, header_h, bold=True)
            for i in range(start, stop):
                y = _row(fig, y, wrapped[i], heights[i], shade=(i % 2 == 1))
        return draw

    def _row(fig, y, cells, h, bold=False, shade=False):
        tr = fig.dpi_scale_trans
        if bold or shade:
            fig.add_artist(Rectangle((MARGIN, y - h), width, h, transform=tr, linewidth=0,
                                     facecolor="#e8ecf2" if bold else "#f6f7f9"))
        fig.add_artist(Rectangle((MARGIN, y - h), width, h, transform=tr, fill=False, linewidth=0.3,
                                 edgecolor="#9aa3ad"))
        x = MARGIN
        for cell_lines, w, col in zip(cells, widths, columns):
            tx = x + w - pad if col.align == "right" else x + pad
            for k, text in enumerate(cell_lines):
                fig.text(tx, y - pad - k * line, text, transform=tr, fontsize=fontsize, va="top",
                         ha="right" if col.align == "right" else "left", fontweight="bold" if bold else "normal")
            x += w
        return y - h

    return [Page(heading if n == 0 else f"{heading}（续）", drawer(a, b, n == 0), in_contents=in_contents and n == 0)
            for n, (a, b) in enumerate(spans)]


# ---- maps -------------------------------------------------------------------------------------

def _map(ctx: PackContext, fig: Figure, rect_in, layers: tuple[str, ...], extent=None, zone: str | None = None,
         labels: bool = True) -> snapshot_data.MapData:
    """Draw a map frame; projects are drawn as they stood on the pack's date."""
    own = tuple(layer for layer in layers if layer != "projects")
    req = snapshot.SnapshotRequest(zone=zone, layers=own, as_of=ctx.as_of, labels=labels,
                                   stage_overrides=ctx.stages)
    data = snapshot.load_frame(ctx.session, req, (rect_in[2], rect_in[3]), 300, extent=extent)
    if "projects" in layers:
        coll = catalog.collections()["projects"]
        tolerance = cartography.simplify_tolerance(data.extent[2] - data.extent[0], rect_in[2] * 300)
        then = snapshot_data.layer_from_shapes(coll, [p.geom for p in ctx.projects], [None] * len(ctx.projects),
                                               [p.name for p in ctx.projects], data.extent, tolerance)
        at = next((i for i, layer in enumerate(data.layers) if layer.id == "enterprises"), len(data.layers))
        data.layers.insert(at, then)
    ax = fig.add_axes((rect_in[0] / PAGE[0], rect_in[1] / PAGE[1], rect_in[2] / PAGE[0], rect_in[3] / PAGE[1]))
    map_figure.draw_map(ax, data, fig.dpi, 6.5, labels=labels)
    return data


# ---- sections ---------------------------------------------------------------------------------

def cover_section(ctx: PackContext) -> list[Page]:
    """The cover: title, the as-of date, the basis of the figures."""
    def draw(fig: Figure) -> None:
        tr = fig.dpi_scale_trans
        fig.text(PAGE[0] / 2, PAGE[1] * 0.62, ctx.title, transform=tr, fontsize=22, fontweight="bold",
                 ha="center", wrap=True)
        fig.text(PAGE[0] / 2, PAGE[1] * 0.52, f"数据截至 {ctx.as_of.isoformat()}", transform=tr, fontsize=14,
                 ha="center")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.46, f"编制日期 {date.today().isoformat()}", transform=tr, fontsize=11,
                 ha="center", color="#444444")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.40, BASIS_NOTE, transform=tr, fontsize=9, ha="center", color="#444444")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.3, "石峰区规划地理信息平台", transform=tr, fontsize=12, ha="center")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.24, snapshot.INTERNAL_MARK + " · 注意保密", transform=tr, fontsize=12,
                 ha="center", color="#b00020")
    return [Page("封面", draw, in_contents=False, numbered=False)]


def overview_section(ctx: PackContext) -> list[Page]:
    """The district overview map with its whole legend."""
    def draw(fig: Figure) -> None:
        _heading(fig, "石峰区总览图")
        rect = (MARGIN, 0.6, PAGE[0] * 0.68, PAGE[1] - 1.45)
        data = _map(ctx, fig, rect, OVERVIEW_LAYERS)
        map_figure.draw_legend(fig, (rect[0] + rect[2] + 0.25, 0.8, PAGE[0] - rect[2] - 1.1, PAGE[1] - 1.7),
                               data.legend, 7.5)
    return [Page("石峰区总览图", draw)]


def _enterprises_in(ctx: PackContext, zone: Zone) -> list[int]:
    return list(ctx.session.scalars(select(Enterprise.id).where(
        Enterprise.deleted_at.is_(None), Enterprise.top_zone_id == zone.id).order_by(Enterprise.id)))


def _projects_in(ctx: PackContext, zone: Zone) -> list[history.ProjectThen]:
    return [p for p in ctx.projects if p.top_zone_id == zone.id]


def _flag_text(flags: list[history.FlagThen]) -> str:
    return "；".join(f"{f.rule_name}（{SEVERITY_LABELS.get(f.severity, f.severity)}）" for f in flags) or MISSING


def _zone_map_page(ctx: PackContext, zone: Zone, enterprises: list[int], projects: list) -> Page:
    heading = f"{zone.name} · 概况图"
    counts = Counter(ctx.stages.get(i, "not_started") for i in enterprises)
    flagged = sum(1 for p in projects if p.flags)

    def draw(fig: Figure) -> None:
        _heading(fig, heading)
        rect = (MARGIN, 0.6, PAGE[0] * 0.6, PAGE[1] - 1.45)
        layers = OVERVIEW_LAYERS if enterprises else FLAG_LAYERS
        data = _map(ctx, fig, rect, layers, zone=zone.code)
        x = rect[0] + rect[2] + 0.3
        tr = fig.dpi_scale_trans
        lines = [f"截至 {ctx.as_of.isoformat()}："]
        if enterprises:
            lines.append(f"搬迁企业 {len(enterprises)} 家，已验收销号 {counts.get('accepted', 0)} 家，"
                         f"未启动 {counts.get('not_started', 0)} 家")
        lines.append(f"建设项目 {len(projects)} 个，其中有未处理侵占预警 {flagged} 个")
        subs = [z for z in ctx.zones if z.parent_id == zone.id]
        lines.append(f"功能区 {len(subs)} 个")
        y = PAGE[1] - 1.05
        for text in lines:
            for part in cartography.wrap_text(text, (PAGE[0] - x - MARGIN) * 72 / 9.5):
                fig.text(x, y, part, transform=tr, fontsize=9.5, va="top")
                y -= 9.5 * 1.5 / 72
        map_figure.draw_legend(fig, (x, 0.8, PAGE[0] - x - MARGIN, y - 1.0), data.legend, 7.5)
    return Page(heading, draw)


def _relocation_pages(ctx: PackContext, zone: Zone, enterprises: list[int]) -> list[Page]:
    counts = Counter(ctx.stages.get(i, "not_started") for i in enterprises)
    total = len(enterprises)
    rows = [[STAGE_LABELS[code], str(counts.get(code, 0)), f"{100 * counts.get(code, 0) / total:.1f}%"]
            for code in STAGE_CODES]
    rows.append(["合计", str(total), "100%"])
    pages = table_pages(f"{zone.name} · 搬迁进度", [Column("阶段", 3), Column("企业数", 1, "right"),
                                                    Column("占比", 1, "right")], rows,
                        intro=f"企业按阶段统计（截至 {ctx.as_of.isoformat()}，共 {total} 家）")
    done = dashboard.milestones(ctx.session, ctx.as_of)
    milestone_rows = [[m["label"], m["step"], m["deadline"], m["stage_label"], m["measure"],
                       f"{m['reached_at_deadline']}/{m['total']}（{m['percent_at_deadline']}%）" if m["due"]
                       else "未到期",
                       f"{m['reached_now']}/{m['total']}（{m['percent_now']}%）"] for m in done]
    pages += table_pages(f"{zone.name} · 规划目标进度", [
        Column("目标", 2.0), Column("南提步骤", 2.2), Column("期限", 1.2), Column("须达到阶段", 1.3),
        Column("衡量口径", 3.0), Column("期限时达到", 1.9, "right"), Column("截至本材料日期", 1.9, "right")],
        milestone_rows, intro=MILESTONE_NOTE)
    return pages


def _project_pages(ctx: PackContext, zone: Zone, projects: list[history.ProjectThen]) -> list[Page]:
    rows = [[p.name, ctx.zone_name(p.zone_id) if p.zone_id != zone.id else MISSING,
             project_status.PROJECT_TYPE_LABELS.get(p.project_type, (p.project_type,))[0],
             project_status.STATUS_LABELS.get(p.status, (p.status,))[0], _flag_text(p.flags)]
            for p in sorted(projects, key=lambda p: (not p.flags, p.name))]
    return table_pages(f"{zone.name} · 建设项目", [Column("项目名称", 3), Column("所在功能区", 2.4), Column("类型", 1),
                                                   Column("状态", 1), Column("未处理的侵占预警", 4)], rows,
                       intro=f"截至 {ctx.as_of.isoformat()} 系统中的建设项目 {len(projects)} 个（有预警的在前）。")


def _value(v, digits: int = 1) -> str:
    return MISSING if v is None else f"{v:.{digits}f}"


def _targets(entry: dict) -> dict:
    return {t["key"]: t for t in entry.get("targets", [])}


CONTEXT_KEYS = ("forest_cover", "builtup_green_cover", "green_space_ratio", "green_per_capita")


def _indicator_row(entry: dict, level: str) -> list[str]:
    values = _targets(entry)
    mean = (entry.get("dem") or {}).get("mean_elevation")
    return [entry["name"], level] + [_value(values.get(k, {}).get("value")) for k in CONTEXT_KEYS] + \
        [_value(mean, 0)]


def _indicator_columns() -> list[Column]:
    labels = {t.key: t for t in zonal.rmath.PLAN_TARGETS}
    return [Column("范围", 3.2), Column("层级", 1)] + [
        Column(f"{labels[k].label}（{labels[k].unit}）", 1.6, "right") for k in CONTEXT_KEYS] + [
        Column("平均高程（m）", 1.3, "right")]


def _zone_indicator_pages(ctx: PackContext, zone: Zone) -> list[Page]:
    data = ctx.indicators
    if not data["landcover_raster"] and not data["dem_raster"]:
        return []
    by_code = {z["code"]: z for z in data["zones"]}
    rows = [_indicator_row(by_code[zone.code], "片区")] if zone.code in by_code else []
    rows += [_indicator_row(z, "功能区") for z in data["zones"] if z["parent_code"] == zone.code]
    return table_pages(f"{zone.name} · 绿化指标（参考）", _indicator_columns(), rows,
                       intro="片区与功能区的数值供参考：规划目标按全区（中心城区）衡量，见“全区指标表”。")


def zone_section(ctx: PackContext) -> list[Page]:
    """For each top-level zone: its map page and the tables that matter there."""
    pages = []
    for zone in [z for z in ctx.zones if z.level == "zone"]:
        enterprises = _enterprises_in(ctx, zone)
        projects = _projects_in(ctx, zone)
        pages.append(_zone_map_page(ctx, zone, enterprises, projects))
        if enterprises:
            pages += _relocation_pages(ctx, zone, enterprises)
        pages += _project_pages(ctx, zone, projects)
        pages += _zone_indicator_pages(ctx, zone)
    return pages


def flag_section(ctx: PackContext) -> list[Page]:
    """The encroachment flags still open on the pack's date, with a small map per project."""
    flagged = [p for p in ctx.projects if p.flags]
    flagged.sort(key=lambda p: (min(enc_rules.SEVERITIES.index(f.severity) for f in p.flags), p.id))
    heading = "侵占预警：未处理的项目"
    if not flagged:
        def none(fig: Figure) -> None:
            _heading(fig, heading)
            fig.text(MARGIN, PAGE[1] - 1.2, f"截至 {ctx.as_of.isoformat()}，没有未处理的侵占预警。",
                     transform=fig.dpi_scale_trans, fontsize=11, va="top")
        return [Page(heading, none)]
    pages = []
    for start in range(0, len(flagged), FLAGS_PER_PAGE):
        chunk = flagged[start:start + FLAGS_PER_PAGE]
        pages.append(Page(heading if start == 0 else f"{heading}（续）", _flag_drawer(ctx, chunk, heading, start),
                          in_contents=start == 0))
    return pages


def _flag_drawer(ctx: PackContext, chunk: list[history.ProjectThen], heading: str, start: int):
    def draw(fig: Figure) -> None:
        _heading(fig, heading if start == 0 else f"{heading}（续）")
        cell_w, cell_h = (PAGE[0] - 2 * MARGIN) / 2, (PAGE[1] - 1.5) / 2
        tr = fig.dpi_scale_trans
        for i, project in enumerate(chunk):
            col, row = i % 2, i // 2
            x0, y0 = MARGIN + col * cell_w, PAGE[1] - 1.05 - (row + 1) * cell_h
            minx, miny, maxx, maxy = project.geom.bounds
            size = max(maxx - minx, maxy - miny, 200.0) * 1.5
            cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
            _map(ctx, fig, (x0, y0 + 0.95, cell_w * 0.5, cell_h - 1.1), FLAG_LAYERS,
                 extent=(cx - size, cy - size, cx + size, cy + size), labels=False)
            text_x, width_em = x0 + cell_w * 0.52, (cell_w * 0.46) * 72 / 7
            y = y0 + cell_h - 0.2
            for part in cartography.wrap_text(project.name, (cell_w * 0.46) * 72 / 10):
                fig.text(text_x, y, part, transform=tr, fontsize=10, fontweight="bold", va="top")
                y -= 10 * 1.45 / 72
            fig.text(text_x, y, f"{ctx.zone_name(project.top_zone_id)} · "
                                f"{project_status.STATUS_LABELS.get(project.status, (project.status,))[0]}",
                     transform=tr, fontsize=7.5, va="top", color="#444444")
            y -= 0.25
            for f in project.flags:
                tag = f"{SEVERITY_LABELS.get(f.severity, f.severity)}·{FLAG_STATUS_LABELS.get(f.status, f.status)}"
                text = (f"【{tag}】{f.rule_name}\n"
                        f"重叠 {f.overlap_m2:,.0f} m²（{f.overlap_mu:,.2f} 亩，{f.overlap_pct:.1f}%）")
                if f.min_distance_m is not None:
                    text += f"，距离 {f.min_distance_m:,.0f} m"
                for part in cartography.wrap_text(text, width_em):
                    if y < y0 + 0.1:
                        break
                    fig.text(text_x, y, part, transform=tr, fontsize=7, va="top")
                    y -= 7 * 1.45 / 72
                y -= 0.06
    return draw


def _met(t: dict | None) -> str:
    if not t or t.get("value") is None:
        return "无数据"
    return "达标" if t.get("met") else "未达标"


def indicator_section(ctx: PackContext) -> list[Page]:
    """The district's green targets judged where the plan sets them, then every zone and sub-area as context."""
    data = ctx.indicators
    if not data["landcover_raster"] and not data["dem_raster"]:
        return []
    judged = []
    for entry in (data.get("district"), data.get("central_city")):
        if entry is None:
            continue
        for t in entry["targets"]:
            judged.append([entry["name"], t["label"], f"≥ {t['target']:g}{t['unit']}",
                           _value(t["value"]) + (t["unit"] if t["value"] is not None else ""), _met(t)])
    definitions = data.get("definitions") or {}
    columns = [Column("范围", 3), Column("指标", 3.4), Column("规划目标", 1.4, "right"), Column("实际", 1.4, "right"),
               Column("结果", 1.2)]
    pages = table_pages("全区指标表 · 规划目标", columns, judged,
                        intro=f"{definitions.get('built_up', '')}{definitions.get('central_city', '')}"
                              "数值由土地覆盖栅格估算。")
    rows = []
    if data.get("district"):
        rows.append(_indicator_row(data["district"], "全区"))
    for z in data["zones"]:
        rows.append(_indicator_row(z, "片区" if z["level"] == "zone" else "功能区"))
    pages += table_pages("全区指标表 · 各片区与功能区", _indicator_columns(), rows,
                         intro="全区在前，各片区及其功能区在后（参考，不逐一对照全区目标）。")
    return pages


def plan_section(ctx: PackContext) -> list[Page]:
    """The plan's register (indicators, the 两型 index) and ecological restoration, as of the pack's date."""
    return [Page(*spec) for spec in plan_pages.pages(ctx.session, ctx.as_of)]


SECTIONS: list[tuple[str, Section]] = [
    ("cover", cover_section),
    ("overview", overview_section),
    ("zones", zone_section),
    ("flags", flag_section),
    ("indicators", indicator_section),
    ("plan", plan_section),
]
"""The pack's sections in order: (name, builder).  Extend with :func:`add_section`."""


def add_section(name: str, builder: Section, before: str | None = None) -> None:
    """Add a section to every pack (e.g. another subsystem's register), at the end or before ``before``.

    ``builder(ctx)`` returns its pages (tables via :func:`table_pages` flow and
    repeat their headers).  Adding a name again replaces that section.
    """
    global SECTIONS
    kept = [(n, b) for n, b in SECTIONS if n != name]
    at = next((i for i, (n, _b) in enumerate(kept) if n == before), len(kept))
    kept.insert(at, (name, builder))
    SECTIONS = kept


def _contents(pages: list[Page]) -> Page:
    def draw(fig: Figure) -> None:
        _heading(fig, "目录")
        tr = fig.dpi_scale_trans
        listed = [(n, p) for n, p in enumerate(pages, start=1) if p.in_contents]
        size = 12 if len(listed) <= 17 else max(7.0, 12 * 17 / len(listed))
        step = size * 2.1 / 72
        y = PAGE[1] - 1.3
        for number, page in listed:
            fig.text(1.0, y, page.heading, transform=tr, fontsize=size, va="top")
            fig.text(PAGE[0] - 1.0, y, str(number), transform=tr, fontsize=size, va="top", ha="right")
            y -= step
    return Page("目录", draw, in_contents=False)


def plan(ctx: PackContext) -> list[Page]:
    """Return the pages of the pack in order: the sections, with the contents after the cover."""
    pages: list[Page] = []
    contents_at = 0
    for name, builder in SECTIONS:
        pages += builder(ctx)
        if name == "cover":
            contents_at = len(pages)
    pages.insert(contents_at, Page("目录", lambda fig: None, in_contents=False))
    pages[contents_at] = _contents(pages)  # built from the final list, so page numbers are right
    return pages


def render(session: Session, as_of: date, progress=None, title: str | None = None) -> bytes:
    """Return the meeting pack for ``as_of`` as PDF bytes."""
    progress = progress or (lambda percent, message=None: None)
    ctx = PackContext(session, as_of, title or default_title(as_of))
    ctx.stages = transitions.stages_as_of(session, as_of)
    buf = io.BytesIO()
    with matplotlib.rc_context(map_figure.rc_params()):
        pages = plan(ctx)
        total = len(pages)
        with PdfPages(buf, metadata={"CreationDate": None, "ModDate": None, "Title": ctx.title,
                                     "Creator": _("石峰区规划地理信息平台")}) as pdf:
            for number, page in enumerate(pages, start=1):
                fig = Figure(figsize=PAGE, dpi=150)
                FigureCanvasAgg(fig)
                page.draw(fig)
                if page.numbered:
                    _footer(fig, number, total, ctx.title)
                pdf.savefig(fig)
                progress(int(5 + 90 * number / total), f"{number}/{total} {page.heading}")
    return buf.getvalue()

