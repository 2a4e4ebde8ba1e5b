"""Parse untrusted files in a separate process with memory and time limits.

Uploaded files go through GDAL, openpyxl and XML parsers, any of which may
crash, loop or allocate without bound on a malicious or broken file.  So the
reading runs in a child process (``python -m gis_tracker.services.safe_parse``)
with ``RLIMIT_AS`` (memory), ``RLIMIT_CPU``/a wall-clock timeout, a bounded
output file size and a GDAL configuration without the VRT drivers and without
network access.  The app only sees a JSON result, or a 4xx
:class:`~gis_tracker.errors.AppError` with a clear code; the scratch directory
is always removed.

Archives (zipped Shapefiles, KMZ, XLSX) are checked from their central
directory before anything is extracted: no absolute paths, no ``..``, no links,
at most 1,000 members and a compression ratio of at most 100:1; extraction
then counts the bytes actually written.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

from ..config import PROJECT_ROOT
from ..errors import AppError, Unprocessable

LOGGER = logging.getLogger(__name__)

MAX_MEMBERS = 1000
MAX_RATIO = 100.0
MAX_UNCOMPRESSED = 4 * 1024 ** 3
TASKS = {
    "vector": "gis_tracker.importers.preview:run",
    "raster": "gis_tracker.importers.geotiff:ingest",
}
RESULT_LIMIT = 32 * 1024 * 1024


def _problem(code: str, message: str, status: int = 422):
    from .base import ParseProblem
    return ParseProblem(code, message, status)


# ---------------------------------------------------------------- archives

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


# ---------------------------------------------------------------- parent side

def _child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GDAL_", "CPL_", "OGR_"))}
    env.update({
        "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        "GDAL_SKIP": "VRT OGR_VRT",  # VRT can point anywhere (other files, /vsicurl/)
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".forbidden-network-access",
        "GDAL_HTTP_TIMEOUT": "1", "GDAL_HTTP_MAX_RETRY": "0", "PROJ_NETWORK": "OFF",
        "GDAL_PAM_ENABLED": "NO", "CPL_DEBUG": "OFF", "GDAL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "OGR_GEOJSON_MAX_OBJ_SIZE": "0",
    })
    return env


def run(task: str, params: dict, workdir: Path, timeout_s: float = 120, memory_mb: int = 1536) -> dict:
    """Run ``task`` with ``params`` in the isolated child; return its JSON result or raise AppError (4xx)."""
    if task not in TASKS:
        raise ValueError(task)
    workdir.mkdir(parents=True, exist_ok=True)
    request_file, result_file = workdir / "request.json", workdir / "result.json"
    result_file.unlink(missing_ok=True)
    request_file.write_text(json.dumps({"task": task, "params": params}), encoding="utf-8")
    cmd = [sys.executable, "-m", "gis_tracker.importers.safe_parse", str(request_file), str(result_file),
           str(int(memory_mb)), str(int(timeout_s) + 5)]
    try:
        proc = subprocess.run(cmd, cwd=workdir, env=_child_env(), timeout=timeout_s, capture_output=True,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Unprocessable(f"文件解析超时（{int(timeout_s)} 秒）",
                            code="parse_timeout") from None
    if not result_file.exists() or result_file.stat().st_size > RESULT_LIMIT:
        LOGGER.warning("parser child ended without result (rc=%s): %s", proc.returncode,
                       proc.stderr[-2000:].decode("utf-8", "replace"))
        raise Unprocessable("文件无法解析：解析进程异常退出（文件损坏或超出内存限制）", code="parse_crashed")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    if result.get("ok"):
        return result["value"]
    status = int(result.get("status") or 422)
    if not 400 <= status < 500:
        status = 422
    raise AppError(result.get("message") or "文件无法解析",
                   code=result.get("code") or "parse_failed", status=status, details=result.get("details") or {})


def cleanup(path: Path | None) -> None:
    """Remove a scratch directory or file, ignoring what is already gone."""
    if path is None:
        return
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# ---------------------------------------------------------------- child side

def _limit(memory_mb: int, cpu_s: int) -> None:
    import resource
    mem = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_UNCOMPRESSED, MAX_UNCOMPRESSED))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_main(argv: list[str]) -> int:
    """Entry of the child: apply limits, run the task, write ``{"ok", "value" | "code", "message"}``."""
    request_file, result_file, memory_mb, cpu_s = argv[0], argv[1], int(argv[2]), int(argv[3])
    _limit(memory_mb, cpu_s)
    request = json.loads(Path(request_file).read_text(encoding="utf-8"))
    from .base import ParseProblem
    try:
        module_name, func_name = TASKS[request["task"]].split(":")
        fn = getattr(importlib.import_module(module_name), func_name)
        out = {"ok": True, "value": fn(**request["params"])}
    except ParseProblem as exc:
        out = {"ok": False, "code": exc.code, "message": exc.message, "status": exc.status,
               "details": exc.details}
    except MemoryError:
        out = {"ok": False, "code": "parse_memory", "message": "文件解析超出内存限制"}
    except Exception as exc:  # noqa: BLE001 - report any reader failure as an unreadable file
        LOGGER.warning("parse failed: %s", exc, exc_info=True)
        text = str(exc).splitlines()[0][:200] if str(exc) else exc.__class__.__name__
        out = {"ok": False, "code": "unreadable_file",
               "message": f"文件无法读取（可能已损坏或被截断）：{text}"}
    Path(result_file).write_text(json.dumps(out, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
