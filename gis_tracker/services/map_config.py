"""Assemble what the map page needs: layers, styles, legend, basemap and extent."""
from __future__ import annotations

import json

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import catalog
from ..db import WGS84
from ..i18n import gettext as _, pick
from ..models import District

LAYER_ORDER = ("zones", "protected_areas", "water_bodies", "projects", "enterprises")


def _legend(coll: catalog.Collection) -> list[dict]:
    if not coll.style_by:
        colour = coll.style.get("fillColor") or coll.style.get("color")
        return [{"label": pick(coll.title, coll.title_en), "colour": colour}]
    field = coll.field(coll.style_by)
    entries = []
    for value, colour in coll.style_colours.items():
        if field and field.choices and value in field.choices:
            label = pick(*field.choices[value])
        else:
            label = value or _("其他")
        entries.append({"value": value, "label": label, "colour": colour})
    return entries


def _district_outline(session: Session) -> dict | None:
    text = session.scalar(select(func.ST_AsGeoJSON(func.ST_Transform(District.geom, WGS84), 6)).limit(1))
    return json.loads(text) if text else None


def build(session: Session) -> dict:
    """Return the map configuration as a JSON-ready dict."""
    cfg = current_app.config
    layers = []
    available = catalog.all_collections(session)
    order = [c for c in LAYER_ORDER] + [c for c in available if c not in LAYER_ORDER]
    for cid in order:
        coll = available[cid]
        layers.append({
            "id": coll.id,
            "title": pick(coll.title, coll.title_en),
            "items_url": url_for("ogc.items", collection_id=coll.id, limit=cfg["OGC_MAX_LIMIT"]),
            "geometry_type": coll.geometry_type,
            "style": coll.style,
            "style_by": coll.style_by,
            "colours": coll.style_colours,
            "legend": _legend(coll),
            "popup_fields": [{"name": f.name, "label": pick(f.label, f.label_en)}
                             for f in coll.fields if f.popup],
            "choices": {f.name: {k: pick(*v) for k, v in f.choices.items()}
                        for f in coll.fields if f.choices},
            "visible": not coll.hidden,
            "label_field": coll.label_field,
            "write_roles": list(coll.write_roles),
        })
    basemap = None
    if cfg.get("BASEMAP_URL"):
        basemap = {"url": cfg["BASEMAP_URL"], "attribution": cfg.get("BASEMAP_ATTRIBUTION", "")}
    return {
        "layers": layers,
        "district": _district_outline(session),
        "district_label": pick("石峰区界", "District boundary"),
        "basemap": basemap,
        "center": [27.93, 113.14],
        "zoom": 12,
        "i18n": {"yes": _("是"), "no": _("否"), "loading": _("加载中…"),
                 "load_failed": _("图层加载失败"), "legend": _("图例"), "layers": _("图层")},
    }
