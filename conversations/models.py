"""The store's tables. Sealed columns (``*_sealed``) hold AES-GCM blobs, never plaintext.

Telegram ids appear only sealed and as a blind index (``*_index``). Row ids are ULIDs made in
Python (`conversations.ids`), except the queues, whose integer ids give their order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    TypeDecorator,
    column,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are always aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(26)
INDEX = String(40)
# What a sealed column holds once its row has done its job (a handled update, a sent message):
# the row keeps its ids and routing, not the words.
WIPED = b""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Bonded:
    """A row whose relations decide who reads what (its owner, its child, a role).

    ``bond`` is a keyed MAC over the columns named in ``BOND`` (see `conversations.bonds`):
    with write access to the database but not the index key, a child cannot be moved to
    another advocate, nor a note or a summary to another child, without the row refusing to
    load.
    """

    BOND: ClassVar[tuple[str, ...]] = ()
    bond: Mapped[str | None] = mapped_column(String(64))


class DataKey(Base):
    __tablename__ = "data_keys"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    # None once destroyed: everything sealed under it is gone for good.
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    master_id: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Staff(Bonded, Base):
    __tablename__ = "staff"
    BOND = ("id", "tg_index", "role", "active")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    tg_index: Mapped[str] = mapped_column(INDEX, unique=True)
    tg_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(16))
    languages: Mapped[str] = mapped_column(String(128), default="")
    locale: Mapped[str] = mapped_column(String(16), default="en")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    away_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Child(Bonded, Base):
    __tablename__ = "children"
    BOND = ("id", "ref", "tg_index", "data_key_id", "advocate_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    ref: Mapped[str] = mapped_column(String(8), unique=True)
    tg_index: Mapped[str] = mapped_column(INDEX, unique=True)
    tg_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    nickname_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    data_key_id: Mapped[str] = mapped_column(ForeignKey("data_keys.id"))
    advocate_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    locale: Mapped[str] = mapped_column(String(16), default="en")
    locale_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    # The journey stage (police interview, court ...), sealed under the child's key.
    stage_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Where the stage was kept in plain text before it was sealed: emptied on upgrade.
    stage_legacy: Mapped[str | None] = mapped_column("stage", String(32))
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Missing-risk watch: daily check-ins until this time (after linking or a new placement).
    watch_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_check_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # What the child's next message is about (a question on a topic, a correction), if anything.
    asking_about: Mapped[str | None] = mapped_column(String(40))
    # The end of the advocate's absence this child was last told of (told once per absence).
    away_told_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The net under detection: the oldest message no staff member has answered or marked seen,
    # and when its silence becomes a concern.
    awaiting_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    awaiting_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Outside service hours: the opening this child was last told of (told once per closure).
    closed_told_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An unlinked sender a supervisor muted: their messages are kept, not pushed to anyone.
    muted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Invite(Bonded, Base):
    __tablename__ = "invites"
    BOND = ("id", "code_index", "advocate_id", "child_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code_index: Mapped[str] = mapped_column(INDEX, unique=True)
    advocate_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    nickname_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    child_id: Mapped[str | None] = mapped_column(ForeignKey("children.id"))


class StaffInvite(Bonded, Base):
    """A supervisor's single-use code that enrols whoever opens it as an advocate."""

    __tablename__ = "staff_invites"
    BOND = ("id", "code_index", "created_by", "role", "staff_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    code_index: Mapped[str] = mapped_column(INDEX, unique=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    name_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    role: Mapped[str] = mapped_column(String(16))
    # An interpreter's languages, given with the code (plain, like `Staff.languages`).
    languages: Mapped[str] = mapped_column(String(128), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))


class InterpreterWindow(Bonded, Base):
    """An advocate's request for an interpreter for one child, and the window it opened.

    ``offered`` is asked (offered to the interpreters listed), then ``open`` (one accepted,
    until ``ends_at``), then ``ended``, ``expired`` or ``lapsed`` (nobody accepted in time).
    Who reads what is decided here, so the child, the interpreter, the state and the end are
    bonded.
    """

    __tablename__ = "interpreter_windows"
    BOND = ("id", "child_id", "interpreter_id", "status", "ends_at", "offered")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    asked_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    language: Mapped[str] = mapped_column(String(16))
    # Staff ids the request was offered to, comma-separated: only they may accept it.
    offered: Mapped[str] = mapped_column(String(2000), default="")
    status: Mapped[str] = mapped_column(String(8), index=True)
    interpreter_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"), index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # An offer nobody accepts lapses then; an accepted window ends then.
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(40))


