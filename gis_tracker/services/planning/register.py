"""The register of the plan's measurable targets and their yearly values.

Each indicator (table ``plan_indicators``, seeded from the plan by migration 0042) has its number, unit,
direction, deadline and the plan's sentence.  Yearly values are entered by planners and admins with their
source (and its date); every change is audited and the replaced value kept (soft-deleted), so the series
as it stood can be reconstructed.  Where the app has the data, values are also computed
(:mod:`.computed`); an entered value for a year takes precedence over the computed one.

The status of an indicator is that of its latest year with a figure: 达标 (met), 未达标 (not met) or
无数据 (no data).  For targets against a baseline year (较2012年削减10%) the figure compared is the
reduction (or rise) from the baseline year's value.
"""
from __future__ import annotations

import math
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import access
from ...errors import BadParameter, Forbidden, NotFound, PreconditionFailed, PreconditionRequired, Unprocessable
from ...i18n import pick
from ...models import PlanIndicator, PlanIndicatorValue, User
from ...rules import planning as rules
from ..accounts import audit
from . import computed

MAX_SOURCE = 500
MAX_NOTE = 2000
FIRST_VALUE_YEAR = 2000
THEMES = {"industry": ("两型产业体系", "Two-oriented industry"), "living": ("绿色生活系统", "Green living"),
          "ecology": ("良好生态系统", "Healthy ecosystems"), "resources": ("节约利用资源系统", "Saving resources"),
          "transport": ("低碳交通系统", "Low-carbon transport"), "smart": ("智慧城市系统", "Smart city"),
          "management": ("低碳管理系统", "Low-carbon management"), "culture": ("两型文化系统", "Two-oriented culture")}


def target_of(ind: PlanIndicator) -> rules.Target:
    """Return the pure target of an indicator."""
    return rules.Target(ind.target, ind.direction, ind.mode, ind.baseline_year)


def indicator_etag(ind: PlanIndicator) -> str:
    """Return the ETag of an indicator's register entry (its weight)."""
    return f'"plan-indicator-{ind.key}-v{ind.version}"'


def value_etag(row: PlanIndicatorValue) -> str:
    """Return the ETag of an entered value."""
    return f'"plan-value-{row.indicator_key}-{row.year}-v{row.version}"'


def all_indicators(session: Session) -> list[PlanIndicator]:
    """Return the register in the plan's order."""
    return list(session.scalars(select(PlanIndicator).order_by(PlanIndicator.sort_order, PlanIndicator.key)))


def get(session: Session, key: str, lock: bool = False) -> PlanIndicator:
    """Return one indicator or raise 404."""
    stmt = select(PlanIndicator).where(PlanIndicator.key == key)
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"指标 {str(key)[:60]!r} 不存在", code="unknown_indicator")
    return found


def entered(session: Session, keys: list[str] | None = None) -> dict[str, dict[int, PlanIndicatorValue]]:
    """Return the live entered values by indicator and year."""
    stmt = select(PlanIndicatorValue).where(PlanIndicatorValue.deleted_at.is_(None))
    if keys is not None:
        stmt = stmt.where(PlanIndicatorValue.indicator_key.in_(keys))
    out: dict[str, dict[int, PlanIndicatorValue]] = {}
    for row in session.scalars(stmt):
        out.setdefault(row.indicator_key, {})[row.year] = row
    return out


def _value_entry(row: PlanIndicatorValue) -> dict:
    return {"value": row.value, "source": row.source, "kind": "entered",
            "source_date": row.source_date.isoformat() if row.source_date else None, "note": row.note,
            "entered_by": row.entered_by, "entered_at": row.entered_at.isoformat() if row.entered_at else None,
            "etag": value_etag(row)}


def _computed_entry(c: computed.Computed) -> dict:
    return {"value": c.value, "source": c.source, "kind": "computed", "details": c.details}


