"""Data exchange: uploaded imports awaiting or past their commit, stored rasters, zone populations."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class DataImport(Base):
    """One uploaded file: its preview, the user's options and mapping, and the outcome of the commit."""

    __tablename__ = "data_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    format: Mapped[str] = mapped_column(String(20), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    # previewed | committing | committed | failed | cancelled | expired
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="previewed")
    token: Mapped[str] = mapped_column(String(40), nullable=False, unique=True)  # scratch directory name
    options: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    preview: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    target: Mapped[str | None] = mapped_column(String(80))
    mapping: Mapped[dict | None] = mapped_column(JSONB)
    job_id: Mapped[int | None] = mapped_column(Integer)
    result: Mapped[dict | None] = mapped_column(JSONB)
    error_code: Mapped[str | None] = mapped_column(String(60))
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Raster(Base):
    """A raster layer stored as a Cloud-Optimized GeoTIFF under RASTER_DIR, with its metadata."""

    __tablename__ = "rasters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # dem | landcover | imagery
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)  # relative to RASTER_DIR
    crs: Mapped[str] = mapped_column(Text, nullable=False)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    dtype: Mapped[str] = mapped_column(String(20), nullable=False)
    nodata: Mapped[float | None] = mapped_column(Float)
    bounds: Mapped[list] = mapped_column(JSONB, nullable=False)
    bounds_4326: Mapped[list] = mapped_column(JSONB, nullable=False)
    res: Mapped[list] = mapped_column(JSONB, nullable=False)
    stats: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    scheme: Mapped[str | None] = mapped_column(String(40))  # land-cover class scheme
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    source_filename: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(64))


class ZonePopulation(Base):
    """The population of a zone or sub-area, entered by a planner (for green space per person)."""

    __tablename__ = "zone_populations"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id", ondelete="CASCADE"), primary_key=True)
    population: Mapped[int] = mapped_column(Integer, nullable=False)
    year: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
