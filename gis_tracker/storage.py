"""Where the app keeps its files: one name per data directory, created on first use.

Every directory comes from the configuration (``DATA_DIR``, ``RASTER_DIR``,
``IMPORT_DIR``, ``EXPORT_DIR``; see :mod:`gis_tracker.config`), so a
deployment can put each on its own volume.  Files that hold secrets
(backups, exports of the audit trail) are written with :func:`private_file`.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import current_app

SETTINGS = {
    "files": "DATA_DIR",  # relocation attachments, uploaded ledgers
    "rasters": "RASTER_DIR",  # stored Cloud-Optimized GeoTIFFs
    "imports": "IMPORT_DIR",  # scratch space of open imports
    "exports": "EXPORT_DIR",  # snapshots, meeting packs, interactive maps
}


def directory(kind: str, *parts: str) -> Path:
    """Return the data directory of ``kind`` (joined with ``parts``), created when missing."""
    path = Path(current_app.config[SETTINGS[kind]]).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and readable by the owner only (0600), before anything secret is written to it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)  # an existing file keeps its mode under O_CREAT
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` as an owner-only (0600) file, atomically (a reader never sees half of it)."""
    path = Path(path)
    tmp = private_file(path.with_name(path.name + ".tmp"))
    tmp.write_bytes(data)
    tmp.replace(path)
    return path
