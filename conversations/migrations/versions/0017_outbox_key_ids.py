"""outbox key ids: which young person's key a queued message is sealed under

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

A notice to staff about a young person, shown in the chat itself rather than in their topic,
names them only inside its sealed words. Their erasure deletes every message sealed under their
key in its own transaction, so none of them is sent once they are erased.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain column: SQLite adds it in place, keeping the table's AUTOINCREMENT (0015).
    op.add_column("outbox", sa.Column("key_id", sa.String(32), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("outbox", "key_id")
        return
    with op.batch_alter_table(
        "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ) as batch:
        batch.drop_column("key_id")
