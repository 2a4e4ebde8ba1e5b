"""Layers that planners create or import, with typed fields and a stored style."""
from __future__ import annotations

from geoalchemy2 import Geometry
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import STORAGE_SRID, Base
from .base import TrackedMixin, gist_index


class UserLayer(TrackedMixin, Base):
    """A layer defined in the app; served as the OGC collection ``name``."""

    __tablename__ = "user_layers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    title_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    geometry_type: Mapped[str] = mapped_column(String(30), nullable=False)
    # [{"name", "type", "label", "label_en", "required", "choices"}]
    fields: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    # {"color", "fillColor", "weight", "opacity", "fillOpacity", "label_field"}
    style: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    hidden: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class LayerFeature(TrackedMixin, Base):
    """A feature of a :class:`UserLayer`; attributes live in ``properties``."""

    __tablename__ = "layer_features"
    # Partitioned by layer_id (migration 0012); live and deleted rows indexed apart (migration 0011).
    __table_args__ = (
        gist_index("layer_features"),
        Index("ix_layer_features_live", "layer_id", postgresql_where=text("deleted_at IS NULL")),
        Index("ix_layer_features_deleted", "layer_id", postgresql_where=text("deleted_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    layer_id: Mapped[int] = mapped_column(ForeignKey("user_layers.id"), nullable=False)
    properties: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    # Set by the database (migration 0020) from the geometry: the sub-area it overlaps most, and its 片区.
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    top_zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id", ondelete="SET NULL"))
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False)
