"""One search box over the map's layers: zones and sub-areas, enterprises, projects, protected areas, water bodies
and the features of planner-defined layers (by their label field).

Each result names its collection, feature id, title and lon/lat bounding box, the layer's title and what kind of
feature it is.  Ranking: an exact match first, then a prefix, then pinyin (initials ``qst`` or syllables
``qingshui`` → 清水塘), then a code's or credit code's prefix, then a match inside the name, inside a code, and
inside the pinyin initials; shorter titles first within a rank.

Access: a layer is searched only for roles that may read it, by the same rule as reading it through the OGC API
(the access table's ``ogc.items``/``ogc.item`` entries and the collection's ``read_roles`` when it declares any):
a role that cannot read a layer gets nothing from it.

Pinyin is computed in Python (pypinyin) and cached per worker and layer under a fingerprint of the layer's live
titles (their count and an MD5 digest of every id and title, computed by PostgreSQL on each search): a save, an
import, a delete or a restore changes it, so an edited name is searched by its new pinyin on the next request.
Layers larger than ``PINYIN_MAX_FEATURES`` are searched by text only (their first pinyin index would cost seconds).
"""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import Style, lazy_pinyin
from sqlalchemy import Integer, String, case, cast, func, literal, null, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from ... import access
from ...i18n import pick
from ...models import Enterprise, LayerFeature, Project, ProtectedArea, WaterBody, Zone
from . import catalog, locate

PINYIN_MAX_FEATURES = 20000
NO_MATCH = 9
# Ranks (lower first): exact (any field), the title's prefix, its pinyin's prefix, another field's prefix (a code,
# a credit code, an English name), inside the title, inside another field, inside the pinyin initials.
EXACT, PREFIX, PINYIN_PREFIX, OTHER_PREFIX, CONTAINS, OTHER_CONTAINS, PINYIN_CONTAINS = range(7)
_PINYIN_QUERY = re.compile(r"[a-z][a-z0-9]{0,49}", re.ASCII)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SKIP = re.compile(r"[\s\W_]+")

KIND_LABELS = {
    "zone": ("片区", "Zone"), "sub_area": ("功能区", "Sub-area"), "enterprise": ("搬迁企业", "Enterprise"),
    "project": ("建设项目", "Project"), "protected_area": ("保护区", "Protected area"),
    "water_body": ("水体", "Water body"), "feature": ("要素", "Feature"),
}


@dataclass(frozen=True)
class SearchQuery:
    """A validated search: the text (1–100 characters, stripped) and how many results at most."""

    text: str
    limit: int = 10


@dataclass(frozen=True)
class _Source:
    """How one collection is searched: the text fields (name → SQL expression), the title, the kind."""

    collection: catalog.Collection
    fields: tuple[tuple[str, object], ...]  # (field name, SQL text expression); the first is the title
    kind: object  # SQL expression of the kind code ("zone", ...), or a literal
    category: object | None  # SQL expression of the category code/text, or None
    category_field: str | None  # the catalogue field whose choices label the category (None: shown as is)
    order: int


def readable(coll: catalog.Collection, role: str | None) -> bool:
    """Tell whether ``role`` may read ``coll`` through the OGC API (the rule reading it is held to)."""
    if role is None:
        return False
    if not (access.permits("ogc.items", "GET", role) and access.permits("ogc.item", "GET", role)):
        return False
    roles = getattr(coll, "read_roles", None)  # a finer per-layer rule, when the catalogue declares one
    return roles is None or role in roles


