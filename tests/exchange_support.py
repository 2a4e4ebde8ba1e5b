"""Build test files for the data-exchange tests (shapefiles, bad archives, fake rasters) and read results."""
from __future__ import annotations

import contextlib
import io
import json
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry import Polygon, box
from sqlalchemy import text

# A spot in Qingshuitang/Tianxin, EPSG:4547 metres (about 113.12 E, 27.92 N).
X0, Y0 = 413_500.0, 3_089_500.0


def sample_frame(crs: str = "EPSG:4547") -> gpd.GeoDataFrame:
    """Three polygons (one with a hole) with Chinese text, an integer, a number with a null."""
    ring = box(X0 + 2000, Y0, X0 + 2600, Y0 + 500)
    holed = Polygon(ring.exterior.coords, [box(X0 + 2200, Y0 + 100, X0 + 2300, Y0 + 200).exterior.coords])
    frame = gpd.GeoDataFrame(
        {"name": ["清水塘示例地块", "田心·轨道交通园", "九郎山森林公园"], "n": [1, 22, 333],
         "v": [1.25, None, 3.5], "备注": ["说明一", "第二条（含括号）", "三"]},
        geometry=[box(X0, Y0, X0 + 500.123, Y0 + 300.456), box(X0 + 800, Y0, X0 + 1100, Y0 + 900), holed],
        crs="EPSG:4547")
    return frame.to_crs(crs)


def write_zip(path: Path, files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    """Write a zip with the given members."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def shapefile_zip(frame: gpd.GeoDataFrame, directory: Path, name: str = "layer", encoding: str = "UTF-8",
                  drop: tuple[str, ...] = (), clear_ldid: bool = False) -> Path:
    """Write ``frame`` as a Shapefile and zip it, leaving out the extensions in ``drop``."""
    parts = directory / f"{name}_parts"
    parts.mkdir()
    frame.to_file(parts / f"{name}.shp", driver="ESRI Shapefile", encoding=encoding, engine="pyogrio")
    if clear_ldid:
        dbf = parts / f"{name}.dbf"
        data = bytearray(dbf.read_bytes())
        data[29] = 0
        dbf.write_bytes(bytes(data))
    files = {p.name: p.read_bytes() for p in parts.iterdir() if p.suffix.lower().lstrip(".") not in drop}
    return write_zip(directory / f"{name}.zip", files)


def bomb_zip(directory: Path) -> Path:
    """A zip whose single member inflates 60 MB of zeros from a few KB."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("layer.shp", "w") as member:
            chunk = b"\x00" * (1024 * 1024)
            for _ in range(60):
                member.write(chunk)
    path = directory / "bomb.zip"
    path.write_bytes(buf.getvalue())
    return path


def huge_tiff_header(path: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """A little-endian TIFF whose directory claims ``width`` × ``height`` pixels (no pixel data)."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8), (277, 3, 1, 1), (278, 4, 1, height), (279, 4, 1, width * height & 0xFFFFFFFF)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        packed = struct.pack("<I", value) if kind == 4 else struct.pack("<HH", value, 0)
        ifd += struct.pack("<HHI", tag, kind, count) + packed
    ifd += struct.pack("<I", 0)
    path.write_bytes(b"II*\x00" + struct.pack("<I", 8) + ifd)
    return path


VRT_XML = (b'<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Byte" band="1">'
           b'<SimpleSource><SourceFilename>/vsicurl/http://example.invalid/x.tif</SourceFilename>'
           b'</SimpleSource></VRTRasterBand></VRTDataset>')

KML_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>&secret;</name>
<Point><coordinates>113.12,27.92</coordinates></Point></Placemark></Document></kml>"""


def layer_rows(session, name: str) -> list[tuple[dict, object]]:
    """Return (properties, shapely geometry in EPSG:4547) of a user layer's live features in id order."""
    rows = session.execute(text(
        "SELECT f.properties, ST_AsBinary(f.geom) FROM layer_features f JOIN user_layers l ON l.id = f.layer_id "
        "WHERE l.name = :name AND f.deleted_at IS NULL ORDER BY f.id"), {"name": name}).all()
    return [(props, shapely.from_wkb(bytes(wkb))) for props, wkb in rows]


def upload(client, headers: dict, path: Path, **form):
    """POST a file to /api/imports and return the response."""
    data = {k: v for k, v in form.items() if v is not None}
    with open(path, "rb") as fh:
        data["file"] = (io.BytesIO(fh.read()), path.name)
    return client.post("/api/imports", data=data, headers=headers, content_type="multipart/form-data")


def commit(client, headers: dict, import_id: int, body: dict):
    """Commit an import with a JSON body."""
    return client.post(f"/api/imports/{import_id}/commit", data=json.dumps(body), headers=headers,
                       content_type="application/json")


@contextlib.contextmanager
def sandbox(app, tmp_path_factory, load_rasters: bool = False):
    """Private import/raster directories; afterwards retire the layers, projects and rasters the tests made.

    The test database is shared by the whole session: other tests expect only the built-in collections
    and load the sample rasters themselves.
    """
    from gis_tracker.db import db
    from gis_tracker.services.exchange import rasters

    old = {k: app.config[k] for k in ("IMPORT_DIR", "RASTER_DIR")}
    app.config["IMPORT_DIR"] = tmp_path_factory.mktemp("imports")
    app.config["RASTER_DIR"] = tmp_path_factory.mktemp("rasters")
    with app.app_context():
        marks = {t: db.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {t}"))
                 for t in ("user_layers", "projects", "rasters")}
        if load_rasters:
            rasters.load_samples(db.session)
        db.session.close()
    try:
        yield
    finally:
        with app.app_context():
            for table in ("user_layers", "projects"):
                db.session.execute(text(f"UPDATE {table} SET deleted_at = now(), deleted_by = 'tests' "
                                        f"WHERE id > :mark AND deleted_at IS NULL"), {"mark": marks[table]})
            db.session.execute(text("DELETE FROM rasters WHERE id > :mark"), {"mark": marks["rasters"]})
            db.session.commit()
        app.config.update(old)
