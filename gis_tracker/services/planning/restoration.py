"""Ecological restoration within one year of completion, for projects and for Qingshuitang enterprise sites.

"因工程建设等造成山体、土壤、水体及河湖岸线损毁的，应在工程竣工一年内完成生态修复" (二(三)4(2)).

* A project needs restoration when the planner says so (``restoration_required``); while the planner has
  not decided, the system's proposal counts: the project overlaps a water body or a protected area, or
  lies on slopes steeper than ``RESTORATION_SLOPE_DEG`` (25°) on the latest DEM.  Protected areas count when
  they are ecological land (绿心, 饮用水水源保护区, 森林公园), not a 畜禽禁养区.  The proposal is kept in
  ``restoration_checks`` and refreshed on every project save, after imports and bulk changes of projects,
  water or protected areas, and by ``flask --app app notify scan``.
* The due date is the completion date (竣工日期) plus one year; restoration is recorded with its date,
  at least one evidence file and who recorded it (:func:`record`).
* An enterprise site gets a 场地调查与修复 due date when the office sets a term: so many months after
  停产 or 设备拆除; the site counts as restored when it is accepted (验收销号).
"""
from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import shapely
from flask import current_app
from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ... import access
from ...db import WGS84
from ...errors import (
    BadParameter,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    Unprocessable,
)
from ...i18n import pick
from ...models import Enterprise, Project, Raster, RestorationCheck, RestorationEvidence, User, Zone
from ...rules import planning as rules
from ...rules.stages import STAGE_CODES as STAGE_ORDER
from ...rules.stages import STAGE_LABELS
from ...spatial import crs as crsmod
from ...spatial import raster as rmath
from ...spatial import terrain
from ..accounts import audit
from ..exchange import rasters
from ..features import catalog, write_events, writes
from ..relocation import attachments, status

LOGGER = logging.getLogger(__name__)
MIN_OVERLAP_M2 = 1.0  # below this an overlap is a drawing artefact, not damage
# Protected areas that are ecological land: building there damages mountain, soil or water.  A 畜禽禁养区
# restricts a use (livestock), it is not ecological land, so it proposes nothing.
ECOLOGICAL_CATEGORIES = ("green_heart", "drinking_water", "forest_park")
STATUS_COLOURS = {"not_required": "#9e9e9e", "no_completion": "#6fa8dc", "pending": "#3d85c6",
                  "due_soon": "#e69138", "overdue": "#c00000", "restored": "#38761d", "restored_late": "#8fce00"}

OVERLAP_SQL = """
SELECT p.id AS pid, pp.source, pp.feature_id, coalesce(a.name, w.name) AS name,
       sum(ST_Area(ST_Intersection(pp.geom, p.geom))) AS m2
FROM projects p
JOIN protected_parts pp ON ST_Intersects(pp.geom, p.geom)
LEFT JOIN protected_areas a ON pp.source = 'protected_areas' AND a.id = pp.feature_id
LEFT JOIN water_bodies w ON pp.source = 'water_bodies' AND w.id = pp.feature_id
WHERE p.deleted_at IS NULL AND (CAST(:all AS boolean) OR p.id = ANY(CAST(:ids AS int[])))
  AND (pp.source = 'water_bodies' OR a.category = ANY(CAST(:categories AS text[])))
GROUP BY p.id, pp.source, pp.feature_id, coalesce(a.name, w.name)
HAVING sum(ST_Area(ST_Intersection(pp.geom, p.geom))) > :min_m2
"""


# ---------------------------------------------------------------- the proposal

def _latest_dem(session: Session) -> Raster | None:
    dem = session.scalar(select(Raster).where(Raster.kind == "dem", Raster.deleted_at.is_(None))
                         .order_by(Raster.id.desc()).limit(1))
    if dem is None or not rasters.path_of(dem).exists():
        return None
    return dem


