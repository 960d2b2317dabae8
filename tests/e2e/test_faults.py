"""Telegram misbehaving: rate limits, server errors, dropped connections, blocked chats."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from bot.emulator import BotApiEmulator, Fault
from conversations.models import OutboxMessage
from conversations.outgoing import Outgoing
from conversations.people import Role
from tests.conftest import BotHarness

MARK = re.compile(r"note (\d)")


async def _linked(harness_factory: Callable[..., BotHarness], database_url: str,
                  emu: BotApiEmulator, **env: str) -> tuple[BotHarness, int, int, int]:
    bot = harness_factory(database_url, **env)
    await bot.start()
    advocate, child, supervisor = emu.user(701, "Rosa"), emu.user(9701, "Ana"), emu.user(801, "Sam")
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)
    return bot, advocate.id, child.id, supervisor.id


async def test_transient_faults_still_deliver_once_in_order(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    _bot, advocate, child_id, _ = await _linked(harness_factory, database_url, emu)
    child = emu.user(child_id, "Ana")
    emu.add_fault(Fault(kind="429", retry_after=1, count=2, method="sendMessage",
                        chat_id=advocate))
    emu.add_fault(Fault(kind="500", status=502, count=2, method="sendMessage", chat_id=advocate))
    emu.add_fault(Fault(kind="drop", count=2, method="sendMessage", chat_id=advocate))
    for i in range(5):
        emu.send_text(child, f"note {i}")

    def relayed() -> list[int]:
        return [int(m.group(1)) for s in emu.sent_to(advocate)
                if (m := MARK.search(s.text or ""))]

    await emu.wait_for(lambda: len(set(relayed())) == 5, timeout=30)
    assert relayed() == [0, 1, 2, 3, 4]
    errors = [c.error_code for c in emu.calls_to("sendMessage") if not c.ok]
    assert errors.count(429) == 2
    assert errors.count(502) == 2


async def test_permanent_failure_is_a_dead_letter_and_supervisors_hear(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot, advocate, child_id, supervisor = await _linked(
        harness_factory, database_url, emu, ALONGSIDE_MAX_ATTEMPTS="3")
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
        row = (await uow.session.execute(
            select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(1))).scalar_one()
        row.payload_sealed = row.payload_sealed[:-1] + bytes([row.payload_sealed[-1] ^ 1])
        await uow.commit()
    emu.send_text(emu.user(child_id, "Ana"), "after the damaged one")

    await bot.wait_text(advocate, "after the damaged one", timeout=20)
    await bot.wait_text(supervisor, "could not be delivered", timeout=20)
    assert not any("damaged on disk" in t for t in bot.texts(advocate))
    async with store.unit(read_only=True) as uow:
        errors = (await uow.session.execute(
            select(OutboxMessage.last_error).where(OutboxMessage.status == "dead"))
        ).scalars().all()
    assert errors == ["unreadable:SealError"]
