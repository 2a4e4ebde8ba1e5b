"""Cartographic helpers for printed maps: paper, extents, scale bars, north arrows, labels, styles.

Everything here is plain arithmetic on numbers and tuples (no database, no
matplotlib), so the rules that make a printed map readable are unit-tested.
Map coordinates are metres of the storage CRS (EPSG:4547); label boxes are in
pixels of the output image.
"""
from __future__ import annotations

import logging
import math
from dataclasses import dataclass

LOGGER = logging.getLogger(__name__)

MM_PER_INCH = 25.4
PAPER_MM = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""ISO 216 paper sizes in millimetres, portrait (width, height)."""
SCREEN_DPI = 96
"""CSS reference pixel density; Leaflet style widths are CSS pixels (1 px = 0.75 pt)."""
POINTS_PER_CSS_PIXEL = 0.75

Bbox = tuple[float, float, float, float]


def paper_inches(paper: str, landscape: bool) -> tuple[float, float]:
    """Return the (width, height) of ``paper`` in inches, turned for ``landscape``."""
    if paper not in PAPER_MM:
        raise ValueError(f"unknown paper size {paper!r}; use one of {', '.join(PAPER_MM)}")
    w, h = PAPER_MM[paper]
    if landscape:
        w, h = h, w
    return w / MM_PER_INCH, h / MM_PER_INCH


def pixel_size(paper: str, landscape: bool, dpi: int) -> tuple[int, int]:
    """Return the image size in pixels of ``paper`` rendered at ``dpi``."""
    w, h = paper_inches(paper, landscape)
    return int(round(w * dpi)), int(round(h * dpi))


def fit_bbox(bbox: Bbox, aspect: float, margin: float = 0.03) -> Bbox:
    """Grow ``bbox`` by ``margin`` and then to the width/height ratio ``aspect``, keeping its centre."""
    minx, miny, maxx, maxy = bbox
    if not (maxx >= minx and maxy >= miny) or aspect <= 0:
        raise ValueError("bbox must be (minx, miny, maxx, maxy) with min <= max and aspect > 0")
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    w = max(maxx - minx, 1.0) * (1 + 2 * margin)
    h = max(maxy - miny, 1.0) * (1 + 2 * margin)
    if w / h < aspect:
        w = h * aspect
    else:
        h = w / aspect
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def metres_per_pixel(extent_width_m: float, width_px: float) -> float:
    """Return the ground size of one output pixel."""
    if width_px <= 0:
        raise ValueError("width_px must be positive")
    return extent_width_m / width_px


def simplify_tolerance(extent_width_m: float, width_px: float, factor: float = 1.0) -> float:
    """Return a simplification tolerance in metres that changes nothing visible: one output pixel.

    Douglas–Peucker moves no vertex further than the tolerance, so every
    outline stays within the pixel its stroke already covers.
    """
    return metres_per_pixel(extent_width_m, width_px) * factor


def nice_number(value: float) -> float:
    """Return the largest number of the form 1, 2 or 5 × 10^n not above ``value``."""
    if value <= 0:
        raise ValueError("value must be positive")
    exponent = math.floor(math.log10(value))
    base = 10 ** exponent
    for step in (5, 2, 1):
        if step * base <= value * (1 + 1e-9):
            return float(step * base)
    return float(base)


def format_distance(metres: float) -> str:
    """Return a distance as ``"500 m"`` or ``"2 km"`` (``"1.5 km"``)."""
    if metres >= 1000:
        km = metres / 1000
        return f"{km:g} km"
    return f"{metres:g} m"


@dataclass(frozen=True)
class ScaleBar:
    """A scale bar: total ground length, its segments and the tick labels."""

    length_m: float
    segments: int
    ticks: tuple[str, ...]

    @property
    def segment_m(self) -> float:
        """Return the ground length of one segment."""
        return self.length_m / self.segments


def scale_bar(map_width_m: float, fraction: float = 0.25) -> ScaleBar:
    """Return a round scale bar at most ``fraction`` of the map's width long."""
    length = nice_number(map_width_m * fraction)
    leading = int(round(length / 10 ** math.floor(math.log10(length))))
    segments = {1: 2, 2: 4, 5: 5}.get(leading, 2)
    unit_km = length >= 1000
    ticks = []
    for i in range(segments + 1):
        d = length * i / segments
        ticks.append(f"{d / 1000:g}" if unit_km else f"{d:g}")
    ticks[-1] += " km" if unit_km else " m"
    return ScaleBar(length, segments, tuple(ticks))


def scale_denominator(extent_width_m: float, paper_width_mm: float) -> int:
    """Return the representative fraction's denominator (1:N) of a printed map, rounded."""
    n = extent_width_m * 1000 / paper_width_mm
    return int(nice_round(n))


def nice_round(n: float) -> float:
    """Round ``n`` to two significant digits (for a readable 1:N)."""
    if n <= 0:
        return 0
    digits = 2 - int(math.floor(math.log10(n))) - 1
    return round(n, digits)


