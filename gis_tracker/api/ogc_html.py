"""HTML views of the OGC API documents (conformance class 'html'), for people browsing the API."""
from __future__ import annotations

import json

from flask import render_template, request, url_for

from ..errors import BadParameter
from ..i18n import pick

FORMATS_JSON = {"json", "geojson"}


def wants_html() -> bool:
    """Tell whether the client asked for HTML (``f=html``, or a browser's Accept header)."""
    fmt = request.args.get("f")
    if fmt:
        if fmt == "html":
            return True
        if fmt in FORMATS_JSON:
            return False
        raise BadParameter(f"不支持的格式 f={fmt[:20]!r}", code="bad_format",
                           details={"parameter": "f"})
    best = request.accept_mimetypes.best_match(["application/json", "application/geo+json", "text/html"])
    return best == "text/html" and request.accept_mimetypes["text/html"] > request.accept_mimetypes["application/json"]


def _html_links(links: list[dict]) -> list[dict]:
    out = []
    for link in links:
        href = link["href"]
        if link.get("type") in ("application/json", "application/geo+json") and "f=" not in href:
            href += ("&" if "?" in href else "?") + "f=html"
        out.append({**link, "href": href})
    return out


def render_doc(doc: dict, title: str, crumbs: list[dict] | None = None):
    """Render a landing/conformance/collection document as HTML."""
    rows, headers = [], []
    if "collections" in doc:
        headers = [pick("集合", "Collection"), pick("名称", "Title"), pick("说明", "Description")]
        rows = [[{"href": url_for("ogc.collection", collection_id=c["id"], f="html"), "text": c["id"]},
                 c["title"], c.get("description")] for c in doc["collections"]]
    elif "conformsTo" in doc:
        headers = [pick("符合的标准类", "Conformance class")]
        rows = [[c] for c in doc["conformsTo"]]
    elif "properties" in doc:
        headers = [pick("字段", "Property"), pick("名称", "Title"), pick("类型", "Type")]
        rows = [[name, p.get("title"), " ".join(v for v in (p.get("type"), p.get("format")) if v) or None]
                for name, p in doc["properties"].items()]
    return render_template("ogc/page.html", title=title, description=doc.get("description"),
                           links=_html_links(doc.get("links", [])), rows=rows, headers=headers,
                           crumbs=crumbs or [], raw=None)


def render_features(body: str, title: str, collection_id: str):
    """Render a FeatureCollection or Feature (GeoJSON text) as an HTML table."""
    doc = json.loads(body)
    feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    names = list(feats[0]["properties"]) if feats else []
    rows = [[{"href": url_for("ogc.item", collection_id=collection_id, feature_id=f["id"], f="html"),
              "text": f["id"]}] + [_cell(f["properties"].get(n)) for n in names] for f in feats]
    crumbs = [{"href": url_for("ogc.collections", f="html"), "title": pick("集合", "Collections")},
              {"href": url_for("ogc.collection", collection_id=collection_id, f="html"), "title": collection_id}]
    return render_template("ogc/page.html", title=title, description=None,
                           links=_html_links(doc.get("links", [])), rows=rows, headers=["id"] + names,
                           crumbs=crumbs, raw=None)


def _cell(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value
