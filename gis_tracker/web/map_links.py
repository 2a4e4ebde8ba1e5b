"""Zoom-to links into the map page (the permalink contract of issue 18).

The map page reads ``select=<collection>:<feature id>`` (show that layer, zoom to
the feature, highlight it and open its popup) and ``fit=<collection>`` (show that
layer and zoom to its extent).  Pages link to a feature or a layer through these
functions, or through the macros of ``templates/_map_link.html`` which render the
same addresses.
"""
from __future__ import annotations

import re
from collections.abc import Container

from flask import url_for

OBJECT_COLLECTIONS = {"encroachment_flag": "encroachments", "encroachment_flags": "encroachments"}
"""Object types of audit entries and notices that are features of a collection under another name."""

GONE_ACTIONS = frozenset({"delete", "purge"})
"""Audit actions after which the feature is no longer on the map."""


_FEATURE_ID = re.compile(r"[1-9][0-9]{0,9}")


def map_link(collection: str, feature_id: int) -> str:
    """The map page zoomed to one feature, highlighted, with its popup open."""
    return url_for("map.index", select=f"{collection}:{int(feature_id)}")


def layer_map_link(collection: str) -> str:
    """The map page with one layer shown and zoomed to its extent."""
    return url_for("map.index", fit=collection)


def object_map_link(object_type: str | None, object_id: int | str | None, collections: Container[str],
                    action: str | None = None) -> str | None:
    """The map link of what an audit entry or a notice is about, when it is a feature (``None`` otherwise).

    ``collections`` are the ids of the layers there are (built-in and user layers, the reader's own
    catalogue); an import names its layer (its ``object_id`` is the import's), a deleted feature has no link.
    """
    if not object_type:
        return None
    collection = OBJECT_COLLECTIONS.get(object_type, object_type)
    if collection not in collections or action in GONE_ACTIONS:
        return None
    if action == "import":
        return layer_map_link(collection)
    text = "" if object_id is None else str(object_id)  # stored as text (audit_log, notifications)
    if not _FEATURE_ID.fullmatch(text) or int(text) > 2**31 - 1:
        return None
    return map_link(collection, int(text))
