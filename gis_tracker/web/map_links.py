"""Zoom-to links into the map page (the permalink contract of issue 18).

The map page reads ``select=<collection>:<feature id>`` (show that layer, zoom to
the feature, highlight it and open its popup) and ``fit=<collection>`` (show that
layer and zoom to its extent).  Pages link to a feature or a layer through these
two functions, or through the macros of ``templates/_map_link.html`` which
render the same addresses.
"""
from __future__ import annotations

from flask import url_for


def map_link(collection: str, feature_id: int) -> str:
    """The map page zoomed to one feature, highlighted, with its popup open."""
    return url_for("map.index", select=f"{collection}:{int(feature_id)}")


def layer_map_link(collection: str) -> str:
    """The map page with one layer shown and zoomed to its extent."""
    return url_for("map.index", fit=collection)
