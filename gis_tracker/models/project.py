"""Construction projects, checked against protected areas and water."""
from __future__ import annotations

from datetime import date

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import STORAGE_SRID, Base
from .base import TrackedMixin, gist_index

PROJECT_TYPES = ("industrial", "commercial", "residential", "infrastructure",
                 "public", "tourism", "livestock", "logistics")
PROJECT_STATUSES = ("planned", "approved", "under_construction", "completed")


class Project(TrackedMixin, Base):
    """A construction project with its footprint and land-use attributes."""

    __tablename__ = "projects"
    __table_args__ = (gist_index("projects"),
                      CheckConstraint("floor_area_m2 >= 0", name="ck_projects_floor_area_m2"),
                      CheckConstraint("solar_mw >= 0", name="ck_projects_solar_mw"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    project_type: Mapped[str] = mapped_column(String(20), nullable=False)
    investment_wan: Mapped[float | None] = mapped_column(Float)  # 万元
    # Set by the database (migration 0020) from the geometry: the sub-area it overlaps most, and its 片区.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    top_zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="planned")
    park_level: Mapped[str | None] = mapped_column(String(20))  # national | provincial | other
    floor_area_ratio: Mapped[float | None] = mapped_column(Float)
    building_coverage: Mapped[float | None] = mapped_column(Float)
    annual_tax_wan: Mapped[float | None] = mapped_column(Float)
    land_price_wan: Mapped[float | None] = mapped_column(Float)  # 土地成交价款 (万元), for the idle-land fee
    land_supplied_date: Mapped[date | None] = mapped_column(Date)
    construction_started_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    # Ecological restoration (二(三)4(2), migration 0041): due one year after completion.
    completion_date: Mapped[date | None] = mapped_column(Date)  # 竣工日期
    restoration_required: Mapped[bool | None] = mapped_column(Boolean)  # the planner's decision; None: not decided
    restored_date: Mapped[date | None] = mapped_column(Date)  # recorded with evidence (services/planning)
    restored_by: Mapped[str | None] = mapped_column(String(64))
    # Attributes the plan's indicators are computed from (green buildings, rooftop solar).
    green_building: Mapped[bool | None] = mapped_column(Boolean)  # built to the green-building standard
    floor_area_m2: Mapped[float | None] = mapped_column(Float)  # 建筑面积
    solar_mw: Mapped[float | None] = mapped_column(Float)  # rooftop photovoltaic capacity
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=False)
