"""Browser sessions kept on the server: the cookie carries only a random session id.

A row per logged-in browser session, keyed by the SHA-256 of the id in the
cookie (a copy of this table, e.g. in a backup, does not let anyone use a
session).  Logging out, changing or resetting the password, deactivating the
account and an admin's "sign out everywhere" delete rows; a row idle for
SESSION_IDLE_MINUTES or older than SESSION_ABSOLUTE_HOURS is refused and
deleted (services/accounts/browser_sessions.py).  In PostgreSQL, every server
worker sees the same sessions.

Revision ID: 0030_browser_sessions
Revises: 0015_merge_heads
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0030_browser_sessions"
down_revision = "0043_compare_exports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "browser_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("address", sa.String(64)),
        sa.Column("user_agent", sa.String(200)),
    )
    op.create_index("ix_browser_sessions_user_id", "browser_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_browser_sessions_user_id", table_name="browser_sessions")
    op.drop_table("browser_sessions")
