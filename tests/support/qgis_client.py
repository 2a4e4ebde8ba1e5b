"""PyQGIS client run by Debian's python3 (QGIS is not pip-installable): ``python3 qgis_client.py SPEC.json``.

It does what a planner does in QGIS: stores a Basic authentication
configuration (username and an API token as the password) in a fresh
profile, adds every collection as an OGC API – Features layer and the
enterprises vector tiles as a vector tile layer with the same authcfg, and
renders the tiles to a PNG.  It prints one JSON line: the QGIS version,
every layer's features (attributes as JSON values) and the render result.
"""
from __future__ import annotations

import json
import os
import sys


def _value(v):
    """Return a QGIS attribute value as a JSON value (NULL → None, QDate → ISO, maps/lists as they are)."""
    from qgis.PyQt.QtCore import QDate, QDateTime, QVariant

    if v is None or (isinstance(v, QVariant) and v.isNull()):
        return None
    if isinstance(v, QDate):
        return v.toString("yyyy-MM-dd") if v.isValid() else None
    if isinstance(v, QDateTime):
        return v.toString("yyyy-MM-ddTHH:mm:ss") if v.isValid() else None
    if isinstance(v, (str, int, float, bool, dict, list)):
        return v
    return str(v)


def main(spec_path: str) -> None:
    import faulthandler

    faulthandler.enable()  # a crash inside QGIS prints where it happened
    with open(spec_path, encoding="utf-8") as fh:
        spec = json.load(fh)
    from qgis.core import (
        Qgis,
        QgsApplication,
        QgsAuthMethodConfig,
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProject,
        QgsRectangle,
        QgsVectorLayer,
        QgsVectorTileBasicRenderer,
        QgsVectorTileLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], True, spec["profile"])
    app.initQgis()
    auth = QgsApplication.authManager()
    auth.setMasterPassword(spec["master_password"], True)
    config = QgsAuthMethodConfig()
    config.setName("石峰区规划 API 令牌")
    config.setMethod("Basic")
    config.setConfig("username", spec["username"])
    config.setConfig("password", spec["token"])
    stored, _ = auth.storeAuthenticationConfig(config)
    authcfg = config.id()
    out = {"qgis": Qgis.QGIS_VERSION, "authcfg_stored": bool(stored), "layers": {}}
    for cid in spec["collections"]:
        layer = QgsVectorLayer(f"url='{spec['url']}/ogc' typename='{cid}' authcfg='{authcfg}'", cid, "OAPIF")
        QgsProject.instance().addMapLayer(layer, False)  # kept alive: destroying an OAPIF layer early can crash 3.22
        features = []
        if layer.isValid():
            names = [f.name() for f in layer.fields()]
            for feat in layer.getFeatures():
                features.append({n: _value(feat[n]) for n in names})
        out["layers"][cid] = {"valid": layer.isValid(), "features": features}
    tiles = QgsVectorTileLayer(f"type=xyz&url={spec['url']}/tiles/enterprises/{{z}}/{{x}}/{{y}}.mvt"
                               f"&zmin=0&zmax=22&authcfg={authcfg}", "enterprises tiles")
    out["tiles_valid"] = tiles.isValid()
    if tiles.isValid():
        renderer = QgsVectorTileBasicRenderer()
        red = QColor(200, 30, 30)
        renderer.setStyles(QgsVectorTileBasicRenderer.simpleStyle(red, red, 1.0, red, 2.0, red, red, 4.0))
        tiles.setRenderer(renderer)
        QgsProject.instance().addMapLayer(tiles)
        mercator = QgsCoordinateReferenceSystem("EPSG:3857")
        to_mercator = QgsCoordinateTransform(QgsCoordinateReferenceSystem("EPSG:4326"), mercator,
                                             QgsProject.instance())
        settings = QgsMapSettings()
        settings.setLayers([tiles])
        settings.setDestinationCrs(mercator)
        settings.setOutputSize(QSize(512, 512))
        settings.setBackgroundColor(QColor(255, 255, 255))
        settings.setExtent(to_mercator.transformBoundingBox(QgsRectangle(*spec["extent"])))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        image = job.renderedImage()
        image.save(spec["png"], "PNG")
        painted = sum(1 for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
                      if image.pixelColor(x, y) != QColor(255, 255, 255))
        out["painted_pixels"] = painted
        out["render_errors"] = [e.message for e in job.errors()]
    print(json.dumps(out, ensure_ascii=False), flush=True)
    # QGIS 3.22 may crash while tearing down a headless session: leave without running its destructors.
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1])
