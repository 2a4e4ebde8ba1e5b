"""Users act on flags and rules: acknowledge, resolve, waive or reopen a flag; create, edit, retire rules.

Every change is attributed (flag event + audit entry in the same
transaction), guarded by the flag's or rule's ETag, and a rule change
re-checks every project for that rule at once, returning the change report.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ...errors import BadParameter, Conflict, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from ...i18n import gettext as _
from ...models import Project, Zone
from ...models.encroachment import EncroachmentFlag, EncroachmentFlagEvent, EncroachmentRule
from ...rules import encroachment as rules
from ..accounts import audit, notifications
from . import check

LOGGER = logging.getLogger(__name__)
RULE_FIELDS = ("code", "name", "name_en", "layer", "feature_filter", "project_types", "relation", "distance_m",
               "min_overlap_m2", "min_overlap_pct", "severity", "message", "message_en", "basis", "basis_en",
               "active", "sort_order")


def _check_etag(current: str, if_match: str | None) -> None:
    if not if_match:
        raise PreconditionRequired("需要 If-Match（当前版本的 ETag）",
                                   code="if_match_required")
    if not {current, "*"} & {t.strip() for t in if_match.split(",")}:  # "*": any current version (RFC 9110)
        raise PreconditionFailed("已被他人修改，请刷新后重试",
                                 code="stale_version", details={"etag": current})


def get_flag(session: Session, flag_id: int, lock: bool = False) -> EncroachmentFlag:
    """Return a flag or raise 404."""
    stmt = select(EncroachmentFlag).where(EncroachmentFlag.id == flag_id)
    flag = session.scalar(stmt.with_for_update() if lock else stmt)
    if flag is None:
        raise NotFound("不存在该审查标记", code="unknown_flag")
    return flag


def set_status(session: Session, flag_id: int, target: str, reason: str | None, username: str,
               if_match: str | None) -> dict:
    """Move a flag to ``target`` (acknowledged, resolved, waived, open) with a reason; commit."""
    flag = get_flag(session, flag_id, lock=True)
    _check_etag(check.flag_etag(flag), if_match)
    if flag.cleared_at is not None:
        raise Conflict("该标记已消除，无需处理", code="flag_cleared")
    problem = rules.check_transition(flag.status, target, reason)
    if problem:
        raise Unprocessable(problem, code="bad_transition", details={"field": "status"})
    before = {"status": flag.status, "reason": flag.status_reason}
    reason = (reason or "").strip()[:2000] or None
    session.add(EncroachmentFlagEvent(flag_id=flag.id, username=username, action=target,
                                      from_status=flag.status, to_status=target, reason=reason))
    flag.status, flag.status_reason, flag.status_by = target, reason, username
    flag.status_at = datetime.now(UTC)
    flag.version += 1
    audit.record(session, username=username, action=f"flag_{target}", object_type="encroachment_flag",
                 object_id=flag.id, before=before, after={"status": target, "reason": reason})
    rule = session.get(EncroachmentRule, flag.rule_id)
    notifications.flag_closed(session, flag_id=flag.id, project_id=flag.project_id,
                              project_name=session.get(Project, flag.project_id).name, rule_name=rule.name,
                              status=target, reason=reason, username=username)
    session.commit()
    return check.flag_dict(flag, rule)


@dataclass(frozen=True)
class OpenFlag:
    """An open encroachment flag on a project, as the meeting pack lists it."""

    project_id: int
    project_name: str
    rule: str
    severity: str
    overlap_m2: float
    overlap_mu: float
    overlap_pct: float
    min_distance_m: float | None


SEVERITY_RANK = {"violation": 0, "review": 1, "warning": 2}


def open_flags(session: Session) -> list[OpenFlag]:
    """Return the open, not cleared flags of live projects, worst first."""
    rows = session.execute(
        select(EncroachmentFlag, EncroachmentRule.name, Project.name.label("project_name"))
        .join(EncroachmentRule, EncroachmentRule.id == EncroachmentFlag.rule_id)
        .join(Project, Project.id == EncroachmentFlag.project_id)
        .where(EncroachmentFlag.status == "open", EncroachmentFlag.cleared_at.is_(None), Project.deleted_at.is_(None))
        .order_by(EncroachmentFlag.project_id, EncroachmentFlag.id)).all()
    flags = [OpenFlag(r[0].project_id, r.project_name, r.name, r[0].severity, r[0].overlap_m2 or 0.0,
                      r[0].overlap_mu or 0.0, r[0].overlap_pct or 0.0, r[0].min_distance_m) for r in rows]
    return sorted(flags, key=lambda f: (SEVERITY_RANK.get(f.severity, 9), f.project_id))


def flag_history(session: Session, flag_id: int) -> list[dict]:
    """Return a flag's events, oldest first."""
    get_flag(session, flag_id)
    events = session.scalars(select(EncroachmentFlagEvent).where(EncroachmentFlagEvent.flag_id == flag_id)
                             .order_by(EncroachmentFlagEvent.id))
    return [{"at": e.at.isoformat(), "username": e.username, "action": e.action, "from_status": e.from_status,
             "to_status": e.to_status, "reason": e.reason, "details": e.details} for e in events]


