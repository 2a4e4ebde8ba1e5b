"""Render print-quality map snapshots (PNG or PDF) of an extent and a set of layers.

A snapshot is a page: title and subtitle, the map frame (layers simplified to
the pixel size in PostGIS, labels without overlaps, scale bar, north arrow),
a legend built from the catalogue's styles for exactly the layers and values
drawn, and notes (map date, data-as-of date, CRS, source, scale), with an
optional "内部资料" mark.  Output is deterministic: the same request against
the same data gives byte-identical files (no timestamps in PNG or PDF).
"""
from __future__ import annotations

import io
import logging
from dataclasses import asdict, dataclass, field, replace
from datetime import date

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from ... import parsing
from ...errors import BadParameter
from ...i18n import gettext as _
from ...spatial import cartography
from ..features import catalog
from ..relocation import transitions
from . import map_figure, png_encode, raster_render, snapshot_data

LOGGER = logging.getLogger(__name__)

FORMATS = ("png", "pdf", "html")
DPI_RANGE = (50, 600)
DEFAULT_TITLE = "石峰区规划图"
SOURCE_LINE = "数据来源：石峰区规划地理信息平台"
CRS_NOTE = "坐标系：CGCS2000 / 3度带高斯-克吕格 CM 114°E（EPSG:4547）"
INTERNAL_MARK = "内部资料"
PDF_TOLERANCE_DPI = 600
"""PDFs are vector: simplify for a 600-dpi printer so zooming in a viewer shows no facets."""


@dataclass(frozen=True)
class SnapshotRequest:
    """What a snapshot shows and how it is printed (validated by :meth:`from_params`)."""

    zone: str | None = None
    bbox: tuple[float, float, float, float] | None = None  # lon/lat
    layers: tuple[str, ...] = ()
    title: str = DEFAULT_TITLE
    subtitle: str = ""
    paper: str = "A4"
    landscape: bool = True
    dpi: int = cartography.SCREEN_DPI
    fmt: str = "png"
    internal: bool = True
    as_of: date | None = None
    map_date: date | None = None
    labels: bool = True
    stage_overrides: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_params(cls, params: dict) -> SnapshotRequest:
        """Build a request from form, JSON or CLI values; raise BadParameter with a clear message."""
        p = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        zone = str(p["zone"]).strip() if "zone" in p else None
        bbox = None
        if "bbox" in p:
            raw = p["bbox"]
            text = ",".join(str(v) for v in raw) if isinstance(raw, (list, tuple)) else str(raw)
            try:
                for part in text.split(","):
                    parsing.number(part.strip(), "bbox")  # ASCII decimals only (float() takes any digits)
                bbox = cartography.parse_bbox(text)
            except (ValueError, BadParameter) as exc:
                raise BadParameter(f"范围参数有误：{exc}", code="bad_bbox") from None
        if zone and bbox:
            raise BadParameter("片区与范围只能选一个", code="zone_and_bbox")
        layers = p.get("layers") or ()
        if isinstance(layers, str):
            layers = [x.strip() for x in layers.split(",") if x.strip()]
        paper = str(p.get("paper", "A4")).upper()
        if paper not in cartography.PAPER_MM:
            raise BadParameter("纸张只能是 A4 或 A3", code="bad_paper")
        fmt = str(p.get("format", p.get("fmt", "png"))).lower()
        if fmt not in FORMATS:
            raise BadParameter("格式只能是 PNG、PDF 或 HTML", code="bad_format")
        try:
            dpi = parsing.integer(p.get("dpi", cartography.SCREEN_DPI), "dpi")
        except BadParameter:
            raise BadParameter("分辨率必须是整数", code="bad_dpi") from None
        if not DPI_RANGE[0] <= dpi <= DPI_RANGE[1]:
            raise BadParameter(f"分辨率须在 {DPI_RANGE[0]}–{DPI_RANGE[1]} 之间", code="bad_dpi")
        title = str(p.get("title", DEFAULT_TITLE)).strip() or DEFAULT_TITLE
        subtitle = str(p.get("subtitle", "")).strip()
        if len(title) > 80 or len(subtitle) > 120:
            raise BadParameter("标题过长", code="bad_title")
        return cls(zone=zone, bbox=bbox, layers=tuple(layers), title=title, subtitle=subtitle, paper=paper,
                   landscape=_bool(p.get("landscape", True)), dpi=dpi, fmt=fmt,
                   internal=_bool(p.get("internal", True)), as_of=parse_date(p.get("as_of"), "as_of"),
                   map_date=parse_date(p.get("map_date"), "map_date"), labels=_bool(p.get("labels", True)))

    def to_params(self) -> dict:
        """Return the request as JSON-ready parameters (what the export history stores)."""
        d = asdict(self)
        d.pop("stage_overrides")
        d["format"] = d.pop("fmt")
        d["bbox"] = list(self.bbox) if self.bbox else None
        d["layers"] = list(self.layers)
        for key in ("as_of", "map_date"):
            d[key] = d[key].isoformat() if d[key] else None
        return d


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on", "y")