def north_arrow(x: float, y: float, size: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]],
                                                            tuple[float, float]]:
    """Return the two halves of a north arrow (dark left, light right) and the "N" anchor.

    ``(x, y)`` is the arrow's base centre and ``size`` its height, in any units
    whose y grows upwards.
    """
    half = size * 0.32
    tip = (x, y + size)
    notch = (x, y + size * 0.28)
    left = [tip, (x - half, y), notch]
    right = [tip, notch, (x + half, y)]
    return left, right, (x, y + size * 1.12)


# ---- styles (Leaflet path options -> print styles) --------------------------------------------

@dataclass(frozen=True)
class PrintStyle:
    """How to draw one feature: fill and stroke colours with alpha, widths in points."""

    face: str | None
    face_alpha: float
    edge: str
    edge_alpha: float
    linewidth_pt: float
    dashes: tuple[float, ...] | None
    marker_size_pt: float


def print_style(style: dict, geometry_type: str, colour: str | None = None) -> PrintStyle:
    """Translate a Leaflet path style (as the web map uses it) into a print style.

    Mirrors ``static/js/map.js``: a ``style_by`` colour sets the fill, and the
    stroke too except for points, which keep their outline colour.
    """
    stroke = style.get("color", "#3388ff")
    fill = style.get("fillColor", stroke)
    if colour:
        fill = colour
        if not (geometry_type == "Point" and "color" in style):
            stroke = colour
    filled = style.get("fill", geometry_type not in ("LineString", "MultiLineString"))
    weight = float(style.get("weight", 3))
    dashes = None
    if style.get("dashArray"):
        parts = [float(p) for p in str(style["dashArray"]).replace(",", " ").split() if p]
        if parts:
            dashes = tuple(p * POINTS_PER_CSS_PIXEL for p in parts)  # points, not scaled by width
    radius = float(style.get("radius", 5))
    return PrintStyle(
        face=fill if filled else None,
        face_alpha=float(style.get("fillOpacity", 0.2)),
        edge=stroke,
        edge_alpha=float(style.get("opacity", 1.0)),
        linewidth_pt=weight * POINTS_PER_CSS_PIXEL,
        dashes=dashes,
        marker_size_pt=2 * radius * POINTS_PER_CSS_PIXEL,
    )


# ---- labels ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelCandidate:
    """A label to place: its text, anchor (pixels, y up), box size (pixels) and priority."""

    text: str
    x: float
    y: float
    width: float
    height: float
    priority: float = 0.0
    region: tuple[float, float, float, float] | None = None
    """The feature's pixel box (a polygon's): the label's centre stays within it, or one step beside it, so a
    moved label still sits on or next to its feature (point and line labels move freely around their anchor)."""


@dataclass(frozen=True)
class PlacedLabel:
    """A label that fits: its text and the centre of its box in pixels."""

    text: str
    x: float
    y: float


def text_box(text: str, fontsize_pt: float, dpi: float, padding: float = 0.15) -> tuple[float, float]:
    """Estimate the (width, height) in pixels of one line of ``text``.

    CJK characters are one em wide, others about 0.6 em; a little padding keeps
    neighbouring labels from touching.
    """
    em = fontsize_pt * dpi / 72
    wide = sum(1 for ch in text if ord(ch) > 0x2E7F)
    width = (wide + 0.6 * (len(text) - wide)) * em
    return width + 2 * padding * em, 1.25 * em + 2 * padding * em


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class _BoxIndex:
    """Boxes in a uniform grid of ``cell`` pixels: overlap tests against thousands of point symbols stay fast."""

    def __init__(self, cell: float) -> None:
        self.cell = max(cell, 1.0)
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    def _keys(self, box):
        c = self.cell
        for i in range(math.floor(box[0] / c), math.floor(box[2] / c) + 1):
            for j in range(math.floor(box[1] / c), math.floor(box[3] / c) + 1):
                yield i, j

    def add(self, box) -> None:
        for key in self._keys(box):
            self.cells.setdefault(key, []).append(box)

    def hits(self, box) -> bool:
        return any(_overlaps(box, other) for key in self._keys(box) for other in self.cells.get(key, ()))


# Where a label may go around its anchor, in (label width, label height) units, best first: on the anchor,
# then above, below, right, left, the four diagonals, then the same a step further out.
_OFFSETS = ((0, 0), (0, 0.9), (0, -0.9), (0.6, 0), (-0.6, 0), (0.6, 0.9), (-0.6, 0.9), (0.6, -0.9), (-0.6, -0.9),
            (0, 1.8), (0, -1.8), (1.1, 0), (-1.1, 0), (1.1, 1.8), (-1.1, 1.8), (1.1, -1.8), (-1.1, -1.8))


def symbol_box(x: float, y: float, diameter_px: float, margin_px: float = 1.0) -> tuple[float, float, float, float]:
    """Return the pixel box of a point symbol of ``diameter_px`` at (x, y), with a little margin."""
    r = diameter_px / 2 + margin_px
    return x - r, y - r, x + r, y + r


