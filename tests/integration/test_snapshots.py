"""Print snapshots against the sample district in PostGIS: size, DPI, real text, legend, reference image, determinism."""
from __future__ import annotations

import io
import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from matplotlib import image as mimage

from gis_tracker.errors import BadParameter, NotFound
from gis_tracker.services.cartography import snapshot
from gis_tracker.spatial import cartography
from tests.support.texts import english

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "snapshot_reference.png"
FIXED = {"map_date": "2026-01-01", "as_of": "2020-06-30"}


def _png_info(content: bytes) -> tuple[int, int, float]:
    """Return (width, height, dpi) read from the PNG's IHDR and pHYs chunks."""
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", content[16:24])
    at = content.find(b"pHYs")
    assert at > 0, "PNG has no pHYs (DPI) chunk"
    ppm_x, ppm_y, unit = struct.unpack(">IIB", content[at + 4:at + 13])
    assert unit == 1 and ppm_x == ppm_y
    return width, height, ppm_x * 0.0254


def _render(session, **params):
    return snapshot.render(session, snapshot.SnapshotRequest.from_params({**FIXED, **params}))


def _pdf_text(content: bytes, tmp_path) -> str:
    pdf = tmp_path / "snap.pdf"
    pdf.write_bytes(content)
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("paper,landscape,dpi", [("A3", True, 300), ("A4", False, 96), ("A4", True, 150)])
def test_png_has_the_asked_size_and_dpi(session, paper, landscape, dpi):
    snap = _render(session, paper=paper, landscape=landscape, dpi=dpi, layers="zones,water_bodies", labels=False)
    width, height, found_dpi = _png_info(snap.content)
    assert (width, height) == cartography.pixel_size(paper, landscape, dpi) == snap.size_px
    assert found_dpi == pytest.approx(dpi, abs=0.05)


def test_pdf_has_selectable_chinese_title_and_legend(session, tmp_path):
    snap = _render(session, format="pdf", title="清水塘片区搬迁进度图", subtitle="截至2020年6月",
                   zone="清水塘片区", layers="zones,enterprises")
    assert snap.content.startswith(b"%PDF")
    text = _pdf_text(snap.content, tmp_path)
    assert "清水塘片区搬迁进度图" in text and "截至2020年6月" in text
    for _layer, label in snap.legend:
        assert label in text, label
    assert "验收销号" in text and "内部资料" in text and "EPSG:4547" in text
    fonts = subprocess.run(["pdffonts", "-", ], input=snap.content, capture_output=True).stdout.decode()
    assert "NotoSansCJK" in fonts  # the CJK font is embedded, so no empty boxes anywhere


def test_legend_matches_the_layers_drawn(session):
    snap = _render(session, layers="water_bodies,projects")
    assert set(snap.layers_drawn) == {"water_bodies", "projects"}
    assert {layer for layer, _ in snap.legend} == {"水体", "建设项目", "石峰区界"}

    stages = _render(session, layers="enterprises", zone="清水塘片区")
    labels = [label for layer, label in stages.legend if layer == "清水塘搬迁企业"]
    # On 2020-06-30 the sample enterprises were spread over several stages; the legend lists only those drawn.
    assert 2 <= len(labels) <= 7 and labels[0] in ("未启动", "摸底评估")
    later = _render(session, layers="enterprises", zone="清水塘片区", as_of="2014-01-01")
    assert [label for _, label in later.legend if _ == "清水塘搬迁企业"] == ["未启动"]


def test_sample_district_matches_the_reference_image(session):
    snap = _render(session, paper="A4", landscape=True, dpi=68, title="石峰区规划总图")
    img = mimage.imread(io.BytesIO(snap.content))[:, :, :3]
    if os.environ.get("UPDATE_SNAPSHOT_REFERENCE") == "1":  # after a deliberate change: review, then commit
        REFERENCE.write_bytes(snap.content)
    ref = mimage.imread(str(REFERENCE))[:, :, :3]
    assert img.shape == ref.shape == (562, 795, 3)
    mean_abs = float(np.abs(img - ref).mean())
    assert mean_abs < 0.01, f"mean absolute difference {mean_abs:.4f} (0–1 scale)"