def parse_date(value, name: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadParameter(f"{name} 的日期格式应为 YYYY-MM-DD", code="bad_date") from None


@dataclass
class Snapshot:
    """A rendered snapshot: the file's bytes and what it shows."""

    content: bytes
    fmt: str
    size_px: tuple[int, int] | None
    legend: list[tuple[str, str]]  # (layer title, entry label)
    layers_drawn: dict[str, int]
    extent: cartography.Bbox
    data_as_of: date | None

    @property
    def mime(self) -> str:
        """Return the file's media type."""
        return {"png": "image/png", "pdf": "application/pdf", "html": "text/html"}[self.fmt]


# ---- page geometry ----------------------------------------------------------------------------

@dataclass(frozen=True)
class PageLayout:
    """Rectangles (x, y, w, h in inches from the lower left) of a snapshot page."""

    size: tuple[float, float]
    scale: float  # font scale: 1 for A4
    title_at: tuple[float, float]
    map_rect: tuple[float, float, float, float]
    legend_rect: tuple[float, float, float, float]
    notes_at: tuple[float, float]


def page_layout(paper: str, landscape: bool, title_lines: int = 2) -> PageLayout:
    """Return where the title, map, legend and notes go on ``paper``."""
    w, h = cartography.paper_inches(paper, landscape)
    scale = min(w, h) / (210 / cartography.MM_PER_INCH)
    m = 0.45 * scale
    title_h = (0.42 + 0.26 * (title_lines - 1)) * scale
    top = h - m - title_h
    if landscape:
        panel_w = w * 0.24
        map_rect = (m, m, w - 2 * m - panel_w - 0.15 * scale, top - m)
        px = m + map_rect[2] + 0.2 * scale
        legend_rect = (px, m + 1.25 * scale, panel_w - 0.1 * scale, top - m - 1.35 * scale)
        notes_at = (px, m)
    else:
        panel_h = h * 0.2
        map_rect = (m, m + panel_h, w - 2 * m, top - m - panel_h - 0.1 * scale)
        legend_rect = (m, m + 0.05, (w - 2 * m) * 0.66, panel_h - 0.25 * scale)
        notes_at = (m + (w - 2 * m) * 0.68, m)
    return PageLayout((w, h), scale, (m, h - m), map_rect, legend_rect, notes_at)


def _fraction(rect, size):
    return rect[0] / size[0], rect[1] / size[1], rect[2] / size[0], rect[3] / size[1]


# ---- rendering --------------------------------------------------------------------------------

def resolve_extent(session: Session, req: SnapshotRequest) -> cartography.Bbox:
    """Return the requested extent in EPSG:4547 (zone, bbox, or the whole district)."""
    if req.zone:
        return snapshot_data.zone_extent(session, req.zone)
    if req.bbox:
        return snapshot_data.bbox_extent(session, req.bbox)
    return snapshot_data.district_extent(session)


def load_frame(session: Session, req: SnapshotRequest, frame_in: tuple[float, float], dpi: float,
               extent: cartography.Bbox | None = None) -> snapshot_data.MapData:
    """Load the layers of a map frame ``frame_in`` inches big, simplified for ``dpi``."""
    raw = extent or resolve_extent(session, req)
    fitted = cartography.fit_bbox(raw, frame_in[0] / frame_in[1])
    tolerance = cartography.simplify_tolerance(fitted[2] - fitted[0], frame_in[0] * dpi)
    layer_ids = snapshot_data.ordered_layer_ids(session, req.layers or None)
    available = catalog.all_collections(session)
    layers, rasters = [], []
    overrides = dict(req.stage_overrides)
    if req.as_of and "enterprises" in layer_ids and not overrides:
        overrides = transitions.stages_as_of(session, req.as_of)
    for cid in layer_ids:
        if cid in available:
            layers.append(snapshot_data.load_layer(session, available[cid], fitted, tolerance,
                                                   overrides if cid == "enterprises" and overrides else None))
        else:
            raster = raster_render.load(session, cid, fitted, frame_in, dpi)
            if raster is not None:
                rasters.append(raster)
    as_of = req.as_of or snapshot_data.data_as_of(session, [c for c in layer_ids if c in available])
    return snapshot_data.MapData(fitted, layers, snapshot_data.load_district(session, fitted, tolerance),
                                 rasters, as_of)


def _notes(req: SnapshotRequest, data: snapshot_data.MapData, layout: PageLayout) -> list[str]:
    map_date = req.map_date or date.today()
    denominator = cartography.scale_denominator(data.extent[2] - data.extent[0], layout.map_rect[2] * 25.4)
    lines = [f"制图日期：{map_date.isoformat()}",
             f"数据截至：{data.data_as_of.isoformat() if data.data_as_of else '—'}",
             f"比例尺：约 1:{denominator:,}（{req.paper} 打印）",
             CRS_NOTE, "北向：坐标北（高斯-克吕格格网）", SOURCE_LINE]
    return lines


def draw_page(fig: Figure, req: SnapshotRequest, data: snapshot_data.MapData, layout: PageLayout,
              dpi: float) -> dict[str, int]:
    """Draw a whole snapshot page onto ``fig``; return the features drawn per layer."""
    s = layout.scale
    tr = fig.dpi_scale_trans
    fig.text(*layout.title_at, req.title, transform=tr, fontsize=18 * s, fontweight="bold", va="top")
    if req.subtitle:
        fig.text(layout.title_at[0], layout.title_at[1] - 0.36 * s, req.subtitle, transform=tr,
                 fontsize=11 * s, va="top", color="#333333")
    if req.internal:
        w = layout.size[0]
        fig.text(w - 0.5 * s, layout.title_at[1] - 0.02, INTERNAL_MARK, transform=tr, fontsize=13 * s,
                 color="#b00020", ha="right", va="top", fontweight="bold",
                 bbox={"boxstyle": "square,pad=0.3", "facecolor": "none", "edgecolor": "#b00020", "linewidth": 1.2})
    ax = fig.add_axes(_fraction(layout.map_rect, layout.size))
    drawn = map_figure.draw_map(ax, data, dpi, 7.5 * s, labels=req.labels)
    map_figure.draw_legend(fig, layout.legend_rect, data.legend, 8 * s)
    y = layout.notes_at[1]
    for line in reversed(_notes(req, data, layout)):
        fig.text(layout.notes_at[0], y, line, transform=tr, fontsize=6.5 * s, color="#333333", va="bottom")
        y += 6.5 * s * 1.5 / 72
    return drawn


def save_figure(fig: Figure, fmt: str, dpi: int, title: str) -> bytes:
    """Write ``fig`` as PNG or PDF bytes without timestamps."""
    buf = io.BytesIO()
    if fmt == "pdf":
        fig.savefig(buf, format="pdf", dpi=dpi,
                    metadata={"CreationDate": None, "ModDate": None, "Title": title,
                              "Creator": _("石峰区规划地理信息平台")})
    else:
        if fig.dpi != dpi:
            fig.set_dpi(dpi)
        return png_encode.figure_png(fig, dpi)
    return buf.getvalue()


def render(session: Session, req: SnapshotRequest) -> Snapshot:
    """Render ``req`` as a PNG or PDF page."""
    if req.fmt not in ("png", "pdf"):
        raise BadParameter("此处只支持 PNG 或 PDF", code="bad_format")
    layout = page_layout(req.paper, req.landscape, 2 if req.subtitle else 1)
    frame_in = (layout.map_rect[2], layout.map_rect[3])
    with matplotlib.rc_context(map_figure.rc_params()):
        data = load_frame(session, req, frame_in, PDF_TOLERANCE_DPI if req.fmt == "pdf" else req.dpi)
        figsize = layout.size
        if req.fmt == "png":  # whole pixels, rounded as print shops expect (A3 at 300 dpi = 4961 x 3508)
            px = cartography.pixel_size(req.paper, req.landscape, req.dpi)
            figsize = ((px[0] + 0.01) / req.dpi, (px[1] + 0.01) / req.dpi)
        fig = Figure(figsize=figsize, dpi=req.dpi)
        FigureCanvasAgg(fig)
        drawn = draw_page(fig, req, data, layout, req.dpi)
        content = save_figure(fig, req.fmt, req.dpi, req.title)
    size = cartography.pixel_size(req.paper, req.landscape, req.dpi) if req.fmt == "png" else None
    return Snapshot(content, req.fmt, size, [(e.layer_title, e.label) for e in data.legend], drawn,
                    data.extent, data.data_as_of)


def with_defaults(req: SnapshotRequest, **changes) -> SnapshotRequest:
    """Return ``req`` with some fields changed (for callers composing pages)."""
    return replace(req, **changes)