def describe(ind: PlanIndicator, entered_rows: dict[int, PlanIndicatorValue],
             computed_values: dict[int, computed.Computed], up_to_year: int | None = None) -> dict:
    """Return an indicator with its yearly values (entered over computed), each year's status and the latest."""
    years = sorted(set(entered_rows) | set(computed_values))
    if up_to_year is not None:
        years = [y for y in years if y <= up_to_year or y == ind.baseline_year]
    values: dict[str, dict] = {}
    raw: dict[int, float] = {}
    for year in years:
        entry = (_value_entry(entered_rows[year]) if year in entered_rows
                 else _computed_entry(computed_values[year]))
        if year in entered_rows and year in computed_values:
            entry["computed_value"] = computed_values[year].value
        values[str(year)] = entry
        raw[year] = entry["value"]
    target = target_of(ind)
    latest = None
    for year in years:
        measured = rules.measure(target, year, raw)
        values[str(year)]["measure"] = None if measured is None else round(measured, 4)
        values[str(year)]["status"] = rules.status(target, measured)
        values[str(year)]["score"] = rules.score(target, measured)
        if measured is not None:
            latest = (year, raw[year], measured)
    state = rules.status(target, latest[2] if latest else None)
    return {
        "key": ind.key, "label": pick(ind.label, ind.label_en), "label_zh": ind.label, "label_en": ind.label_en,
        "section": ind.section, "theme": ind.theme, "theme_label": pick(*THEMES.get(ind.theme, (ind.theme,) * 2)),
        "target": ind.target, "unit": ind.unit, "value_unit": ind.value_unit or ind.unit, "direction": ind.direction,
        "mode": ind.mode, "baseline_year": ind.baseline_year, "deadline": ind.deadline,
        "deadline_stated": ind.deadline_stated, "basis": ind.basis, "computed": ind.computed,
        "weight": ind.weight, "etag": indicator_etag(ind), "values": values, "status": state,
        "status_label": pick(*rules.STATUS_LABELS[state]), "status_year": latest[0] if latest else None,
        "latest": None if latest is None else {"year": latest[0], "value": latest[1], "measure": round(latest[2], 4)},
    }


def register(session: Session, up_to_year: int | None = None, today: date | None = None) -> list[dict]:
    """Return every indicator with its series and status (values up to ``up_to_year`` when given)."""
    inds = all_indicators(session)
    methods = {i.computed for i in inds if i.computed}
    found = computed.compute_all(session, methods, today)
    rows = entered(session)
    return [describe(i, rows.get(i.key, {}), found.get(i.key, {}), up_to_year) for i in inds]


def one(session: Session, key: str) -> dict:
    """Return one indicator with its series and status."""
    ind = get(session, key)
    found = computed.compute_all(session, {ind.computed} if ind.computed else set())
    return describe(ind, entered(session, [key]).get(key, {}), found.get(key, {}))


# ---------------------------------------------------------------- entering values

def _check_staff(user: User) -> None:
    if user.role not in access.PLANNERS:
        raise Forbidden("只有规划人员和管理员可以填报指标数值", code="forbidden_indicator")


def _check_year(year: int, today: date) -> None:
    if not FIRST_VALUE_YEAR <= year <= today.year:
        raise BadParameter(f"年份须在 {FIRST_VALUE_YEAR} 至 {today.year} 之间", code="bad_year",
                           details={"parameter": "year"})


def parse_value_body(body: object, today: date) -> dict:
    """Check an entered value's body: ``value`` (finite number), ``source`` (required), ``source_date``, ``note``."""
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_body")
    unknown = set(body) - {"value", "source", "source_date", "note"}
    if unknown:
        name = sorted(unknown)[0]
        raise BadParameter(f"未知字段 {name[:40]!r}", code="unknown_field", details={"field": name[:40]})
    value = body.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > 1e12:
        raise Unprocessable("数值须为有限数字", code="bad_value", details={"field": "value"})
    source = body.get("source")
    if not isinstance(source, str) or not source.strip():
        raise Unprocessable("请填写数据来源（如：区统计局《统计公报》）", code="source_required",
                            details={"field": "source"})
    if len(source) > MAX_SOURCE or "\x00" in source:
        raise Unprocessable(f"数据来源不能超过 {MAX_SOURCE} 个字符", code="bad_source", details={"field": "source"})
    source_date = None
    if body.get("source_date") not in (None, ""):
        try:
            source_date = date.fromisoformat(str(body["source_date"]))
        except ValueError:
            raise Unprocessable("来源日期须为 YYYY-MM-DD", code="bad_date", details={"field": "source_date"}) from None
        if source_date > today:
            raise Unprocessable("来源日期不能晚于今天", code="bad_date", details={"field": "source_date"})
    note = body.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE or "\x00" in note):
        raise Unprocessable(f"备注须为不超过 {MAX_NOTE} 字的文本", code="bad_note", details={"field": "note"})
    return {"value": float(value), "source": source.strip(), "source_date": source_date,
            "note": (note or "").strip() or None}


def _current(session: Session, key: str, year: int) -> PlanIndicatorValue | None:
    return session.scalar(select(PlanIndicatorValue).where(
        PlanIndicatorValue.indicator_key == key, PlanIndicatorValue.year == year,
        PlanIndicatorValue.deleted_at.is_(None)).with_for_update())


