"""Read the parts of the data that other subsystems add, when their tables exist.

Relocation history, encroachment flags, indicators and raster layers are
built alongside the exports; a snapshot or meeting pack checks at run time
which of them this database has and works without the missing ones.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from ...models import Enterprise, Project
from ...rules.stage_history import stage_as_of

LOGGER = logging.getLogger(__name__)

INDICATOR_TABLES = ("zone_indicators", "indicators", "zonal_indicators", "zonal_statistics")
RASTER_TABLES = ("raster_layers", "rasters")
RASTER_PATH_COLUMNS = ("file_name", "path", "file_path", "storage_path", "storage_key", "filename")


def has_table(session: Session, name: str) -> bool:
    """Tell whether the connected database has the table ``name``."""
    return inspect(session.connection()).has_table(name)


def _columns(session: Session, table: str) -> list[str]:
    return [c["name"] for c in inspect(session.connection()).get_columns(table)]


# ---- relocation -------------------------------------------------------------------------------

def _service_stages_as_of(session: Session, as_of: date) -> dict[int, str] | None:
    """Ask the relocation service for the stages on ``as_of``, if it offers that."""
    try:
        service = importlib.import_module("gis_tracker.services.relocation.transitions")
    except ImportError:
        return None
    fn = getattr(service, "stages_as_of", None)
    if fn is None:
        return None
    try:
        result = fn(session, as_of)
    except TypeError:
        return None
    if isinstance(result, dict):
        return {int(k): str(v) for k, v in result.items()}
    return None


def _history_stages_as_of(session: Session, as_of: date) -> dict[int, str] | None:
    """Replay ``stage_transitions``: the last transition on or before ``as_of`` wins."""
    if not has_table(session, "stage_transitions"):
        return None
    rows = session.execute(text(
        "SELECT enterprise_id, from_stage, to_stage, on_date FROM stage_transitions ORDER BY enterprise_id, on_date, id"
    )).all()
    if not rows:
        return None
    stages: dict[int, str] = {}
    for row in rows:
        if row.on_date <= as_of:
            stages[row.enterprise_id] = row.to_stage
        else:
            stages.setdefault(row.enterprise_id, row.from_stage)
    return stages


def enterprise_stages_as_of(session: Session, as_of: date) -> dict[int, str]:
    """Return every live enterprise's stage on ``as_of``.

    Uses the relocation service's as-of view when it exists, else replays the
    transition history, else reconstructs from each enterprise's stage dates.
    """
    enterprises = session.execute(select(Enterprise.id, Enterprise.stage_dates)
                                  .where(Enterprise.deleted_at.is_(None))).all()
    known = _service_stages_as_of(session, as_of) or _history_stages_as_of(session, as_of) or {}
    return {e.id: known.get(e.id) or stage_as_of(e.stage_dates, as_of) for e in enterprises}


# ---- encroachment flags -----------------------------------------------------------------------

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


def flags_available(session: Session) -> bool:
    """Tell whether encroachment flags exist in this database."""
    if not has_table(session, "encroachment_flags"):
        return False
    try:
        importlib.import_module("gis_tracker.models.encroachment")
    except ImportError:
        return False
    return True


def open_flags(session: Session) -> list[OpenFlag]:
    """Return the open, not cleared flags, worst first (empty when flags do not exist)."""
    if not flags_available(session):
        return []
    models = importlib.import_module("gis_tracker.models.encroachment")
    flag, rule = models.EncroachmentFlag, models.EncroachmentRule
    severity_rank = {"violation": 0, "review": 1, "warning": 2}
    rows = session.execute(
        select(flag, rule.name, Project.name.label("project_name"))
        .join(rule, rule.id == flag.rule_id).join(Project, Project.id == flag.project_id)
        .where(flag.status == "open", flag.cleared_at.is_(None), Project.deleted_at.is_(None))
        .order_by(flag.project_id, flag.id)).all()
    flags = [OpenFlag(r[0].project_id, r.project_name, r.name, r[0].severity, r[0].overlap_m2 or 0.0,
                      r[0].overlap_mu or 0.0, r[0].overlap_pct or 0.0, r[0].min_distance_m) for r in rows]
    return sorted(flags, key=lambda f: (severity_rank.get(f.severity, 9), f.project_id))


# ---- indicators -------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndicatorTable:
    """Rows of an indicators table as display strings, with its column names."""

    columns: list[str]
    rows: list[list[str]]


def _zonal_indicators(session: Session) -> IndicatorTable | None:
    """Build the table from the data-exchange zonal statistics (land cover, DEM, plan targets)."""
    try:
        zonal = importlib.import_module("gis_tracker.services.exchange.zonal")
    except ImportError:
        return None
    if not has_table(session, "rasters"):
        return None
    result = zonal.indicators(session)
    if not result.get("landcover_raster") and not result.get("dem_raster"):
        return None
    targets = result.get("targets") or []
    columns = ["片区", "层级"] + [f"{t['label']}（≥{t['minimum']:g}{t['unit']}）" for t in targets] + ["平均高程（m）"]
    rows = []
    for zone in result["zones"]:
        values = {t["key"]: t for t in zone.get("targets") or []}
        row = [zone["name"], "片区" if zone["level"] == "zone" else "功能区"]
        for t in targets:
            got = values.get(t["key"], {})
            value = got.get("value")
            row.append("—" if value is None else f"{value:.1f}{'' if got.get('met') else ' ✗'}")
        dem = zone.get("dem") or {}
        mean = dem.get("mean") if isinstance(dem, dict) else None
        row.append("—" if mean is None else f"{mean:.0f}")
        rows.append(row)
    return IndicatorTable(columns, rows) if rows else None


def indicators(session: Session, limit: int = 40) -> IndicatorTable | None:
    """Return the indicators table when indicators exist, else None.

    Prefers the zonal statistics of the data-exchange rasters; otherwise
    reads the first indicators table found in the database.
    """
    try:
        found = _zonal_indicators(session)
    except Exception:  # noqa: BLE001 - indicators are optional in a pack; never lose the pack for them
        LOGGER.exception("zonal indicators unavailable")
        found = None
    if found is not None:
        return IndicatorTable(found.columns, found.rows[:limit])
    for table in INDICATOR_TABLES:
        if not has_table(session, table):
            continue
        columns = [c for c in _columns(session, table) if c not in ("id", "geom", "created_at", "updated_at")
                   and not c.endswith("_by")]
        if not columns:
            continue
        quoted = ", ".join(f'"{c}"' for c in columns)
        rows = session.execute(text(f'SELECT {quoted} FROM "{table}" ORDER BY 1 LIMIT :n'), {"n": limit}).all()
        if rows:
            return IndicatorTable(columns, [[_display(v) for v in row] for row in rows])
    return None


def _display(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


# ---- rasters ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RasterSource:
    """A raster layer stored as a file: its id, title and path."""

    id: str
    title: str
    path: str


def raster_sources(session: Session) -> list[RasterSource]:
    """Return the raster layers whose files are recorded in the database (none if not built)."""
    from flask import current_app
    from pathlib import Path

    for table in RASTER_TABLES:
        if not has_table(session, table):
            continue
        columns = _columns(session, table)
        path_col = next((c for c in RASTER_PATH_COLUMNS if c in columns), None)
        name_col = next((c for c in ("name", "code", "id") if c in columns), None)
        if path_col is None or name_col is None:
            continue
        title_col = "title" if "title" in columns else name_col
        where = " WHERE deleted_at IS NULL" if "deleted_at" in columns else ""
        rows = session.execute(text(
            f'SELECT "{name_col}" AS id, "{title_col}" AS title, "{path_col}" AS path FROM "{table}"{where} ORDER BY 1'
        )).all()
        base = Path(current_app.config.get("RASTER_DIR")
                    or Path(current_app.config.get("DATA_DIR", "var/files")).parent / "rasters")
        result = []
        for r in rows:
            path = Path(str(r.path))
            if not path.is_absolute():
                path = base / path
            if path.exists():
                result.append(RasterSource(str(r.id), str(r.title), str(path)))
        return result
    return []


def is_raster_layer(session: Session, layer_id: str) -> bool:
    """Tell whether ``layer_id`` names a stored raster layer."""
    return any(r.id == layer_id for r in raster_sources(session))
