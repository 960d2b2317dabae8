"""staff topics: which topic of a staff member's chat shows which young person

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import conversations.models

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_topics",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_staff_topics_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_topics_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_topics")),
    )
    op.create_index("ix_staff_topics_child", "staff_topics", ["staff_id", "child_id"], unique=True)
    op.create_index(
        "ix_staff_topics_thread", "staff_topics", ["staff_id", "thread_id"], unique=True
    )


def downgrade() -> None:
    op.drop_index("ix_staff_topics_thread", table_name="staff_topics")
    op.drop_index("ix_staff_topics_child", table_name="staff_topics")
    op.drop_table("staff_topics")
