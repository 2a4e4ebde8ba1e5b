"""Draw the map extract of a review: the project, nearby protected layers and water, and the overlaps.

Geometries come from PostGIS in EPSG:4547 (metres), clipped to the extract
and simplified to well below a printed pixel; matplotlib draws them with the
Noto CJK font so Chinese labels print (Debian ``fonts-noto-cjk``).
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import shapely  # noqa: E402
from matplotlib import font_manager, patheffects  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import PathPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from ...rules.encroachment import SEVERITY_COLOURS  # noqa: E402
from ...spatial import cartography  # noqa: E402

LOGGER = logging.getLogger(__name__)
FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
MARGIN_SHARE = 0.35
MIN_MARGIN_M = 150.0
LAYER_STYLE = {
    "protected_areas": {"face": "#e0666655", "edge": "#a61c00"},
    "water_bodies": {"face": "#a6cee3", "edge": "#1f78b4"},
}
LABEL_COLOURS = {"protected_areas": "#5c1000", "water_bodies": "#0b3d66"}
"""Label text: the layer's colour, darkened, over a white halo (never red on red)."""

CONTEXT_SQL = """
WITH box AS (SELECT ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4547) AS b)
SELECT 'protected_areas' AS layer, a.name, coalesce(a.tier, a.category) AS kind,
       ST_AsBinary(ST_SimplifyPreserveTopology(ST_ClipByBox2D(a.geom, box.b), :tol)) AS wkb
FROM protected_areas a, box WHERE a.deleted_at IS NULL AND a.geom && box.b
  AND (a.category <> 'livestock_ban' OR CAST(:livestock AS boolean))
UNION ALL
SELECT 'water_bodies', w.name, w.kind,
       ST_AsBinary(ST_SimplifyPreserveTopology(ST_ClipByBox2D(w.geom, box.b), :tol))
FROM water_bodies w, box WHERE w.deleted_at IS NULL AND w.geom && box.b
"""


@dataclass
class MapExtract:
    """What the extract shows: geometries in EPSG:4547 with their labels."""

    project: object
    bbox: tuple[float, float, float, float]
    context: list[tuple[str, str, object]] = field(default_factory=list)  # (layer, name, geom)
    overlaps: list[tuple[str, str, object]] = field(default_factory=list)  # (severity, label, geom)


@lru_cache(maxsize=1)
def cjk_font() -> font_manager.FontProperties:
    """Return the Noto CJK font (raise when fonts-noto-cjk is missing)."""
    for path in FONT_FILES:
        if Path(path).exists():
            return font_manager.FontProperties(fname=path)
    raise RuntimeError("fonts-noto-cjk is not installed (script/bootstrap installs it)")


def load_extract(session: Session, project_id: int) -> MapExtract:
    """Fetch the project, its surroundings and its overlaps for the map extract."""
    row = session.execute(text(
        "SELECT ST_AsBinary(geom) AS wkb, project_type, "
        "ST_XMin(geom) x0, ST_YMin(geom) y0, ST_XMax(geom) x1, ST_YMax(geom) y1 "
        "FROM projects WHERE id = :id"), {"id": project_id}).one()
    w, h = row.x1 - row.x0, row.y1 - row.y0
    margin = max(MIN_MARGIN_M, MARGIN_SHARE * max(w, h))
    bbox = (row.x0 - margin, row.y0 - margin, row.x1 + margin, row.y1 + margin)
    tol = max(bbox[2] - bbox[0], bbox[3] - bbox[1]) / 3000
    extract = MapExtract(shapely.from_wkb(bytes(row.wkb)), bbox)
    for ctx in session.execute(text(CONTEXT_SQL), {"x0": bbox[0], "y0": bbox[1], "x1": bbox[2], "y1": bbox[3],
                                                   "tol": tol, "livestock": row.project_type == "livestock"}):
        if ctx.wkb is not None:
            extract.context.append((ctx.layer, ctx.name, shapely.from_wkb(bytes(ctx.wkb))))
    for flag in session.execute(text(
            "SELECT f.severity, r.name, ST_AsBinary(f.geom) AS wkb FROM encroachment_flags f "
            "JOIN encroachment_rules r ON r.id = f.rule_id WHERE f.project_id = :id AND f.cleared_at IS NULL "
            "AND f.geom IS NOT NULL"), {"id": project_id}):
        extract.overlaps.append((flag.severity, flag.name, shapely.from_wkb(bytes(flag.wkb))))
    return extract


def _path(geom) -> MplPath | None:
    """Return a compound matplotlib path of the polygons in ``geom`` (holes kept)."""
    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            coords = list(ring.coords)
            verts += coords
            codes += [MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY]
    return MplPath(verts, codes) if verts else None


def _polygons(geom):
    if geom.geom_type == "GeometryCollection":
        return shapely.MultiPolygon([g for g in geom.geoms if g.geom_type == "Polygon"] +
                                    [p for g in geom.geoms if g.geom_type == "MultiPolygon" for p in g.geoms])
    return geom