def list_flags(session: Session, severity: str | None = None, status: str | None = None,
               zone: str | None = None, include_cleared: bool = False, limit: int = 1000) -> list[dict]:
    """Return flags with their project, 片区 and 功能区 (names, as the database assigned them), most severe first."""
    sub = Zone.__table__.alias("sub_area")
    stmt = (select(EncroachmentFlag, EncroachmentRule, Project.name, Zone.code, Zone.name, Zone.name_en,
                   sub.c.name, sub.c.name_en, sub.c.level)
            .join(EncroachmentRule, EncroachmentRule.id == EncroachmentFlag.rule_id)
            .join(Project, Project.id == EncroachmentFlag.project_id)
            .outerjoin(Zone, Zone.id == Project.top_zone_id)
            .outerjoin(sub, sub.c.id == Project.zone_id)
            .where(Project.deleted_at.is_(None)))
    if severity:
        if severity not in rules.SEVERITIES:
            raise BadParameter("未知严重程度", code="bad_severity")
        stmt = stmt.where(EncroachmentFlag.severity == severity)
    if status:
        if status not in rules.STATUSES:
            raise BadParameter("未知状态", code="bad_status")
        stmt = stmt.where(EncroachmentFlag.status == status)
    if zone:
        stmt = stmt.where(Zone.code == zone)
    if not include_cleared:
        stmt = stmt.where(EncroachmentFlag.cleared_at.is_(None))
    rows = session.execute(stmt.limit(limit)).all()
    out = []
    for flag, rule, project_name, zone_code, zone_name, zone_name_en, sub_name, sub_name_en, sub_level in rows:
        item = check.flag_dict(flag, rule)
        is_sub = sub_level == "sub_area"
        item.update(project_name=project_name, zone_code=zone_code, zone_name=zone_name, zone_name_en=zone_name_en,
                    sub_area_name=sub_name if is_sub else None, sub_area_name_en=sub_name_en if is_sub else None)
        out.append(item)
    out.sort(key=lambda f: (-rules.SEVERITY_RANK.get(f["severity"], 0), f["project_name"] or "", f["id"]))
    return out


def top_zones(session: Session) -> list[tuple[str, str, str | None]]:
    """Return (code, name, name_en) of the top-level zones, for the zone filter."""
    return [tuple(r) for r in session.execute(select(Zone.code, Zone.name, Zone.name_en).where(
        Zone.level == "zone", Zone.deleted_at.is_(None)).order_by(Zone.code))]


def rule_etag(rule: EncroachmentRule) -> str:
    """Return the ETag of a rule's current version."""
    return f'"rule-{rule.id}-v{rule.version}"'


def rule_dict(rule: EncroachmentRule) -> dict:
    """Return the JSON view of a rule."""
    body = {name: getattr(rule, name) for name in RULE_FIELDS}
    body.update(id=rule.id, version=rule.version, etag=rule_etag(rule), updated_by=rule.updated_by,
                updated_at=rule.updated_at.isoformat() if rule.updated_at else None)
    return body


def list_rules(session: Session, include_retired: bool = False) -> list[EncroachmentRule]:
    """Return the rules in display order (retired ones only when asked)."""
    stmt = select(EncroachmentRule).order_by(EncroachmentRule.sort_order, EncroachmentRule.id)
    if not include_retired:
        stmt = stmt.where(EncroachmentRule.deleted_at.is_(None))
    return list(session.scalars(stmt))


def get_rule(session: Session, rule_id: int, lock: bool = False) -> EncroachmentRule:
    """Return a live rule or raise 404."""
    stmt = select(EncroachmentRule).where(and_(EncroachmentRule.id == rule_id, EncroachmentRule.deleted_at.is_(None)))
    rule = session.scalar(stmt.with_for_update() if lock else stmt)
    if rule is None:
        raise NotFound("不存在该规则", code="unknown_rule")
    return rule


def _clean_rule(body: object, current: dict | None) -> dict:
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_body")
    unknown = set(body) - set(RULE_FIELDS)
    if unknown:
        raise Unprocessable(f"未知字段：{', '.join(sorted(unknown))}", code="unknown_field",
                            details={"field": sorted(unknown)[0]})
    values = {**(current or {"feature_filter": {}, "distance_m": 0.0, "min_overlap_m2": 0.0,
                             "min_overlap_pct": 0.0, "active": True, "sort_order": 100}), **body}
    problems = rules.validate_rule(values)
    if not values.get("code") or not isinstance(values["code"], str) or len(values["code"]) > 60:
        problems.insert(0, ("code", _("编码不能为空（不超过 60 字符）")))
    if not isinstance(values.get("active"), bool):
        problems.append(("active", _("active 须为 true/false")))
    if problems:
        field, message = problems[0]
        raise Unprocessable(message, code="invalid_rule", details={"field": field,
                                                                   "problems": [p[1] for p in problems]})
    for name in ("distance_m", "min_overlap_m2", "min_overlap_pct"):
        values[name] = float(values.get(name) or 0.0)
    return values


