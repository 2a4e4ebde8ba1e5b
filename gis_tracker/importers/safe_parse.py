"""Parse untrusted files in a separate process with memory and time limits.

Uploaded files go through GDAL, openpyxl and XML parsers, any of which may
crash, loop or allocate without bound on a malicious or broken file.  So the
reading runs in a child process (``python -m gis_tracker.importers.safe_parse``)
with ``RLIMIT_AS`` (memory), ``RLIMIT_CPU``/a wall-clock timeout, a bounded
output file size and a GDAL configuration without the VRT drivers and without
network access.  The app only sees a JSON result, or a 4xx
:class:`~gis_tracker.errors.AppError` with a clear code; the scratch directory
is always removed.

Archives are checked before extraction (:mod:`.archives`).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..config import PROJECT_ROOT
from ..errors import AppError, Unprocessable
from . import geotiff, preview
from .archives import MAX_UNCOMPRESSED
from .base import ParseProblem

LOGGER = logging.getLogger(__name__)

TASKS = {"vector": preview.run, "raster": geotiff.ingest}
"""What the child process can be asked to do, by name (the parent sends the name, never code)."""
RESULT_LIMIT = 32 * 1024 * 1024


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
    try:
        out = {"ok": True, "value": TASKS[request["task"]](**request["params"])}
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