def _steepness(session: Session, dem: Raster, project_ids: list[int], threshold: float) -> dict[int, dict]:
    """Return per project the steepest slope under it and the share above ``threshold``."""
    import rasterio
    from rasterio.windows import Window, from_bounds

    rows = session.execute(select(Project.id, func.ST_AsBinary(Project.geom)).where(
        Project.id.in_(project_ids), Project.deleted_at.is_(None))).all()
    out: dict[int, dict] = {}
    with rasterio.open(rasters.path_of(dem)) as ds:
        geographic = ds.crs is not None and ds.crs.is_geographic
        for pid, wkb in rows:
            geom = crsmod.transform(shapely.from_wkb(bytes(wkb)), crsmod.STORAGE_CRS, dem.crs)
            if not crsmod.overlaps(geom.bounds, tuple(ds.bounds)):
                continue
            win = from_bounds(*geom.bounds, transform=ds.transform)
            col0, row0 = max(0, math.floor(win.col_off) - 2), max(0, math.floor(win.row_off) - 2)
            col1 = min(ds.width, math.ceil(win.col_off + win.width) + 2)
            row1 = min(ds.height, math.ceil(win.row_off + win.height) + 2)
            if col1 <= col0 or row1 <= row0:
                continue
            window = Window(col0, row0, col1 - col0, row1 - row0)
            data = ds.read(1, window=window)
            transform = ds.window_transform(window)
            inside = terrain.touched_mask(geom, transform, data.shape)
            lat = shapely.centroid(geom).y if geographic else None
            xres, yres = rmath.pixel_size_m(transform, geographic, lat)
            found = terrain.steepness(data, inside, ds.nodata, xres, yres, threshold)
            if found.max_slope_deg is not None:
                out[pid] = {"max_slope_deg": found.max_slope_deg, "steep_share_pct": found.steep_share_pct}
    return out


def refresh(session: Session, project_ids: list[int] | None = None, terrain_too: bool = True) -> int:
    """Recompute the restoration proposal of ``project_ids`` (None: every live project); return how many.

    ``terrain_too=False`` keeps the slope findings (a water or protected-area edit does not move the DEM).
    Runs in the caller's transaction and does not commit (write hooks call it inside the save).
    """
    if project_ids is not None and not project_ids:
        return 0
    ids = project_ids if project_ids is not None else list(session.scalars(
        select(Project.id).where(Project.deleted_at.is_(None))))
    if not ids:
        return 0
    reasons: dict[int, list[dict]] = {pid: [] for pid in ids}
    overlaps: dict[tuple[int, str], list] = {}
    for row in session.execute(text(OVERLAP_SQL), {"all": project_ids is None, "ids": ids, "min_m2": MIN_OVERLAP_M2,
                                                    "categories": list(ECOLOGICAL_CATEGORIES)}):
        overlaps.setdefault((row.pid, row.source), []).append(row)
    for (pid, source), found in sorted(overlaps.items()):
        if pid not in reasons:
            continue
        reasons[pid].append({"kind": "water" if source == "water_bodies" else "protected",
                             "features": [{"id": r.feature_id, "name": r.name} for r in found],
                             "overlap_m2": round(sum(r.m2 for r in found), 1)})
    dem_names: dict[int, str | None] = {}
    if terrain_too:
        dem = _latest_dem(session)
        threshold = float(current_app.config.get("RESTORATION_SLOPE_DEG", 25))
        dem_names = dict.fromkeys(ids, dem.name if dem else None)
        if dem is not None:
            for pid, found in _steepness(session, dem, ids, threshold).items():
                if found["max_slope_deg"] > threshold:
                    reasons[pid].append({"kind": "slope", "threshold_deg": threshold, "raster": dem.name, **found})
    else:
        for check in session.scalars(select(RestorationCheck).where(RestorationCheck.project_id.in_(ids))):
            dem_names[check.project_id] = check.dem_raster
            if check.project_id in reasons:
                reasons[check.project_id] += [r for r in check.reasons if r.get("kind") == "slope"]
    now = datetime.now(UTC)
    values = [{"project_id": pid, "proposed": bool(found), "reasons": found, "checked_at": now,
               "dem_raster": dem_names.get(pid)} for pid, found in reasons.items()]
    stmt = insert(RestorationCheck).values(values)
    session.execute(stmt.on_conflict_do_update(index_elements=["project_id"], set_={
        "proposed": stmt.excluded.proposed, "reasons": stmt.excluded.reasons,
        "dem_raster": stmt.excluded.dem_raster, "checked_at": stmt.excluded.checked_at}))
    return len(values)


