"""The queues' rules, through their named operations, on SQLite and PostgreSQL: which message
of a chat goes next, when a failing one becomes a dead letter and who is told, and how the inbox
takes, hands out and gives up on updates."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conversations import inbox, outbox, people, queues
from conversations.inbox import Incoming
from conversations.models import InboxUpdate, OutboxMessage
from conversations.outgoing import Outgoing
from conversations.people import ChildView, Role
from conversations.store import Store
from tests.integration.test_store import SetClock

SUPERVISOR = 7345128903


class Told:
    """Notices as plain records: who was told what, in which language."""

    def __init__(self) -> None:
        self.dead: list[tuple[str, str | None, str, int]] = []
        self.unreachable: list[str] = []

    def dead_letter(self, locale: str, ref: str | None, purpose: str, attempts: int) -> Outgoing:
        self.dead.append((locale, ref, purpose, attempts))
        return Outgoing(text="dead letter")

    def child_unreachable(self, locale: str, child: ChildView) -> Outgoing:
        self.unreachable.append(locale)
        return Outgoing(text="unreachable")


async def _queue(store: Store, *messages: tuple[int, str, str]) -> None:
    async with store.unit() as uow:
        for chat_id, purpose, text in messages:
            await uow.send(chat_id, Outgoing(text=text), purpose=purpose)
        await uow.commit()


async def _row(store: Store, outbox_id: int) -> OutboxMessage:
    async with store.sessions() as session:
        row = await session.get(OutboxMessage, outbox_id)
    assert row is not None
    return row


async def test_each_chat_offers_its_oldest_message_the_safety_lane_first(store: Store) -> None:
    await _queue(store, (1, "reply", "a"), (1, "reply", "b"), (2, "reply", "c"))
    await _queue(store, (1, "safety", "d"))
    heads = await outbox.heads(store)
    assert [(h.id, h.purpose, h.depth) for h in heads] == [(4, "safety", 3), (3, "reply", 1)]
    await outbox.mark_sent(store, [outbox.Sent(4, 40, "safety", None)])
    heads = await outbox.heads(store)
    assert [(h.id, h.depth) for h in heads] == [(1, 2), (3, 1)]
    sent = await _row(store, 4)
    assert (sent.status, sent.tg_message_id, sent.attempts) == ("sent", 40, 1)


async def test_a_dead_letter_needs_the_tries_and_the_hours_both(store: Store) -> None:
    async with store.unit() as uow:
        await people.add_staff(uow, telegram_id=SUPERVISOR, name="Sam", role=Role.SUPERVISOR)
        await uow.commit()
    await _queue(store, (1, "reply", "a"))
    give_up = outbox.GiveUp(attempts=2, after=timedelta(hours=1))
    told = Told()
    for _ in range(3):
        await outbox.failed_try(store, 1, "error:Boom", told, give_up)
    row = await _row(store, 1)
    assert (row.status, row.attempts, told.dead) == ("pending", 3, [])
    assert isinstance(store.clock, SetClock)
    store.clock.advance(hours=1)
    await outbox.failed_try(store, 1, "error:Boom", told, give_up)
    row = await _row(store, 1)
    assert (row.status, row.attempts, row.last_error) == ("dead", 4, "error:Boom")
    assert told.dead == [("en", None, "reply", 4)]
    # The supervisor's notice is queued with it; a dead letter of that notice tells no one.
    heads = await outbox.heads(store)
    assert [h.purpose for h in heads] == ["system"]
    await outbox.dead(store, heads[0].id, "bad_request:chat_not_found", told)
    assert len(told.dead) == 1


def test_give_up_counts_the_try_being_made() -> None:
    rule = outbox.GiveUp(attempts=5, after=timedelta(hours=24))
    assert not rule.reached(3, timedelta(days=2))
    assert rule.reached(4, timedelta(hours=24))
    assert not rule.reached(4, timedelta(hours=23))


async def test_a_blocked_chat_of_staff_marks_them_unreachable(store: Store) -> None:
    async with store.unit() as uow:
        await people.add_staff(uow, telegram_id=SUPERVISOR, name="Sam", role=Role.SUPERVISOR)
        await uow.commit()
    await _queue(store, (SUPERVISOR, "system", "a"))
    await outbox.blocked(store, 1, Told())
    row = await _row(store, 1)
    assert (row.status, row.last_error) == ("dead", "blocked")
    async with store.unit(read_only=True) as uow:
        (staff,) = await people.supervisors(uow)
    assert staff.unreachable


async def test_the_inbox_keeps_the_first_copy_and_gives_up_after_its_tries(store: Store) -> None:
    batch = [
        Incoming(10, 5, {"update_id": 10, "n": 1}),
        Incoming(10, 5, {"update_id": 10, "n": 2}),
        Incoming(11, None, {"update_id": 11}),
    ]
    async with store.unit() as uow:
        new = await inbox.accept(uow, batch)
        await uow.commit()
    assert sorted(new) == [10, 11]
    async with store.unit() as uow:
        assert await inbox.accept(uow, batch[:1]) == {}
        assert await uow.open_json(new[10], "inbox", "payload", "10") == {"update_id": 10, "n": 1}
    assert await inbox.next_offset(store) == 12
    assert [update_id for update_id, _ in await inbox.pending(store)] == [10, 11]

    async with store.unit() as uow:
        assert await inbox.claim(uow, 10) == new[10]
        assert await inbox.mark_done(uow, 10) is None
    async with store.unit() as uow:
        assert await inbox.claim(uow, 10) is None

    outcomes = [await inbox.failed(store, 11, "KeyError") for _ in range(inbox.MAX_ATTEMPTS)]
    assert [o.final for o in outcomes if o is not None] == [False, False, True]
    async with store.sessions() as session:
        rows = (await session.execute(select(InboxUpdate.status).order_by("update_id"))).all()
    assert [status for (status,) in rows] == ["done", "failed"]
    assert [update_id for update_id, _ in await inbox.pending(store)] == []


async def test_an_outbox_id_is_never_given_twice(store: Store) -> None:
    """A row deleted while it was being sent (an erasure retires a young person's pending
    messages) must not hand its id to the next row queued: that row would take its outcome,
    marked sent without going."""
    await _queue(store, (1, "notice", "a"), (1, "notice", "b"))
    async with store.unit() as uow:
        await queues.retire_outbox(uow.session, OutboxMessage.id == 2)
        await uow.commit()
    await _queue(store, (1, "notice", "c"))
    await outbox.mark_sent(store, [outbox.Sent(2, 20, "notice", None)])
    heads = await outbox.heads(store)
    assert [h.id for h in heads] == [1]
    assert [h.depth for h in heads] == [2], "the new row is still pending, under a new id"
    async with store.sessions() as session:
        ids = (await session.execute(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
    assert [i for (i,) in ids] == [1, 3]