def create_rule(session: Session, body: object, username: str) -> tuple[EncroachmentRule, dict]:
    """Create a rule, check every project against it; return it and the change report."""
    values = _clean_rule(body, None)
    if session.scalar(select(EncroachmentRule.id).where(EncroachmentRule.code == values["code"])):
        raise Conflict("规则编码已存在", code="duplicate")
    rule = EncroachmentRule(**{k: values.get(k) for k in RULE_FIELDS}, version=1, created_by=username,
                            updated_by=username)
    session.add(rule)
    session.flush()
    audit.record(session, username=username, action="create", object_type="encroachment_rule",
                 object_id=rule.id, after=audit.jsonable(rule_dict(rule)))
    report = check.recheck(session, rule_ids=[rule.id], username=username)
    session.commit()
    return rule, report


def update_rule(session: Session, rule_id: int, body: object, username: str,
                if_match: str | None) -> tuple[EncroachmentRule, dict]:
    """Change a rule (partial update), then re-check every project for it."""
    rule = get_rule(session, rule_id, lock=True)
    _check_etag(rule_etag(rule), if_match)
    before = audit.jsonable(rule_dict(rule))
    values = _clean_rule(body, {k: getattr(rule, k) for k in RULE_FIELDS})
    if values["code"] != rule.code and session.scalar(
            select(EncroachmentRule.id).where(EncroachmentRule.code == values["code"])):
        raise Conflict("规则编码已存在", code="duplicate")
    for key in RULE_FIELDS:
        setattr(rule, key, values.get(key))
    rule.version += 1
    rule.updated_by = username
    rule.updated_at = datetime.now(UTC)
    session.flush()
    audit.record(session, username=username, action="update", object_type="encroachment_rule",
                 object_id=rule.id, before=before, after=audit.jsonable(rule_dict(rule)))
    report = check.recheck(session, rule_ids=[rule.id], username=username)
    session.commit()
    return rule, report


def retire_rule(session: Session, rule_id: int, username: str, if_match: str | None) -> dict:
    """Soft-delete a rule: its flags are cleared (kept), the rule can be restored from the audit trail."""
    rule = get_rule(session, rule_id, lock=True)
    _check_etag(rule_etag(rule), if_match)
    before = audit.jsonable(rule_dict(rule))
    rule.deleted_at = datetime.now(UTC)
    rule.deleted_by = username
    rule.active = False
    rule.version += 1
    audit.record(session, username=username, action="delete", object_type="encroachment_rule",
                 object_id=rule.id, before=before, after={"deleted": True})
    session.flush()
    report = check.recheck(session, rule_ids=[rule.id], username=username)
    session.commit()
    return report


PROJECT_GEOJSON_SQL = """
SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(parts.f ORDER BY parts.ord), '[]'))
FROM (
  SELECT 0 AS ord, json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Transform(p.geom, 4326), 7)::json,
         'properties', json_build_object('kind', 'project', 'name', p.name)) AS f
  FROM projects p WHERE p.id = :pid AND p.deleted_at IS NULL
  UNION ALL
  SELECT 1, json_build_object('type', 'Feature', 'geometry',
         ST_AsGeoJSON(ST_Transform(ST_ClipByBox2D(t.geom, ST_Expand(p.geom, 500)), 4326), 7)::json,
         'properties', json_build_object('kind', x.layer, 'name', t.name))
  FROM projects p
  CROSS JOIN LATERAL (SELECT DISTINCT x.layer, x.id FROM encroachment_flags fl,
                        jsonb_to_recordset(fl.features) AS x(layer text, id int)
                      WHERE fl.project_id = p.id AND fl.cleared_at IS NULL) AS x
  JOIN LATERAL (SELECT a.name, a.geom FROM protected_areas a WHERE x.layer = 'protected_areas' AND a.id = x.id
                UNION ALL SELECT w.name, w.geom FROM water_bodies w WHERE x.layer = 'water_bodies' AND w.id = x.id)
       t ON true
  WHERE p.id = :pid
  UNION ALL
  SELECT 2, json_build_object('type', 'Feature', 'geometry', ST_AsGeoJSON(ST_Transform(fl.geom, 4326), 7)::json,
         'properties', json_build_object('kind', 'overlap', 'severity', fl.severity, 'rule', r.name,
                                         'overlap_m2', round(fl.overlap_m2::numeric, 2)))
  FROM encroachment_flags fl JOIN encroachment_rules r ON r.id = fl.rule_id
  WHERE fl.project_id = :pid AND fl.cleared_at IS NULL AND fl.geom IS NOT NULL
) AS parts(ord, f)
"""


def project_geojson(session: Session, project_id: int) -> dict:
    """Return the project, the features its flags involve (clipped near it) and the overlaps, in lon/lat."""
    from sqlalchemy import text
    if session.scalar(select(Project.id).where(Project.id == project_id, Project.deleted_at.is_(None))) is None:
        raise NotFound("不存在该项目", code="unknown_project")
    return session.scalar(text(PROJECT_GEOJSON_SQL), {"pid": project_id})
