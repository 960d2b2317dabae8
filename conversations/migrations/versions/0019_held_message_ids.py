"""held message ids: where a message waiting for its young person was written, for edits

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

An advocate with several young people who writes a plain message is asked which of them it is
for; the message waits meanwhile. An edit of it before the choice is found by the id of the
message in their own chat, so that the new words are what goes. (Waiting messages from before
this migration carry the id only in their sealed body: an edit of one of those is not found.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pending_sends") as batch:
        batch.add_column(sa.Column("written_as", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_sends") as batch:
        batch.drop_column("written_as")
