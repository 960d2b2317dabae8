"""Telegram misbehaving: rate limits, server errors, dropped connections, blocked chats."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.emulator import BotApiEmulator, Fault
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
