"""Assemble what the map page needs: layers, styles, legend, basemap, extent and who may edit what."""
from __future__ import annotations

import json

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import access
from ..db import WGS84
from ..i18n import gettext as _
from ..i18n import pick
from ..models import District, User
from ..services.features import catalog, reads
from .map_texts import texts

LAYER_ORDER = ("zones", "protected_areas", "water_bodies", "projects", "enterprises")


def _legend(coll: catalog.Collection) -> list[dict]:
    if not coll.style_by:
        colour = coll.style.get("fillColor") or coll.style.get("color")
        return [{"label": pick(coll.title, coll.title_en), "colour": colour,
                 "stroke": coll.style.get("color") or colour}]
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


def _layer(session: Session, coll: catalog.Collection, user: User | None) -> dict:
    # numberMatched as the OGC API reports it: decides whether the map loads the layer by extent.
    matched = reads.query_items(session, coll, reads.ItemQuery(limit=0)).number_matched
    return {
        "number_matched": matched,
        "id": coll.id,
        "title": pick(coll.title, coll.title_en),
        "items_url": url_for("ogc.items", collection_id=coll.id),
        "collection_url": url_for("ogc.collection", collection_id=coll.id),
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
        "field_order": [f.name for f in coll.fields],
        "user_layer": coll.layer_id is not None,
        "write_roles": list(coll.write_roles),
        "can_edit": user is not None and user.role in coll.write_roles,
        # Finer rights of this user's role (the catalogue's per-field table), for the map's tools.
        "can_create": user is not None and coll.may_create(user.role),
        "can_delete": user is not None and coll.may_delete(user.role),
        "can_edit_geometry": user is not None and coll.may_write_geometry(user.role),
        "read_only_fields": sorted(coll.read_only_fields(user.role if user else None)),
    }


def build(session: Session, user: User | None = None) -> dict:
    """Return the map configuration as a JSON-ready dict (editing rights for ``user``)."""
    cfg = current_app.config
    available = catalog.all_collections(session)
    order = [c for c in LAYER_ORDER if c in available] + [c for c in available if c not in LAYER_ORDER]
    layers = [_layer(session, available[cid], user) for cid in order]
    basemap = None
    if cfg.get("BASEMAP_URL"):
        basemap = {"url": cfg["BASEMAP_URL"], "attribution": cfg.get("BASEMAP_ATTRIBUTION", "")}
    role = user.role if user else None
    return {
        "layers": layers,
        "district": _district_outline(session),
        "district_label": pick("石峰区界", "District boundary"),
        "basemap": basemap,
        "center": [27.93, 113.14],
        "zoom": 12,
        "bbox_threshold": cfg.get("MAP_BBOX_THRESHOLD", 2000),
        # Layers above tile_threshold features are drawn from vector tiles below
        # zoom tile_until_zoom; closer in they load by extent as GeoJSON (editable).
        "tile_threshold": cfg.get("MAP_TILE_THRESHOLD", 20000),
        "tile_until_zoom": cfg.get("MAP_TILE_UNTIL_ZOOM", 16),
        "view_limit": min(cfg.get("MAP_VIEW_LIMIT", 5000), cfg["OGC_MAX_LIMIT"]),
        "user": {"username": user.username if user else None, "role": role,
                 "is_admin": role == "admin", "can_manage_layers": role in access.LAYER_EDITORS},
        "can_edit": any(layer["can_edit"] for layer in layers),
        "urls": {"layers": url_for("user_layers.list_layers"),
                 "split": url_for("geometry.split"), "repair": url_for("geometry.repair"),
                 "history": "/api/collections/{collection}/items/{fid}/versions",
                 "deleted": "/api/collections/{collection}/deleted",
                 "review": "/flags/projects/{id}"},
        "i18n": texts(),
    }