def draw(ax, extract: MapExtract) -> None:
    """Draw ``extract`` on a matplotlib axes, in metres, with a scale bar and north arrow."""
    font = cjk_font()
    x0, y0, x1, y1 = extract.bbox
    for layer, _name, geom in extract.context:
        style = LAYER_STYLE[layer]
        path = _path(_polygons(geom))
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor=style["face"], edgecolor=style["edge"], linewidth=0.6, zorder=1))
    project_path = _path(extract.project)
    if project_path is not None:
        ax.add_patch(PathPatch(project_path, facecolor="#c39bd366", edgecolor="#7a3e9d", linewidth=1.4, zorder=2))
    for severity, _label, geom in extract.overlaps:
        colour = SEVERITY_COLOURS.get(severity, "#c00000")
        if geom.geom_type in ("LineString", "MultiLineString"):
            for line in getattr(geom, "geoms", [geom]):
                xs, ys = line.xy
                ax.plot(xs, ys, color=colour, linewidth=1.5, linestyle="--", zorder=4)
            continue
        path = _path(_polygons(geom))
        if path is not None:
            ax.add_patch(PathPatch(path, facecolor=colour + "99", edgecolor=colour, hatch="////",
                                   linewidth=1.0, zorder=3))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    keep_clear = [_scale_bar(ax, extract.bbox, font)]
    ax.annotate("北 N", xy=(0.95, 0.95), xytext=(0.95, 0.85), xycoords="axes fraction", ha="center",
                fontproperties=font, fontsize=7, arrowprops={"arrowstyle": "-|>", "color": "#333"})
    keep_clear.append((x0 + 0.90 * (x1 - x0), y0 + 0.80 * (y1 - y0), x1, y1))
    _labels(ax, extract, font, keep_clear)


def _labels(ax, extract: MapExtract, font, keep_clear: list) -> None:
    """Name the protected areas and water bodies: dark text with a white halo (readable on their red or blue
    fill and on the hatched overlaps), placed so that no two overlap, none covers the scale bar or the
    north arrow, and none runs off the frame (a name that fits nowhere is left out)."""
    ax.apply_aspect()  # the final axes box: pixel positions below are those of the printed map
    dpi = ax.figure.dpi
    x0, y0, x1, y1 = extract.bbox
    candidates, colours = [], []
    for layer, name, geom in extract.context:
        if not name or geom.is_empty:
            continue
        polygons = _polygons(geom)
        point = polygons.representative_point() if not polygons.is_empty else geom.representative_point()
        if not (x0 <= point.x <= x1 and y0 <= point.y <= y1):
            continue
        px, py = ax.transData.transform((point.x, point.y))
        (rx0, ry0), (rx1, ry1) = ax.transData.transform([geom.bounds[:2], geom.bounds[2:]])
        w, h = cartography.text_box(str(name), 6, dpi)
        candidates.append(cartography.LabelCandidate(str(name), px, py, w, h, geom.area,
                                                     (min(rx0, rx1), min(ry0, ry1), max(rx0, rx1), max(ry0, ry1))))
        colours.append(LABEL_COLOURS[layer])
    obstacles = []
    for box in keep_clear:
        (bx0, by0), (bx1, by1) = ax.transData.transform([box[:2], box[2:]])
        obstacles.append((min(bx0, bx1), min(by0, by1), max(bx0, bx1), max(by0, by1)))
    colour_of = {c.text: colour for c, colour in zip(candidates, colours)}
    to_data = ax.transData.inverted()
    for lab in cartography.place_labels(candidates, bounds=tuple(ax.bbox.extents), obstacles=obstacles):
        x, y = to_data.transform((lab.x, lab.y))
        ax.text(x, y, lab.text, fontproperties=font, fontsize=6, color=colour_of[lab.text], ha="center",
                va="center", zorder=7, path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])


def _scale_bar(ax, bbox, font) -> tuple[float, float, float, float]:
    width = bbox[2] - bbox[0]
    target = width / 4
    step = 10 ** int(len(str(int(target))) - 1)
    length = max(step, int(target / step) * step)
    x, y = bbox[0] + width * 0.05, bbox[1] + (bbox[3] - bbox[1]) * 0.05
    ax.plot([x, x + length], [y, y], color="#000", linewidth=2.5, zorder=6)
    ax.text(x + length / 2, y + (bbox[3] - bbox[1]) * 0.015, f"{length:,} m", fontproperties=font, fontsize=6,
            ha="center", zorder=6)
    return x, y - (bbox[3] - bbox[1]) * 0.01, x + length, y + (bbox[3] - bbox[1]) * 0.05


def png(extract: MapExtract, width_in: float = 6.2, height_in: float = 4.6, dpi: int = 150) -> bytes:
    """Return the extract as a PNG image."""
    with matplotlib.rc_context({"text.parse_math": False}):  # project names are text, never mathtext
        fig = Figure(figsize=(width_in, height_in), dpi=dpi)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
        draw(ax, extract)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