def _sources(session: Session) -> list[_Source]:
    colls = catalog.all_collections(session)
    built = catalog.collections()
    sources = [
        _Source(built["zones"], (("name", Zone.name), ("code", Zone.code), ("name_en", Zone.name_en)),
                case((Zone.level == "sub_area", "sub_area"), else_="zone"), None, None, 0),
        _Source(built["enterprises"], (("name", Enterprise.name), ("credit_code", Enterprise.credit_code)),
                literal("enterprise"), Enterprise.industry, None, 1),
        _Source(built["projects"], (("name", Project.name),), literal("project"), Project.project_type,
                "project_type", 2),
        _Source(built["protected_areas"], (("name", ProtectedArea.name),), literal("protected_area"),
                func.coalesce(ProtectedArea.tier, ProtectedArea.category), "legend_class", 3),
        _Source(built["water_bodies"], (("name", WaterBody.name),), literal("water_body"), WaterBody.kind, "kind", 4),
    ]
    for position, coll in enumerate(c for c in colls.values() if c.layer_id is not None):
        label = _label_field(coll)
        if label is None:
            continue
        sources.append(_Source(coll, ((label, LayerFeature.properties[label].astext),), literal("feature"),
                               None, None, 10 + position))
    return sources


def _label_field(coll: catalog.Collection) -> str | None:
    """The field a user layer's features are searched by: its label field, else its first text field."""
    if coll.label_field and coll.field(coll.label_field) is not None:
        return coll.label_field
    return next((f.name for f in coll.fields if f.type == "string"), None)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _field_rank(expr, text: str, title: bool):
    escaped = _escape_like(text)
    return case(
        (func.lower(expr) == text.lower(), EXACT),
        (expr.ilike(escaped + "%", escape="\\"), PREFIX if title else OTHER_PREFIX),
        (expr.ilike("%" + escaped + "%", escape="\\"), CONTAINS if title else OTHER_CONTAINS),
        else_=NO_MATCH)


def _text_hits(session: Session, source: _Source, text: str, limit: int) -> list[dict]:
    model = source.collection.model
    ranks = [_field_rank(expr, text, i == 0) for i, (_name, expr) in enumerate(source.fields)]
    rank = func.least(*ranks) if len(ranks) > 1 else ranks[0]
    matched = case(*[(r == rank, literal(name)) for (name, _e), r in zip(source.fields, ranks, strict=True)])
    detail = case(*[(r == rank, cast(expr, String)) for (_n, expr), r in zip(source.fields, ranks, strict=True)])
    title = source.fields[0][1]
    stmt = (select(model.id, cast(title, String).label("title"), cast(rank, Integer).label("rank"),
                   matched.label("matched"), detail.label("detail"), source.kind.label("kind"),
                   (source.category if source.category is not None else null()).label("category"))
            .where(model.deleted_at.is_(None), *source.collection.scope(), rank < NO_MATCH,
                   title.is_not(None), title != "")
            .order_by(rank, func.char_length(title), model.id).limit(limit))
    return [_hit(source, row.id, row.title, row.rank, row.matched, row.detail, row.kind, row.category)
            for row in session.execute(stmt)]


def _hit(source: _Source, fid: int, title: str, rank: int, matched: str, detail, kind, category) -> dict:
    return {"collection": source.collection.id, "id": fid, "title": title, "rank": rank, "matched": matched,
            "detail": detail if detail and detail != title else None, "kind": kind, "category": category,
            "_source": source}


# --- pinyin -----------------------------------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def pinyin_keys(title: str) -> tuple[str, str]:
    """Return ``(initials, syllables)`` of a title, lower case, no spaces or punctuation ("qst", "qingshuitang")."""
    initials = "".join(lazy_pinyin(title, style=Style.FIRST_LETTER, errors="default"))
    syllables = "".join(lazy_pinyin(title, style=Style.NORMAL, errors="default"))
    return _SKIP.sub("", initials).lower(), _SKIP.sub("", syllables).lower()


_PINYIN_CACHE: dict[tuple, tuple[tuple, list[tuple[int, str, str, str]]]] = {}
_PINYIN_LOCK = threading.Lock()