def unchecked(session: Session) -> int:
    """Return how many live projects have no restoration check yet (e.g. after an upgrade)."""
    return session.scalar(select(func.count()).select_from(Project).outerjoin(
        RestorationCheck, RestorationCheck.project_id == Project.id).where(
        Project.deleted_at.is_(None), RestorationCheck.project_id.is_(None))) or 0


def refresh_all(session: Session, username: str) -> int:
    """Recompute every project's proposal (a planner's 重新检查, the daily scan) and commit."""
    count = refresh(session, None)
    audit.record(session, username=username, action="restoration_recheck", object_type="projects",
                 after={"checked": count})
    session.commit()
    return count


def _after_write(session: Session, collection_id: str, feature_id: int, action: str, username: str) -> dict | None:
    if collection_id == "projects" and action != "delete":
        refresh(session, [feature_id])
        check = session.get(RestorationCheck, feature_id)
        return {"restoration_check": {"proposed": check.proposed, "reasons": check.reasons}} if check else None
    if collection_id in ("water_bodies", "protected_areas"):
        refresh(session, None, terrain_too=False)
    return None


def _after_bulk(session: Session, collection_id: str, username: str) -> dict | None:
    if collection_id in ("projects", "water_bodies", "protected_areas"):
        refresh(session, None, terrain_too=collection_id == "projects")
    return None


def init_app(app) -> None:
    """Keep the proposals current after every project, water or protected-area write (idempotent)."""
    write_events.register_after_write(_after_write)
    write_events.register_after_bulk(_after_bulk)


# ---------------------------------------------------------------- status of projects and sites

REASON_WORDS = {"water": "占用水体", "protected": "进入保护区", "slope": "坡度大于阈值"}


def reason_text(reason: dict) -> str:
    """Return one proposal reason as a sentence (Chinese; translated on display)."""
    if reason["kind"] == "slope":
        return (f"坡度大于 {reason['threshold_deg']:g}°（最大 {reason['max_slope_deg']:.1f}°，"
                f"{reason['steep_share_pct']:.0f}% 的范围）")
    names = "、".join(f["name"] for f in reason.get("features", []))
    word = REASON_WORDS.get(reason["kind"], reason["kind"])
    return f"{word}：{names}（{reason.get('overlap_m2', 0):,.0f} m²）"


@dataclass
class ProjectRestoration:
    """One project's restoration on a day: the decision, the proposal, the dates and the status."""

    project_id: int
    name: str
    zone_name: str | None
    status: str
    required: bool
    decided: bool | None  # the planner's value (None: not decided, the proposal counts)
    proposed: bool | None  # None: not checked yet
    reasons: list[dict]
    completion_date: date | None
    due: date | None
    restored_date: date | None
    restored_by: str | None
    version: int
    lon: float | None = None
    lat: float | None = None

    def as_dict(self, as_of: date) -> dict:
        """Return the JSON view (with the days left or overdue on ``as_of``)."""
        days = None if self.due is None else (self.due - as_of).days
        return {"kind": "project", "id": self.project_id, "name": self.name, "zone_name": self.zone_name,
                "status": self.status, "status_label": pick(*rules.RESTORATION_STATUSES[self.status]),
                "required": self.required, "restoration_required": self.decided, "proposed": self.proposed,
                "reasons": [{**r, "text": reason_text(r)} for r in self.reasons],
                "completion_date": _iso(self.completion_date), "restoration_due": _iso(self.due),
                "restored_date": _iso(self.restored_date), "restored_by": self.restored_by,
                "days_left": days, "etag": writes.etag("projects", self.project_id, self.version),
                "link": f"/flags/projects/{self.project_id}"}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _project_rows(session: Session, project_ids: list[int] | None = None):
    point = func.ST_Transform(func.ST_PointOnSurface(Project.geom), WGS84)
    stmt = (select(Project, Zone.name, RestorationCheck, func.ST_X(point), func.ST_Y(point))
            .outerjoin(Zone, Zone.id == Project.zone_id)
            .outerjoin(RestorationCheck, RestorationCheck.project_id == Project.id)
            .where(Project.deleted_at.is_(None)).order_by(Project.id))
    if project_ids is not None:
        stmt = stmt.where(Project.id.in_(project_ids))
    return session.execute(stmt).all()


