"""Where an import's files wait between its upload and its commit: one folder per upload under IMPORT_DIR.

The upload (``source.*``) and the features the isolated parser read from it
(``features.json``) stay there until the import is committed, cancelled or
expired; then the folder goes.  Both the preview side (:mod:`.imports`) and
the commit (:mod:`.import_commit`) use these paths.
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import storage
from ...importers import safe_parse
from ...models import DataImport

LOGGER = logging.getLogger(__name__)
OPEN_STATES = ("previewed", "committing")  # an import in these states still needs its files


def folder(record: DataImport) -> Path:
    """Return the folder of ``record``'s files."""
    return storage.directory("imports") / record.token


def features_file(record: DataImport) -> Path:
    """Return the normalised-features file the parser wrote for ``record``."""
    return folder(record) / "features.json"


def remove(record: DataImport) -> None:
    """Delete ``record``'s files (after its commit, cancel or expiry)."""
    safe_parse.cleanup(folder(record))


def _newest_change(path: Path) -> float:
    """Return the newest modification time of ``path`` and everything in it (a running upload keeps writing)."""
    newest = path.stat().st_mtime
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            try:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
            except FileNotFoundError:
                pass
    return newest


def sweep(session: Session, min_age_s: float) -> int:
    """Remove folders under IMPORT_DIR no open import needs; return how many.

    A folder whose import is closed (committed, cancelled, failed, expired) goes
    at once; a folder no import row names (an upload or raster upload killed
    before it was recorded, scratch space of a dead process) goes once nothing
    in it has changed for ``min_age_s`` — an upload in progress writes its
    folder before its row exists.
    """
    root = storage.directory("imports")
    folders = [p for p in root.iterdir() if p.is_dir()]
    if not folders:
        return 0
    states = dict(session.execute(select(DataImport.token, DataImport.status)
                                  .where(DataImport.token.in_([p.name for p in folders]))).all())
    session.commit()  # ends the read's transaction: files go without holding anything
    now, removed = time.time(), 0
    for folder in folders:
        state = states.get(folder.name)
        if state in OPEN_STATES:
            continue
        try:
            if state is None and now - _newest_change(folder) < min_age_s:
                continue
        except FileNotFoundError:
            continue
        safe_parse.cleanup(folder)
        removed += 1
    if removed:
        LOGGER.info("removed %d import folders no open import needs", removed)
    return removed