def _pinyin_index(session: Session, source: _Source) -> list[tuple[int, str, str, str]]:
    """Return [(id, title, initials, syllables)] of the source's live titles with Chinese characters (cached)."""
    coll = source.collection
    model = coll.model
    title = cast(source.fields[0][1], String)
    live = (model.deleted_at.is_(None), *coll.scope())
    count = session.scalar(select(func.count()).select_from(model).where(*live))
    if not count or count > PINYIN_MAX_FEATURES:
        return []
    # The fingerprint is a digest of every live (id, title): any write path that changes a title (an API save, an
    # import, a ledger, a restore, plain SQL) changes it, so the index never serves a stale name.
    digest = session.scalar(select(func.md5(func.string_agg(
        func.concat(model.id, ":", title), aggregate_order_by(literal("\n"), model.id)))).where(*live))
    fingerprint = (count, digest)
    key = (coll.id, coll.layer_id, source.fields[0][0])
    with _PINYIN_LOCK:
        cached = _PINYIN_CACHE.get(key)
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    rows = session.execute(select(model.id, title).where(*live, title.is_not(None)).order_by(model.id)).all()
    entries = [(fid, text, *pinyin_keys(text)) for fid, text in rows if text and _CJK.search(text)]
    with _PINYIN_LOCK:
        if len(_PINYIN_CACHE) > 256:
            _PINYIN_CACHE.clear()
        _PINYIN_CACHE[key] = (fingerprint, entries)
    return entries


def _pinyin_hits(session: Session, source: _Source, text: str, limit: int) -> list[dict]:
    query = text.lower()
    found = []
    for fid, title, initials, syllables in _pinyin_index(session, source):
        if initials.startswith(query) or syllables.startswith(query):
            found.append((PINYIN_PREFIX, len(title), fid, title, initials))
        elif query in initials:
            found.append((PINYIN_CONTAINS, len(title), fid, title, initials))
    found.sort()
    if not found:
        return []
    model = source.collection.model
    chosen = found[:limit]
    extra = {row.id: row for row in session.execute(
        select(model.id, source.kind.label("kind"),
               (source.category if source.category is not None else null()).label("category"))
        .where(model.id.in_([f[2] for f in chosen])))}
    return [_hit(source, fid, title, rank, "pinyin", initials.upper(), extra[fid].kind, extra[fid].category)
            for rank, _length, fid, title, initials in chosen if fid in extra]


# --- the search -------------------------------------------------------------------------------------------------

def _category_label(source: _Source, value) -> str | None:
    if value in (None, ""):
        return None
    field = source.collection.field(source.category_field) if source.category_field else None
    if field is not None and field.choices and value in field.choices:
        return pick(*field.choices[value])
    return str(value)


def search(session: Session, role: str | None, query: SearchQuery) -> list[dict]:
    """Return at most ``query.limit`` features matching ``query.text`` in the layers ``role`` may read, best first."""
    pinyin = _PINYIN_QUERY.fullmatch(query.text.lower()) is not None
    hits: dict[tuple[str, int], dict] = {}
    for source in _sources(session):
        if not readable(source.collection, role):
            continue
        found = _text_hits(session, source, query.text, query.limit)
        if pinyin:
            found += _pinyin_hits(session, source, query.text, query.limit)
        for hit in found:
            key = (hit["collection"], hit["id"])
            if key not in hits or hit["rank"] < hits[key]["rank"]:
                hits[key] = hit
    best = sorted(hits.values(), key=lambda h: (h["rank"], len(h["title"]), h["_source"].order, h["id"]))
    best = best[:query.limit]
    boxes: dict[tuple[str, int], list[float]] = {}
    by_collection: dict[str, list[dict]] = {}
    for hit in best:
        by_collection.setdefault(hit["collection"], []).append(hit)
    for cid, group in by_collection.items():
        coll = group[0]["_source"].collection
        for fid, box in locate.feature_boxes(session, coll, [h["id"] for h in group]).items():
            boxes[(cid, fid)] = box
    results = []
    for hit in best:
        source = hit["_source"]
        coll = source.collection
        results.append({
            "collection": coll.id, "id": hit["id"], "title": hit["title"],
            "bbox": boxes.get((coll.id, hit["id"])),
            "layer": pick(coll.title, coll.title_en),
            "kind": hit["kind"], "kind_label": pick(*KIND_LABELS.get(hit["kind"], KIND_LABELS["feature"])),
            "category": _category_label(source, hit["category"]),
            "matched": hit["matched"], "detail": hit["detail"],
            "geometry_type": coll.geometry_type,
        })
    return [r for r in results if r["bbox"] is not None]
