"""Enterprise contact fields, the ones relocation officers keep (rights per field: services/features/catalog.py).

Revision ID: 0022_enterprise_contacts
Revises: 0021_review_workflow
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0022_enterprise_contacts"
down_revision = "0021_review_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("enterprises", sa.Column("contact_person", sa.String(100)))
    op.add_column("enterprises", sa.Column("contact_phone", sa.String(40)))


def downgrade() -> None:
    op.drop_column("enterprises", "contact_phone")
    op.drop_column("enterprises", "contact_person")
