"""translations: machine translations owed to readers, made after the message is queued

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conversations.models import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "translations",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("message_id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("missing", sa.String(length=8), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_translations_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_translations_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_translations_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translations")),
    )
    op.create_index("ix_translations_status_due", "translations", ["status", "not_before"])
    op.create_index("ix_translations_child", "translations", ["child_id"])


def downgrade() -> None:
    op.drop_index("ix_translations_child", table_name="translations")
    op.drop_index("ix_translations_status_due", table_name="translations")
    op.drop_table("translations")