def _project_restoration(row, as_of: date) -> ProjectRestoration:
    p, zone_name, check, lon, lat = row
    proposed = check.proposed if check is not None else None
    required = bool(p.restoration_required) if p.restoration_required is not None else bool(proposed)
    state = rules.project_restoration_status(required, p.completion_date, p.restored_date, as_of)
    return ProjectRestoration(p.id, p.name, zone_name, state, required, p.restoration_required, proposed,
                              list(check.reasons) if check else [], p.completion_date,
                              rules.restoration_due(p.completion_date) if required else None, p.restored_date,
                              p.restored_by, p.version, lon, lat)


def projects(session: Session, as_of: date | None = None) -> list[ProjectRestoration]:
    """Return every live project's restoration on ``as_of`` (today by default)."""
    day = as_of or date.today()
    return [_project_restoration(row, day) for row in _project_rows(session)]


MAX_INT4 = 2**31 - 1


def _check_id(object_id: int, enterprise: bool = False) -> None:
    if 0 < object_id <= MAX_INT4:
        return
    if enterprise:  # a number PostgreSQL could not even compare
        raise NotFound(f"企业 {object_id} 不存在", code="unknown_feature")
    raise NotFound("不存在该项目", code="unknown_project")


def project(session: Session, project_id: int, as_of: date | None = None) -> dict:
    """Return one project's restoration with its evidence files (404 for an unknown project)."""
    _check_id(project_id)
    rows = _project_rows(session, [project_id])
    if not rows:
        raise NotFound("不存在该项目", code="unknown_project")
    day = as_of or date.today()
    result = _project_restoration(rows[0], day).as_dict(day)
    result["evidence"] = [evidence_dict(e) for e in session.scalars(
        select(RestorationEvidence).where(RestorationEvidence.project_id == project_id)
        .order_by(RestorationEvidence.id))]
    return result


def evidence_dict(e: RestorationEvidence) -> dict:
    """Return the JSON view of an evidence file."""
    return {"id": e.id, "filename": e.filename, "content_type": e.content_type, "size_bytes": e.size_bytes,
            "restored_date": e.restored_date.isoformat(), "uploaded_by": e.uploaded_by,
            "uploaded_at": e.uploaded_at.isoformat() if e.uploaded_at else None,
            "url": f"/api/restoration/evidence/{e.id}"}


@dataclass
class SiteRemediation:
    """One enterprise site's 场地调查与修复 term on a day."""

    enterprise_id: int
    name: str
    zone_name: str | None
    stage: str
    basis: str
    months: int
    basis_date: str | None
    due: date | None
    done: date | None
    status: str
    lon: float
    lat: float

    def as_dict(self, as_of: date) -> dict:
        """Return the JSON view."""
        return {"kind": "site", "id": self.enterprise_id, "name": self.name, "zone_name": self.zone_name,
                "stage": self.stage, "stage_label": STAGE_LABELS.get(self.stage, self.stage),
                "remediation_basis": self.basis, "basis_label": pick(*rules.REMEDIATION_BASES[self.basis]),
                "remediation_months": self.months, "basis_date": self.basis_date,
                "remediation_due": _iso(self.due), "accepted_date": _iso(self.done), "status": self.status,
                "status_label": pick(*rules.RESTORATION_STATUSES[self.status]),
                "days_left": None if self.due is None else (self.due - as_of).days,
                "link": f"/relocation/enterprises/{self.enterprise_id}"}


