"""Machine translations owed to readers, as a small durable queue.

A relay or a reply asks for a translation in the same transaction that queues the original;
the translation is made later, outside any transaction, and sent after the original as a reply
to it. So the original never waits for a translation, a server that is down or slow costs only
the translation, and a restart loses none that was asked for. No text is kept here: what is
translated is the message's own sealed body, read when the translation is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import select

from conversations.ids import new_id
from conversations.models import Message, Translation
from conversations.relay import Content
from conversations.store import UnitOfWork

# A server that is down or slow is asked again after these pauses, then given up on: a
# translation that comes much later than its message helps no one.
RETRY_AFTER = (timedelta(seconds=10), timedelta(seconds=60), timedelta(minutes=5))
BATCH = 8


@dataclass(frozen=True)
class Job:
    """One translation to make, with the words to translate."""

    id: str
    message_id: str
    child_id: str
    staff_id: str | None  # None: the young person reads it
    source: str
    target: str
    attempts: int
    text: str
    severity: str  # what screening the original found


async def ask(
    uow: UnitOfWork,
    message_id: str,
    child_id: str,
    *,
    staff_id: str | None,
    source: str,
    target: str,
) -> bool:
    """Ask for a translation of a message for one reader; False when there is nothing to
    translate (both read the same language)."""
    if source == target:
        return False
    uow.session.add(
        Translation(
            id=new_id(),
            message_id=message_id,
            child_id=child_id,
            staff_id=staff_id,
            source=source,
            target=target,
            status="pending",
            attempts=0,
            not_before=uow.now,
            created_at=uow.now,
        )
    )
    return True


async def claim(uow: UnitOfWork, lease: timedelta, limit: int = BATCH) -> list[Job]:
    """The translations due now, oldest first, each put out of other workers' sight for
    `lease` (longer than one call to the server may take)."""
    rows = (
        (
            await uow.session.execute(
                select(Translation)
                .where(Translation.status == "pending", Translation.not_before <= uow.now)
                .order_by(Translation.created_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    jobs = []
    for row in rows:
        row.not_before = uow.now + lease
        message = await uow.session.get(Message, row.message_id)
        if message is None:
            row.status = "done"
            continue
        content = Content.from_json(
            await uow.open_json(message.body_sealed, "messages", "body", message.id)
        )
        if not content.text.strip():
            row.status = "done"
            continue
        jobs.append(
            Job(
                row.id,
                row.message_id,
                row.child_id,
                row.staff_id,
                row.source,
                row.target,
                row.attempts,
                content.text,
                message.severity,
            )
        )
    return jobs


class Outcome(StrEnum):
    """What came of one try, for the reader."""

    SEND = "send"  # a translation to send
    QUIET = "quiet"  # nothing to tell them (the same language, or tried again later)
    TELL = "tell"  # tell them there is none
    GONE = "gone"  # erased with its young person, or finished elsewhere meanwhile


async def settle(uow: UnitOfWork, job_id: str, missing: str | None) -> Outcome:
    """Record the answer to one try (`missing`: None for a translation, else why there is
    none, as `conversations.translation.Missing` names it)."""
    row = await uow.session.get(Translation, job_id, with_for_update=True)
    if row is None or row.status != "pending":
        return Outcome.GONE
    if missing is None or missing == "same":
        row.status = "done"
        return Outcome.SEND if missing is None else Outcome.QUIET
    if missing == "pair":
        return Outcome.TELL if await _lacks_pair(uow, row) else Outcome.QUIET
    return Outcome.TELL if _failed(uow, row, missing) else Outcome.QUIET


async def drop(uow: UnitOfWork, job_id: str) -> None:
    """No one is left to read it (the staff member left)."""
    row = await uow.session.get(Translation, job_id)
    if row is not None:
        row.status = "done"


def _failed(uow: UnitOfWork, row: Translation, why: str) -> bool:
    """The server was down or slow: try again later, or give up. True when given up."""
    row.attempts += 1
    if row.attempts > len(RETRY_AFTER):
        row.status, row.missing = "missing", why
        return True
    row.not_before = uow.now + RETRY_AFTER[row.attempts - 1]
    return False


async def _lacks_pair(uow: UnitOfWork, row: Translation) -> bool:
    """The server has no such pair: give up at once. True the first time this reader learns
    it about this young person, so they are told once, not under every message."""
    told = (
        await uow.session.execute(
            select(Translation.id)
            .where(
                Translation.child_id == row.child_id,
                Translation.staff_id.is_(None)
                if row.staff_id is None
                else Translation.staff_id == row.staff_id,
                Translation.source == row.source,
                Translation.target == row.target,
                Translation.missing == "pair",
            )
            .limit(1)
        )
    ).first()
    row.status, row.missing = "missing", "pair"
    return told is None


SEVERITY_RANK = {"none": 0, "concern": 1, "urgent": 2}


async def heighten(uow: UnitOfWork, message_id: str, severity: str) -> bool:
    """Its translation showed a message to be graver than its original did: keep the graver
    mark. True when it is graver."""
    message = await uow.session.get(Message, message_id)
    if message is None or SEVERITY_RANK[severity] <= SEVERITY_RANK.get(message.severity, 0):
        return False
    message.severity = severity
    return True
