"""Import vector files: upload → preview → options and field mapping → commit (all features or none).

The uploaded file is kept in a scratch directory under ``IMPORT_DIR`` only
while its import is open; it is read by the isolated parser
(:mod:`.safe_parse`), which also writes the normalised features.  A failed
upload stores nothing.  The commit runs as a background job (inline for small
files) in :mod:`.import_commit`.  Users see their own imports (admins all),
so they can leave the page and come back.
"""
from __future__ import annotations

import logging
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import access, importers, storage
from ...errors import BadParameter, Conflict, Forbidden, NotFound, Unprocessable
from ...i18n import gettext as _
from ...importers import safe_parse
from ...models import DataImport, Job, UserLayer
from ...rules import layer_specs
from ...spatial import validate
from ..features import catalog, writes
from ..platform import jobs
from . import import_commit, import_files

LOGGER = logging.getLogger(__name__)
OPEN_STATES = ("previewed",)
# Usual Chinese column names → field names for a new layer (anything else: pinyin, see layer_specs.ascii_identifier).
KNOWN_NAMES = {"名称": "name", "名字": "name", "编码": "code", "代码": "code", "编号": "code", "类型": "kind",
               "类别": "category", "面积": "area", "备注": "remark", "说明": "description", "地址": "address",
               "人口": "population", "状态": "status", "日期": "date", "级别": "tier", "所属片区": "zone"}


def _source(directory: Path) -> Path:
    found = [p for p in directory.iterdir() if p.name.startswith("source")]
    if not found:
        raise Conflict("导入文件已不存在，请重新上传", code="import_gone")
    return found[0]


def _parse(session: Session, directory: Path, source: Path, fmt: str, options: dict) -> dict:
    cfg = current_app.config
    try:
        return safe_parse.run("vector", {
            "source": str(source), "fmt": fmt, "workdir": str(directory / "work"),
            "features_out": str(directory / "features.json"), "options": options,
            "district": list(writes.district_bounds(session)),
            "max_vertices": int(cfg.get("MAX_VERTICES", 100000)),
        }, directory, timeout_s=cfg["PARSE_TIMEOUT_S"], memory_mb=cfg["PARSE_MEMORY_MB"])
    finally:
        safe_parse.cleanup(directory / "work")
        for name in ("request.json", "result.json"):
            safe_parse.cleanup(directory / name)


def _check_upload_role(user) -> None:
    if user.role not in access.EDITORS:
        raise Forbidden("您的角色不能导入数据", code="forbidden_import")


def _importer_for(filename: str, fmt: str | None) -> tuple[importers.Importer, str]:
    importer = importers.get(fmt) if fmt else importers.for_filename(filename)
    if importer is None:
        accepted = "、".join(importers.accepted_extensions())
        raise BadParameter(f"不支持的文件类型，可导入：{accepted}", code="unsupported_format",
                           details={"accepted": importers.accepted_extensions()})
    if importer.kind != "vector":
        raise BadParameter("GeoTIFF 等栅格请在“栅格”页面上传",
                           code="raster_upload")
    lower = filename.lower()
    ext = max((e for e in importer.extensions if lower.endswith(e)), key=len, default=importer.extensions[0])
    return importer, ext


def upload(session: Session, user, filename: str, stream: BinaryIO, options: dict | None = None,
           fmt: str | None = None) -> DataImport:
    """Store an upload, parse it in isolation and keep its preview; on any problem store nothing."""
    _check_upload_role(user)
    jobs.reap_stale(session)
    expire_stale(session)  # also sweeps orphaned folders
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:255]
    if not filename:
        raise BadParameter("请选择要上传的文件", code="no_file")
    importer, ext = _importer_for(filename, fmt)
    clean = importers.ImportOptions.from_dict(options).as_dict()
    token = uuid.uuid4().hex
    directory = storage.directory("imports") / token
    directory.mkdir()
    try:
        source = directory / f"source{ext}"
        with open(source, "wb") as out:
            shutil.copyfileobj(stream, out, 1024 * 1024)
        size = source.stat().st_size
        if size == 0:
            raise BadParameter("文件为空", code="empty_file")
        preview = _parse(session, directory, source, importer.name, clean)
    except BaseException:
        safe_parse.cleanup(directory)
        raise
    record = DataImport(username=user.username, filename=filename, format=importer.name, size_bytes=size,
                        status="previewed", token=token, options=clean, preview=preview)
    session.add(record)
    session.commit()
    LOGGER.info("import %s previewed: %s (%s features) by %s", record.id, filename,
                preview.get("feature_count"), user.username)
    return record


