"""Planning zones, the district outline, protected areas and water bodies."""
from __future__ import annotations

from datetime import date

from geoalchemy2 import Geometry
from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import STORAGE_SRID, Base
from .base import TrackedMixin, gist_index

MULTIPOLYGON = Geometry("MULTIPOLYGON", srid=STORAGE_SRID, spatial_index=False)  # GiST indexes: gist_index()


class District(Base):
    """The administrative outline of Shifeng District (石峰区)."""

    __tablename__ = "district"
    __table_args__ = (gist_index("district"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(100))
    adcode: Mapped[str | None] = mapped_column(String(12))
    geom = mapped_column(MULTIPOLYGON, nullable=False)


class Zone(TrackedMixin, Base):
    """A planning zone (清水塘/田心/九郎山) or one of its named sub-areas."""

    __tablename__ = "zones"
    __table_args__ = (gist_index("zones"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20), nullable=False)  # zone | sub_area
    kind: Mapped[str | None] = mapped_column(String(40))  # 一带, 双心, 三园, ...
    description: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(MULTIPOLYGON, nullable=False)

    parent: Mapped[Zone | None] = relationship(remote_side="Zone.id")


class ProtectedArea(TrackedMixin, Base):
    """A protected area: green-heart tier, drinking-water zone, no-farming zone or forest park."""

    __tablename__ = "protected_areas"
    __table_args__ = (gist_index("protected_areas"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    tier: Mapped[str | None] = mapped_column(String(30))
    approval_no: Mapped[str | None] = mapped_column(String(100))
    effective_date: Mapped[date | None] = mapped_column(Date)
    geom = mapped_column(MULTIPOLYGON, nullable=False)


class WaterBody(TrackedMixin, Base):
    """A river, harbour (港, creek), lake, reservoir or pond."""

    __tablename__ = "water_bodies"
    __table_args__ = (gist_index("water_bodies"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    geom = mapped_column(MULTIPOLYGON, nullable=False)
