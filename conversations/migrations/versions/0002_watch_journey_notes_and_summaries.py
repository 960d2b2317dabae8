"""watch, journey, notes and summaries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import conversations.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_ins",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("sent_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer_by", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer", sa.String(length=8), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_check_ins_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_ins_answer_by"), ["answer_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_check_ins_child_id"), ["child_id"], unique=False)

    op.create_table(
        "notes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=False),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_notes_child_id_children")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_notes_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
    )
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notes_child_id"), ["child_id"], unique=False)

    op.create_table(
        "stage_changes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=False),
        sa.Column("at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_stage_changes_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_stage_changes_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stage_changes_child_id"), ["child_id"], unique=False)

    op.create_table(
        "summaries",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=False),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_summaries_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_summaries_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_summaries")),
    )
    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_summaries_child_id"), ["child_id"], unique=False)

    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("watch_until", conversations.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "next_check_in_at", conversations.models.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("asking_about", sa.String(length=40), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_children_next_check_in_at"), ["next_check_in_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_next_check_in_at"))
        batch_op.drop_column("asking_about")
        batch_op.drop_column("next_check_in_at")
        batch_op.drop_column("watch_until")

    with op.batch_alter_table("summaries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_summaries_child_id"))

    op.drop_table("summaries")
    with op.batch_alter_table("stage_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stage_changes_child_id"))

    op.drop_table("stage_changes")
    with op.batch_alter_table("notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_child_id"))

    op.drop_table("notes")
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_ins_child_id"))
        batch_op.drop_index(batch_op.f("ix_check_ins_answer_by"))

    op.drop_table("check_ins")