def _orphan_age_s() -> float:
    """How long an unrecorded folder must sit untouched before it counts as orphaned (10 min, or 3 parses)."""
    return max(600.0, 3 * float(current_app.config.get("PARSE_TIMEOUT_S", 120)))


def reap(session: Session) -> list[int]:
    """Report dead commit jobs at once (reopening their imports) and remove the files nobody needs any more."""
    reaped = jobs.reap_stale(session)
    if reaped:
        import_files.sweep(session, _orphan_age_s())
    return reaped


def get(session: Session, user, import_id: int) -> DataImport:
    """Return an import the user may see (their own; admins any)."""
    reap(session)  # an import whose commit job died is reopened at once, not left "committing"
    record = session.get(DataImport, import_id)
    if record is None or (user.role != "admin" and record.username != user.username):
        raise NotFound("导入记录不存在", code="unknown_import")
    session.refresh(record)
    return record


def list_for(session: Session, user, limit: int = 50) -> list[DataImport]:
    """Return the user's imports, newest first (admins see everyone's)."""
    reap(session)
    stmt = select(DataImport).order_by(DataImport.id.desc()).limit(limit)
    if user.role != "admin":
        stmt = stmt.where(DataImport.username == user.username)
    return list(session.scalars(stmt))


def _open(session: Session, user, import_id: int, lock: bool = True) -> DataImport:
    record = get(session, user, import_id)
    if lock:  # re-read under the lock: the status may have changed (commit, cancel, expiry) meanwhile
        session.refresh(record, with_for_update=True)
    if record.status not in OPEN_STATES:
        raise Conflict(f"该导入当前状态为“{record.status}”，不能再修改",
                       code="import_closed")
    return record


def set_options(session: Session, user, import_id: int, options: dict) -> DataImport:
    """Parse the upload again with new options (CRS, encoding, layer, columns) and keep the new preview."""
    record = _open(session, user, import_id)
    clean = importers.ImportOptions.from_dict({**record.options, **(options or {})}).as_dict()
    directory = import_files.folder(record)
    safe_parse.cleanup(directory / "features.json")
    record.preview = _parse(session, directory, _source(directory), record.format, clean)
    record.options = clean
    record.message = record.error_code = None
    record.updated_at = datetime.now(UTC)
    session.commit()
    return record


def expire_stale(session: Session, hours: float | None = None) -> int:
    """Close previews left open longer than ``hours`` (IMPORT_PREVIEW_HOURS) and remove their files.

    An upload keeps its file and parsed features under IMPORT_DIR until it is
    committed or cancelled; previews people walk away from would otherwise stay
    for ever.  Runs at every upload (cheap: a handful of rows) and from
    ``flask --app app layers expire-previews``.  Returns how many were closed.
    """
    hours = float(current_app.config.get("IMPORT_PREVIEW_HOURS", 72)) if hours is None else hours
    if not hours > 0:
        raise BadParameter("小时数必须为正数", code="bad_hours")
    cutoff = datetime.now(UTC) - timedelta(hours=hours)
    stale = list(session.scalars(select(DataImport).where(DataImport.status.in_(OPEN_STATES),
                                                          DataImport.updated_at < cutoff)
                                 .with_for_update(skip_locked=True)))
    for record in stale:
        record.status = "expired"
        record.message = _(f"预览超过 {hours:g} 小时未导入，已清理，请重新上传")
        record.updated_at = datetime.now(UTC)
    session.commit()
    for record in stale:  # after the commit: a concurrent commit of one of them now sees "expired"
        import_files.remove(record)
    if stale:
        LOGGER.info("expired %d import previews older than %g h", len(stale), hours)
    import_files.sweep(session, _orphan_age_s())  # and folders left by a crash or a killed command
    return len(stale)


