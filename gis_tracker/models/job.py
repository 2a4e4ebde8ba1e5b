"""Background jobs (imports, exports, meeting packs) with progress users can come back to."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class Job(Base):
    """One background task: its kind, who started it, progress and outcome."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="queued")  # queued|running|done|failed
    progress: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 0..100
    message: Mapped[str | None] = mapped_column(Text)
    params: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    result: Mapped[dict | None] = mapped_column(JSONB)
    error_code: Mapped[str | None] = mapped_column(String(60))
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Stamped by every progress update (migration 0014): when the job last reported (a dead worker is told
    # by its free advisory lock, services/platform/jobs.py, not by the age of this).
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), server_default=func.now())
