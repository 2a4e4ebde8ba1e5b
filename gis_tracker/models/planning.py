"""Following the plan: the register of its measurable targets, their yearly values, the published index
reports, and the ecological-restoration records of projects."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class PlanIndicator(Base):
    """One measurable target of the plan: number, unit, direction, deadline and the sentence it comes from.

    Seeded by migration 0042 from the plan text; admins change only ``weight`` (its share in the index).
    """

    __tablename__ = "plan_indicators"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    section: Mapped[str] = mapped_column(String(40), nullable=False)  # the plan's clause, e.g. 一(二)
    theme: Mapped[str] = mapped_column(String(40), nullable=False)  # industry | living | ecology | resources | ...
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    label_en: Mapped[str] = mapped_column(String(200), nullable=False)
    target: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(40), nullable=False)
    direction: Mapped[str] = mapped_column(String(2), nullable=False)  # >= | <=
    mode: Mapped[str] = mapped_column(String(30), nullable=False, default="level")
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[int | None] = mapped_column(Integer)  # the year by which (from which) it must hold
    deadline_stated: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    basis: Mapped[str] = mapped_column(Text, nullable=False)  # the plan's sentence, verbatim
    value_unit: Mapped[str | None] = mapped_column(String(40))  # unit of the yearly values when it differs
    computed: Mapped[str | None] = mapped_column(String(40))  # how the app computes it, None: entered only
    weight: Mapped[float] = mapped_column(Float, nullable=False, default=1.0)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class PlanIndicatorValue(Base):
    """A yearly value entered by authorised staff, with its source; replaced values are kept (deleted_at)."""

    __tablename__ = "plan_indicator_values"
    __table_args__ = (
        Index("uq_plan_indicator_values_live", "indicator_key", "year", unique=True,
              postgresql_where=text("deleted_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    indicator_key: Mapped[str] = mapped_column(ForeignKey("plan_indicators.key"), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)  # e.g. 区统计局《2017年统计公报》
    source_date: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    entered_by: Mapped[str] = mapped_column(String(64), nullable=False)
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(64))


class IndexReport(Base):
    """A published 两型社会建设指数 report for one year: number, inputs and the locked PDF (never changed)."""

    __tablename__ = "index_reports"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_index_reports_year_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)  # the year the figures are for
    seq: Mapped[int] = mapped_column(Integer, nullable=False)  # edition within that year
    index_value: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float, nullable=False)
    inputs: Mapped[dict] = mapped_column(JSONB, nullable=False)  # weights, values, scores as published
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    published_by: Mapped[str] = mapped_column(String(64), nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    pdf_sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class RestorationCheck(Base):
    """Whether a project should be restored, as the system sees it: overlaps with water or protected areas,
    slopes above the threshold on the DEM.  Refreshed whenever the project or those layers change."""

    __tablename__ = "restoration_checks"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    proposed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    reasons: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)
    dem_raster: Mapped[str | None] = mapped_column(String(63))
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class RestorationEvidence(Base):
    """A file proving a project's restoration (site photos, acceptance letter), stored under DATA_DIR."""

    __tablename__ = "restoration_evidence"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    restored_date: Mapped[date] = mapped_column(Date, nullable=False)  # the restoration it documents
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    content_type: Mapped[str] = mapped_column(String(100), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    uploaded_by: Mapped[str | None] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
