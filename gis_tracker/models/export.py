"""Exports: every map snapshot, interactive map and meeting pack made, with its stored file."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Export(Base):
    """One export: who made it and when, what was asked, and the file kept under ``var/exports``.

    Rows are never changed once the file is stored: a past meeting's map is
    downloaded again byte for byte (``sha256`` proves it).
    """

    __tablename__ = "exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # snapshot | html | meeting_pack | compare
    format: Mapped[str] = mapped_column(String(10), nullable=False)  # png | pdf | html
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    params: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now(),
                                                 index=True)
    file_path: Mapped[str] = mapped_column(String(300), nullable=False, unique=True)  # relative to EXPORT_DIR
    filename: Mapped[str] = mapped_column(String(200), nullable=False)  # offered download name
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
