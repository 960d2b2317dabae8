"""outbox ids never reused: on SQLite the outbox numbers its rows with AUTOINCREMENT

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

Without it SQLite gives a new row the highest id in use plus one, so a row deleted while the
dispatcher was sending it (an erasure retires the young person's pending messages) could
hand its id to a row queued right after, and that row would be marked with the first one's
outcome: a message marked sent that never went. PostgreSQL's sequence never reuses an id.
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "outbox", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
