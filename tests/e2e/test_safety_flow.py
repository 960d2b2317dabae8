"""Safety end to end: urgent words answered at once, alerts escalate until acknowledged."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.alerting import emergency_message
from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs
from bot.notices import help_now_label
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2", "ALONGSIDE_ESCALATION_MINUTES": "10,30"}


async def test_albanian_urgent_message_escalates_across_restart(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, supervisor = emu.user(1501, "Rosa"), emu.user(1502, "Sam")
    child = emu.user(19501, "Drita", language_code="sq")
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)

    emu.send_text(child, "Dikush po më pret jashtë shtëpisë, kam frikë")
    answer = await bot.wait_text(child.id, "999")
    catalogs = Catalogs()
    albanian = emergency_message(catalogs.get("sq"), "uk", help_now=False).text
    assert answer.text == albanian
    assert albanian != emergency_message(catalogs.get("en"), "uk", help_now=False).text
    for staff in (advocate, supervisor):
        card = await bot.wait_text(staff.id, "URGENT")
        assert list(inline_buttons(card)) == ["Acknowledge", "Open"]
    relay = await bot.wait_text(advocate.id, "Dikush po më pret")
    assert "🚨" in (relay.text or "")

    def cards(chat: int) -> int:
        return sum("URGENT:" in t for t in bot.texts(chat))

    assert cards(supervisor.id) == 1
    bot.clock.advance(minutes=10, seconds=1)
    await emu.wait_for(
        lambda: cards(supervisor.id) == 2 and cards(advocate.id) == 2,
        timeout=10,
        description="first re-alert at 10 minutes",
    )
    assert "Reminder 1" in bot.texts(supervisor.id)[-1]

    await bot.restart()
    bot.clock.advance(minutes=29)
    await asyncio.sleep(1)
    assert cards(supervisor.id) == 2, "the second step is 30 minutes after the first"
    bot.clock.advance(minutes=1, seconds=2)
    await emu.wait_for(
        lambda: cards(supervisor.id) == 3,
        timeout=10,
        description="second re-alert after the restart",
    )

    last = [m for m in emu.sent_to(supervisor.id) if "URGENT:" in (m.text or "")][-1]
    ack = inline_buttons(last)["Acknowledge"]
    emu.press_button(supervisor, last.message_id, ack)
    await bot.wait_text(supervisor.id, "Acknowledged")
    bot.clock.advance(hours=2)
    await asyncio.sleep(1.5)
    assert cards(supervisor.id) == 3, "no reminders after an acknowledgement"


async def test_help_now_without_an_advocate_reaches_supervisors(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url, **FAST)
    await bot.start()
    supervisor = emu.user(1601, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR)
    stranger = emu.user(19601, "Ana", language_code="ar")
    emu.send_text(stranger, "/start")
    first = await bot.wait_text(stranger.id, "")
    keyboard = [b["text"] for row in (first.reply_markup or {}).get("keyboard", []) for b in row]
    label = help_now_label(Catalogs().get("ar"))
    assert label in keyboard
    emu.send_text(stranger, label)
    await bot.wait_text(stranger.id, "999")
    card = await bot.wait_text(supervisor.id, "pressed Help now")
    emu.send_text(supervisor, "I am here. Are you safe?", reply_to=card.message_id)
    await bot.wait_text(stranger.id, "Are you safe?")


async def test_concern_is_marked_and_queued(bot: BotHarness, emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate, supervisor = emu.user(1701, "Rosa"), emu.user(1702, "Sam")
    child = emu.user(19701, "Ana")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)
    emu.send_text(child, "i feel sad all the time")
    relay = await bot.wait_text(advocate.id, "sad all the time")
    assert "Concern" in (relay.text or "")
    assert not any("URGENT" in t for t in bot.texts(supervisor.id)), "a concern does not page"
    emu.send_text(supervisor, "/alerts")
    queue = await bot.wait_text(supervisor.id, "Open:")
    assert "1 concerns" in (queue.text or "") or "Concern" in (queue.text or "")
