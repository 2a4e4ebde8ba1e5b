"""Make exports (snapshots, interactive maps, meeting packs), keep their files and record each one.

Every export is stored under ``EXPORT_DIR`` (``var/exports`` by default) by
content hash and recorded in ``exports`` with who asked, when, the parameters,
the file's sha256 and size, and an audit entry, so a past meeting's map can be
downloaded again exactly as it was.  From the web the work runs as a
background job (:mod:`..platform.jobs`) whose result names the export.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import storage
from ...db import db
from ...errors import BadParameter, NotFound
from ...i18n import gettext as _
from ...i18n import pick
from ...models import Export, Zone
from ..accounts import audit
from ..features import catalog
from ..platform import jobs
from . import compare_export, html_snapshot, meeting_pack, snapshot, snapshot_data

LOGGER = logging.getLogger(__name__)
KINDS = ("snapshot", "html", "meeting_pack", "compare")
EXTENSIONS = {"png": "png", "pdf": "pdf", "html": "html"}


def _download_name(title: str, fmt: str, made: date) -> str:
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", title).strip("._") or "export"
    return f"{stem[:60]}_{made.strftime('%Y%m%d')}.{EXTENSIONS[fmt]}"


def store(session: Session, *, kind: str, fmt: str, title: str, params: dict, content: bytes,
          username: str | None) -> Export:
    """Write ``content`` under the export directory and record it (commits)."""
    digest = hashlib.sha256(content).hexdigest()
    now = datetime.now(UTC)
    relative = f"{now:%Y/%m}/{digest[:16]}-{uuid.uuid4().hex[:8]}.{EXTENSIONS[fmt]}"
    target = storage.directory("exports") / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(content)
    os.replace(tmp, target)  # atomic: a download never sees half a file
    row = Export(kind=kind, format=fmt, title=title[:200], params=audit.jsonable(params), username=username,
                 file_path=relative, filename=_download_name(title, fmt, now.date()), sha256=digest,
                 size_bytes=len(content))
    session.add(row)
    session.flush()
    audit.record(session, username=username, action="export", object_type="export", object_id=row.id,
                 after={"kind": kind, "format": fmt, "title": title, "params": params, "sha256": digest,
                        "size_bytes": len(content)})
    session.commit()
    LOGGER.info("export %s stored: %s %s (%d bytes)", row.id, kind, fmt, len(content))
    return row


def validate(session: Session, kind: str, params: dict) -> dict:
    """Check export parameters before any work starts; return them normalised."""
    if kind not in KINDS:
        raise BadParameter(f"未知导出类型 {str(kind)[:30]!r}", code="bad_kind")
    if kind == "meeting_pack":
        as_of = snapshot.parse_date((params or {}).get("as_of"), "as_of")
        if as_of and as_of > date.today():
            raise BadParameter("截至日期不能晚于今天", code="bad_date")
        title = str((params or {}).get("title") or "").strip()
        return {"as_of": as_of.isoformat() if as_of else None, "title": title[:80] or None}
    if kind == "compare":  # then vs now: dates A and B (services/planning/compare.py checks them)
        fmt = (params or {}).get("format") or "pdf"
        if fmt not in ("pdf", "png"):
            raise BadParameter("今昔对比只能导出 PDF 或 PNG", code="bad_format", details={"parameter": "format"})
        start, end = compare_export.compare.check_range(snapshot.parse_date((params or {}).get("from"), "from"),
                                                        snapshot.parse_date((params or {}).get("to"), "to"))
        return {"from": start.isoformat(), "to": end.isoformat(), "format": fmt}
    req = snapshot.SnapshotRequest.from_params(params)
    if kind == "html" and req.fmt != "html":
        req = snapshot.with_defaults(req, fmt="html")
    if kind == "snapshot" and req.fmt == "html":
        kind = "html"
    snapshot.resolve_extent(session, req)  # unknown zone -> 404 now, not in the job
    snapshot_data.ordered_layer_ids(session, req.layers or None)
    if req.map_date is None:  # stored with the export, so the same parameters make the same file later
        req = snapshot.with_defaults(req, map_date=date.today())
    return req.to_params()


def produce(session: Session, kind: str, params: dict, username: str | None, progress=None) -> Export:
    """Render one export and store it; ``progress(percent, message)`` is told how far it got."""
    progress = progress or (lambda percent, message=None: None)
    params = validate(session, kind, params)
    if kind == "meeting_pack":
        as_of = date.fromisoformat(params["as_of"]) if params.get("as_of") else date.today()
        content = meeting_pack.render(session, as_of, progress=progress, title=params.get("title"))
        title = params.get("title") or meeting_pack.default_title(as_of)
        return store(session, kind=kind, fmt="pdf", title=title, params=params, content=content, username=username)
    if kind == "compare":
        start, end = date.fromisoformat(params["from"]), date.fromisoformat(params["to"])
        content = compare_export.render(session, start, end, params["format"], progress)
        return store(session, kind=kind, fmt=params["format"], title=compare_export.default_title(start, end),
                     params=params, content=content, username=username)
    req = snapshot.SnapshotRequest.from_params(params)
    progress(10, _("读取图层"))
    if req.fmt == "html":
        content = html_snapshot.render(session, req)
        kind = "html"
    else:
        content = snapshot.render(session, req).content
        kind = "snapshot"
    progress(90, _("保存文件"))
    return store(session, kind=kind, fmt=req.fmt, title=req.title, params=params, content=content,
                 username=username)


def _run_job(progress, kind: str, params: dict, username: str | None) -> dict:
    row = produce(db.session, kind, params, username, progress)
    result = as_dict(row)
    result["download_url"] = f"/api/exports/{row.id}/file"  # no request here to build it with url_for
    return result


def start(session: Session, kind: str, params: dict, username: str | None):
    """Validate, then make the export in a background job; return the job."""
    normalised = validate(session, kind, params)
    if kind == "snapshot" and normalised.get("format") == "html":
        kind = "html"
    return jobs.start(session, f"export_{kind}", _run_job,
                      {"kind": kind, "params": normalised, "username": username}, username)


def history(session: Session, limit: int = 100) -> list[Export]:
    """Return the latest exports, newest first."""
    return list(session.scalars(select(Export).order_by(Export.created_at.desc(), Export.id.desc()).limit(limit)))


def get(session: Session, export_id: int) -> Export:
    """Return one export (404 if unknown)."""
    row = session.get(Export, export_id)
    if row is None:
        raise NotFound("导出记录不存在", code="unknown_export")
    return row


def file_of(row: Export) -> Path:
    """Return the stored file of an export (404 if it has been removed from disk)."""
    base = storage.directory("exports").resolve()
    path = (base / row.file_path).resolve()
    if base not in path.parents or not path.is_file():
        raise NotFound("导出文件已不存在", code="export_file_missing")
    return path


def as_dict(row: Export) -> dict:
    """Return the JSON view of an export."""
    return {"id": row.id, "kind": row.kind, "format": row.format, "title": row.title, "params": row.params,
            "username": row.username, "created_at": row.created_at.isoformat() if row.created_at else None,
            "filename": row.filename, "sha256": row.sha256, "size_bytes": row.size_bytes}


def _zone_groups(zones) -> list[dict]:
    """Group the zone menu by 片区: each 片区 first (the whole zone), then its sub-areas by code."""
    def option(z, whole: bool) -> dict:
        title = pick(z.name, z.name_en or z.name)
        return {"name": z.name, "level": z.level, "title": _(f"{title}（整个片区）") if whole else title}
    tops = [z for z in zones if z.level == "zone" or z.parent_id is None]
    top_ids = {z.id for z in tops}
    groups = [{"title": pick(z.name, z.name_en or z.name), "zones": [option(z, True)] + [
        option(s, False) for s in zones if s.parent_id == z.id and s.id not in top_ids]} for z in tops]
    orphans = [option(s, False) for s in zones if s.id not in top_ids and s.parent_id not in top_ids]
    if orphans:
        groups.append({"title": _("其他"), "zones": orphans})
    return groups


def form_options(session: Session) -> dict:
    """Return what the export form offers: zones by name, layers by id and title, papers, dpis."""
    zones = session.execute(select(Zone.id, Zone.parent_id, Zone.name, Zone.name_en, Zone.level)
                            .where(Zone.deleted_at.is_(None)).order_by(Zone.level.desc(), Zone.code)).all()
    available = catalog.all_collections(session)
    order = [c for c in snapshot_data.LAYER_ORDER if c in available] + \
            [c for c in available if c not in snapshot_data.LAYER_ORDER]
    return {"zones": [{"name": z.name, "level": z.level} for z in zones], "zone_groups": _zone_groups(zones),
            "layers": [{"id": c, "title": pick(available[c].title, available[c].title_en),
                        "default": c in snapshot_data.LAYER_ORDER} for c in order],
            "papers": list(snapshot.cartography.PAPER_MM), "dpis": [96, 150, 300],
            "today": date.today().isoformat()}
