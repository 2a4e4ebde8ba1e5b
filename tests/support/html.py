"""Read what a page shows without a browser: the rows of a table, with their data attributes and text."""
from __future__ import annotations

from html.parser import HTMLParser


class _Rows(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth, self.rows, self.cell = table_id, 0, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.depth = 1
        elif self.depth and tag == "table":
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append({"attrs": attrs, "cells": []})
        elif self.depth and tag in ("td", "th") and self.rows:
            self.cell = []
        elif self.depth and tag == "a" and self.cell is not None:
            self.rows[-1].setdefault("links", []).append(attrs.get("href"))

    def handle_endtag(self, tag):
        if self.depth and tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1]["cells"].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif self.depth and tag == "table":
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, table_id: str) -> list[dict]:
    """Return the body rows of table ``#table_id``: ``{"attrs": {...}, "cells": [text, ...], "links": [...]}``."""
    parser = _Rows(table_id)
    parser.feed(html)
    return [r for r in parser.rows if r["cells"] and not all(c == "" for c in r["cells"])][1:]
