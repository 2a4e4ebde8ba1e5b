"""Cached vector tiles, each with the area it covers so edits invalidate only affected tiles."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, DateTime, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import STORAGE_SRID, Base
from .base import gist_index


class CachedTile(Base):
    """One rendered MVT tile of a collection."""

    __tablename__ = "tile_cache"
    __table_args__ = (gist_index("tile_cache", "bounds"),)

    collection: Mapped[str] = mapped_column(String(80), primary_key=True)
    z: Mapped[int] = mapped_column(Integer, primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    bounds = mapped_column(Geometry("POLYGON", srid=STORAGE_SRID, spatial_index=False), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class TileEpoch(Base):
    """A per-collection counter bumped by every write, closing the render/write race."""

    __tablename__ = "tile_epochs"

    collection: Mapped[str] = mapped_column(String(80), primary_key=True)
    epoch: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
