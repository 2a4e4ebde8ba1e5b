"""Columns shared by every editable feature: version, who/when, soft delete."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column


def gist_index(table: str, column: str = "geom") -> Index:
    """Return the GiST index on ``table.column`` under the name the migrations give it (``ix_<table>_<column>``)."""
    return Index(f"ix_{table}_{column}", column, postgresql_using="gist")


class TrackedMixin:
    """Version counter (for ETags), creation/update attribution and soft delete."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(String(64))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(64))
