"""Feature writes over the OGC API the way the map sends them (JSON body, CSRF header, If-Match)."""
from __future__ import annotations

import json

from tests.support.clients import csrf_token_of

GEOJSON = "application/geo+json"


def csrf(client) -> str:
    """Return the CSRF token of a logged-in test client's session (read from a page, as the map reads it)."""
    return csrf_token_of(client)


def write_headers(client, etag: str | None = None) -> dict:
    """Return the headers a save from the map carries."""
    headers = {"X-CSRFToken": csrf(client)}
    if etag:
        headers["If-Match"] = etag
    return headers


def post_feature(client, collection: str, properties: dict, geometry: dict):
    """POST a new feature to ``collection``."""
    body = {"type": "Feature", "properties": properties, "geometry": geometry}
    return client.post(f"/ogc/collections/{collection}/items", data=json.dumps(body), content_type=GEOJSON,
                       headers=write_headers(client))


def patch_feature(client, collection: str, fid: int, etag: str, properties: dict | None = None,
                  geometry: dict | None = None):
    """PATCH a feature with ``If-Match: etag``."""
    body: dict = {"type": "Feature", "properties": properties or {}}
    if geometry is not None:
        body["geometry"] = geometry
    return client.patch(f"/ogc/collections/{collection}/items/{fid}", data=json.dumps(body),
                        content_type=GEOJSON, headers=write_headers(client, etag))


def put_feature(client, collection: str, fid: int, etag: str, properties: dict, geometry: dict):
    """PUT (replace) a feature with ``If-Match: etag``."""
    body = {"type": "Feature", "properties": properties, "geometry": geometry}
    return client.put(f"/ogc/collections/{collection}/items/{fid}", data=json.dumps(body), content_type=GEOJSON,
                      headers=write_headers(client, etag))


def get_feature(client, collection: str, fid: int):
    """GET one feature (its JSON and ETag)."""
    return client.get(f"/ogc/collections/{collection}/items/{fid}")
