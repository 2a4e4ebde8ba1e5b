"""Keep transition attachments (signed agreements, site photos) safely on disk under DATA_DIR.

Only PDF, JPEG and PNG are accepted, recognised by their first bytes (not by
the name the browser sends); the server chooses the file name, so an upload
can never choose where it is written; files are served back as downloads.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ...errors import NotFound, Unprocessable

LOGGER = logging.getLogger(__name__)

KINDS = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}
"""Accepted kinds: extension -> (content type, magic prefixes)."""
EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "jpeg": "jpg", "png": "png"}
MAX_FILES = 10
KEY_PATTERN = re.compile(r"^attachments/\d{4}/[0-9a-f]{32}\.(pdf|jpg|png)$")


@dataclass(frozen=True)
class Upload:
    """A file as received: the sender's name and its bytes."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class StoredFile:
    """A checked file written to disk."""

    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    storage_key: str


def display_name(raw: str) -> str:
    """Return a safe display name: no path, no control characters, at most 200 characters."""
    name = re.split(r"[\\/]", raw or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return name[-200:] or "file"


def check(upload: Upload, max_bytes: int) -> tuple[str, str]:
    """Return (extension, content type) of an acceptable upload; raise 422 naming the file otherwise."""
    name = display_name(upload.filename)
    ext = EXTENSIONS.get(name.rsplit(".", 1)[-1].lower() if "." in name else "")
    if not upload.data:
        raise Unprocessable(f"附件“{name}”是空文件", code="empty_attachment",
                            details={"field": "attachments"})
    if len(upload.data) > max_bytes:
        raise Unprocessable(f"附件“{name}”超过 {max_bytes // (1024 * 1024)} MB",
                            code="attachment_too_large", details={"field": "attachments"})
    if ext is None or not upload.data.startswith(KINDS[ext][1]):
        raise Unprocessable(f"附件“{name}”不是 PDF、JPEG 或 PNG 文件",
                            code="attachment_type", details={"field": "attachments"})
    return ext, KINDS[ext][0]


def check_all(uploads: list[Upload], max_bytes: int) -> None:
    """Check every upload before anything is written."""
    if len(uploads) > MAX_FILES:
        raise Unprocessable(f"一次最多上传 {MAX_FILES} 个附件",
                            code="too_many_attachments", details={"field": "attachments"})
    for upload in uploads:
        check(upload, max_bytes)


def store(data_dir: Path, upload: Upload, max_bytes: int) -> StoredFile:
    """Write a checked upload under ``data_dir`` (atomically) and describe it."""
    ext, content_type = check(upload, max_bytes)
    key = f"attachments/{date.today().year:04d}/{uuid.uuid4().hex}.{ext}"
    path = Path(data_dir) / key
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_bytes(upload.data)
    os.replace(tmp, path)
    return StoredFile(display_name(upload.filename), content_type, len(upload.data),
                      hashlib.sha256(upload.data).hexdigest(), key)


def remove(data_dir: Path, keys: list[str]) -> None:
    """Delete files written for a transaction that did not commit."""
    for key in keys:
        try:
            (Path(data_dir) / key).unlink(missing_ok=True)
        except OSError:
            LOGGER.warning("could not remove %s", key)


def path_of(data_dir: Path, key: str) -> Path:
    """Return the file of a storage key, refusing anything outside the attachments folder."""
    path = Path(data_dir) / key
    if not KEY_PATTERN.fullmatch(key) or not path.is_file():
        raise NotFound("附件文件不存在", code="attachment_missing")
    return path
