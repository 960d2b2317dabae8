"""The outbox: what is queued to send, and each change of a message's state once it was tried.

Named operations over `OutboxMessage` rows, each in its own transaction: the heads of the
chats' queues (`heads`), the sends Telegram accepted (`mark_sent`, many in one commit), a try
to repeat later (`retry_later`, `failed_try`), a dead letter (`dead`) and a chat that blocked
the bot (`blocked`). Whoever must hear of a dead letter or of a child no longer reachable is
told in the same transaction, in words the caller renders (`Notices`): this package knows who,
not how it reads in their language.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from sqlalchemy import Select, Table, bindparam, func, select, update

from conversations import people, relay
from conversations.models import WIPED, Child, OutboxMessage, Staff
from conversations.models import Message as StoredMessage
from conversations.outgoing import Outgoing
from conversations.people import ChildView
from conversations.store import Store

log = logging.getLogger(__name__)

BATCH = 500  # heads read at one look


class Notices(Protocol):
    """The words for whoever must hear of a message that could not go, in their language."""

    def dead_letter(
        self, locale: str, ref: str | None, purpose: str, attempts: int
    ) -> Outgoing: ...

    def child_unreachable(self, locale: str, child: ChildView) -> Outgoing: ...


@dataclass(frozen=True)
class Head:
    """A chat's next message as read, still sealed, with how deep that chat's queue is."""

    id: int
    uid: str
    chat_index: str
    chat_sealed: bytes
    payload_sealed: bytes
    purpose: str
    created_at: datetime
    message_id: str | None
    child_id: str | None
    reply_to_message_id: str | None
    staff_id: str | None
    alert_id: str | None
    not_before: datetime
    attempts: int
    depth: int


@dataclass(frozen=True)
class Sent:
    """A message Telegram accepted, and where it shows in its chat (None for deletions)."""

    id: int
    tg_message_id: int | None
    purpose: str
    message_id: str | None


@dataclass(frozen=True)
class GiveUp:
    """When a message that keeps failing becomes a dead letter: after `attempts` tries and
    once it has waited `after` since it was queued, both (``ALONGSIDE_MAX_ATTEMPTS``,
    ``ALONGSIDE_GIVE_UP_HOURS``): a fault that clears within the hours loses nothing."""

    attempts: int
    after: timedelta

    def reached(self, attempts: int, age: timedelta) -> bool:
        """Whether the try about to be counted, after `attempts` of them, is the last."""
        return attempts + 1 >= self.attempts and age >= self.after


def _heads_query() -> Select[*tuple[Any, ...]]:
    """Each chat's next message, whole, with how deep that chat's queue is: one row per chat
    however deep the backlog, so a finished send knows whether one follows. The next message
    is the oldest of the safety lane if there is one, else the oldest: safety overtakes what is
    routine, and each lane keeps its own order. Built once: the same statement every time."""
    ranked = (
        select(
            OutboxMessage.id.label("id"),
            func.row_number()
            .over(
                partition_by=OutboxMessage.chat_index,
                order_by=(OutboxMessage.lane, OutboxMessage.id),
            )
            .label("place"),
            func.count(OutboxMessage.id).over(partition_by=OutboxMessage.chat_index).label("depth"),
        )
        .where(OutboxMessage.status == "pending")
        .subquery()
    )
    return (
        select(
            OutboxMessage.id,
            OutboxMessage.uid,
            OutboxMessage.chat_index,
            OutboxMessage.chat_sealed,
            OutboxMessage.payload_sealed,
            OutboxMessage.purpose,
            OutboxMessage.created_at,
            OutboxMessage.message_id,
            OutboxMessage.child_id,
            OutboxMessage.reply_to_message_id,
            OutboxMessage.staff_id,
            OutboxMessage.alert_id,
            OutboxMessage.not_before,
            OutboxMessage.attempts,
            ranked.c.depth,
        )
        .join(ranked, OutboxMessage.id == ranked.c.id)
        .where(ranked.c.place == 1)
        .order_by(OutboxMessage.lane, OutboxMessage.id)
        .limit(BATCH)
    )


HEADS = _heads_query()
_OUTBOX = cast(Table, OutboxMessage.__table__)
_MESSAGES = cast(Table, StoredMessage.__table__)
MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(
        status="sent",
        sent_at=bindparam("b_at"),
        tg_message_id=bindparam("b_tg"),
        chat_sealed=WIPED,
        payload_sealed=WIPED,
        attempts=_OUTBOX.c.attempts + 1,
        last_error=None,
    )
)
SHOWN_AT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("b_id"), _MESSAGES.c.tg_message_id.is_(None))
    .values(tg_message_id=bindparam("b_tg"))
)


async def heads(store: Store) -> list[Head]:
    """The next message of each chat with one pending (at most `BATCH`), safety lane first."""
    # Read after every commit that queues a message: plain rows, on a connection of its own,
    # without an ORM session to set up and tear down.
    async with store.engine.connect() as conn:
        rows = (await conn.execute(HEADS)).all()
    return [Head(*row) for row in rows]


async def mark_sent(store: Store, sent: Sequence[Sent]) -> datetime:
    """Record sends in one transaction (for many chats); returns when they were recorded."""
    async with store.unit() as uow:
        now = uow.now
        await uow.session.execute(
            MARK_SENT, [{"b_id": s.id, "b_tg": s.tg_message_id, "b_at": now} for s in sent]
        )
        # Where an advocate's answer shows in the child's chat, for replies to it later.
        replies = [
            {"b_id": s.message_id, "b_tg": s.tg_message_id}
            for s in sent
            if s.purpose == "reply" and s.message_id and s.tg_message_id
        ]
        if replies:
            await uow.session.execute(SHOWN_AT, replies)
        await uow.commit()
    return now


async def retry_later(
    store: Store, outbox_id: int, delay: float, error: str, *, count: bool
) -> None:
    """Leave the message pending, not to be tried again for `delay` seconds."""
    async with store.unit() as uow:
        row = await uow.session.get(OutboxMessage, outbox_id)
        if row is None:
            return
        if count:
            row.attempts += 1
        row.last_error = error
        row.not_before = uow.now + timedelta(seconds=delay)
        await uow.commit()


async def failed_try(
    store: Store,
    outbox_id: int,
    error: str,
    notices: Notices,
    give_up: GiveUp,
) -> None:
    """Count a failed try: a dead letter once `give_up` says so, else tried again after
    `backoff(attempts)` seconds."""
    async with store.sessions() as session:
        row = await session.get(OutboxMessage, outbox_id)
        if row is None:
            return
        attempts, age = row.attempts, store.clock.now() - row.created_at
    if give_up.reached(attempts, age):
        await dead(store, outbox_id, error, notices, count=True)
        return
    await retry_later(store, outbox_id, backoff(attempts), error, count=True)


def backoff(attempts: int) -> float:
    """Exponential with full jitter, capped: 0.5 s, 1 s, 2 s ... up to 5 minutes."""
    ceiling = min(300.0, 0.5 * (2**attempts))
    return random.uniform(ceiling / 2, ceiling)


async def dead(
    store: Store, outbox_id: int, error: str, notices: Notices, *, count: bool = False
) -> None:
    """Give up on a message; supervisors are told (unless it was one to them)."""
    async with store.unit() as uow:
        row = await uow.session.get(OutboxMessage, outbox_id)
        if row is None:
            return
        row.status = "dead"
        row.chat_sealed = row.payload_sealed = WIPED
        row.last_error = error[:120]
        if count:
            row.attempts += 1
        await uow.audit("system", "outbox.dead", str(outbox_id), row.purpose)
        log.error("outbox.dead_letter", extra={"outbox_id": outbox_id, "error": error[:60]})
        if row.purpose not in ("system", "topic"):
            # Dead letters about dead letters would loop; supervisors hear of the first (and
            # not of a topic not renamed or deleted: a convenience, `conversations.topics`).
            child = None
            if row.child_id is not None:
                child = await uow.session.get(Child, row.child_id)
            ref = child.ref if child else None
            for supervisor in await people.supervisors(uow):
                await uow.send(
                    supervisor.telegram_id,
                    notices.dead_letter(supervisor.locale, ref, row.purpose, row.attempts),
                    purpose="system",
                    staff_id=supervisor.id,
                    # Naming them: shredded, and taken from the queue, with their record.
                    key_id=child.data_key_id if child else None,
                )
        await uow.commit()


async def blocked(store: Store, outbox_id: int, notices: Notices) -> None:
    """A chat that blocked the bot: stop trying, and tell the humans (it may be a signal)."""
    async with store.unit() as uow:
        row = await uow.session.get(OutboxMessage, outbox_id)
        if row is None:
            return
        row.status = "dead"
        row.chat_sealed = row.payload_sealed = WIPED
        row.last_error = "blocked"
        chat_index = row.chat_index
        child = (
            await uow.session.execute(select(Child).where(Child.tg_index == chat_index))
        ).scalar_one_or_none()
        staff = (
            await uow.session.execute(select(Staff).where(Staff.tg_index == chat_index))
        ).scalar_one_or_none()
        if child is not None and await relay.mark_unreachable(uow, child.id):
            view = await people.child_view(uow, child)
            watchers = await people.supervisors(uow)
            advocate = child.advocate_id and await people.get_staff(uow, child.advocate_id)
            if advocate:
                watchers = [advocate, *[w for w in watchers if w.id != advocate.id]]
            for person in watchers:
                await uow.send(
                    person.telegram_id,
                    notices.child_unreachable(person.locale, view),
                    purpose="system",
                    staff_id=person.id,
                    key_id=view.data_key_id,
                )
        if staff is not None and not staff.unreachable:
            staff.unreachable = True
            await uow.audit("system", "staff.unreachable", staff.id)
        await uow.commit()
