"""interpreters: their windows on a young person's conversation, and staff codes with languages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conversations.models import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_invites") as batch:
        batch.add_column(
            sa.Column("languages", sa.String(length=128), nullable=False, server_default="")
        )
    op.create_table(
        "interpreter_windows",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("asked_by", sa.String(length=26), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("offered", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("interpreter_id", sa.String(length=26), nullable=True),
        sa.Column("asked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_interpreter_windows_child_id_children"),
        ),
        sa.ForeignKeyConstraint(
            ["asked_by"], ["staff.id"], name=op.f("fk_interpreter_windows_asked_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["interpreter_id"],
            ["staff.id"],
            name=op.f("fk_interpreter_windows_interpreter_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_interpreter_windows")),
    )
    for column in ("child_id", "status", "interpreter_id", "ends_at"):
        op.create_index(op.f(f"ix_interpreter_windows_{column}"), "interpreter_windows", [column])


def downgrade() -> None:
    op.drop_table("interpreter_windows")
    with op.batch_alter_table("staff_invites") as batch:
        batch.drop_column("languages")
