"""bonds on owned rows, the journey stage sealed, audit entries that can be blanked

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

The columns only: filling them needs the keys, which migrations never see. `Store.open` does
that once (`conversations.upgrades`), and moves each plain stage into its sealed column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BONDED = (
    "staff",
    "children",
    "invites",
    "staff_invites",
    "messages",
    "pending_sends",
    "alerts",
    "check_ins",
    "stage_changes",
    "notes",
    "summaries",
)


def upgrade() -> None:
    for table in BONDED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("bond", sa.String(length=64), nullable=True))
    with op.batch_alter_table("children") as batch:
        batch.add_column(sa.Column("stage_sealed", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("stage_changes") as batch:
        batch.add_column(sa.Column("stage_sealed", sa.LargeBinary(), nullable=True))
        # Left empty once sealed; kept only so that an older copy's values can be moved.
        batch.alter_column("stage", existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("digest")
    with op.batch_alter_table("stage_changes") as batch:
        batch.drop_column("stage_sealed")
    with op.batch_alter_table("children") as batch:
        batch.drop_column("stage_sealed")
    for table in BONDED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("bond")
