"""Relocation history: every stage transition of an enterprise and its attached documents."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class StageTransition(Base):
    """One change of an enterprise's stage; rows are only ever added, never changed."""

    __tablename__ = "stage_transitions"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False, index=True)
    from_stage: Mapped[str] = mapped_column(String(30), nullable=False)
    to_stage: Mapped[str] = mapped_column(String(30), nullable=False)
    on_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    direction: Mapped[str] = mapped_column(String(10), nullable=False)  # forward | skip | back
    override: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # why a stage was skipped or gone back to
    destination: Mapped[str | None] = mapped_column(String(200))  # set with this transition
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # ui | api | ledger | migration | sample
    enterprise_version: Mapped[int | None] = mapped_column(Integer)  # the version this produced
    username: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class TransitionAttachment(Base):
    """A file kept with a transition (signed agreement, site photos), stored under DATA_DIR."""

    __tablename__ = "transition_attachments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    transition_id: Mapped[int] = mapped_column(ForeignKey("stage_transitions.id"), nullable=False, index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)  # as uploaded, for display only
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)  # server-chosen path
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
