"""Notifications (one row per recipient and event), each user's settings, and the marks of announced deadlines.

Revision ID: 0040_notifications
Revises: 0015_merge_heads
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0040_notifications"
down_revision = "0050_token_expiry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False, server_default="info"),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("link", sa.String(300)),
        sa.Column("object_type", sa.String(40)),
        sa.Column("object_id", sa.String(64)),
        sa.Column("actor", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("read_at", sa.DateTime(timezone=True)),
        sa.Column("email_state", sa.String(20)),
        sa.Column("email_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("email_error", sa.Text),
        sa.Column("emailed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_notifications_user_unread", "notifications", ["user_id", "id"],
                    postgresql_where=sa.text("read_at IS NULL"))
    op.create_index("ix_notifications_user_created", "notifications", ["user_id", "created_at"])
    op.create_index("ix_notifications_email_pending", "notifications", ["email_state"],
                    postgresql_where=sa.text("email_state IN ('immediate', 'digest')"))
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("events", JSONB, nullable=False, server_default="{}"),
        sa.Column("email", sa.String(254)),
        sa.Column("email_mode", sa.String(20), nullable=False, server_default="off"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_digest_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint("email_mode IN ('off', 'immediate', 'digest')", name="ck_notification_settings_mode"),
    )
    op.create_table(
        "notification_marks",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("notification_marks")
    op.drop_table("notification_settings")
    op.drop_table("notifications")
