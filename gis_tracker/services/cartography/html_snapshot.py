"""Write one self-contained interactive map (folium/Leaflet) that opens offline on any laptop.

The same layers, colours and legend as the print snapshot; every script and
stylesheet is inlined from our vendored Leaflet in ``static/vendor`` (folium
would link CDNs: its ``default_js``/``default_css`` are emptied, and the
result is checked so that no remote reference remains), and the data is
inlined as GeoJSON.  Popups and tooltips are built with ``textContent`` and
layer names are HTML-escaped, so a hostile feature name shows as text.
"""
from __future__ import annotations

import base64
import html
import json
import logging
import re

import folium
import shapely
from branca.element import Element, MacroElement
from jinja2 import Template
from sqlalchemy.orm import Session

from ...config import PROJECT_ROOT
from ...errors import AppError
from ...models import District
from ...spatial import cartography, measure
from ..features import catalog, reads
from ..relocation import transitions
from . import snapshot, snapshot_data

LOGGER = logging.getLogger(__name__)
VENDOR = PROJECT_ROOT / "static" / "vendor" / "leaflet"
REMOTE_REFERENCE = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""",
    re.I)
"""A tag or stylesheet that would fetch from another host (text inside scripts, like Leaflet's own link, is fine)."""
MAX_FEATURES = 20000


class _TextPopups(MacroElement):
    """Bind popups and tooltips built from ``properties._popup`` with textContent (never HTML)."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function (group, title) {
  group.eachLayer(function (layer) {
    var p = layer.feature && layer.feature.properties;
    if (!p) { return; }
    layer.bindPopup(function () {
      var box = document.createElement("div");
      box.className = "popup";
      var h = document.createElement("h3");
      h.textContent = title;
      box.appendChild(h);
      var table = document.createElement("table");
      (p._popup || []).forEach(function (pair) {
        var row = table.insertRow();
        var th = document.createElement("th");
        th.textContent = pair[0];
        row.appendChild(th);
        row.insertCell().textContent = pair[1];
      });
      box.appendChild(table);
      return box;
    });
    if (p._name) {
      var tip = document.createElement("span");
      tip.textContent = p._name;
      layer.bindTooltip(tip, {sticky: true});
    }
  });
})({{ this._parent.get_name() }}, {{ this.title|tojson }});
{% endmacro %}
""")

    def __init__(self, title: str) -> None:
        super().__init__()
        self._name = "TextPopups"
        self.title = title


class _MetricScale(MacroElement):
    """Add a metric-only scale bar (folium's has miles too)."""

    _template = Template("""
{% macro script(this, kwargs) %}
L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}
""")


def _district_geojson(session: Session) -> dict | None:
    from sqlalchemy import func, select

    text = session.scalar(select(func.ST_AsGeoJSON(func.ST_Transform(District.geom, 4326), 6)).limit(1))
    return {"type": "Feature", "geometry": json.loads(text), "properties": {}} if text else None


