"""The missing-risk watch: daily check-ins in the first week, and what each answer brings."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.emulator import BotApiEmulator
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}


async def test_check_ins_answers_and_silence(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, supervisor = emu.user(6101, "Rosa"), emu.user(6102, "Sam")
    child = emu.user(69101, "Ana")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)

    def check_ins() -> list[object]:
        return [m for m in emu.sent_to(child.id) if "How are you today" in (m.text or "")]

    bot.clock.advance(hours=36)
    await emu.wait_for(lambda: len(check_ins()) == 1, timeout=10, description="first check-in")
    first = check_ins()[0]
    emu.press_button(child, first.message_id, inline_buttons(first)["😟 Not good"])
    await bot.wait_text(advocate.id, "answered today's check-in: not good")
    await bot.wait_text(child.id, "Thank you for telling me")

    bot.clock.advance(hours=24)
    await emu.wait_for(lambda: len(check_ins()) == 2, timeout=10, description="next day")
    bot.clock.advance(hours=7)
    await bot.wait_text(advocate.id, "did not answer today's check-in")

    bot.clock.advance(hours=17)
    await emu.wait_for(lambda: len(check_ins()) == 3, timeout=10, description="third day")
    third = check_ins()[2]
    emu.press_button(child, third.message_id, inline_buttons(third)["🆘 I need help"])
    await bot.wait_text(supervisor.id, "pressed Help now")
    await bot.wait_text(child.id, "999")
    emu.press_button(child, third.message_id, inline_buttons(third)["🆘 I need help"])
    await asyncio.sleep(1)
    assert sum("pressed Help now" in t for t in bot.texts(supervisor.id)) == 1, (
        "an answer counts once"
    )

    bot.clock.advance(days=6)
    await asyncio.sleep(1.5)
    count = len(check_ins())
    bot.clock.advance(days=2)
    await asyncio.sleep(1.5)
    assert len(check_ins()) == count, "no check-ins after the first week"

    # The silent days queued a concern each for the advocate, paced at one message a second.
    emu.send_text(advocate, "/children")
    listing = await bot.wait_text(advocate.id, "young person:", timeout=20)
    ref = (listing.text or "").split("· ")[1].split()[0]
    # A reference that is not theirs (or none) is refused alike, and starts nothing.
    emu.send_text(advocate, "/placed ZZZ")
    await bot.wait_text(advocate.id, "Use /placed REF", timeout=20)
    emu.send_text(advocate, f"/placed {ref}")
    await bot.wait_text(advocate.id, "new placement", timeout=20)
    bot.clock.advance(hours=36)
    await emu.wait_for(
        lambda: len(check_ins()) == count + 1,
        timeout=10,
        description="a new placement starts the watch again",
    )