def place_labels(candidates: list[LabelCandidate], bounds: Bbox | None = None,
                 obstacles: list[tuple[float, float, float, float]] = ()) -> list[PlacedLabel]:
    """Place labels greedily, most important first, so that no two boxes overlap.

    Each label tries its anchor, then positions around it (above, below, right,
    left, the diagonals, then a step further out); a label that fits nowhere
    (over another label, over an obstacle — a point symbol, the scale bar — or
    out of ``bounds``) is dropped rather than piled on another.  The result is
    deterministic: ties in priority keep the input order.
    """
    placed: list[PlacedLabel] = []
    sizes = [c.height for c in candidates] or [20.0]
    boxes = _BoxIndex(2 * max(sizes))
    for box in obstacles:
        boxes.add(box)
    order = sorted(range(len(candidates)), key=lambda i: (-candidates[i].priority, i))
    for i in order:
        c = candidates[i]
        for fx, fy in _OFFSETS:
            cx, cy = c.x + fx * c.width, c.y + fy * c.height
            box = (cx - c.width / 2, cy - c.height / 2, cx + c.width / 2, cy + c.height / 2)
            if c.region and not (c.region[0] - 0.6 * c.width <= cx <= c.region[2] + 0.6 * c.width
                                 and c.region[1] - 0.9 * c.height <= cy <= c.region[3] + 0.9 * c.height):
                continue
            if bounds and (box[0] < bounds[0] or box[1] < bounds[1] or box[2] > bounds[2] or box[3] > bounds[3]):
                continue
            if boxes.hits(box):
                continue
            boxes.add(box)
            placed.append(PlacedLabel(c.text, cx, cy))
            break
    return placed


def parse_bbox(text: str) -> Bbox:
    """Parse ``"minx,miny,maxx,maxy"`` (lon/lat) into floats, checking order and range."""
    try:
        values = tuple(float(v) for v in text.split(","))
    except (AttributeError, ValueError):
        raise ValueError("bbox must be four numbers: minx,miny,maxx,maxy") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError("bbox must be four numbers: minx,miny,maxx,maxy")
    minx, miny, maxx, maxy = values
    if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
        raise ValueError("bbox must be lon/lat with minx < maxx and miny < maxy")
    return values  # type: ignore[return-value]


# ---- tables that flow over pages -------------------------------------------------------------

def char_em(ch: str) -> float:
    """Return a character's width in em: CJK and full-width forms one em, others about 0.6 em."""
    return 1.0 if ord(ch) > 0x2E7F else 0.6


def text_em(text: str) -> float:
    """Return the width of one line of ``text`` in em."""
    return sum(char_em(ch) for ch in text)


BREAK_AFTER = set(" 、，；：。）)/-·")


def wrap_text(text: str, width_em: float) -> list[str]:
    """Split ``text`` into lines no wider than ``width_em`` (explicit newlines kept; never an empty result).

    Chinese breaks anywhere; a Latin word or number is kept whole when it fits a
    line, breaking after a space or punctuation (、，；/ …) where it can.
    """
    width_em = max(width_em, 1.0)
    lines: list[str] = []
    for paragraph in (text or "").split("\n"):
        line, used, last_break = "", 0.0, -1
        for ch in paragraph:
            w = char_em(ch)
            if used + w > width_em and line:
                if 0 <= last_break < len(line) - 1 and ord(ch) <= 0x2E7F:
                    head, tail = line[:last_break + 1], line[last_break + 1:]
                    lines.append(head.rstrip())
                    line, used = tail, text_em(tail)
                else:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                last_break = -1
            line += ch
            used += w
            if ch in BREAK_AFTER or ord(ch) > 0x2E7F:
                last_break = len(line) - 1
        lines.append(line.rstrip())
    return lines or [""]


def paginate(heights: list[float], first_page: float, other_pages: float) -> list[tuple[int, int]]:
    """Split rows of ``heights`` into pages: ``(start, stop)`` ranges, every row on exactly one page.

    ``first_page`` and ``other_pages`` are the heights available for rows (below
    the repeated header).  A row taller than a whole page still gets a page of
    its own (it is then drawn shrunk, never dropped).
    """
    pages, start, room = [], 0, first_page
    used = 0.0
    for i, h in enumerate(heights):
        if used + h > room + 1e-9 and i > start:
            pages.append((start, i))
            start, used, room = i, 0.0, other_pages
        used += h
    if start < len(heights) or not pages:
        pages.append((start, len(heights)))
    return pages


def scale_bar_labels(ticks: tuple[str, ...], segment_pt: float, fontsize_pt: float) -> list[int]:
    """Return which tick labels of a scale bar to print so that none overlaps its neighbour.

    All when each label fits its segment, else the first and the last (in a
    small inset map the middle ones would run into each other).
    """
    widest = max(text_em(t) for t in ticks) * fontsize_pt
    if widest * 1.15 <= segment_pt:
        return list(range(len(ticks)))
    return [0, len(ticks) - 1]