def cancel(session: Session, user, import_id: int) -> DataImport:
    """Abandon an open import and remove its files."""
    record = _open(session, user, import_id)
    record.status = "cancelled"
    record.updated_at = datetime.now(UTC)
    session.commit()
    import_files.remove(record)
    return record


def suggest_field_name(source: str, used: set[str], index: int) -> str:
    """Return a valid field name for a source column: a known Chinese name (名称 → name), else an ASCII
    identifier (pinyin for Chinese: 所属企业 → suo_shu_qi_ye), else f_<n>; the column title stays the label."""
    candidate = KNOWN_NAMES.get(source.strip()) or layer_specs.ascii_identifier(source)
    if (not candidate or not layer_specs.FIELD_NAME.fullmatch(candidate)
            or candidate in layer_specs.RESERVED_FIELD_NAMES):
        candidate = f"f_{index + 1}"
    name, n = candidate[:60], 2
    while name in used:
        name, n = f"{candidate[:56]}_{n}", n + 1
    used.add(name)
    return name


def default_new_fields(preview: dict) -> list[dict]:
    """Return the new-layer fields proposed for a preview (every source column kept)."""
    used: set[str] = set()
    return [{"source": f["name"], "name": suggest_field_name(f["name"], used, i), "label": f["name"][:100],
             "type": f["type"]} for i, f in enumerate(preview.get("fields", []))]


def default_mapping(preview: dict, coll: catalog.Collection) -> dict[str, str]:
    """Match source columns to a collection's editable fields by name or Chinese label."""
    mapping = {}
    for f in preview.get("fields", []):
        target = next((t for t in coll.fields if t.editable and f["name"] in (t.name, t.label, t.label_en)), None)
        if target is not None:
            mapping[f["name"]] = target.name
    return mapping


def _check_features(preview: dict, repair: bool) -> None:
    if preview.get("needs_crs"):
        raise Unprocessable("文件没有坐标系信息，请先选择坐标系（不会自动猜测）", code="crs_required")
    if not preview.get("feature_count"):
        raise Unprocessable("文件中没有要素", code="no_features")
    if not preview.get("problem_count") or (repair and preview.get("repairable_only")):
        return
    problems = preview.get("problems") or []
    code = "invalid_geometry" if preview.get("repairable_only") else "invalid_features"
    raise Unprocessable(f"{preview.get('error_features')} 个要素未通过检查，未导入任何数据（见校验报告）",
                        code=code, details={"problems": [p for p in problems
                                                         if not (repair and p.get("repairable"))][:20]})


def _plan_new_layer(session: Session, user, record: DataImport, body: dict) -> dict:
    if user.role not in access.LAYER_EDITORS:
        raise Forbidden("只有规划人员和管理员可以新建图层",
                        code="forbidden_layer_admin")
    taken = set(catalog.collections()) | set(session.scalars(select(UserLayer.name)))
    fields = body.get("fields")
    if fields is None:
        fields = default_new_fields(record.preview)
    sources = {f["name"] for f in record.preview.get("fields", [])}
    if not isinstance(fields, list) or any(not isinstance(f, dict) or f.get("source") not in sources for f in fields):
        raise BadParameter("字段映射无效：每个字段须指明源列 source",
                           code="bad_mapping")
    try:
        name = layer_specs.check_name(body.get("name"), taken)
        title = layer_specs.check_text(body.get("title") or name, "title", "图层标题", layer_specs.MAX_TITLE, True)
        specs = layer_specs.check_fields([{k: v for k, v in f.items() if k != "source"} for f in fields])
    except layer_specs.LayerSpecProblem as problem:
        raise Unprocessable(problem.message, code="invalid_layer", details={"field": problem.field}) from None
    geometry_type = record.preview.get("geometry_type") or "Geometry"
    return {"kind": "new", "name": name, "title": title, "title_en": body.get("title_en") or None,
            "geometry_type": geometry_type, "fields": specs,
            "mapping": {f["source"]: spec["name"] for f, spec in zip(fields, specs)}}


