"""Relocation history: stage transitions and their attachments, backfilled from stage_dates.

Revision ID: 0003_relocation
Revises: 0002_versions_layers
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_relocation"
down_revision = "0002_versions_layers"
branch_labels = None
depends_on = None

STAGES = ("not_started", "assessment", "agreement_signed", "production_halted", "demolished",
          "remediation", "accepted")

# One forward transition per reached stage, in stage order, dated from enterprises.stage_dates.
# Passing over a stage counts as an ordinary step only for transform in place over 设备拆除.
BACKFILL = """
WITH stage_order(code, ord) AS (VALUES {values}),
reached AS (
    SELECT e.id AS enterprise_id, e.path, e.version, s.code, s.ord,
           (e.stage_dates ->> s.code)::date AS on_date
    FROM enterprises e
    JOIN stage_order s ON e.stage_dates ? s.code
    JOIN stage_order cur ON cur.code = e.stage
    WHERE s.ord > 0 AND s.ord <= cur.ord
      AND e.stage_dates ->> s.code ~ '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$'
),
steps AS (
    SELECT r.*,
           lag(r.code, 1, 'not_started') OVER w AS from_stage,
           lag(r.ord, 1, 0) OVER w AS from_ord
    FROM reached r
    WINDOW w AS (PARTITION BY r.enterprise_id ORDER BY r.ord)
)
INSERT INTO stage_transitions (enterprise_id, from_stage, to_stage, on_date, direction, override, note,
                               source, enterprise_version, username)
SELECT enterprise_id, from_stage, code, on_date,
       CASE WHEN ord - from_ord = 1 OR (path = 'transform' AND code = 'remediation'
                                         AND from_stage = 'production_halted')
            THEN 'forward' ELSE 'skip' END,
       false, '据已有阶段日期补录 / backfilled from the recorded stage dates', 'migration', version, 'migration'
FROM steps
ORDER BY enterprise_id, ord
"""


def upgrade() -> None:
    op.create_table(
        "stage_transitions",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False, index=True),
        sa.Column("from_stage", sa.String(30), nullable=False),
        sa.Column("to_stage", sa.String(30), nullable=False),
        sa.Column("on_date", sa.Date, nullable=False, index=True),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("override", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("note", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("destination", sa.String(200)),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("enterprise_version", sa.Integer),
        sa.Column("username", sa.String(64)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("direction IN ('forward', 'skip', 'back')", name="ck_stage_transitions_direction"),
        sa.CheckConstraint(f"to_stage IN {STAGES!r}", name="ck_stage_transitions_to_stage"),
        sa.CheckConstraint(f"from_stage IN {STAGES!r}", name="ck_stage_transitions_from_stage"),
    )
    op.create_table(
        "transition_attachments",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("transition_id", sa.BigInteger, sa.ForeignKey("stage_transitions.id"), nullable=False,
                  index=True),
        sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False, index=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(200), nullable=False, unique=True),
        sa.Column("uploaded_by", sa.String(64)),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )
    values = ", ".join(f"('{code}', {i})" for i, code in enumerate(STAGES))
    op.execute(BACKFILL.format(values=values))


def downgrade() -> None:
    op.drop_table("transition_attachments")
    op.drop_table("stage_transitions")