def _leaflet_css() -> str:
    css = (VENDOR / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = base64.b64encode((VENDOR / match.group(1)).read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", inline, css)


def _display(field: catalog.Field, value) -> str:
    if value is None or value == "":
        return "—"
    if field.choices and str(value) in field.choices:
        return field.choices[str(value)][0]
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _layer_geojson(session: Session, coll: catalog.Collection, bbox_lonlat, overrides: dict | None) -> dict:
    page = reads.query_items(session, coll, reads.ItemQuery(limit=MAX_FEATURES, bbox=bbox_lonlat))
    layer = snapshot_data.LayerData(coll.id, coll.title, snapshot_data._kind(coll.geometry_type), dict(coll.style),
                                    coll.style_by, dict(coll.style_colours))
    out = []
    for text in page.features:
        feat = json.loads(text)
        props = feat["properties"] or {}
        value = props.get(coll.style_by) if coll.style_by else None
        if overrides and feat["id"] in overrides:
            value = overrides[feat["id"]]
        s = layer.style_for(value)
        layer.values.append(value)
        style = {"color": s.edge, "opacity": s.edge_alpha, "weight": s.linewidth_pt / 0.75,
                 "fillColor": s.face or s.edge, "fillOpacity": s.face_alpha if s.face else 0, "fill": bool(s.face)}
        if s.dashes:
            style["dashArray"] = " ".join(f"{d / 0.75:g}" for d in s.dashes)
        popup = [[f.label, _display(f, props.get(f.name))] for f in coll.fields if f.popup]
        name = props.get(coll.label_field or "name")
        out.append({"type": "Feature", "id": feat["id"], "geometry": feat["geometry"],
                    "properties": {"_style": style, "_popup": popup, "_name": None if name is None else str(name)}})
    legend = snapshot_data._legend(coll, layer.kind, layer.values, layer.style_for) if out else []
    return {"type": "FeatureCollection", "features": out, "legend": legend}


def _legend_html(title: str, entries) -> str:
    rows = []
    current = None
    for e in entries:
        if e.layer_title != current and e.label != e.layer_title:
            rows.append(f"<div class='lg-h'>{html.escape(e.layer_title)}</div>")
        current = e.layer_title
        s = e.style
        radius = "50%" if e.kind == "point" else "0"
        fill = s.face or "transparent"
        rows.append(f"<div class='lg-i'><span class='sw' style='background:{html.escape(fill)};"
                    f"border:1px solid {html.escape(s.edge)};border-radius:{radius}'></span>"
                    f"{html.escape(e.label)}</div>")
    return ("<div class='snap-legend'><div class='lg-t'>图例</div>" + "".join(rows) + "</div>"
            f"<div class='snap-title'>{html.escape(title)}</div>")


STYLE = """<style>
.snap-legend{position:absolute;left:10px;bottom:40px;z-index:800;background:#fffe;padding:6px 10px;border-radius:4px;
 box-shadow:0 1px 4px #0004;font:12px "Noto Sans CJK SC","Microsoft YaHei",sans-serif;max-height:60%;overflow:auto}
.snap-legend .lg-t{font-weight:bold;font-size:13px}.snap-legend .lg-h{font-weight:bold;margin-top:4px}
.snap-legend .sw{display:inline-block;width:14px;height:10px;margin-right:6px;vertical-align:middle}
.snap-title{position:absolute;left:50px;top:10px;z-index:800;background:#fffe;padding:4px 10px;border-radius:4px;
 font:bold 16px "Noto Sans CJK SC","Microsoft YaHei",sans-serif}
.popup h3{margin:0 0 4px;font-size:13px}.popup th{text-align:left;padding-right:8px;color:#555;font-weight:normal}
</style>"""


def _stable_ids(text: str) -> str:
    """Replace folium's random element ids with sequential ones so the file is reproducible."""
    seen: dict[str, str] = {}

    def sub(match: re.Match) -> str:
        return "_" + seen.setdefault(match.group(1), f"{len(seen) + 1:04d}")

    return re.sub(r"_([0-9a-f]{32})(?![0-9a-f])", sub, text)


def render(session: Session, req: snapshot.SnapshotRequest) -> bytes:
    """Return the interactive map of ``req``'s extent and layers as one HTML file."""
    extent = snapshot.resolve_extent(session, req)
    lonlat = measure.reproject(shapely.box(*extent), 4547, 4326).bounds
    layer_ids = [cid for cid in snapshot_data.ordered_layer_ids(session, req.layers or None)
                 if cid in catalog.all_collections(session)]
    available = catalog.all_collections(session)
    overrides = None
    if req.as_of and "enterprises" in layer_ids:
        overrides = transitions.stages_as_of(session, req.as_of)
    fmap = folium.Map(location=[(lonlat[1] + lonlat[3]) / 2, (lonlat[0] + lonlat[2]) / 2], zoom_start=12,
                      tiles=None, prefer_canvas=True, control_scale=False)
    fmap.default_js, fmap.default_css = [], []  # no CDN: Leaflet is inlined below
    root = fmap.get_root()
    root.header.add_child(Element(f"<style>{_leaflet_css()}</style>"), name="leaflet_css")
    root.header.add_child(Element(f"<script>{(VENDOR / 'leaflet.js').read_text(encoding='utf-8')}</script>"),
                          name="leaflet_js")
    root.header.add_child(Element(STYLE), name="snapshot_css")
    root.header.add_child(Element(f"<title>{html.escape(req.title)}</title>"), name="title")
    legend = []
    for cid in layer_ids:
        coll = available[cid]
        data = _layer_geojson(session, coll, lonlat, overrides if cid == "enterprises" else None)
        legend += data.pop("legend")
        if not data["features"]:
            continue
        is_point = "point" in coll.geometry_type.lower()
        marker = folium.CircleMarker(radius=float(coll.style.get("radius", 5))) if is_point else None
        group = folium.GeoJson(data, name=html.escape(coll.title), marker=marker,
                               style_function=lambda f: f["properties"]["_style"], embed=True)
        group.add_child(_TextPopups(coll.title))
        group.add_to(fmap)
    district = _district_geojson(session)
    if district is not None:
        ds = cartography.print_style(snapshot_data.DISTRICT_STYLE, "LineString")
        folium.GeoJson(district, name=snapshot_data.DISTRICT_TITLE, interactive=False,
                       style_function=lambda f: {"color": ds.edge, "weight": 2.5, "dashArray": "8 4",
                                                 "fill": False}).add_to(fmap)
        legend.append(snapshot_data.LegendEntry("district", snapshot_data.DISTRICT_TITLE,
                                                snapshot_data.DISTRICT_TITLE, "line", ds))
    fmap.add_child(_MetricScale())
    fmap.fit_bounds([[lonlat[1], lonlat[0]], [lonlat[3], lonlat[2]]])
    folium.LayerControl(collapsed=False).add_to(fmap)
    root.html.add_child(Element(_legend_html(req.title, legend)))
    text = _stable_ids(root.render())
    remote = REMOTE_REFERENCE.search(text)
    if remote:
        LOGGER.error("interactive map would load a remote resource near: %s", text[remote.start():remote.start() + 120])
        raise AppError("交互地图含有外部资源引用",
                       code="remote_reference", status=500)
    return text.encode("utf-8")
