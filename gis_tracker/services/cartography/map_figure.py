"""Draw a map frame with matplotlib: layers as collections, labels, scale bar, north arrow, legend.

Drawing works on plain data (:class:`~.snapshot_data.MapData`), never on the
database.  Polygons of a layer become one ``PathCollection`` (holes kept by
ring orientation), lines one ``LineCollection`` and points one ``scatter``:
a few artists per layer instead of one patch per feature, which is what makes
a 10,000-polygon print fast.  Text uses the Noto CJK font from Debian's
``fonts-noto-cjk``, embedded as TrueType (``pdf.fonttype`` 42) so PDF text is
real, selectable and searchable.
"""
from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np
import shapely
from matplotlib import colors as mcolors
from matplotlib import font_manager, patheffects
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.patches import Polygon as PolygonPatch
from matplotlib.patches import Rectangle
from matplotlib.path import Path

from ...errors import AppError
from ...spatial import cartography
from .snapshot_data import DISTRICT_STYLE, LABELLED_LAYERS

LOGGER = logging.getLogger(__name__)
PREFERRED_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "Noto Serif CJK SC")
POLYGON_TYPES = (3, 6)  # shapely type ids: Polygon, MultiPolygon
LINE_TYPES = (1, 2, 5)  # LineString, LinearRing, MultiLineString
POINT_TYPES = (0, 4)  # Point, MultiPoint


class FontMissing(AppError):
    """No CJK font is installed, so Chinese text would print as empty boxes."""

    status = 503
    code = "font_missing"


