"""Extension point: other capabilities react to feature writes inside the same transaction.

A hook is ``fn(session, collection_id, feature_id, action, username) -> dict | None``
(``username``: who made the write, for the records the hook writes in turn);
what it returns is merged into the write's response (e.g. encroachment
flags of a saved project).  Hooks must not commit.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

AfterWrite = Callable[[Session, str, int, str, str], "dict | None"]
_AFTER_WRITE: list[AfterWrite] = []


def register_after_write(fn: AfterWrite) -> AfterWrite:
    """Register ``fn`` to run after every feature create/update/delete/restore."""
    if fn not in _AFTER_WRITE:
        _AFTER_WRITE.append(fn)
    return fn


def run_after_write(session: Session, collection_id: str, feature_id: int, action: str, username: str) -> dict:
    """Run every hook and merge their results."""
    extra: dict = {}
    for fn in _AFTER_WRITE:
        result = fn(session, collection_id, feature_id, action, username)
        if result:
            extra.update(result)
    return extra


AfterBulk = Callable[[Session, str, str], "dict | None"]
_AFTER_BULK: list[AfterBulk] = []


def register_after_bulk(fn: AfterBulk) -> AfterBulk:
    """Register ``fn(session, collection_id, username)`` to run after a bulk change (import, re-import)."""
    if fn not in _AFTER_BULK:
        _AFTER_BULK.append(fn)
    return fn


def run_after_bulk(session: Session, collection_id: str, username: str) -> dict:
    """Run every bulk hook for ``collection_id`` and merge their results (e.g. a change report)."""
    extra: dict = {}
    for fn in _AFTER_BULK:
        result = fn(session, collection_id, username)
        if result:
            extra.update(result)
    return extra


BulkCheck = Callable[[Session, str, list, str], "dict | None"]
_BULK_CHECKS: list[BulkCheck] = []


def register_bulk_check(fn: BulkCheck) -> BulkCheck:
    """Register ``fn(session, collection_id, feature_ids, username)``: run on bulk-inserted rows before commit.

    Unlike the after-bulk hooks, these run inside the import's transaction and
    may refuse it by raising (e.g. the review gate for projects): then nothing
    of the import is stored.
    """
    if fn not in _BULK_CHECKS:
        _BULK_CHECKS.append(fn)
    return fn


def run_bulk_checks(session: Session, collection_id: str, feature_ids: list[int], username: str) -> dict:
    """Run every bulk check on rows about to be committed and merge their results."""
    extra: dict = {}
    for fn in _BULK_CHECKS:
        result = fn(session, collection_id, feature_ids, username)
        if result:
            extra.update(result)
    return extra
