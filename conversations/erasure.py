"""Erasing a child: their data key is destroyed (crypto-shredding) and their rows are deleted.

Only a supervisor may erase, and not while the child has an alert that is not resolved: a child
in danger must not vanish from the supervisors' view. Everything sealed under the child's key
becomes unreadable the moment the key goes, so ciphertext left anywhere in the live store (a
staff notice sealed under it, a row a concurrent worker wrote) opens for no one. The rows go too,
and so do the queued updates and messages of their chat, which are sealed under the system key
and hold their words, every queued message that names them or is sealed under their key (to
staff as well: nothing about them is sent once they are erased), and their advocate's message
still waiting to be told which child it is for. Their topic in each staff member's chat is
deleted, with what it shows (`topics`). The audit entries about them are blanked: the log
keeps only that an erasure happened, by whom and when. What stays: the destroyed key's row (so
every worker knows it is gone), and their invite, marked used so its code cannot link anyone
else, with the nickname scrubbed.

A backup taken before the erasure still holds the wrapped key and opens with the master key:
erasure covers the live store, not copies of it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update

from conversations import audit, queues
from conversations.access import DENIED, may_act_for, may_erase
from conversations.errors import AccessDenied, ErasureBlocked
from conversations.models import (
    Alert,
    CaseClosure,
    CheckIn,
    Child,
    ClosedSpan,
    CodeAttempt,
    DataKey,
    InboxUpdate,
    InterpreterWindow,
    Invite,
    Message,
    MissingEpisode,
    MissingProfile,
    Note,
    OutboxMessage,
    PendingSend,
    StaffTopic,
    StageChange,
    Summary,
    Translation,
)
from conversations.people import ChildView, StaffView, find_child_by_ref
from conversations.repositories import Work
from conversations.store import UnitOfWork
from conversations.topics import drop_topics

log = logging.getLogger(__name__)
# Plain rows about the child that were deleted or blanked: their old versions go too (a
# missing episode says plainly when they went and how they were found; a closure, why).
SCRUBBED = (
    "children",
    "invites",
    "code_attempts",
    "audit_log",
    "pending_sends",
    "missing_episodes",
    "case_closures",
    "closed_spans",
)


@dataclass(frozen=True)
class Erased:
    """What staff are told afterwards: no nickname, as nothing of the child should linger."""

    child_id: str
    ref: str
    advocate_id: str | None


async def erasable(uow: Work, staff: StaffView, ref: str) -> ChildView:
    """The child a supervisor asks to erase, before they confirm.

    Raises `AccessDenied` for anyone but a supervisor or an unknown reference (alike, so the
    answer does not say whether the child exists), `ErasureBlocked` while an alert is open.
    """
    if not may_erase(staff):
        raise AccessDenied(DENIED)
    # `access_child_by_ref`'s look-up and rule, on any unit of work (it takes only the real one).
    child = await find_child_by_ref(uow, ref) if ref else None
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    if open_alerts := await uow.alerts.open_count(child.id):
        raise ErasureBlocked(child.ref, open_alerts)
    return child


async def erase_child(uow: UnitOfWork, staff: StaffView, child_id: str) -> Erased | None:
    """Erase for good; None if there is no such child (any more), and nothing changes.

    Raises `AccessDenied` for anyone but a supervisor, `ErasureBlocked` while an alert is open.
    """
    if not may_erase(staff):
        raise AccessDenied(DENIED)
    return await _erase(uow, f"staff:{staff.id}", child_id)


async def erase_expired(uow: UnitOfWork, child_id: str) -> Erased | None:
    """Erase a closed case's record once its retention is over (`conversations.retention`):
    the same erasure, by the system; raises `ErasureBlocked` while an alert is open."""
    return await _erase(uow, "system", child_id)


async def _erase(uow: UnitOfWork, actor: str, child_id: str) -> Erased | None:
    # Locked first: a worker relaying their message meanwhile waits, then finds them gone.
    row = (
        await uow.session.execute(select(Child).where(Child.id == child_id).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        return None
    if open_alerts := await uow.alerts.open_count(child_id):
        raise ErasureBlocked(row.ref, open_alerts)
    erased = Erased(row.id, row.ref, row.advocate_id)
    key_id, chat_index = row.data_key_id, row.tg_index
    session = uow.session
    messages = select(Message.id).where(Message.child_id == child_id)
    # Rows that point at others go first (outbox and alerts name messages; all name the child).
    # (Counted into the queues' totals as they go: `conversations.queues`.)
    await queues.retire_outbox(
        session,
        or_(
            OutboxMessage.child_id == child_id,
            # A notice to staff about them outside their topic: sealed under their key.
            OutboxMessage.key_id == key_id,
            OutboxMessage.chat_index == chat_index,
            OutboxMessage.message_id.in_(messages),
            OutboxMessage.reply_to_message_id.in_(messages),
        ),
    )
    # Their topic goes from every staff member's chat (queued after the retirement above).
    await drop_topics(uow, child_id)
    # A pending update of their chat is left to be handled: after this commits it is a
    # stranger's, and what it says (perhaps a cry for help) still gets an answer.
    await queues.retire_inbox(
        session,
        and_(
            InboxUpdate.chat_index == chat_index,
            InboxUpdate.status != "pending",
        ),
    )
    for model in (
        Alert,
        CheckIn,
        StageChange,
        Note,
        Summary,
        Translation,
        Message,
        StaffTopic,
        InterpreterWindow,
        MissingEpisode,
        MissingProfile,
        CaseClosure,
        ClosedSpan,
    ):
        await session.execute(delete(model).where(model.child_id == child_id))
    # Their wrong guesses at a code, kept under their Telegram id's blind index for throttling.
    await session.execute(delete(CodeAttempt).where(CodeAttempt.tg_index == chat_index))
    for invite in (
        (await session.execute(select(Invite).where(Invite.child_id == child_id))).scalars().all()
    ):
        invite.child_id = None
        # Still used (a code never works twice), but no longer saying when they were linked.
        invite.used_at = uow.now
        invite.nickname_sealed = await uow.seal(
            uow.store.system_key_id, "", "invites", "nickname", invite.id
        )
    await session.flush()
    await session.delete(row)
    await session.flush()
    await session.execute(
        update(DataKey).where(DataKey.id == key_id).values(wrapped=None, destroyed_at=uow.now)
    )
    # What the advocate typed and has not yet said who it is for may be for this child.
    if row.advocate_id is not None:
        await session.execute(delete(PendingSend).where(PendingSend.staff_id == row.advocate_id))
    # The log keeps that an erasure happened, by whom and when; not what it was about.
    blanked = await audit.redact(uow, child_id)
    await uow.audit(actor, audit.ERASED, "", f"redacted={blanked}")
    # Forgotten only once the erasure is committed: a rollback must leave the child readable.
    uow.on_commit(lambda: uow.keyring.forget(key_id))
    uow.scrub_after_commit(*SCRUBBED)
    # Not their id: the log, like the audit log, keeps only that it happened and by whom.
    log.info("child.erased", extra={"staff_id": actor.removeprefix("staff:")})
    return erased