def test_same_inputs_give_identical_bytes(session):
    for fmt in ("png", "pdf"):
        a = _render(session, format=fmt, title="会商用图", zone="田心片区").content
        b = _render(session, format=fmt, title="会商用图", zone="田心片区").content
        assert a == b, fmt
    c = _render(session, format="png", title="另一标题", zone="田心片区").content
    assert c != a


@pytest.mark.parametrize("params,code", [
    ({"paper": "B5"}, "bad_paper"), ({"dpi": "high"}, "bad_dpi"), ({"dpi": 5000}, "bad_dpi"),
    ({"bbox": "1,2,3"}, "bad_bbox"), ({"bbox": "113.1,27.9,113.2,28", "zone": "田心片区"}, "zone_and_bbox"),
    ({"format": "tiff"}, "bad_format"), ({"as_of": "2020/01/01"}, "bad_date"), ({"title": "长" * 81}, "bad_title"),
])
def test_bad_parameters_are_refused_clearly(params, code):
    with pytest.raises(BadParameter) as err:
        snapshot.SnapshotRequest.from_params(params)
    assert err.value.code == code and english(err.value.message)


def test_unknown_zone_and_layer(session):
    with pytest.raises(NotFound):
        _render(session, zone="不存在的片区")
    with pytest.raises(BadParameter) as err:
        _render(session, layers="zones,nope")
    assert err.value.code == "unknown_layer"


def test_zone_named_without_its_suffix_frames_that_zone(session):
    """People say 清水塘 for 清水塘片区; a prefix shared by several zones asks for the full name."""
    from gis_tracker.services.cartography import snapshot_data

    full = snapshot_data.zone_extent(session, "清水塘片区")
    assert snapshot_data.zone_extent(session, "清水塘") == full  # not the sub-area 清水塘现代物流园
    assert snapshot_data.zone_extent(session, "QST") == full
    assert snapshot_data.zone_extent(session, "九郎山") == snapshot_data.zone_extent(session, "九郎山片区")
    with pytest.raises(NotFound) as err:
        snapshot_data.zone_extent(session, "清水")  # 清水塘片区, 清水湖…, 清水广场…
    assert err.value.code == "ambiguous_zone" and "清水塘片区" in err.value.message
    with pytest.raises(NotFound) as err:
        snapshot_data.zone_extent(session, "%")
    assert err.value.code == "unknown_zone"


def test_bbox_extent_frames_the_requested_area(session):
    snap = _render(session, bbox="113.08,27.85,113.12,27.88", layers="enterprises")
    minx, miny, maxx, maxy = snap.extent
    assert 4000 < maxx - minx < 12000  # about 4 km asked, grown only to the frame's shape
    assert 0 < snap.layers_drawn["enterprises"] < 172


@pytest.fixture()
def sample_rasters(app, tmp_path):
    """The data-exchange sample rasters (DEM, land cover) in a private RASTER_DIR, removed afterwards."""
    from gis_tracker.db import db
    from gis_tracker.models import Raster
    from gis_tracker.services.exchange import rasters

    old = app.config.get("RASTER_DIR")
    app.config["RASTER_DIR"] = tmp_path
    with app.app_context():
        loaded = rasters.load_samples(db.session)
        db.session.close()
    yield loaded
    with app.app_context():
        for name in loaded:
            db.session.delete(db.session.query(Raster).filter_by(name=name).one())
        db.session.commit()
    app.config["RASTER_DIR"] = old


def test_raster_layer_is_drawn_under_the_vectors(session, sample_rasters):
    from gis_tracker.services.exchange import rasters

    sources = [r for r in rasters.list_rasters(session) if r.name in sample_rasters and rasters.path_of(r).exists()]
    assert sources, "the sample rasters were stored but are not offered to snapshots"
    raster = next((r for r in sources if "landcover" in r.name), sources[0])
    plain = _render(session, layers="zones", labels=False)
    with_raster = _render(session, layers=f"zones,{raster.name}", labels=False)
    assert (raster.title, raster.title) in with_raster.legend
    a = mimage.imread(io.BytesIO(plain.content))[:, :, :3]
    b = mimage.imread(io.BytesIO(with_raster.content))[:, :, :3]
    assert float(np.abs(a - b).mean()) > 0.01  # the raster really shows
