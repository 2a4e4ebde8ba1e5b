"""Flags belong to their project: removing a project row (outside the app, which only soft-deletes) removes its flags.

Revision ID: 0004a_encroachment_cascade
Revises: 0004_encroachment
Create Date: 2026-11-28
"""
from alembic import op

revision = "0004a_encroachment_cascade"
down_revision = "0004_encroachment"
branch_labels = None
depends_on = None

# (table, constraint, column, referenced table, cascade?)
KEYS = [("encroachment_flags", "encroachment_flags_project_id_fkey", "project_id", "projects"),
        ("encroachment_flag_events", "encroachment_flag_events_flag_id_fkey", "flag_id", "encroachment_flags")]


def _recreate(cascade: bool) -> None:
    for table, name, column, target in KEYS:
        op.drop_constraint(name, table, type_="foreignkey")
        op.create_foreign_key(name, table, target, [column], ["id"], ondelete="CASCADE" if cascade else None)


def upgrade() -> None:
    _recreate(cascade=True)


def downgrade() -> None:
    _recreate(cascade=False)
