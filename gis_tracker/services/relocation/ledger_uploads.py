"""Keep an uploaded ledger between its preview and its commit (the browser sends it once)."""
from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path

from ...errors import Unprocessable

FOLDER = "ledger_uploads"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_AGE_S = 24 * 3600


def save(data_dir: Path, filename: str, data: bytes, username: str) -> str:
    """Store an upload and return the token that names it; drop uploads older than a day."""
    folder = Path(data_dir) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*"):
        if old.stat().st_mtime < time.time() - MAX_AGE_S:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"filename": filename[:200], "username": username}),
                                          encoding="utf-8")
    return token


def load(data_dir: Path, token: str, username: str) -> tuple[str, bytes]:
    """Return (filename, bytes) of a stored upload of ``username``."""
    folder = Path(data_dir) / FOLDER
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    if not TOKEN.fullmatch(token or "") or not meta_path.is_file() or not data_path.is_file():
        raise Unprocessable("上传的台账已过期，请重新上传",
                            code="ledger_upload_expired", details={"field": "file"})
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("username") != username:
        raise Unprocessable("上传的台账已过期，请重新上传",
                            code="ledger_upload_expired", details={"field": "file"})
    return meta["filename"], data_path.read_bytes()


def discard(data_dir: Path, token: str) -> None:
    """Delete a stored upload after its commit."""
    if TOKEN.fullmatch(token or ""):
        for suffix in (".bin", ".json"):
            (Path(data_dir) / FOLDER / f"{token}{suffix}").unlink(missing_ok=True)