@lru_cache(maxsize=1)
def cjk_family() -> str:
    """Return the family name of an installed Noto CJK font (Simplified Chinese first)."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in PREFERRED_FONTS:
        if name in names:
            return name
    for path in font_manager.findSystemFonts():
        if "NotoSansCJK" in path or "NotoSerifCJK" in path:
            font_manager.fontManager.addfont(path)
            return cjk_family.__wrapped__()
    raise FontMissing("未安装中文字体（fonts-noto-cjk），无法输出中文")


def rc_params() -> dict:
    """Return the matplotlib settings every export renders with."""
    return {
        "pdf.fonttype": 42, "ps.fonttype": 42, "font.family": [cjk_family()], "font.size": 9,
        "axes.unicode_minus": False, "lines.scale_dashes": False, "svg.hashsalt": "shifeng-gis",
        "path.simplify": True, "agg.path.chunksize": 20000,
        # Titles, labels and legends are user text: "$…$" is dollars, never mathtext markup.
        "text.parse_math": False,
    }


def _rgba(colour: str | None, alpha: float) -> tuple:
    if colour is None:
        return (0.0, 0.0, 0.0, 0.0)
    return mcolors.to_rgba(colour, alpha)


def polygon_paths(geoms) -> tuple[list[Path], np.ndarray]:
    """Return one compound path per polygonal geometry and the index of each in ``geoms``.

    Rings are oriented (exterior counter-clockwise, holes clockwise) so the
    non-zero fill rule leaves holes empty.
    """
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return [], np.array([], dtype=int)
    arr = shapely.orient_polygons(arr)
    parts, feature_of_part = shapely.get_parts(arr, return_index=True)
    rings, part_of_ring = shapely.get_rings(parts, return_index=True)
    coords, ring_of_coord = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return [], np.array([], dtype=int)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    starts = np.r_[0, np.flatnonzero(np.diff(ring_of_coord)) + 1]
    codes[starts] = Path.MOVETO
    codes[np.r_[starts[1:], len(coords)] - 1] = Path.CLOSEPOLY
    feature_of_coord = feature_of_part[part_of_ring[ring_of_coord]]
    cuts = np.flatnonzero(np.diff(feature_of_coord)) + 1
    bounds = np.r_[0, cuts, len(coords)]
    paths = [_path(coords[a:b], codes[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    return paths, feature_of_coord[bounds[:-1]]


def _path(vertices: np.ndarray, codes: np.ndarray) -> Path:
    """Make a Path from arrays already known to be well formed (float (n, 2), matching codes).

    ``Path.__init__`` re-checks and copies both arrays; for 10,000 parcels that
    is a tenth of a second, so the fast constructor matplotlib itself uses for
    derived paths is taken when this matplotlib has it.
    """
    fast = getattr(Path, "_fast_from_codes_and_verts", None)
    return fast(vertices, codes) if fast is not None else Path(vertices, codes)


def line_segments(geoms) -> tuple[list[np.ndarray], np.ndarray]:
    """Return the vertex arrays of every line part and the index of its geometry."""
    arr = np.asarray(geoms, dtype=object)
    if arr.size == 0:
        return [], np.array([], dtype=int)
    parts, feature_of_part = shapely.get_parts(arr, return_index=True)
    coords, part_of_coord = shapely.get_coordinates(parts, return_index=True)
    cuts = np.flatnonzero(np.diff(part_of_coord)) + 1
    bounds = np.r_[0, cuts, len(coords)]
    segs = [coords[a:b] for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    return segs, feature_of_part[part_of_coord[bounds[:-1]]] if len(coords) else np.array([], dtype=int)


def _colour_arrays(chosen: list) -> tuple[np.ndarray, np.ndarray]:
    """Return (n, 4) RGBA face and edge arrays for per-feature print styles (converted once per style)."""
    faces, edges, index, keys = [], [], {}, []
    for style in chosen:
        key = id(style)
        if key not in index:
            index[key] = len(faces)
            faces.append(_rgba(style.face, style.face_alpha))
            edges.append(_rgba(style.edge, style.edge_alpha))
        keys.append(index[key])
    which = np.asarray(keys, dtype=int)
    return np.asarray(faces, dtype=float)[which], np.asarray(edges, dtype=float)[which]


def _split_by_type(geoms) -> dict[str, np.ndarray]:
    arr = np.asarray(geoms, dtype=object)
    types = shapely.get_type_id(arr) if arr.size else np.array([], dtype=int)
    return {"polygon": np.flatnonzero(np.isin(types, POLYGON_TYPES)),
            "line": np.flatnonzero(np.isin(types, LINE_TYPES)),
            "point": np.flatnonzero(np.isin(types, POINT_TYPES))}


def draw_layer(ax, layer, zorder: float) -> int:
    """Draw one :class:`LayerData` on ``ax``; return the number of features drawn."""
    if not layer.geoms:
        return 0
    styles = {}
    for value in layer.values:
        key = None if value is None else str(value)
        if key not in styles:
            styles[key] = layer.style_for(value)
    per_feature = [styles[None if v is None else str(v)] for v in layer.values]
    base = per_feature[0]
    dash = (0, base.dashes) if base.dashes else "solid"
    groups = _split_by_type(layer.geoms)
    geoms = np.asarray(layer.geoms, dtype=object)
    if groups["polygon"].size:
        idx = groups["polygon"]
        paths, which = polygon_paths(geoms[idx])
        faces, edges = _colour_arrays([per_feature[i] for i in idx[which]])
        # Limits are the frame's, set before drawing: no need to measure 10,000 paths (autolim).
        # Round joins, as matplotlib draws them by default: bevel or miter joins stroke a tenth faster
        # but move outlines visibly (bench/snapshot.py: mean difference 3.5–3.8/255 against 2.6).
        ax.add_collection(PathCollection(
            paths, facecolors=faces, edgecolors=edges, linewidths=base.linewidth_pt,
            linestyles=dash, zorder=zorder, antialiaseds=True, joinstyle="round"), autolim=False)
    if groups["line"].size:
        idx = groups["line"]
        segs, which = line_segments(geoms[idx])
        chosen = [per_feature[i] for i in idx[which]]
        ax.add_collection(LineCollection(segs, colors=[_rgba(s.edge, s.edge_alpha) for s in chosen],
                                         linewidths=base.linewidth_pt, linestyles=dash, zorder=zorder))
    if groups["point"].size:
        idx = groups["point"]
        parts, which = shapely.get_parts(geoms[idx], return_index=True)
        xy = shapely.get_coordinates(parts)
        chosen = [per_feature[i] for i in idx[which]]
        ax.scatter(xy[:, 0], xy[:, 1], s=base.marker_size_pt ** 2,
                   c=[_rgba(s.face, s.face_alpha) for s in chosen],
                   edgecolors=[_rgba(s.edge, s.edge_alpha) for s in chosen],
                   linewidths=base.linewidth_pt, zorder=zorder + 20)
    return len(layer.geoms)


def draw_raster(ax, raster, zorder: float) -> None:
    """Draw a raster already warped to the frame (RGBA array over the frame's extent)."""
    ax.imshow(raster.rgba, extent=raster.extent, origin="upper", interpolation="nearest", zorder=zorder,
              alpha=raster.opacity)


def point_symbol_boxes(ax, data, dpi: float) -> list[tuple[float, float, float, float]]:
    """Return the pixel boxes of every point symbol drawn (enterprise dots…): no label may cover one."""
    boxes = []
    x0, y0, x1, y1 = ax.bbox.extents
    for layer in data.layers:
        idx = _split_by_type(layer.geoms)["point"] if layer.geoms else []
        if not len(idx):
            continue
        geoms = np.asarray(layer.geoms, dtype=object)[idx]
        parts, which = shapely.get_parts(geoms, return_index=True)
        pixels = ax.transData.transform(shapely.get_coordinates(parts)) if len(parts) else []
        sizes: dict[str, float] = {}
        for (px, py), w in zip(pixels, which):
            value = layer.values[idx[w]]
            key = "" if value is None else str(value)
            if key not in sizes:
                sizes[key] = layer.style_for(value).marker_size_pt * dpi / 72
            if x0 - 50 <= px <= x1 + 50 and y0 - 50 <= py <= y1 + 50:
                boxes.append(cartography.symbol_box(float(px), float(py), sizes[key]))
    return boxes


def draw_labels(ax, data, fontsize: float, dpi: float, keep_clear: list = ()) -> int:
    """Label the labelled layers' features without overlaps; return how many labels fit.

    ``keep_clear`` lists data-space boxes (scale bar, north arrow) no label may cover; nor may a label cover
    a point symbol.  Every label has a white halo, so it reads on any fill.
    """
    candidates = []
    for layer in data.layers:
        weight = LABELLED_LAYERS.get(layer.id, 0.5)
        for geom, label in zip(layer.geoms, layer.labels):
            if not label or geom.is_empty:
                continue
            anchor = geom.point_on_surface() if geom.geom_type.endswith("Polygon") else geom.centroid
            px, py = ax.transData.transform((anchor.x, anchor.y))
            w, h = cartography.text_box(str(label), fontsize, dpi)
            area = geom.area if geom.geom_type.endswith("Polygon") else 0.0
            region = None
            if area:
                (rx0, ry0), (rx1, ry1) = ax.transData.transform([geom.bounds[:2], geom.bounds[2:]])
                region = (min(rx0, rx1), min(ry0, ry1), max(rx0, rx1), max(ry0, ry1))
            candidates.append(cartography.LabelCandidate(str(label), px, py, w, h, weight * 1e12 + area, region))
    frame = ax.bbox.extents
    obstacles = point_symbol_boxes(ax, data, dpi)
    for box in keep_clear:
        (ax0, ay0), (ax1, ay1) = ax.transData.transform([(box[0], box[1]), (box[2], box[3])])
        obstacles.append((min(ax0, ax1), min(ay0, ay1), max(ax0, ax1), max(ay0, ay1)))
    placed = cartography.place_labels(candidates, bounds=tuple(frame), obstacles=obstacles)
    to_data = ax.transData.inverted()
    for lab in placed:
        x, y = to_data.transform((lab.x, lab.y))
        ax.text(x, y, lab.text, fontsize=fontsize, ha="center", va="center", color="#222222", zorder=60,
                path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])
    return len(placed)


