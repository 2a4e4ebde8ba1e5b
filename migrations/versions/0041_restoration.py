"""Ecological restoration within one year of completion; project and enterprise attributes for the indicators.

Revision ID: 0041_restoration
Revises: 0040_notifications
Create Date: 2026-12-04

Projects: 竣工日期 ``completion_date``, the planner's ``restoration_required``, ``restored_date`` and
``restored_by`` (recorded with evidence files in ``restoration_evidence``); ``green_building``,
``floor_area_m2`` and ``solar_mw`` for the green-building and rooftop-solar indicators.  The system's
proposal (overlaps with water or protected areas, steep slopes) is kept in ``restoration_checks``.
Enterprises: the office's 场地调查与修复 term (``remediation_basis`` 停产/设备拆除 + ``remediation_months``)
and ``chimney_count`` for the 城区烟囱拆除率.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0041_restoration"
down_revision = "0040_notifications"
branch_labels = None
depends_on = None

PROJECT_COLUMNS = (
    ("completion_date", sa.Date), ("restoration_required", sa.Boolean), ("restored_date", sa.Date),
    ("restored_by", lambda: sa.String(64)), ("green_building", sa.Boolean), ("floor_area_m2", sa.Float),
    ("solar_mw", sa.Float),
)
ENTERPRISE_COLUMNS = (("remediation_basis", lambda: sa.String(20)), ("remediation_months", sa.Integer),
                      ("chimney_count", sa.Integer))


def upgrade() -> None:
    for name, kind in PROJECT_COLUMNS:
        op.add_column("projects", sa.Column(name, kind()))
    op.create_check_constraint("ck_projects_floor_area_m2", "projects", "floor_area_m2 >= 0")
    op.create_check_constraint("ck_projects_solar_mw", "projects", "solar_mw >= 0")
    for name, kind in ENTERPRISE_COLUMNS:
        op.add_column("enterprises", sa.Column(name, kind()))
    op.create_check_constraint("ck_enterprises_chimney_count", "enterprises", "chimney_count >= 0")
    op.create_check_constraint("ck_enterprises_remediation_months", "enterprises",
                               "remediation_months BETWEEN 1 AND 120")
    op.create_check_constraint("ck_enterprises_remediation_basis", "enterprises",
                               "remediation_basis IN ('production_halted', 'demolished')")
    op.create_table(
        "restoration_checks",
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("proposed", sa.Boolean, nullable=False),
        sa.Column("reasons", JSONB, nullable=False, server_default="[]"),
        sa.Column("dem_raster", sa.String(63)),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "restoration_evidence",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
        sa.Column("restored_date", sa.Date, nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
        sa.Column("uploaded_by", sa.String(64)),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    op.create_index("ix_restoration_evidence_project_id", "restoration_evidence", ["project_id"])


def downgrade() -> None:
    op.drop_table("restoration_evidence")
    op.drop_table("restoration_checks")
    for name in ("ck_enterprises_remediation_basis", "ck_enterprises_remediation_months",
                 "ck_enterprises_chimney_count"):
        op.drop_constraint(name, "enterprises", type_="check")
    for name, _kind in ENTERPRISE_COLUMNS:
        op.drop_column("enterprises", name)
    for name in ("ck_projects_solar_mw", "ck_projects_floor_area_m2"):
        op.drop_constraint(name, "projects", type_="check")
    for name, _kind in PROJECT_COLUMNS:
        op.drop_column("projects", name)
