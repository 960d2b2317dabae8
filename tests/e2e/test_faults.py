"""Telegram misbehaving: rate limits, server errors, dropped connections, blocked chats."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Callable

import pytest
from sqlalchemy import event, select

from bot.emulator import BotApiEmulator, Fault
from conversations.models import OutboxMessage
from conversations.outgoing import Outgoing
from conversations.people import Role
from tests.conftest import BotHarness, raw_session

MARK = re.compile(r"note (\d)")


async def _linked(
    harness_factory: Callable[..., BotHarness], database_url: str, emu: BotApiEmulator, **env: str
) -> tuple[BotHarness, int, int, int]:
    bot = harness_factory(database_url, **env)
    await bot.start()
    advocate, child, supervisor = emu.user(701, "Rosa"), emu.user(9701, "Ana"), emu.user(801, "Sam")
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)
    # Until the advocate has heard of the link: a fault added sooner could hit that notice.
    await bot.wait_text(advocate.id, "is now linked")
    return bot, advocate.id, child.id, supervisor.id


async def test_transient_faults_still_deliver_once_in_order(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    _bot, advocate, child_id, _ = await _linked(harness_factory, database_url, emu)
    child = emu.user(child_id, "Ana")
    emu.add_fault(Fault(kind="429", retry_after=1, count=2, method="sendMessage", chat_id=advocate))
    emu.add_fault(Fault(kind="500", status=502, count=2, method="sendMessage", chat_id=advocate))
    emu.add_fault(Fault(kind="drop", count=2, method="sendMessage", chat_id=advocate))
    for i in range(5):
        emu.send_text(child, f"note {i}")

    def relayed() -> list[int]:
        return [int(m.group(1)) for s in emu.sent_to(advocate) if (m := MARK.search(s.text or ""))]

    await emu.wait_for(lambda: len(set(relayed())) == 5, timeout=30)
    assert relayed() == [0, 1, 2, 3, 4]
    errors = [c.error_code for c in emu.calls_to("sendMessage") if not c.ok]
    assert errors.count(429) == 2
    assert errors.count(502) == 2


async def test_permanent_failure_is_a_dead_letter_and_supervisors_hear(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    # Telegram answers (getMe works): the failures are about this message, so tries are spent.
    bot, advocate, child_id, supervisor = await _linked(
        harness_factory, database_url, emu, ALONGSIDE_MAX_ATTEMPTS="3", ALONGSIDE_GIVE_UP_HOURS="0"
    )
    emu.add_fault(Fault(kind="500", count=None, chat_id=advocate))
    emu.send_text(emu.user(child_id, "Ana"), "this will not get through")
    notice = await bot.wait_text(supervisor, "could not be delivered", timeout=30)
    assert "3 tries" in (notice.text or "")
    assert not any("this will not get through" in t for t in bot.texts(advocate))


async def test_blocked_child_is_marked_and_advocate_told(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot, advocate, child_id, _ = await _linked(harness_factory, database_url, emu)
    child = emu.user(child_id, "Ana")
    emu.send_text(child, "first")
    first = await bot.wait_text(advocate, "first")
    emu.block(child_id)
    emu.send_text(emu.user(advocate, "Rosa"), "are you ok?", reply_to=first.message_id)
    warning = await bot.wait_text(advocate, "blocked or deleted this chat")
    assert "Star" in (warning.text or "")
    emu.send_text(emu.user(advocate, "Rosa"), "/children")
    listing = await bot.wait_text(advocate, "young person:")
    assert "⚠" in (listing.text or "")


async def test_a_damaged_queued_message_is_a_dead_letter_and_the_chat_goes_on(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """A queued message that no longer opens (its bytes changed on disk) can never go: it
    becomes a dead letter, supervisors hear, and what follows it in that chat still goes."""
    emu = emulator
    bot, advocate, child_id, supervisor = await _linked(harness_factory, database_url, emu)
    assert bot.running is not None
    store = bot.running.runtime.store
    async with store.unit() as uow:
        await uow.send(advocate, Outgoing(text="damaged on disk"), purpose="notice")
        await uow.session.flush()
        row = (
            await uow.session.execute(
                select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1)
            )
        ).scalar_one()
        row.payload_sealed = row.payload_sealed[:-1] + bytes([row.payload_sealed[-1] ^ 1])
        await uow.commit()
    emu.send_text(emu.user(child_id, "Ana"), "after the damaged one")

    await bot.wait_text(advocate, "after the damaged one", timeout=20)
    await bot.wait_text(supervisor, "could not be delivered", timeout=20)
    assert not any("damaged on disk" in t for t in bot.texts(advocate))
    async with store.unit(read_only=True) as uow:
        errors = (
            (
                await uow.session.execute(
                    select(OutboxMessage.last_error).where(OutboxMessage.status == "dead")
                )
            )
            .scalars()
            .all()
        )
    assert errors == ["unreadable:SealError"]


async def test_a_telegram_outage_is_waited_out_not_spent(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """Every call failing (5xx, then dropped connections) for longer than all of a message's
    tries would take: nothing becomes a dead letter, everything arrives in order once Telegram
    is back, and supervisors hear once, afterwards."""
    emu = emulator
    bot, advocate, child_id, supervisor = await _linked(
        harness_factory,
        database_url,
        emu,
        ALONGSIDE_MAX_ATTEMPTS="2",
        ALONGSIDE_GIVE_UP_HOURS="0",
        ALONGSIDE_OUTAGE_NOTICE_SECONDS="1",
    )
    child = emu.user(child_id, "Ana")
    # Updates still come in (polling is not what is tested here); everything sent fails.
    down = [
        emu.add_fault(Fault(kind="500", status=502, count=None, method="sendMessage")),
        emu.add_fault(Fault(kind="drop", count=None, method="getMe")),
    ]
    for i in range(5):
        emu.send_text(child, f"note {i}")
    # Long enough for two tries each several times over, had they been spent.
    await emu.wait_for(
        lambda: sum(c.method == "getMe" and not c.ok for c in emu.calls) >= 3, timeout=30
    )
    for fault in down:
        emu.remove_fault(fault)

    def relayed() -> list[int]:
        return [int(m.group(1)) for s in emu.sent_to(advocate) if (m := MARK.search(s.text or ""))]

    await emu.wait_for(lambda: len(set(relayed())) == 5, timeout=90)
    assert relayed() == [0, 1, 2, 3, 4]
    notice = await bot.wait_text(supervisor, "could not be reached", timeout=30)
    assert "Nothing was lost" in (notice.text or "")
    assert not any("could not be delivered" in t for t in bot.texts(supervisor))
    async with raw_session(database_url) as session:
        dead = (
            await session.execute(select(OutboxMessage.id).where(OutboxMessage.status == "dead"))
        ).all()
    assert dead == []
    assert sum("could not be reached" in t for t in bot.texts(supervisor)) == 1


async def test_a_send_whose_mark_cannot_commit_is_never_sent_again(
    harness_factory: Callable[..., BotHarness],
    sqlite_url: str,
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full disk: Telegram takes the message, recording it fails. Sending pauses and the mark
    is retried until the disk has room; the message never goes a second time."""
    emu = emulator
    bot, advocate, child_id, _ = await _linked(harness_factory, sqlite_url, emu)
    running = bot.running
    assert running is not None
    full = True

    def refuse_marks(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if full and statement.startswith("UPDATE outbox SET") and "sent_at" in statement:
            raise sqlite3.OperationalError("database or disk is full")

    # Everything sent so far recorded first: the disk fills on the one message under test.
    for _ in range(300):
        async with raw_session(sqlite_url) as session:
            waiting = (
                await session.execute(
                    select(OutboxMessage.id).where(OutboxMessage.status == "pending")
                )
            ).all()
        if not waiting:
            break
        await asyncio.sleep(0.1)
    assert not waiting, "the linking messages were sent and recorded"
    engine = running.runtime.store.engine.sync_engine
    event.listen(engine, "before_cursor_execute", refuse_marks)
    try:
        emu.send_text(emu.user(child_id, "Ana"), "note 4")
        await emu.wait_for(
            lambda: any("note 4" in (s.text or "") for s in emu.sent_to(advocate)), timeout=30
        )
        await emu.wait_for(lambda: "outbox.mark_failed" in caplog.text, timeout=30)
        await asyncio.sleep(3)  # several retries of the mark, had they been sends
        assert sum("note 4" in (s.text or "") for s in emu.sent_to(advocate)) == 1
        # Said as what it is, for the operator: a full disk.
        assert {
            getattr(r, "error", None)
            for r in caplog.records
            if r.getMessage() == "outbox.mark_failed"
        } == {"disk_full"}
        full = False
        emu.send_text(emu.user(child_id, "Ana"), "note 8")
        await emu.wait_for(
            lambda: any("note 8" in (s.text or "") for s in emu.sent_to(advocate)), timeout=30
        )
    finally:
        event.remove(engine, "before_cursor_execute", refuse_marks)
    assert sum("note 4" in (s.text or "") for s in emu.sent_to(advocate)) == 1
    assert "outbox.mark_recovered" in caplog.text


async def test_a_reply_to_either_copy_of_a_doubled_relay_reaches_the_child(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """Telegram shows the message but answers 500: it is sent again, and the first copy's id
    is never known. The advocate may answer that first copy: the header names the child."""
    emu = emulator
    bot, advocate, child_id, _ = await _linked(harness_factory, database_url, emu)
    child = emu.user(child_id, "Ana")
    emu.add_fault(Fault(kind="500", applied=True, count=1, method="sendMessage", chat_id=advocate))
    emu.send_text(child, "note 5")
    await emu.wait_for(
        lambda: sum("note 5" in (s.text or "") for s in emu.sent_to(advocate)) == 2, timeout=30
    )
    first, second = [s for s in emu.sent_to(advocate) if "note 5" in (s.text or "")]
    rosa = emu.user(advocate, "Rosa")
    emu.send_text(rosa, "answer to the first copy", reply_to=first.message_id)
    await bot.wait_text(child_id, "answer to the first copy")
    emu.send_text(rosa, "answer to the second copy", reply_to=second.message_id)
    await bot.wait_text(child_id, "answer to the second copy")
    assert not any("not one you can write to" in t for t in bot.texts(advocate))


async def test_a_failing_message_is_kept_trying_until_the_give_up_time(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """Its tries are spent (Telegram answers, this message fails), but a dead letter waits for
    ALONGSIDE_GIVE_UP_HOURS too: when the fault clears within it, the message arrives."""
    emu = emulator
    bot, advocate, child_id, supervisor = await _linked(
        harness_factory, database_url, emu, ALONGSIDE_MAX_ATTEMPTS="2"
    )
    fault = emu.add_fault(Fault(kind="500", count=None, chat_id=advocate, method="sendMessage"))
    emu.send_text(emu.user(child_id, "Ana"), "note 3")
    await emu.wait_for(lambda: sum(not c.ok for c in emu.calls_to("sendMessage")) >= 4, timeout=30)
    emu.remove_fault(fault)
    await emu.wait_for(
        lambda: any("note 3" in (s.text or "") for s in emu.sent_to(advocate)), timeout=30
    )
    assert not any("could not be delivered" in t for t in bot.texts(supervisor))
