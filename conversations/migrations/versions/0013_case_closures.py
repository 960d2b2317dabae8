"""case closures: a closed young person's record is erased after the retention period

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conversations.models import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_closures",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("closed_by", sa.String(length=26), nullable=False),
        sa.Column("reason", sa.String(length=8), nullable=False),
        sa.Column("words_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("erase_due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("warned_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("held_told_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_case_closures_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff.id"], name=op.f("fk_case_closures_closed_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_closures")),
        sa.UniqueConstraint("child_id", name=op.f("uq_case_closures_child_id")),
    )
    op.create_index(op.f("ix_case_closures_erase_due_at"), "case_closures", ["erase_due_at"])


def downgrade() -> None:
    op.drop_table("case_closures")
