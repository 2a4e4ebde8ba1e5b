"""API tokens carry an expiry date: an expired token authenticates no one.

Tokens made before this revision keep no expiry (NULL) until revoked; tokens
created on the account page get the date the user chose.

Revision ID: 0050_token_expiry
Revises: 0015_merge_heads
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0050_token_expiry"
down_revision = "0015_merge_heads"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("api_tokens", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("api_tokens", "expires_at")
