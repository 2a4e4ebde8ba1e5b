"""Encroachment rules, the flags they raise on projects, flag history, protected parts and review reports."""
from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
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
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, synonym

from ..db import STORAGE_SRID, Base
from .base import TrackedMixin, gist_index


class EncroachmentRule(TrackedMixin, Base):
    """A rule relating projects to protected areas or water bodies; editable by an admin."""

    __tablename__ = "encroachment_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(200))
    layer: Mapped[str] = mapped_column(String(40), nullable=False)  # protected_areas | water_bodies
    feature_filter: Mapped[dict] = mapped_column(JSONB, nullable=False, default=dict)
    project_types: Mapped[list | None] = mapped_column(JSONB)  # None: every project type
    relation: Mapped[str] = mapped_column(String(20), nullable=False)
    distance_m: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    min_overlap_m2: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    min_overlap_pct: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    severity: Mapped[str] = mapped_column(String(20), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    message_en: Mapped[str | None] = mapped_column(Text)
    basis: Mapped[str] = mapped_column(Text, nullable=False)
    basis_en: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=100)


class EncroachmentFlag(Base):
    """One (project, rule) that fired: the overlap, its size and the review status.

    Never deleted: a flag whose rule stops firing is *cleared* (``cleared_at``);
    resolving or waiving only changes its status.  ``geom`` is the overlap
    (EPSG:4547), or for distance rules the shortest line to the feature.
    """

    __tablename__ = "encroachment_flags"
    __table_args__ = (UniqueConstraint("project_id", "rule_id", name="uq_encroachment_flags_project_rule"),
                      gist_index("encroachment_flags"),
                      Index("ix_encroachment_flags_features", "features", postgresql_using="gin"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), nullable=False, index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("encroachment_rules.id"), nullable=False, index=True)
    severity: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_by: Mapped[str | None] = mapped_column(String(64))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overlap_m2: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    overlap_mu: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    overlap_pct: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    min_distance_m: Mapped[float | None] = mapped_column(Float)
    features: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)  # [{layer, id, name}]
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    first_flagged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                       server_default=func.now())
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False,
                                                 server_default=func.now())
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The OGC read layer treats a cleared flag like a deleted feature.
    deleted_at = synonym("cleared_at")


class EncroachmentFlagEvent(Base):
    """One step in a flag's history: raised, changed, cleared, or a status change by a user."""

    __tablename__ = "encroachment_flag_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("encroachment_flags.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSONB)


class ProtectedPart(Base):
    """A piece (``ST_Subdivide``) of a protected area or water body, kept in sync by triggers."""

    __tablename__ = "protected_parts"
    __table_args__ = (gist_index("protected_parts"), Index("ix_protected_parts_feature", "source", "feature_id"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    source: Mapped[str] = mapped_column(String(40), nullable=False)
    feature_id: Mapped[int] = mapped_column(Integer, nullable=False)
    geom = mapped_column(Geometry("GEOMETRY", srid=STORAGE_SRID, spatial_index=False), nullable=False)


class ReviewReport(Base):
    """An issued 两型审查 report: number, date, data version, conclusion and the locked files."""

    __tablename__ = "review_reports"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_review_reports_year_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    project_version: Mapped[int] = mapped_column(Integer, nullable=False)
    data_version: Mapped[str] = mapped_column(String(80), nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    conclusion: Mapped[str] = mapped_column(String(20), nullable=False)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
    issued_by: Mapped[str] = mapped_column(String(64), nullable=False)
    html: Mapped[str] = mapped_column(Text, nullable=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    html_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    pdf_sha256: Mapped[str] = mapped_column(String(64), nullable=False)


class ReviewOverride(Base):
    """An admin's decision to let a project proceed against its review, with the reason; never changed.

    It holds for the reviewed data it was given on (``fingerprint``) and up to
    ``to_status``; a later change of the project needs a new review or override.
    """

    __tablename__ = "review_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), nullable=False, index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    conclusion: Mapped[str] = mapped_column(String(20), nullable=False)  # the review it overrides
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    reasons: Mapped[list] = mapped_column(JSONB, nullable=False, default=list)  # the review's findings then
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())


class ReviewGateQueue(Base):
    """A project write the review gate must judge before the transaction may commit (migration 0021)."""

    __tablename__ = "review_gate_queue"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    project_version: Mapped[int] = mapped_column(Integer, nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, server_default=func.now())
