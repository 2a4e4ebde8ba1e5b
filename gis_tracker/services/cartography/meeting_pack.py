"""Assemble the meeting pack: one multi-page PDF with the district's state on a given date.

Pages: cover; table of contents; the district overview map; one page per
top-level zone with the relocation-progress map (enterprises coloured by their
stage on the as-of date) and a table of enterprises by stage; the open
encroachment flags with a small map per project; the indicators table (when
a land-cover or DEM raster is stored).  Every page but
the cover carries its heading and "第 n 页 / 共 N 页".
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
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...i18n import gettext as _
from ...models import Enterprise, Project, Zone
from ...rules.stages import STAGE_CODES, STAGE_LABELS
from ...spatial import cartography
from ..encroachment import flags as flag_service
from ..exchange import zonal
from ..relocation import transitions
from . import map_figure, plan_pages, snapshot

LOGGER = logging.getLogger(__name__)
PAGE = cartography.paper_inches("A4", True)
FLAGS_PER_PAGE = 4
SEVERITY_LABELS = {"violation": "违规", "review": "需审查", "warning": "提示"}
OVERVIEW_LAYERS = ("zones", "protected_areas", "water_bodies", "projects", "enterprises")
ZONE_LAYERS = ("zones", "water_bodies", "enterprises")
FLAG_LAYERS = ("zones", "protected_areas", "water_bodies", "projects")


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
    """What every page needs: the session, the date, the stages on that date."""

    session: Session
    as_of: date
    title: str
    stages: dict[int, str] = field(default_factory=dict)


# ---- page furniture ---------------------------------------------------------------------------

def _heading(fig: Figure, text: str) -> None:
    fig.text(0.45, PAGE[1] - 0.45, text, transform=fig.dpi_scale_trans, fontsize=17, fontweight="bold", va="top")


def _footer(fig: Figure, number: int, total: int, title: str) -> None:
    tr = fig.dpi_scale_trans
    fig.text(PAGE[0] / 2, 0.3, f"第 {number} 页 / 共 {total} 页", transform=tr, fontsize=8, ha="center")
    fig.text(0.45, 0.3, title, transform=tr, fontsize=7, color="#666666")
    fig.text(PAGE[0] - 0.45, 0.3, snapshot.INTERNAL_MARK, transform=tr, fontsize=8, color="#b00020", ha="right")


def _table(fig: Figure, rect_in, header: list[str], rows: list[list[str]], fontsize: float = 9) -> None:
    """Draw a simple table with a header row inside ``rect_in`` (inches)."""
    ax = fig.add_axes((rect_in[0] / PAGE[0], rect_in[1] / PAGE[1], rect_in[2] / PAGE[0], rect_in[3] / PAGE[1]))
    ax.axis("off")
    if not rows:
        ax.text(0, 1, "（无）", va="top", fontsize=fontsize)
        return
    table = ax.table(cellText=rows, colLabels=header, loc="upper center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(fontsize)
    table.scale(1, 1.35)
    for (r, _c), cell in table.get_celld().items():
        cell.set_linewidth(0.4)
        if r == 0:
            cell.set_facecolor("#e8ecf2")
            cell.set_text_props(fontweight="bold")


def _map(ctx: PackContext, fig: Figure, rect_in, layers: tuple[str, ...], extent=None, zone: str | None = None,
         labels: bool = True) -> None:
    req = snapshot.SnapshotRequest(zone=zone, layers=layers, as_of=ctx.as_of, labels=labels,
                                   stage_overrides=ctx.stages)
    data = snapshot.load_frame(ctx.session, req, (rect_in[2], rect_in[3]), 300, extent=extent)
    ax = fig.add_axes((rect_in[0] / PAGE[0], rect_in[1] / PAGE[1], rect_in[2] / PAGE[0], rect_in[3] / PAGE[1]))
    map_figure.draw_map(ax, data, fig.dpi, 6.5, labels=labels)
    return data


# ---- pages ------------------------------------------------------------------------------------

def _cover(ctx: PackContext) -> Page:
    def draw(fig: Figure) -> None:
        tr = fig.dpi_scale_trans
        fig.text(PAGE[0] / 2, PAGE[1] * 0.62, ctx.title, transform=tr, fontsize=22, fontweight="bold",
                 ha="center", wrap=True)
        fig.text(PAGE[0] / 2, PAGE[1] * 0.52, f"数据截至 {ctx.as_of.isoformat()}", transform=tr, fontsize=14,
                 ha="center")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.46, f"编制日期 {date.today().isoformat()}", transform=tr, fontsize=11,
                 ha="center", color="#444444")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.3, "石峰区规划地理信息平台", transform=tr, fontsize=12, ha="center")
        fig.text(PAGE[0] / 2, PAGE[1] * 0.24, snapshot.INTERNAL_MARK + " · 注意保密", transform=tr, fontsize=12,
                 ha="center", color="#b00020")
    return Page("封面", draw, in_contents=False, numbered=False)


def _overview(ctx: PackContext) -> Page:
    def draw(fig: Figure) -> None:
        _heading(fig, "石峰区总览图")
        rect = (0.45, 0.6, PAGE[0] * 0.68, PAGE[1] - 1.45)
        data = _map(ctx, fig, rect, OVERVIEW_LAYERS)
        map_figure.draw_legend(fig, (rect[0] + rect[2] + 0.25, 0.8, PAGE[0] - rect[2] - 1.1, PAGE[1] - 1.7),
                               data.legend, 7.5)
    return Page("石峰区总览图", draw)


def _zone_rows(ctx: PackContext, zone: Zone) -> tuple[list[list[str]], int]:
    ids = ctx.session.scalars(select(Enterprise.id).where(
        Enterprise.deleted_at.is_(None), func.ST_Intersects(Enterprise.geom, zone.geom)).order_by(Enterprise.id)).all()
    counts = Counter(ctx.stages.get(i, "not_started") for i in ids)
    total = len(ids)
    rows = [[STAGE_LABELS[code], str(counts.get(code, 0)),
             f"{100 * counts.get(code, 0) / total:.1f}%" if total else "—"] for code in STAGE_CODES]
    rows.append(["合计", str(total), "100%" if total else "—"])
    return rows, total


def _zone_page(ctx: PackContext, zone: Zone) -> Page:
    heading = f"{zone.name} · 搬迁进度"

    def draw(fig: Figure) -> None:
        _heading(fig, heading)
        rect = (0.45, 0.6, PAGE[0] * 0.6, PAGE[1] - 1.45)
        data = _map(ctx, fig, rect, ZONE_LAYERS, zone=zone.code)
        rows, total = _zone_rows(ctx, zone)
        x = rect[0] + rect[2] + 0.3
        fig.text(x, PAGE[1] - 1.05, f"企业按阶段统计（截至 {ctx.as_of.isoformat()}，共 {total} 家）",
                 transform=fig.dpi_scale_trans, fontsize=10, fontweight="bold", va="top")
        _table(fig, (x, PAGE[1] - 4.6, PAGE[0] - x - 0.45, 3.4), ["阶段", "企业数", "占比"], rows, 9)
        entries = [e for e in data.legend if e.layer_id == "enterprises"]
        map_figure.draw_legend(fig, (x, 0.8, PAGE[0] - x - 0.45, 2.2), entries, 7.5, title="图例（企业阶段）")
    return Page(heading, draw)


def _flag_pages(ctx: PackContext) -> list[Page]:
    flags = flag_service.open_flags(ctx.session)
    by_project: dict[int, list] = {}
    for f in flags:
        by_project.setdefault(f.project_id, []).append(f)
    projects = list(by_project.items())
    heading = "侵占预警：未处理的项目"
    if not projects:
        def none(fig: Figure) -> None:
            _heading(fig, heading)
            fig.text(0.45, PAGE[1] - 1.2, "截至编制日，没有未处理的侵占预警。", transform=fig.dpi_scale_trans,
                     fontsize=11, va="top")
        return [Page(heading, none)]
    pages = []
    for start in range(0, len(projects), FLAGS_PER_PAGE):
        chunk = projects[start:start + FLAGS_PER_PAGE]
        pages.append(Page(heading if start == 0 else f"{heading}（续）", _flag_drawer(ctx, chunk, heading, start),
                          in_contents=start == 0))
    return pages


def _flag_drawer(ctx: PackContext, chunk, heading: str, start: int):
    def draw(fig: Figure) -> None:
        _heading(fig, heading if start == 0 else f"{heading}（续）")
        cell_w, cell_h = (PAGE[0] - 0.9) / 2, (PAGE[1] - 1.5) / 2
        for i, (project_id, flags) in enumerate(chunk):
            col, row = i % 2, i // 2
            x0, y0 = 0.45 + col * cell_w, PAGE[1] - 1.05 - (row + 1) * cell_h
            box = ctx.session.execute(select(func.ST_XMin(Project.geom), func.ST_YMin(Project.geom),
                                             func.ST_XMax(Project.geom), func.ST_YMax(Project.geom))
                                      .where(Project.id == project_id)).first()
            size = max(box[2] - box[0], box[3] - box[1], 200.0) * 1.5
            cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
            extent = (cx - size, cy - size, cx + size, cy + size)
            _map(ctx, fig, (x0, y0 + 0.95, cell_w * 0.5, cell_h - 1.1), FLAG_LAYERS, extent=extent, labels=False)
            tr = fig.dpi_scale_trans
            fig.text(x0 + cell_w * 0.52, y0 + cell_h - 0.2, flags[0].project_name, transform=tr, fontsize=10,
                     fontweight="bold", va="top", wrap=True)
            y = y0 + cell_h - 0.5
            for f in flags[:6]:
                text = (f"【{SEVERITY_LABELS.get(f.severity, f.severity)}】{f.rule}\n"
                        f"重叠 {f.overlap_m2:,.0f} m²（{f.overlap_mu:,.2f} 亩，{f.overlap_pct:.1f}%）")
                if f.min_distance_m is not None:
                    text += f"，距离 {f.min_distance_m:,.0f} m"
                fig.text(x0 + cell_w * 0.52, y, text, transform=tr, fontsize=7, va="top")
                y -= 0.42
    return draw


@dataclass(frozen=True)
class IndicatorTable:
    """The indicators table of the pack: column headings and rows of display strings."""

    columns: list[str]
    rows: list[list[str]]


def indicator_table(session: Session, limit: int = 40) -> IndicatorTable | None:
    """Return the plan's green indicators per zone from the stored rasters (None when none is stored)."""
    result = zonal.indicators(session)
    if not result["landcover_raster"] and not result["dem_raster"]:
        return None
    targets = result["targets"]
    columns = ["片区", "层级"] + [f"{t['label']}（≥{t['minimum']:g}{t['unit']}）" for t in targets] + ["平均高程（m）"]
    rows = []
    for zone in result["zones"]:
        values = {t["key"]: t for t in zone["targets"]}
        row = [zone["name"], "片区" if zone["level"] == "zone" else "功能区"]
        for t in targets:
            got = values.get(t["key"], {})
            value = got.get("value")
            row.append("—" if value is None else f"{value:.1f}{'' if got.get('met') else ' ✗'}")
        mean = (zone["dem"] or {}).get("mean_elevation")
        row.append("—" if mean is None else f"{mean:.0f}")
        rows.append(row)
    return IndicatorTable(columns, rows[:limit]) if rows else None


