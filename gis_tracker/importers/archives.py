"""Check archives and paths before anything untrusted is opened.

Archives (zipped Shapefiles, KMZ, XLSX) are checked from their central
directory before anything is extracted: no absolute paths, no ``..``, no links,
at most 1,000 members and a compression ratio of at most 100:1; extraction
then counts the bytes actually written.  GDAL virtual paths and URLs are never
read.  Runs inside the isolated parser process (:mod:`.safe_parse`).
"""
from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from .base import ParseProblem

MAX_MEMBERS = 1000
MAX_RATIO = 100.0
MAX_UNCOMPRESSED = 4 * 1024 ** 3


def _problem(code: str, message: str, status: int = 422) -> ParseProblem:
    return ParseProblem(code, message, status)


def _is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return stat.S_ISLNK(mode) if mode else False


def check_archive(path: Path, max_members: int = MAX_MEMBERS, max_ratio: float = MAX_RATIO,
                  max_total: int = MAX_UNCOMPRESSED) -> list[zipfile.ZipInfo]:
    """Return the members of a zip archive after checking its directory; raise ParseProblem if unsafe."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _problem("bad_archive", "压缩包已损坏或不是 zip 文件") from None
    if len(members) > max_members:
        raise _problem("archive_too_many_members",
                       f"压缩包含 {len(members)} 个文件，超过上限 {max_members}")
    total = packed = 0
    for info in members:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise _problem("archive_unsafe_path",
                           f"压缩包含不安全的路径 {name[:80]!r}（绝对路径或 ..）")
        if _is_link(info):
            raise _problem("archive_link", f"压缩包含链接 {name[:80]!r}")
        total += info.file_size
        packed += info.compress_size
        if info.file_size > max_ratio * max(info.compress_size, 1) and info.file_size > 1024 * 1024:
            raise _problem("archive_bomb", f"压缩比异常（{name[:60]!r}），疑似压缩炸弹")
    if total > max_total or (total > 1024 * 1024 and total > max_ratio * max(packed, 1)):
        raise _problem("archive_bomb", f"解压后过大或压缩比超过 {int(max_ratio)}:1，疑似压缩炸弹")
    return members


def extract_archive(path: Path, dest: Path, members: list[zipfile.ZipInfo],
                    max_total: int = MAX_UNCOMPRESSED) -> list[Path]:
    """Extract checked members into ``dest`` (flattening nothing), counting real bytes written."""
    written, out = 0, []
    dest = dest.resolve()
    with zipfile.ZipFile(path) as archive:
        for info in members:
            if info.is_dir():
                continue
            target = (dest / info.filename.replace("\\", "/")).resolve()
            if dest not in target.parents:
                raise _problem("archive_unsafe_path", "压缩包含不安全的路径")
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, open(target, "wb") as dst:
                    while chunk := src.read(1024 * 1024):
                        written += len(chunk)
                        if written > max_total or written > MAX_RATIO * max(path.stat().st_size, 1) + 1024 * 1024:
                            raise _problem("archive_bomb", "解压数据量超过限制，疑似压缩炸弹")
                        dst.write(chunk)
            except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
                if isinstance(exc, OSError) and exc.errno == 27:  # EFBIG from RLIMIT_FSIZE
                    raise _problem("archive_bomb", "解压数据过大") from None
                raise _problem("bad_archive", f"压缩包已损坏（{exc.__class__.__name__}）") \
                    from None
            out.append(target)
    return out


def check_local_path(path: str | Path) -> None:
    """Refuse GDAL virtual paths (``/vsicurl/``, ``/vsizip/`` …) and URLs: only plain local files are read."""
    text = str(path).strip().lower()
    if text.startswith("/vsi") or "://" in text or text.startswith(("http:", "https:", "ftp:")):
        raise _problem("network_path", "不允许网络或虚拟路径", 400)