def draw_scale_bar(ax, extent, fontsize: float) -> tuple[float, float, float, float]:
    """Draw a black-and-white scale bar in metres at the frame's lower left; return its box."""
    minx, miny, maxx, maxy = extent
    width, height = maxx - minx, maxy - miny
    bar = cartography.scale_bar(width, 0.25)
    x0, y0 = minx + width * 0.04, miny + height * 0.05
    h = height * 0.012
    box = (x0 - width * 0.012, y0 - h * 1.2, x0 + bar.length_m + width * 0.023, y0 + h * 4.0)
    ax.add_patch(Rectangle(box[:2], box[2] - box[0], box[3] - box[1],
                           facecolor="white", edgecolor="none", alpha=0.85, zorder=70))
    for i in range(bar.segments):
        ax.add_patch(Rectangle((x0 + i * bar.segment_m, y0), bar.segment_m, h, linewidth=0.6,
                               facecolor="black" if i % 2 == 0 else "white", edgecolor="black", zorder=71))
    # Points per metre on the page: a small inset has room for the end labels only.
    points_per_m = ax.bbox.width * 72 / ax.figure.dpi / width
    for i in cartography.scale_bar_labels(bar.ticks, bar.segment_m * points_per_m, fontsize):
        ax.text(x0 + i * bar.segment_m, y0 + h * 1.5, bar.ticks[i], fontsize=fontsize, ha="center", va="bottom",
                zorder=72)
    return box


