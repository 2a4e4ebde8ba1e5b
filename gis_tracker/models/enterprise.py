"""Qingshuitang enterprises that must relocate, close or transform."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import STORAGE_SRID, Base
from .base import TrackedMixin, gist_index


class Enterprise(TrackedMixin, Base):
    """One of the 172 Qingshuitang enterprises and its current relocation state."""

    __tablename__ = "enterprises"
    __table_args__ = (gist_index("enterprises"), gist_index("enterprises", "parcel_geom"),
                      CheckConstraint("chimney_count >= 0", name="ck_enterprises_chimney_count"),
                      CheckConstraint("remediation_months BETWEEN 1 AND 120", name="ck_enterprises_remediation_months"),
                      CheckConstraint("remediation_basis IN ('production_halted', 'demolished')",
                                      name="ck_enterprises_remediation_basis"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    industry: Mapped[str | None] = mapped_column(String(40))
    is_sample: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    land_area_m2: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(20), nullable=False)  # relocate | close | transform
    destination: Mapped[str | None] = mapped_column(String(200))
    contact_person: Mapped[str | None] = mapped_column(String(100))  # 联系人 (kept by relocation officers)
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(30), nullable=False, default="not_started")
    # Stage code -> ISO date the stage was reached / is planned.
    stage_dates: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    planned_dates: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    # Set by the database (migration 0020) from the point: the sub-area it lies in, and its 片区.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    top_zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"), index=True)
    geom = mapped_column(Geometry("POINT", srid=STORAGE_SRID, spatial_index=False), nullable=False)
    # Site remediation term set by the office (migration 0041): 场地调查与修复 due months after 停产/设备拆除.
    remediation_basis: Mapped[str | None] = mapped_column(String(20))
    remediation_months: Mapped[int | None] = mapped_column(Integer)
    chimney_count: Mapped[int | None] = mapped_column(Integer)  # for the 城区烟囱拆除率 indicator
    parcel_geom = mapped_column(Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False))
