"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import conversations.models

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_log_hash")),
        sa.UniqueConstraint("prev_hash", name=op.f("uq_audit_log_prev_hash")),
    )
    op.create_table(
        "code_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("tg_index", sa.String(length=40), nullable=False),
        sa.Column("at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_attempts")),
    )
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_code_attempts_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_code_attempts_tg_index"), ["tg_index"], unique=False)

    op.create_table(
        "data_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("wrapped", sa.LargeBinary(), nullable=True),
        sa.Column("master_id", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
    )
    op.create_table(
        "inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("chat_index", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbox")),
    )
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inbox_status"), ["status"], unique=False)

    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("tg_index", sa.String(length=40), nullable=False),
        sa.Column("tg_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("name_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("languages", sa.String(length=128), nullable=False),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("unreachable", sa.Boolean(), nullable=False),
        sa.Column("away_until", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("tg_index", name=op.f("uq_staff_tg_index")),
    )
    op.create_table(
        "children",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("ref", sa.String(length=8), nullable=False),
        sa.Column("tg_index", sa.String(length=40), nullable=False),
        sa.Column("tg_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("nickname_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("data_key_id", sa.String(length=32), nullable=False),
        sa.Column("advocate_id", sa.String(length=26), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("locale_chosen", sa.Boolean(), nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("unreachable", sa.Boolean(), nullable=False),
        sa.Column("linked_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["advocate_id"], ["staff.id"], name=op.f("fk_children_advocate_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["data_key_id"], ["data_keys.id"], name=op.f("fk_children_data_key_id_data_keys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
        sa.UniqueConstraint("ref", name=op.f("uq_children_ref")),
        sa.UniqueConstraint("tg_index", name=op.f("uq_children_tg_index")),
    )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_children_advocate_id"), ["advocate_id"], unique=False)

    op.create_table(
        "pending_sends",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=False),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_pending_sends_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_sends")),
    )
    with op.batch_alter_table("pending_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_sends_staff_id"), ["staff_id"], unique=False)

    op.create_table(
        "invites",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("code_index", sa.String(length=40), nullable=False),
        sa.Column("advocate_id", sa.String(length=26), nullable=False),
        sa.Column("nickname_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("child_id", sa.String(length=26), nullable=True),
        sa.ForeignKeyConstraint(
            ["advocate_id"], ["staff.id"], name=op.f("fk_invites_advocate_id_staff")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_invites_child_id_children")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_index", name=op.f("uq_invites_code_index")),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("staff_id", sa.String(length=26), nullable=True),
        sa.Column("body_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("tg_message_id", sa.BigInteger(), nullable=True),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_messages_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_messages_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_child_created", ["child_id", "created_at"], unique=False)
        batch_op.create_index("ix_messages_child_tg", ["child_id", "tg_message_id"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("child_id", sa.String(length=26), nullable=False),
        sa.Column("message_id", sa.String(length=26), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("reasons_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("next_due_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("raised_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "acknowledged_at", conversations.models.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("acknowledged_by", sa.String(length=26), nullable=True),
        sa.Column("resolved_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=26), nullable=True),
        sa.Column("outcome_sealed", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"], ["staff.id"], name=op.f("fk_alerts_acknowledged_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_alerts_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_alerts_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"], ["staff.id"], name=op.f("fk_alerts_resolved_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_child_id"), ["child_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_next_due_at"), ["next_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_alerts_status"), ["status"], unique=False)

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=26), nullable=False),
        sa.Column("chat_index", sa.String(length=40), nullable=False),
        sa.Column("chat_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", conversations.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", conversations.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=120), nullable=True),
        sa.Column("child_id", sa.String(length=26), nullable=True),
        sa.Column("staff_id", sa.String(length=26), nullable=True),
        sa.Column("message_id", sa.String(length=26), nullable=True),
        sa.Column("reply_to_message_id", sa.String(length=26), nullable=True),
        sa.Column("tg_message_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_outbox_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_outbox_message_id_messages")
        ),
        sa.ForeignKeyConstraint(
            ["reply_to_message_id"],
            ["messages.id"],
            name=op.f("fk_outbox_reply_to_message_id_messages"),
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_outbox_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("uid", name=op.f("uq_outbox_uid")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_chat_tg", ["chat_index", "tg_message_id"], unique=False)
        batch_op.create_index("ix_outbox_message", ["message_id"], unique=False)
        batch_op.create_index("ix_outbox_status_chat", ["status", "chat_index", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_chat")
        batch_op.drop_index("ix_outbox_message")
        batch_op.drop_index("ix_outbox_chat_tg")

    op.drop_table("outbox")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_status"))
        batch_op.drop_index(batch_op.f("ix_alerts_next_due_at"))
        batch_op.drop_index(batch_op.f("ix_alerts_child_id"))

    op.drop_table("alerts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_child_tg")
        batch_op.drop_index("ix_messages_child_created")

    op.drop_table("messages")
    op.drop_table("invites")
    with op.batch_alter_table("pending_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_sends_staff_id"))

    op.drop_table("pending_sends")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_advocate_id"))

    op.drop_table("children")
    op.drop_table("staff")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_status"))

    op.drop_table("inbox")
    op.drop_table("data_keys")
    with op.batch_alter_table("code_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_code_attempts_tg_index"))
        batch_op.drop_index(batch_op.f("ix_code_attempts_at"))

    op.drop_table("code_attempts")
    op.drop_table("audit_log")
