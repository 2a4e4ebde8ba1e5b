"""Export a layer (filtered like the OGC items request) to a file in EPSG:4326, 4490 or 4547.

The features are read with the same filters as ``/ogc/collections/{id}/items``
(bbox, property equality, sortby), every match rather than one page, and
handed to an exporter plugin.  The file is written to a scratch directory the
caller removes after sending it.
"""
from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import shapely
from sqlalchemy import Text, cast, func, select
from sqlalchemy.orm import Session

from ... import exporters
from ...errors import BadParameter, Unprocessable
from ...i18n import pick
from ..features import catalog, reads
from ..features.reads import ItemQuery

LOGGER = logging.getLogger(__name__)
EXPORT_SRIDS = (4326, 4490, 4547)
MAX_EXPORT_FEATURES = 500_000


@dataclass
class ExportedFile:
    """A written export: where it is, what to call it, its media type and any notes."""

    path: Path
    filename: str
    media_type: str
    count: int
    notes: list[str]
    scratch: Path


def check_format(fmt: str | None) -> exporters.Exporter:
    """Return the exporter for ``fmt`` or raise 400 listing the formats."""
    exporter = exporters.get(fmt or "")
    if exporter is None:
        raise BadParameter(f"不支持的导出格式 {str(fmt)[:20]!r}，可选：{', '.join(exporters.names())}",
                           code="bad_format", details={"parameter": "format"})
    return exporter


def check_srid(srid: int) -> int:
    """Refuse export CRSs other than EPSG:4326, 4490 and 4547."""
    if srid not in EXPORT_SRIDS:
        raise BadParameter("导出坐标系只能是 EPSG:4326、4490 或 4547",
                           code="bad_crs", details={"parameter": "crs"})
    return srid


def read_layer(session: Session, coll: catalog.Collection, query: ItemQuery, srid: int,
               paged: bool = False) -> exporters.ExportLayer:
    """Read every feature of ``coll`` matching ``query`` with geometry in ``srid``."""
    model = coll.model
    clauses = reads._filters(coll, query)
    stmt = (select(model.id, func.ST_AsBinary(func.ST_Transform(model.geom, srid)).label("wkb"),
                   cast(reads._properties_expr(coll), Text).label("properties"))
            .where(model.deleted_at.is_(None), *coll.scope(), *clauses))
    order = [(reads._field_expr(coll, name).desc().nulls_last() if desc
              else reads._field_expr(coll, name).asc().nulls_last()) for name, desc in query.sortby]
    stmt = stmt.order_by(*order, model.id)
    stmt = stmt.limit(query.limit).offset(query.offset) if paged else stmt.limit(MAX_EXPORT_FEATURES + 1)
    rows = session.execute(stmt).all()
    if len(rows) > MAX_EXPORT_FEATURES:
        raise Unprocessable(f"要素超过 {MAX_EXPORT_FEATURES} 个，请加过滤条件",
                            code="export_too_large")
    headers = column_headers(coll)
    fields = [exporters.ExportField(headers[f.name], f.type, f.label) for f in coll.fields]
    feats = [(shapely.from_wkb(bytes(r.wkb)) if r.wkb is not None else None, json.loads(r.properties)) for r in rows]
    if any(k != v for k, v in headers.items()):
        feats = [(g, {headers.get(k, k): v for k, v in props.items()}) for g, props in feats]
    label_field = headers.get(coll.label_field, coll.label_field) if coll.label_field else None
    return exporters.ExportLayer(name=coll.id, title=pick(coll.title, coll.title_en), fields=fields, features=feats,
                                 crs=f"EPSG:{srid}", label_field=label_field)


def column_headers(coll: catalog.Collection) -> dict[str, str]:
    """Return the exported column name of each field: a user layer's field label (its Chinese column name,
    so import → export → import keeps it), the field name for built-in layers (the system's schema that API
    clients and QGIS projects know), and the name wherever labels are empty or repeat."""
    names = {f.name: f.name for f in coll.fields}
    if coll.layer_id is None:
        return names
    labels = [(f.label or "").strip() for f in coll.fields]
    taken = set(names)
    for f, label in zip(coll.fields, labels):
        if label and labels.count(label) == 1 and (label == f.name or label not in taken):
            names[f.name] = label
            taken.add(label)
    return names


def export(session: Session, coll: catalog.Collection, fmt: str, query: ItemQuery, srid: int,
           paged: bool = False) -> ExportedFile:
    """Write ``coll``'s matching features as ``fmt``; the caller removes ``scratch`` when done."""
    exporter = check_format(fmt)
    srid = getattr(exporter, "fixed_crs", None) and int(exporter.fixed_crs.split(":")[1]) or check_srid(srid)
    layer = read_layer(session, coll, query, srid, paged)
    scratch = Path(tempfile.mkdtemp(prefix="export-"))
    try:
        path = exporter.write(layer, scratch)
    except exporters.ExportProblem as problem:
        _remove(scratch)
        raise Unprocessable(problem.message, code=problem.code) from None
    except BaseException:
        _remove(scratch)
        raise
    LOGGER.info("exported %s features of %s as %s (EPSG:%s)", len(layer.features), coll.id, fmt, srid)
    return ExportedFile(path, exporter.filename(layer), exporter.media_type, len(layer.features), layer.notes,
                        scratch)


def _remove(path: Path) -> None:
    import shutil
    shutil.rmtree(path, ignore_errors=True)


def remove(exported: ExportedFile) -> None:
    """Delete an export's scratch directory."""
    _remove(exported.scratch)
