"""retired topics: a topic Telegram would not delete is kept, nameless, and never shown in again

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

A topic the bot could not delete (after a handover or an interpreter's window) is renamed so
that it names no one. Its map row now says so (``retired_at``) instead of going on pointing at
it as the young person's topic: should they come back to that staff member, a fresh topic is
made for them, while the old one still refuses whoever writes in it. One live topic per young
person in a chat, so the unique index on (staff, young person) leaves retired rows out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import conversations.models

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

TOPICS = sa.table("staff_topics", sa.column("retired_at"))
LIVE = TOPICS.c.retired_at.is_(None)


def upgrade() -> None:
    with op.batch_alter_table("staff_topics") as batch:
        batch.add_column(
            sa.Column("retired_at", conversations.models.UTCDateTime(timezone=True), nullable=True)
        )
    op.drop_index("ix_staff_topics_child", table_name="staff_topics")
    op.create_index(
        "ix_staff_topics_child",
        "staff_topics",
        ["staff_id", "child_id"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_staff_topics_child", table_name="staff_topics")
    # Without the column a retired row would pass for a live topic: forget those topics.
    op.execute(sa.delete(TOPICS).where(TOPICS.c.retired_at.is_not(None)))
    op.create_index("ix_staff_topics_child", "staff_topics", ["staff_id", "child_id"], unique=True)
    with op.batch_alter_table("staff_topics") as batch:
        batch.drop_column("retired_at")
