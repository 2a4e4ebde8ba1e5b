"""Where an import's files wait between its upload and its commit: one folder per upload under IMPORT_DIR.

The upload (``source.*``) and the features the isolated parser read from it
(``features.json``) stay there until the import is committed, cancelled or
expired; then the folder goes.  Both the preview side (:mod:`.imports`) and
the commit (:mod:`.import_commit`) use these paths.
"""
from __future__ import annotations

from pathlib import Path

from ... import storage
from ...importers import safe_parse
from ...models import DataImport


def folder(record: DataImport) -> Path:
    """Return the folder of ``record``'s files."""
    return storage.directory("imports") / record.token


def features_file(record: DataImport) -> Path:
    """Return the normalised-features file the parser wrote for ``record``."""
    return folder(record) / "features.json"


def remove(record: DataImport) -> None:
    """Delete ``record``'s files (after its commit, cancel or expiry)."""
    safe_parse.cleanup(folder(record))