class CodeAttempt(Base):
    """A wrong code; kept so throttling survives a restart."""

    __tablename__ = "code_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    tg_index: Mapped[str] = mapped_column(INDEX, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Message(Bonded, Base):
    """One message of a child's conversation, either way; content sealed under the child's key."""

    __tablename__ = "messages"
    BOND = ("id", "child_id", "direction", "staff_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" from the child, "out" to them
    kind: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The message's id in the child's chat (theirs for "in", ours once sent for "out").
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # A staff member's message ("out"): its id in their own chat, where they may edit it.
    author_tg_message_id: Mapped[int | None] = mapped_column(BigInteger)
    severity: Mapped[str] = mapped_column(String(8), default="none")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_messages_child_created", "child_id", "created_at"),
        Index("ix_messages_child_tg", "child_id", "tg_message_id"),
        Index("ix_messages_author_tg", "staff_id", "author_tg_message_id"),
    )


class Translation(Bonded, Base):
    """A machine translation one reader is owed of one message; asked for after the message
    is queued, made outside any transaction, and sent after it as a reply. No text is kept
    here: the message's own sealed body is what is translated."""

    __tablename__ = "translations"
    BOND = ("id", "message_id", "child_id", "staff_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"))
    # The reader: a staff member, or the young person when None.
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    source: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(8))
    # pending, done, or missing (then `missing` says why: pair, down, slow).
    status: Mapped[str] = mapped_column(String(8), default="pending")
    missing: Mapped[str | None] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_translations_status_due", "status", "not_before"),
        Index("ix_translations_child", "child_id"),
    )


class InboxUpdate(Base):
    """An update from Telegram, committed before Telegram is told it arrived."""

    __tablename__ = "inbox"
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    # The chat's blind index, so updates of one chat are handled in order, one at a time.
    chat_index: Mapped[str | None] = mapped_column(INDEX)
    status: Mapped[str] = mapped_column(String(8), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(String(120))


class OutboxMessage(Base):
    """A message to send; written in the same transaction as the change that caused it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(ID, unique=True)
    chat_index: Mapped[str] = mapped_column(INDEX)
    chat_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    payload_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    purpose: Mapped[str] = mapped_column(String(16))  # relay, reply, notice, alert, system
    # 0: safety (emergency answers, alerts, acknowledgements) goes before 1: everything else.
    lane: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The alert a card shows, so the card can be kept up to date.
    alert_id: Mapped[str | None] = mapped_column(String(26))
    status: Mapped[str] = mapped_column(String(8), default="pending")  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(120))
    child_id: Mapped[str | None] = mapped_column(ForeignKey("children.id"))
    # The young person's key it is sealed under (None: the system key). A notice about them
    # shown outside their topic names them only in its words: their erasure finds it by this.
    key_id: Mapped[str | None] = mapped_column(String(32))
    staff_id: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"))
    # Reply to wherever `reply_to_message_id` was delivered in this chat (for corrections, answers).
    reply_to_message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"))
    tg_message_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("ix_outbox_status_chat", "status", "chat_index", "id"),
        Index("ix_outbox_chat_tg", "chat_index", "tg_message_id"),
        Index("ix_outbox_message", "message_id"),
        # Never an id used before (SQLite would reuse the highest): a row deleted while it was
        # being sent must not pass its outcome to the next row queued (migration 0014).
        {"sqlite_autoincrement": True},
    )


class QueueTotal(Base):
    """How many inbox and outbox rows of each outcome were deleted (after their retention, or
    with an erased child), so totals counted from the queues never go down."""

    __tablename__ = "queue_totals"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class PendingSend(Bonded, Base):
    """An advocate's message waiting for them to pick which child it is for."""

    __tablename__ = "pending_sends"
    BOND = ("id", "staff_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"), index=True)
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Its id in the staff member's own chat (also sealed in the body): how an edit of it that
    # comes before the choice is found.
    written_as: Mapped[int | None] = mapped_column(BigInteger)


class StaffTopic(Bonded, Base):
    """The topic of a staff member's chat with the bot that shows one young person (Bot API
    9.3), by the id Telegram gave it. Bonded: a row moved to another young person would send
    what the staff member writes in that topic to them."""

    __tablename__ = "staff_topics"
    BOND = ("id", "staff_id", "child_id", "thread_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"))
    thread_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When Telegram refused to delete it: kept, nameless, to refuse whoever writes in it and
    # to be deleted with them, but never shown in again. Outside the bond: a row set live
    # again would only put messages in a topic of the same chat.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # One live topic per young person in a chat; those Telegram would not delete stay.
        Index(
            "ix_staff_topics_child",
            "staff_id",
            "child_id",
            unique=True,
            sqlite_where=column("retired_at").is_(None),
            postgresql_where=column("retired_at").is_(None),
        ),
        Index("ix_staff_topics_thread", "staff_id", "thread_id", unique=True),
    )


