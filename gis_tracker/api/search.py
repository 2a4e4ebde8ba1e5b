"""The map's search box: ``GET /api/search?q=…&limit=…`` over the layers the user may read."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from .. import parsing
from ..db import db
from ..security import current_user
from ..services.features import search as search_service

bp = Blueprint("search_api", __name__, url_prefix="/api")

DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY = 10, 50, 100
PARAMETERS = frozenset({"q", "limit", "lang"})


def parse_search(args) -> search_service.SearchQuery:
    """Return the validated search (400 naming an unknown, missing or malformed parameter)."""
    parsing.known_only(args, PARAMETERS)
    text = parsing.text(args.get("q"), "q", minimum=1, maximum=MAX_QUERY)
    limit = parsing.integer(args.get("limit"), "limit", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    return search_service.SearchQuery(text=text, limit=limit)


@bp.get("/search")
@db.autocommit_reads()  # reads only
def search():
    """Return the features whose name (code, credit code, label, pinyin) matches ``q``, best first."""
    query = parse_search(request.args)
    user = current_user()
    results = search_service.search(db.session, user.role if user else None, query)
    return jsonify({"q": query.text, "limit": query.limit, "numberReturned": len(results), "results": results})
