"""Conditional GETs and compression for API responses.

* Every successful GET of the OGC/tile API carries a strong ``ETag`` (the
  feature version for single items, else a hash of the body) and answers
  ``If-None-Match`` with 304, so an unchanged layer is not sent twice.
* JSON, GeoJSON and vector tiles larger than 1 KiB are gzip-compressed when
  the client accepts it.  The ETag is the same for both encodings (the
  representation's content is the same), so ``If-Match`` on writes keeps
  working behind either.
"""
from __future__ import annotations

import gzip
import hashlib

from flask import Flask, Response, request

COMPRESSIBLE = {"application/json", "application/geo+json", "application/vnd.mapbox-vector-tile",
                "text/html", "text/css", "application/javascript", "text/javascript"}
MIN_SIZE = 1024


def _etag_applies() -> bool:
    return request.method in ("GET", "HEAD") and request.path.startswith(("/ogc", "/tiles/", "/api/"))


def _finish(resp: Response) -> Response:
    if resp.status_code != 200 or resp.direct_passthrough or resp.is_streamed:
        return resp
    if _etag_applies():
        if "ETag" not in resp.headers:
            resp.headers["ETag"] = '"' + hashlib.sha1(resp.get_data()).hexdigest() + '"'
        sent = request.headers.get("If-None-Match", "")
        if sent and (sent.strip() == "*" or resp.headers["ETag"] in [t.strip() for t in sent.split(",")]):
            not_modified = Response(status=304)
            for header in ("ETag", "Cache-Control", "Content-Crs", "Vary"):
                if header in resp.headers:
                    not_modified.headers[header] = resp.headers[header]
            return not_modified
        resp.headers.setdefault("Cache-Control", "private, no-cache")
    if (resp.mimetype in COMPRESSIBLE and "gzip" in request.headers.get("Accept-Encoding", "")
            and "Content-Encoding" not in resp.headers):
        data = resp.get_data()
        if len(data) >= MIN_SIZE:
            resp.set_data(gzip.compress(data, compresslevel=5, mtime=0))
            resp.headers["Content-Encoding"] = "gzip"
            resp.headers["Content-Length"] = str(len(resp.get_data()))
        resp.vary.add("Accept-Encoding")
    return resp


def init_app(app: Flask) -> None:
    """Install the ETag/304 and gzip handling."""
    app.after_request(_finish)