def draw_north_arrow(ax, extent, fontsize: float) -> tuple[float, float, float, float]:
    """Draw a north arrow (grid north of EPSG:4547) at the frame's upper right; return its box."""
    minx, miny, maxx, maxy = extent
    size = (maxy - miny) * 0.07
    x, y = maxx - (maxx - minx) * 0.045, maxy - size * 1.55
    left, right, n_at = cartography.north_arrow(x, y, size)
    ax.add_patch(PolygonPatch(left, closed=True, facecolor="#222222", edgecolor="#222222", linewidth=0.6, zorder=72))
    ax.add_patch(PolygonPatch(right, closed=True, facecolor="white", edgecolor="#222222", linewidth=0.6, zorder=72))
    ax.text(n_at[0], n_at[1], "N", fontsize=fontsize * 1.3, ha="center", va="bottom", fontweight="bold", zorder=72,
            path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])
    return x - size * 0.5, y - size * 0.1, x + size * 0.5, y + size * 1.5


def draw_map(ax, data, dpi: float, fontsize: float, labels: bool = True,
             decorations: bool = True) -> dict[str, int]:
    """Draw ``data`` into ``ax`` (limits = its extent); return the features drawn per layer."""
    minx, miny, maxx, maxy = data.extent
    ax.set_xlim(minx, maxx)
    ax.set_ylim(miny, maxy)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_facecolor("#fbfbf8")
    for spine in ax.spines.values():
        spine.set_linewidth(0.8)
    drawn = {}
    for i, raster in enumerate(data.rasters):
        draw_raster(ax, raster, 1 + i * 0.01)
    for i, layer in enumerate(data.layers):
        drawn[layer.id] = draw_layer(ax, layer, 2 + i)
    if data.district is not None:
        s = cartography.print_style(DISTRICT_STYLE, "LineString")
        segs, _ = line_segments([data.district])
        ax.add_collection(LineCollection(segs, colors=[s.edge], linewidths=s.linewidth_pt,
                                         linestyles=(0, s.dashes), zorder=19))
    keep_clear = []
    if decorations:
        keep_clear.append(draw_scale_bar(ax, data.extent, fontsize * 0.9))
        keep_clear.append(draw_north_arrow(ax, data.extent, fontsize))
    if labels:
        draw_labels(ax, data, fontsize, dpi, keep_clear)
    return drawn