def _indicator_page(ctx: PackContext) -> Page | None:
    table = indicator_table(ctx.session)
    if table is None:
        return None

    def draw(fig: Figure) -> None:
        _heading(fig, "指标表")
        _table(fig, (0.45, 0.7, PAGE[0] - 0.9, PAGE[1] - 1.6), table.columns, table.rows, 7.5)
    return Page("指标表", draw)


def _contents(pages: list[Page]) -> Page:
    def draw(fig: Figure) -> None:
        _heading(fig, "目录")
        tr = fig.dpi_scale_trans
        y = PAGE[1] - 1.3
        for number, page in enumerate(pages, start=1):
            if not page.in_contents:
                continue
            fig.text(1.0, y, page.heading, transform=tr, fontsize=12, va="top")
            fig.text(PAGE[0] - 1.0, y, str(number), transform=tr, fontsize=12, va="top", ha="right")
            y -= 0.36
    return Page("目录", draw, in_contents=False)


def plan(ctx: PackContext) -> list[Page]:
    """Return the pages of the pack in order (contents included)."""
    pages = [_cover(ctx), None, _overview(ctx)]
    zones = ctx.session.scalars(select(Zone).where(Zone.level == "zone", Zone.deleted_at.is_(None))
                                .order_by(Zone.id)).all()
    pages += [_zone_page(ctx, z) for z in zones]
    pages += _flag_pages(ctx)
    indicator = _indicator_page(ctx)
    if indicator is not None:
        pages.append(indicator)
    pages += [Page(*spec) for spec in plan_pages.pages(ctx.session, ctx.as_of)]  # indicators, restoration
    pages[1] = _contents(pages)  # built from the final list, so page numbers are right
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