def sites(session: Session, as_of: date | None = None) -> list[SiteRemediation]:
    """Return the enterprise sites the office set a remediation term for, as they stood on ``as_of``."""
    day = as_of or date.today()
    terms = {e.id: (e.remediation_basis, e.remediation_months) for e in session.scalars(
        select(Enterprise).where(Enterprise.deleted_at.is_(None), Enterprise.remediation_basis.is_not(None),
                                 Enterprise.remediation_months.is_not(None)))}
    if not terms:
        return []
    out = []
    for s in status.statuses(session, min(day, date.today())):
        if s.id not in terms:
            continue
        basis, months = terms[s.id]
        due = rules.remediation_due(s.stage_dates, basis, months)
        raw_done = s.stage_dates.get(rules.REMEDIATION_DONE_STAGE)
        done = date.fromisoformat(raw_done[:10]) if raw_done else None
        state = rules.deadline_status(True, s.stage_dates.get(basis) is not None, due, done, day)
        out.append(SiteRemediation(s.id, s.name, s.zone_name, s.stage, basis, months, s.stage_dates.get(basis), due,
                                   done, "no_completion" if state == "no_completion" else state, s.lon, s.lat))
    return out


def overview(session: Session, as_of: date | None = None, status_filter: str | None = None,
             kind: str | None = None) -> dict:
    """Return the projects needing restoration and the sites with a term, with counts (the overdue list)."""
    day = as_of or date.today()
    if status_filter and status_filter not in rules.RESTORATION_STATUSES:
        raise BadParameter(f"未知状态 {status_filter[:30]!r}", code="bad_status", details={"parameter": "status"})
    items = []
    if kind in (None, "project"):
        items += [p.as_dict(day) for p in projects(session, day) if p.required]
    if kind in (None, "site"):
        items += [s.as_dict(day) for s in sites(session, day)]
    counts = {code: 0 for code in rules.RESTORATION_STATUSES}
    for item in items:
        counts[item["status"]] += 1
    if status_filter:
        items = [i for i in items if i["status"] == status_filter]
    order = {"overdue": 0, "due_soon": 1, "pending": 2, "no_completion": 3, "restored_late": 4, "restored": 5}
    items.sort(key=lambda i: (order.get(i["status"], 9), i["restoration_due" if i["kind"] == "project"
                                                          else "remediation_due"] or "9999", i["name"]))
    return {"as_of": day.isoformat(), "items": items, "counts": counts, "unchecked": unchecked(session),
            "slope_threshold_deg": float(current_app.config.get("RESTORATION_SLOPE_DEG", 25))}


MAP_SQL = """
SELECT p.id, ST_AsGeoJSON(ST_Transform(p.geom, 4326), 6) AS geometry
FROM projects p WHERE p.id = ANY(CAST(:ids AS int[]))
"""


def map_features(session: Session, as_of: date | None = None) -> dict:
    """Return the projects needing restoration (polygons) and the sites (points) coloured by status."""
    day = as_of or date.today()
    found = [p for p in projects(session, day) if p.required]
    shapes = {r.id: r.geometry for r in session.execute(text(MAP_SQL), {"ids": [p.project_id for p in found]})}
    feats = []
    for p in found:
        props = p.as_dict(day)
        props["colour"] = STATUS_COLOURS[p.status]
        feats.append({"type": "Feature", "id": f"project-{p.project_id}",
                      "geometry": json.loads(shapes[p.project_id]), "properties": props})
    for s in sites(session, day):
        props = s.as_dict(day)
        props["colour"] = STATUS_COLOURS[s.status]
        feats.append({"type": "Feature", "id": f"site-{s.enterprise_id}",
                      "geometry": {"type": "Point", "coordinates": [round(s.lon, 7), round(s.lat, 7)]},
                      "properties": props})
    legend = [{"status": code, "label": pick(*labels), "colour": STATUS_COLOURS[code]}
              for code, labels in rules.RESTORATION_STATUSES.items() if code != "not_required"]
    return {"type": "FeatureCollection", "as_of": day.isoformat(), "features": feats, "legend": legend}