def _check_if_match(row: PlanIndicatorValue | None, if_match: str | None) -> None:
    sent = [t.strip() for t in (if_match or "").split(",") if t.strip()]
    if row is None:
        if sent and sent != ["*"]:
            raise PreconditionFailed("该数值已被他人删除，请刷新后重试", code="stale_version")
        return
    if not sent:
        raise PreconditionRequired("修改已有数值需要 If-Match（当前数值的 ETag）", code="if_match_required",
                                   details={"etag": value_etag(row)})
    if value_etag(row) not in sent:
        raise PreconditionFailed("该数值已被他人修改，请刷新后重试", code="stale_version",
                                 details={"etag": value_etag(row), "current": _value_entry(row)})


def _snapshot(row: PlanIndicatorValue | None) -> dict | None:
    if row is None:
        return None
    return {"value": row.value, "source": row.source, "source_date": row.source_date, "note": row.note,
            "entered_by": row.entered_by, "version": row.version}


def set_value(session: Session, key: str, year: int, body: object, user: User, if_match: str | None) -> dict:
    """Enter (or replace) the value of ``key`` for ``year``; the replaced one is kept; audited; commits."""
    _check_staff(user)
    today = date.today()
    ind = get(session, key)
    _check_year(year, today)
    clean = parse_value_body(body, today)
    row = _current(session, key, year)
    _check_if_match(row, if_match)
    now = datetime.now(UTC)
    before = _snapshot(row)
    if row is not None:
        row.deleted_at, row.deleted_by = now, user.username
        session.flush()
    new = PlanIndicatorValue(indicator_key=ind.key, year=year, version=(row.version + 1) if row else 1,
                             entered_by=user.username, entered_at=now, **clean)
    session.add(new)
    session.flush()
    audit.record(session, username=user.username, action="set_indicator_value", object_type="plan_indicator",
                 object_id=f"{key}:{year}", before=before, after=_snapshot(new))
    session.commit()
    return {"key": key, "year": year, **_value_entry(new)}


def delete_value(session: Session, key: str, year: int, user: User, if_match: str | None) -> None:
    """Withdraw the entered value of ``key`` for ``year`` (kept as deleted, audited); commits."""
    _check_staff(user)
    get(session, key)
    row = _current(session, key, year)
    if row is None:
        raise NotFound(f"{year} 年没有填报的数值", code="unknown_value")
    _check_if_match(row, if_match)
    row.deleted_at, row.deleted_by = datetime.now(UTC), user.username
    audit.record(session, username=user.username, action="delete_indicator_value", object_type="plan_indicator",
                 object_id=f"{key}:{year}", before=_snapshot(row), after={"deleted": True})
    session.commit()


def value_history(session: Session, key: str, year: int) -> list[dict]:
    """Return every value entered for ``key`` and ``year``, oldest first (withdrawn ones included)."""
    get(session, key)
    rows = session.scalars(select(PlanIndicatorValue).where(
        PlanIndicatorValue.indicator_key == key, PlanIndicatorValue.year == year).order_by(PlanIndicatorValue.id))
    return [{**_value_entry(r), "version": r.version, "deleted_at": r.deleted_at.isoformat() if r.deleted_at else None,
             "deleted_by": r.deleted_by} for r in rows]


def set_weight(session: Session, key: str, weight: object, user: User, if_match: str | None) -> dict:
    """Change an indicator's weight in the index (admins; If-Match; audited); commits."""
    if user.role not in access.ADMIN:
        raise Forbidden("只有管理员可以调整指数权重", code="forbidden_weight")
    ind = get(session, key, lock=True)
    if not if_match:
        raise PreconditionRequired("调整权重需要 If-Match", code="if_match_required",
                                   details={"etag": indicator_etag(ind)})
    if indicator_etag(ind) not in [t.strip() for t in if_match.split(",")]:
        raise PreconditionFailed("该指标已被他人修改，请刷新后重试", code="stale_version",
                                 details={"etag": indicator_etag(ind)})
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight) \
            or not 0 <= weight <= 100:
        raise Unprocessable("权重须为 0 至 100 之间的数字", code="bad_weight", details={"field": "weight"})
    before = {"weight": ind.weight}
    ind.weight, ind.version = float(weight), ind.version + 1
    ind.updated_by, ind.updated_at = user.username, datetime.now(UTC)
    audit.record(session, username=user.username, action="set_indicator_weight", object_type="plan_indicator",
                 object_id=key, before=before, after={"weight": ind.weight})
    session.commit()
    return {"key": key, "weight": ind.weight, "etag": indicator_etag(ind)}
