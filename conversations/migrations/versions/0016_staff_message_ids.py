"""staff message ids: where a staff member's message to a young person was written, for edits

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

A staff member who edits a message already sent to a young person is found out by the id of
the message in their own chat with the bot; the edit then reaches the young person, and the
interpreter reading the conversation, as a correction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("author_tg_message_id", sa.BigInteger(), nullable=True))
        batch.create_index("ix_messages_author_tg", ["staff_id", "author_tg_message_id"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_index("ix_messages_author_tg")
        batch.drop_column("author_tg_message_id")
