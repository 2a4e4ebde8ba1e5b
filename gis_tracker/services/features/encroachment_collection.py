"""The read-only OGC collection ``encroachments``: the overlaps (and nearest-distance lines) of live flags.

Served like any layer (``/ogc/collections/encroachments/items``), so the map
draws the overlaps coloured by severity and QGIS can load them.  Nobody
writes it through the OGC API (``write_roles`` is empty): flags change only by
re-checks and status changes (:mod:`services.encroachment.flags`).  A cleared
flag is hidden like a deleted feature.
"""
from __future__ import annotations

from sqlalchemy import select

from ...models import Project
from ...models.encroachment import EncroachmentFlag, EncroachmentRule
from ...rules.encroachment import SEVERITY_COLOURS, SEVERITY_LABELS, STATUS_LABELS


def encroachments_collection(collection_cls, field_cls):
    """Return the ``encroachments`` collection, built from the catalogue's own classes."""
    f = field_cls
    return collection_cls(
        id="encroachments", title="冲突范围", title_en="Encroachments",
        description="建设项目与保护区、水体的重叠范围（距离规则为最近距离连线）", model=EncroachmentFlag,
        geometry_type="Geometry",
        fields=(
            f("project_name", "string", "项目", "Project",
              expr=lambda: select(Project.name).where(Project.id == EncroachmentFlag.project_id).scalar_subquery()),
            f("rule_name", "string", "规则", "Rule",
              expr=lambda: select(EncroachmentRule.name)
              .where(EncroachmentRule.id == EncroachmentFlag.rule_id).scalar_subquery()),
            f("severity", "string", "严重程度", "Severity", choices=SEVERITY_LABELS),
            f("status", "string", "状态", "Status", choices=STATUS_LABELS),
            f("overlap_m2", "number", "重叠面积（m²）", "Overlap (m²)"),
            f("overlap_mu", "number", "重叠（亩）", "Overlap (mu)"),
            f("overlap_pct", "number", "占项目比例（%）", "Share of project (%)"),
            f("min_distance_m", "number", "最近距离（m）", "Nearest distance (m)"),
            f("project_id", "integer", "项目编号", "Project id", popup=False),
        ),
        style={"weight": 2, "fillOpacity": 0.6},
        style_by="severity", style_colours=dict(SEVERITY_COLOURS),
        write_roles=(), label_field="rule_name",
    )
