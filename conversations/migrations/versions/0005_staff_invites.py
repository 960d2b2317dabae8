"""staff invites: a supervisor's single-use code that enrols an advocate

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import conversations.models

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_invites",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code_index", sa.String(length=40), nullable=False),
        sa.Column("created_by", sa.String(length=26), nullable=False),
        sa.Column("name_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("staff_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_staff_invites_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_invites_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("code_index", name=op.f("uq_staff_invites_code_index")),
    )


def downgrade() -> None:
    op.drop_table("staff_invites")
