"""Labels on printed maps (snapshots, the review PDF's map): never over a point symbol or another label, a white
halo on every label, and in the review map never the protected area's red on its red fill."""
from __future__ import annotations

import matplotlib
from matplotlib import colors as mcolors
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patheffects import withStroke
from sqlalchemy import select

from gis_tracker.models import Project
from gis_tracker.services.cartography import map_figure, snapshot
from gis_tracker.services.encroachment import review_map


def _rendered_boxes(fig, ax, texts):
    renderer = fig.canvas.get_renderer()
    return [t.get_window_extent(renderer) for t in texts]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _has_white_halo(text) -> bool:
    return any(isinstance(e, withStroke) and mcolors.to_hex(e._gc.get("foreground")) == "#ffffff"
               for e in text.get_path_effects())


def _qingshuitang_page(session, dpi=150):
    req = snapshot.SnapshotRequest.from_params({"title": "清水塘", "zone": "清水塘片区", "format": "png",
                                                "dpi": str(dpi), "map_date": "2026-01-01"})
    layout = snapshot.page_layout(req.paper, req.landscape, 1)
    with matplotlib.rc_context(map_figure.rc_params()):
        data = snapshot.load_frame(session, req, (layout.map_rect[2], layout.map_rect[3]), dpi)
        fig = Figure(figsize=layout.size, dpi=dpi)
        FigureCanvasAgg(fig)
        snapshot.draw_page(fig, req, data, layout, dpi)
        fig.canvas.draw()
    return fig, fig.axes[0], data


def test_snapshot_labels_never_cover_an_enterprise_dot_or_each_other(session):
    fig, ax, data = _qingshuitang_page(session)
    labels = [t for t in ax.texts if t.get_zorder() == 60]
    assert len(labels) >= 5
    assert all(_has_white_halo(t) for t in labels)
    boxes = _rendered_boxes(fig, ax, labels)
    enterprises = next(layer for layer in data.layers if layer.id == "enterprises")
    assert len(enterprises.geoms) > 100
    radius = enterprises.style_for(None).marker_size_pt * fig.dpi / 72 / 2
    dots = ax.transData.transform([(g.x, g.y) for g in enterprises.geoms])
    frame = ax.bbox
    covered = [(labels[i].get_text(), (round(x), round(y))) for i, b in enumerate(boxes) for x, y in dots
               if frame.x0 <= x <= frame.x1 and frame.y0 <= y <= frame.y1
               and b.x0 - radius < x < b.x1 + radius and b.y0 - radius < y < b.y1 + radius]
    assert covered == [], covered[:10]
    for i, a in enumerate(boxes):
        assert frame.x0 - 1 <= a.x0 and a.x1 <= frame.x1 + 1 and frame.y0 - 1 <= a.y0 and a.y1 <= frame.y1 + 1
        for j in range(i + 1, len(boxes)):
            assert not _overlap(a, boxes[j]), (labels[i].get_text(), labels[j].get_text())


def _review_axes(session, name):
    pid = session.scalar(select(Project.id).where(Project.name == name, Project.deleted_at.is_(None)))
    extract = review_map.load_extract(session, pid)
    with matplotlib.rc_context({"text.parse_math": False}):
        fig = Figure(figsize=(6.2, 4.6), dpi=150)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
        review_map.draw(ax, extract)
        fig.canvas.draw()
    return fig, ax, extract


def test_review_map_labels_are_dark_with_a_halo_inside_the_frame_and_apart(session):
    for name in ("示例·湘江取水口旁滨江驿站", "白马欧洲小镇"):
        fig, ax, extract = _review_axes(session, name)
        names = {n for _, n, _ in extract.context}
        labels = [t for t in ax.texts if t.get_text() in names]
        assert len(labels) >= 2, (name, [t.get_text() for t in ax.texts])
        for t in labels:
            assert _has_white_halo(t), t.get_text()
            r, g, b = mcolors.to_rgb(t.get_color())
            assert max(r, g, b) < 0.45, (t.get_text(), t.get_color())  # dark: never red on the red fill
        boxes = _rendered_boxes(fig, ax, labels)
        frame = ax.get_window_extent(fig.canvas.get_renderer())
        for i, a in enumerate(boxes):
            assert frame.x0 - 1 <= a.x0 and a.x1 <= frame.x1 + 1, (name, labels[i].get_text())  # never cut off
            assert frame.y0 - 1 <= a.y0 and a.y1 <= frame.y1 + 1, (name, labels[i].get_text())
            for j in range(i + 1, len(boxes)):
                assert not _overlap(a, boxes[j]), (labels[i].get_text(), labels[j].get_text())
