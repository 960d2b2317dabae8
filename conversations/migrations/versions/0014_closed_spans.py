"""closed spans: the times a case was closed and reopened, for the statistics' supported periods

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conversations.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "closed_spans",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reopened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_closed_spans_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_spans")),
    )
    op.create_index(op.f("ix_closed_spans_child_id"), "closed_spans", ["child_id"])


def downgrade() -> None:
    op.drop_table("closed_spans")
