"""safety paths: a priority lane in the outbox, joined alerts, the unanswered net, mutes

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import conversations.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    stamp = conversations.models.UTCDateTime(timezone=True)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("alert_id", sa.String(length=26), nullable=True))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("joined", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_at", stamp, nullable=True))
    with op.batch_alter_table("children") as batch:
        batch.add_column(sa.Column("awaiting_since", stamp, nullable=True))
        batch.add_column(sa.Column("awaiting_due_at", stamp, nullable=True))
        batch.add_column(sa.Column("closed_told_until", stamp, nullable=True))
        batch.add_column(sa.Column("muted_at", stamp, nullable=True))
        batch.create_index("ix_children_awaiting_due_at", ["awaiting_due_at"])


def downgrade() -> None:
    with op.batch_alter_table("children") as batch:
        batch.drop_index("ix_children_awaiting_due_at")
        for column in ("muted_at", "closed_told_until", "awaiting_due_at", "awaiting_since"):
            batch.drop_column(column)
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("last_at")
        batch.drop_column("joined")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("alert_id")
        batch.drop_column("lane")