def _plan_existing(session: Session, user, record: DataImport, target: str, body: dict) -> dict:
    coll = catalog.get(target, session)
    if coll is None:
        raise NotFound(f"图层 {target[:60]!r} 不存在", code="unknown_collection")
    if user.role not in coll.write_roles or not coll.may_create(user.role):
        raise Forbidden(f"您的角色无权向图层“{coll.title}”导入",
                        code="forbidden_layer")
    mapping = body.get("mapping")
    if mapping is None:
        mapping = default_mapping(record.preview, coll)
    sources = {f["name"] for f in record.preview.get("fields", [])}
    if not isinstance(mapping, dict):
        raise BadParameter("mapping 必须是对象 {源列: 目标字段}", code="bad_mapping")
    mapping = {k: v for k, v in mapping.items() if v}
    for source, dest in mapping.items():
        field = coll.field(dest) if isinstance(dest, str) else None
        if source not in sources or field is None or not field.editable:
            raise Unprocessable(f"字段映射无效：{str(source)[:40]} → {str(dest)[:40]}",
                                code="bad_mapping", details={"field": str(source)[:60]})
    if len(set(mapping.values())) != len(mapping):
        raise Unprocessable("多个源列映射到同一字段", code="bad_mapping")
    missing = [f.name for f in coll.fields if f.required and f.editable and f.name not in mapping.values()]
    if missing:
        raise Unprocessable(f"必填字段未映射：{', '.join(missing)}", code="required_unmapped",
                            details={"fields": missing})
    allowed = validate.GEOMETRY_FAMILIES.get(coll.geometry_type, {coll.geometry_type})
    wrong = [k for k in record.preview.get("geometry_types", {}) if k not in allowed]
    if wrong:
        raise Unprocessable(f"图层“{coll.title}”要求 {coll.geometry_type}，文件含 {', '.join(wrong)}",
                            code="wrong_geometry_type")
    return {"kind": "existing", "collection": coll.id, "mapping": mapping}


def commit(session: Session, user, import_id: int, body: dict | None,
           wait: bool | None = None) -> tuple[DataImport, Job]:
    """Check the mapping and start the commit job (inline for small files); return the import and job."""

    body = body if isinstance(body, dict) else {}
    record = _open(session, user, import_id)
    repair = bool(body.get("repair"))
    _check_features(record.preview, repair)
    target = str(body.get("target") or "new")
    plan = (_plan_new_layer(session, user, record, body) if target == "new"
            else _plan_existing(session, user, record, target, body))
    plan["repair"] = repair
    if not import_files.features_file(record).exists():
        raise Conflict("导入文件已不存在，请重新上传", code="import_gone")
    record.status = "committing"
    record.target = plan.get("collection") or plan.get("name")
    record.mapping = plan
    record.message = record.error_code = None
    record.updated_at = datetime.now(UTC)
    inline = wait if wait is not None else (
        record.preview.get("feature_count", 0) <= current_app.config["IMPORT_INLINE_FEATURES"])

    def link(job: Job) -> None:  # "committing" and its job become visible together, before any work
        record.job_id = job.id

    job = jobs.start(session, "import", import_commit.run, {"import_id": record.id}, user.username, wait=inline,
                     link=link)
    session.refresh(record)
    return record, job


def as_dict(record: DataImport, with_preview: bool = True) -> dict:
    """Return the JSON view of an import."""
    out = {"id": record.id, "filename": record.filename, "format": record.format, "status": record.status,
           "size_bytes": record.size_bytes, "username": record.username, "options": record.options,
           "target": record.target, "job_id": record.job_id, "result": record.result,
           "error_code": record.error_code, "message": record.message,
           "feature_count": (record.preview or {}).get("feature_count"),
           "created_at": record.created_at.isoformat() if record.created_at else None}
    if with_preview:
        out["preview"] = record.preview
    return out