# ---------------------------------------------------------------- recording a restoration

def record(session: Session, project_id: int, restored_on: date, note: str, uploads: list[attachments.Upload],
           user: User, if_match: str | None, data_dir: Path, max_bytes: int) -> dict:
    """Record that a project's restoration was completed on ``restored_on``, with evidence; commits.

    Planners and admins only; the project must need restoration; at least one evidence file (PDF, JPEG,
    PNG); ``If-Match`` is the project's ETag.  The audit entry keeps the state before and after.
    """
    if user.role not in access.PLANNERS:
        raise Forbidden("只有规划人员和管理员可以登记生态修复", code="forbidden_restoration")
    _check_id(project_id)
    if not uploads:
        raise Unprocessable("请上传修复完成的证明材料（照片、验收文件，PDF/JPEG/PNG）", code="evidence_required",
                            details={"field": "evidence"})
    attachments.check_all(list(uploads), max_bytes)
    p = session.scalar(select(Project).where(Project.id == project_id, Project.deleted_at.is_(None))
                       .with_for_update())
    if p is None:
        raise NotFound("不存在该项目", code="unknown_project")
    if not if_match:
        raise PreconditionRequired("登记修复需要 If-Match（项目当前的 ETag）", code="if_match_required")
    current = writes.etag("projects", p.id, p.version)
    if current not in [t.strip() for t in if_match.split(",")]:
        raise PreconditionFailed("该项目已被他人修改，请刷新后重试", code="stale_version", details={"etag": current})
    check = session.get(RestorationCheck, p.id)
    required = p.restoration_required if p.restoration_required is not None else bool(check and check.proposed)
    if not required:
        raise Conflict("该项目未标记需要生态修复，请先将“需生态修复”设为是", code="restoration_not_required")
    problem = rules.check_restored_date(restored_on, p.completion_date, date.today())
    if problem:
        raise Unprocessable(problem, code="bad_date", details={"field": "restored_date"})
    before = {"restored_date": _iso(p.restored_date), "restored_by": p.restored_by,
              "restoration_required": p.restoration_required}
    written: list[str] = []
    try:
        files = []
        for upload in uploads:
            stored = attachments.store(data_dir, upload, max_bytes)
            written.append(stored.storage_key)
            files.append(RestorationEvidence(
                project_id=p.id, restored_date=restored_on, filename=stored.filename,
                content_type=stored.content_type, size_bytes=stored.size_bytes, sha256=stored.sha256,
                storage_key=stored.storage_key, uploaded_by=user.username))
        session.add_all(files)
        p.restored_date, p.restored_by = restored_on, user.username
        if p.restoration_required is None:
            p.restoration_required = True  # recording it settles the proposal
        p.version += 1
        p.updated_by, p.updated_at = user.username, datetime.now(UTC)
        session.flush()
        audit.record(session, username=user.username, action="record_restoration", object_type="projects",
                     object_id=p.id, before=before,
                     after={"restored_date": restored_on.isoformat(), "restored_by": user.username,
                            "restoration_required": p.restoration_required, "note": (note or "").strip()[:2000],
                            "evidence": [f.sha256 for f in files]})
        write_events.run_after_write(session, "projects", p.id, "update", user.username)
        session.commit()
    except BaseException:
        session.rollback()
        attachments.remove(data_dir, written)
        raise
    return project(session, project_id)


def evidence(session: Session, evidence_id: int) -> RestorationEvidence:
    """Return one evidence file's record (404 when unknown)."""
    found = session.get(RestorationEvidence, evidence_id) if 0 < evidence_id <= 2**63 - 1 else None
    if found is None:
        raise NotFound("证明材料不存在", code="unknown_evidence")
    return found


