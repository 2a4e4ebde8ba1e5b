"""Foundation: users, tokens, audit trail, zones, enterprises, protected areas, water, projects.

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001_foundation"
down_revision = None
branch_labels = None
depends_on = None

SRID = 4547


def _tracked() -> list[sa.Column]:
    """Version, attribution and soft-delete columns (see models.base.TrackedMixin)."""
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("created_by", sa.String(64)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_by", sa.String(64)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_by", sa.String(64)),
    ]


def _geom(kind: str, name: str = "geom", nullable: bool = False) -> sa.Column:
    return sa.Column(name, Geometry(kind, srid=SRID, spatial_index=False), nullable=nullable)


def _gist(table: str, column: str = "geom") -> None:
    op.create_index(f"ix_{table}_{column}", table, [column], postgresql_using="gist")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100)),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("role IN ('admin','planner','relocation_officer','viewer')", name="ck_users_role"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(100)),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now(), index=True),
        sa.Column("username", sa.String(64), index=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(64)),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
    )
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"])
    op.create_table(
        "district",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100)),
        sa.Column("adcode", sa.String(12)),
        _geom("MULTIPOLYGON"),
    )
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(40), nullable=False, unique=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("zones.id"), index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200)),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(40)),
        sa.Column("description", sa.Text),
        _geom("MULTIPOLYGON"),
        *_tracked(),
        sa.CheckConstraint("level IN ('zone','sub_area')", name="ck_zones_level"),
    )
    op.create_table(
        "protected_areas",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(30), nullable=False, index=True),
        sa.Column("tier", sa.String(30)),
        sa.Column("approval_no", sa.String(100)),
        sa.Column("effective_date", sa.Date),
        _geom("MULTIPOLYGON"),
        *_tracked(),
        sa.CheckConstraint(
            "category IN ('green_heart','drinking_water','livestock_ban','forest_park')",
            name="ck_protected_areas_category"),
    )
    op.create_table(
        "water_bodies",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        _geom("MULTIPOLYGON"),
        *_tracked(),
        sa.CheckConstraint("kind IN ('river','harbour','lake','reservoir','pond')", name="ck_water_bodies_kind"),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("credit_code", sa.String(18), unique=True),
        sa.Column("industry", sa.String(40)),
        sa.Column("is_sample", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("land_area_m2", sa.Float),
        sa.Column("employees", sa.Integer),
        sa.Column("path", sa.String(20), nullable=False),
        sa.Column("destination", sa.String(200)),
        sa.Column("stage", sa.String(30), nullable=False, server_default="not_started"),
        sa.Column("stage_dates", JSONB, nullable=False, server_default="{}"),
        sa.Column("planned_dates", JSONB, nullable=False, server_default="{}"),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id"), index=True),
        _geom("POINT"),
        _geom("MULTIPOLYGON", "parcel_geom", nullable=True),
        *_tracked(),
        sa.CheckConstraint("path IN ('relocate','close','transform')", name="ck_enterprises_path"),
        sa.CheckConstraint(
            "stage IN ('not_started','assessment','agreement_signed','production_halted',"
            "'demolished','remediation','accepted')", name="ck_enterprises_stage"),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("project_type", sa.String(20), nullable=False),
        sa.Column("investment_wan", sa.Float),
        sa.Column("zone_id", sa.Integer, sa.ForeignKey("zones.id"), index=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("park_level", sa.String(20)),
        sa.Column("floor_area_ratio", sa.Float),
        sa.Column("building_coverage", sa.Float),
        sa.Column("annual_tax_wan", sa.Float),
        sa.Column("land_supplied_date", sa.Date),
        sa.Column("construction_started_date", sa.Date),
        sa.Column("description", sa.Text),
        _geom("MULTIPOLYGON"),
        *_tracked(),
        sa.CheckConstraint(
            "project_type IN ('industrial','commercial','residential','infrastructure',"
            "'public','tourism','livestock','logistics')", name="ck_projects_type"),
    )
    for table in ("district", "zones", "protected_areas", "water_bodies", "enterprises", "projects"):
        _gist(table)
        op.create_check_constraint(f"ck_{table}_geom_valid", table, "ST_IsValid(geom)")
    _gist("enterprises", "parcel_geom")


def downgrade() -> None:
    for table in ("projects", "enterprises", "water_bodies", "protected_areas", "zones",
                  "district", "audit_log", "api_tokens", "users"):
        op.drop_table(table)
