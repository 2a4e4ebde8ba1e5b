"""Every saved state of every feature, for history, diffs and restore."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, Integer, String, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import STORAGE_SRID, Base


class FeatureVersion(Base):
    """One version of a feature: its attributes and geometry as saved, who and when."""

    __tablename__ = "feature_versions"
    __table_args__ = (UniqueConstraint("collection", "feature_id", "version"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    collection: Mapped[str] = mapped_column(String(80), nullable=False)
    feature_id: Mapped[int] = mapped_column(Integer, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)  # create|update|delete|restore
    properties: Mapped[dict] = mapped_column(JSONB, nullable=False)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False))
    username: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