def legend_swatch(fig, entry, x: float, y: float, w: float, h: float) -> None:
    """Draw the swatch of one legend entry at (x, y) inches (lower left)."""
    s = entry.style
    tr = fig.dpi_scale_trans
    if entry.kind == "point":
        fig.add_artist(_circle(x + w / 2, y + h / 2, s, tr))
    elif entry.kind == "line":
        fig.add_artist(_line(x, y + h / 2, w, s, tr))
    else:
        fig.add_artist(Rectangle((x, y), w, h, transform=tr, facecolor=_rgba(s.face, s.face_alpha),
                                 edgecolor=_rgba(s.edge, s.edge_alpha), linewidth=min(s.linewidth_pt, 1.5),
                                 linestyle=(0, s.dashes) if s.dashes else "solid"))


def _circle(x, y, s, tr):
    from matplotlib.lines import Line2D

    return Line2D([x], [y], transform=tr, marker="o", markersize=s.marker_size_pt, linestyle="none",
                  markerfacecolor=_rgba(s.face, s.face_alpha), markeredgecolor=_rgba(s.edge, s.edge_alpha),
                  markeredgewidth=s.linewidth_pt)


def _line(x, y, w, s, tr):
    from matplotlib.lines import Line2D

    return Line2D([x, x + w], [y, y], transform=tr, color=_rgba(s.edge, s.edge_alpha), linewidth=s.linewidth_pt,
                  linestyle=(0, s.dashes) if s.dashes else "solid")


def _legend_plan(entries, rect_in, fontsize: float):
    """Return (header or None, entry, x, y) placements for ``fontsize``, or None if they do not fit."""
    x0, y0, w, h = rect_in
    line = fontsize * 1.5 / 72
    top = y0 + h - line * 1.6
    col_w = max(1.2, fontsize * 12 / 72)
    x, y = x0, top
    current_layer, plan = None, []
    for entry in entries:
        needs_header = entry.layer_title != current_layer and entry.label != entry.layer_title
        rows = 2 if needs_header else 1
        if y - rows * line < y0:
            x, y = x + col_w, top
            if x + min(col_w, 1.0) > x0 + w + 1e-6:
                return None
        header = None
        if needs_header:
            header = (entry.layer_title, x, y)
            y -= line
        current_layer = entry.layer_title
        plan.append((header, entry, x, y))
        y -= line
    return plan


def draw_legend(fig, rect_in: tuple[float, float, float, float], entries, fontsize: float, title: str = "图例") -> int:
    """Draw the legend in ``rect_in`` (x, y, w, h in inches) in columns, shrinking the text until all fit.

    Returns the number of entries drawn: every entry unless even the smallest
    readable size (60 %) does not fit, in which case the legend is cut and a
    warning is logged.
    """
    x0, y0, w, h = rect_in
    tr = fig.dpi_scale_trans
    size, plan = fontsize, None
    while size >= fontsize * 0.6:
        plan = _legend_plan(entries, rect_in, size)
        if plan is not None:
            break
        size *= 0.9
    if plan is None:
        size = fontsize * 0.6
        plan = []
        for step in _legend_plan_partial(entries, rect_in, size):
            plan.append(step)
        LOGGER.warning("legend cut to %d of %d entries", len(plan), len(entries))
    fig.text(x0, y0 + h, title, transform=tr, fontsize=size * 1.2, fontweight="bold", va="top")
    line = size * 1.5 / 72
    sw, sh = size * 1.6 / 72, size * 0.9 / 72
    for header, entry, x, y in plan:
        if header:
            fig.text(header[1], header[2], header[0], transform=tr, fontsize=size, fontweight="bold", va="top")
        legend_swatch(fig, entry, x + 0.02, y - sh - line * 0.15, sw, sh)
        fig.text(x + sw + 0.1, y - line * 0.1, entry.label, transform=tr, fontsize=size, va="top")
    return len(plan)


def _legend_plan_partial(entries, rect_in, fontsize):
    for n in range(len(entries), 0, -1):
        plan = _legend_plan(entries[:n], rect_in, fontsize)
        if plan is not None:
            return plan
    return []