class AuditEntry(Base):
    """Append-only and hash-chained: each row's hash covers the previous row's hash."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A keyed digest of the fields above, which the chain links: an erasure can blank the
    # fields of entries about the child and the chain still verifies (see `conversations.audit`).
    digest: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """Where the audit chain ends, keyed: deleting the newest entries no longer goes unseen.

    One row (id 1), made by the migration; `rows` stays empty until the first entry anchors it.
    """

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    mac: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Alert(Bonded, Base):
    """A safety alert; re-raised on the escalation ladder until a person acknowledges it."""

    __tablename__ = "alerts"
    BOND = ("id", "child_id", "message_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"))
    source: Mapped[str] = mapped_column(String(16))  # message, edit, help_now, check_in
    severity: Mapped[str] = mapped_column(String(8))
    # Categories and rule ids say what worried us: sealed under the child's key.
    reasons_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    # More presses or messages that joined this alert instead of raising their own, and when the
    # latest came.
    joined: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    outcome_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)


class CheckIn(Bonded, Base):
    """A daily "how are you?" during the missing-risk watch, and what came of it."""

    __tablename__ = "check_ins"
    BOND = ("id", "child_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer_by: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(String(8))
    # Silence past `answer_by` has been raised as a concern (once), or its case was closed first
    # and it never will be (`watch.pause_watch`).
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)


class StageChange(Bonded, Base):
    """The child's journey stage over time; the newest row is the current stage."""

    __tablename__ = "stage_changes"
    BOND = ("id", "child_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    stage_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    stage_legacy: Mapped[str | None] = mapped_column("stage", String(32))
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Note(Bonded, Base):
    """An advocate's continuity note, sealed under the child's key."""

    __tablename__ = "notes"
    BOND = ("id", "child_id", "staff_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Summary(Bonded, Base):
    """A "my story so far" draft; only one the child approved travels on handover."""

    __tablename__ = "summaries"
    BOND = ("id", "child_id", "staff_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    staff_id: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # draft, approved, change_requested
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MissingEpisode(Bonded, Base):
    """A time a young person was missing: opened by staff, closed with how they were found,
    then a return interview due (see `conversations.missing`)."""

    __tablename__ = "missing_episodes"
    BOND = ("id", "child_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    opened_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The alert raised with it (deleted with the child, so not a foreign key to keep the order
    # of an erasure free).
    alert_id: Mapped[str | None] = mapped_column(String(26))
    # When the young person pressed *I'm safe* (the first time).
    safe_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(ForeignKey("staff.id"))
    # returned, police, staff_family, other: a category, kept plain for the statistics.
    found_how: Mapped[str | None] = mapped_column(String(16))
    interview_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    interview_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    interview: Mapped[str | None] = mapped_column(String(8))  # done, declined
    # Reminders of the return interview sent: 1 before it is due, 2 once it is overdue.
    reminders: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class MissingProfile(Bonded, Base):
    """What the police would need if a young person went missing, kept in advance: every field
    sealed in one blob under the young person's key."""

    __tablename__ = "missing_profiles"
    BOND = ("id", "child_id")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), unique=True)
    fields_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))


class CaseClosure(Bonded, Base):
    """A young person's case, closed: their record is erased at ``erase_due_at`` unless it is
    reopened first. One row while closed; reopening deletes it and keeps a `ClosedSpan`.
    Bonded: a row moved to another young person, or an earlier due time, would erase the wrong
    record or erase it early."""

    __tablename__ = "case_closures"
    BOND = ("id", "child_id", "erase_due_at")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), unique=True)
    closed_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    # adult, ended or other: plain, like alert severity; the words given with "other" are sealed.
    reason: Mapped[str] = mapped_column(String(8))
    words_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    erase_due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The week-before warning, sent once; and an erasure held back by an open alert, told once.
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ClosedSpan(Bonded, Base):
    """A time a young person's case was closed and then reopened: kept, when the closure
    itself goes, so that the statistics count them as supported only while it was open."""

    __tablename__ = "closed_spans"
    BOND = ("id", "child_id", "closed_at", "reopened_at")
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    child_id: Mapped[str] = mapped_column(ForeignKey("children.id"), index=True)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reopened_at: Mapped[datetime] = mapped_column(UTCDateTime)