def set_site_term(session: Session, enterprise_id: int, basis: str | None, months: int | None, user: User,
                  if_match: str | None) -> dict:
    """Set (or with ``basis`` None clear) an enterprise site's remediation term through the feature write path."""
    _check_id(enterprise_id, enterprise=True)
    if basis is not None and basis not in rules.REMEDIATION_BASES:
        raise Unprocessable("期限起算阶段须为停产（production_halted）或设备拆除（demolished）",
                            code="bad_basis", details={"field": "remediation_basis"})
    if basis is not None and (months is None or not 1 <= months <= rules.MAX_REMEDIATION_MONTHS):
        raise Unprocessable(f"修复期限须为 1 至 {rules.MAX_REMEDIATION_MONTHS} 个月", code="bad_months",
                            details={"field": "remediation_months"})
    coll = catalog.collections()["enterprises"]
    body = {"properties": {"remediation_basis": basis, "remediation_months": months if basis else None}}
    result = writes.update(session, coll, enterprise_id, body, user, if_match,
                           int(current_app.config.get("MAX_VERTICES", 100000)), replace=False)
    return {"id": enterprise_id, "etag": result.etag, "remediation_basis": basis,
            "remediation_months": months if basis else None}


def decide(session: Session, project_id: int, required: bool | None, completion: date | None, user: User,
           if_match: str | None) -> dict:
    """Save a project's completion date and the planner's restoration decision through the feature write path."""
    _check_id(project_id)
    coll = catalog.collections()["projects"]
    body = {"properties": {"restoration_required": required,
                           "completion_date": completion.isoformat() if completion else None}}
    writes.update(session, coll, project_id, body, user, if_match,
                  int(current_app.config.get("MAX_VERTICES", 100000)), replace=False)
    return project(session, project_id)


def term_candidates(session: Session) -> list[dict]:
    """Return the enterprises a remediation term can be set for: at 停产 or later, or with a term already."""
    rows = session.scalars(select(Enterprise).where(Enterprise.deleted_at.is_(None)).order_by(Enterprise.name))
    halted = STAGE_ORDER.index("production_halted")
    return [{"id": e.id, "name": e.name, "stage": e.stage, "stage_label": STAGE_LABELS.get(e.stage, e.stage),
             "remediation_basis": e.remediation_basis, "remediation_months": e.remediation_months,
             "etag": writes.etag("enterprises", e.id, e.version)}
            for e in rows if STAGE_ORDER.index(e.stage) >= halted or e.remediation_basis]


def deadline_facts(session: Session, today: date | None = None) -> tuple[list[dict], list[dict]]:
    """Return the due-soon and overdue projects and sites as announceable facts (projects, sites)."""
    day = today or date.today()
    project_facts, site_facts = [], []
    for p in projects(session, day):
        if p.status in ("due_soon", "overdue"):
            word = "已逾期" if p.status == "overdue" else "即将到期"
            project_facts.append({"key": f"restoration:{p.status}:{p.project_id}:{p.due}",
                                  "title": f"项目“{p.name}”生态修复{word}（期限 {p.due}）",
                                  "severity": "violation" if p.status == "overdue" else "warning",
                                  "link": f"/flags/projects/{p.project_id}", "object_type": "projects",
                                  "object_id": p.project_id})
    for s in sites(session, day):
        if s.status in ("due_soon", "overdue"):
            word = "已逾期" if s.status == "overdue" else "即将到期"
            site_facts.append({"key": f"remediation:{s.status}:{s.enterprise_id}:{s.due}",
                               "title": f"企业“{s.name}”场地调查与修复{word}（期限 {s.due}）",
                               "severity": "violation" if s.status == "overdue" else "warning",
                               "link": f"/relocation/enterprises/{s.enterprise_id}", "object_type": "enterprises",
                               "object_id": s.enterprise_id})
    return project_facts, site_facts
