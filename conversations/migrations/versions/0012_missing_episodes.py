"""missing episodes and missing-person profiles

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from conversations.models import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "missing_episodes",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("opened_by", sa.String(length=26), nullable=False),
        sa.Column("opened_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("alert_id", sa.String(length=26), nullable=True),
        sa.Column("safe_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=26), nullable=True),
        sa.Column("found_how", sa.String(length=16), nullable=True),
        sa.Column("interview_due_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("interview_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("interview", sa.String(length=8), nullable=True),
        sa.Column("reminders", sa.Integer(), server_default="0", nullable=False),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_missing_episodes_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["staff.id"], name=op.f("fk_missing_episodes_opened_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff.id"], name=op.f("fk_missing_episodes_closed_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_episodes")),
    )
    for column in ("child_id", "interview_due_at"):
        op.create_index(op.f(f"ix_missing_episodes_{column}"), "missing_episodes", [column])
    op.create_table(
        "missing_profiles",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("fields_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=26), nullable=False),
        sa.Column("bond", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_missing_profiles_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["staff.id"], name=op.f("fk_missing_profiles_updated_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_missing_profiles")),
        sa.UniqueConstraint("child_id", name=op.f("uq_missing_profiles_child_id")),
    )


def downgrade() -> None:
    op.drop_table("missing_profiles")
    op.drop_table("missing_episodes")
