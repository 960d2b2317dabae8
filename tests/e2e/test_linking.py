"""Linking end to end: codes that work once, kind answers for bad ones, throttling, menus."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs
from bot.notices import code_expired, code_unknown, code_used, stranger
from conversations.people import Role
from tests.conftest import BotHarness


async def test_used_wrong_and_expired_codes_get_their_own_answers(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url)
    await bot.start()
    advocate = emu.user(4101, "Rosa")
    first, second = emu.user(49101, "Ana"), emu.user(49102, "Bea", language_code="fr")
    await bot.enrol(advocate)
    code = await bot.link(advocate, first)
    en, fr = Catalogs().get("en"), Catalogs().get("fr")

    emu.send_text(second, f"/start {code}")
    await bot.wait_text(second.id, code_used(fr).text)
    emu.send_text(second, "/start AAAAAAAAAAAA")
    await bot.wait_text(second.id, code_unknown(fr).text)

    emu.send_text(advocate, "/invite Late")
    invite = await bot.wait_text(advocate.id, "Invite for Late")
    late = (invite.text or "").split("Code:")[1].split()[0].strip("\u2068\u2069")
    bot.clock.advance(hours=73)
    emu.send_text(second, f"/start {late}")
    await bot.wait_text(second.id, code_expired(fr).text)
    assert code_used(en).text not in bot.texts(second.id), "answers are in the child's language"
    assert not any("Bea" in t for t in bot.texts(advocate.id)), "nothing reached the advocate"


async def test_wrong_codes_are_throttled_across_a_restart(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    await bot.start()
    advocate = emu.user(4201, "Rosa")
    guesser = emu.user(49201, "X")
    await bot.enrol(advocate)
    for i in range(5):
        emu.send_text(guesser, f"/start WRONGCODE{i:03d}")
    await emu.wait_for(lambda: len(emu.sent_to(guesser.id)) == 5)
    await bot.restart()
    emu.send_text(advocate, "/invite Real")
    invite = await bot.wait_text(advocate.id, "Invite for")
    real = (invite.text or "").split("Code:")[1].split()[0]
    emu.send_text(guesser, "/start WRONGCODE999")
    throttled = await bot.wait_text(guesser.id, "Too many tries")
    assert "10 minutes" in (throttled.text or "")
    # Only wrong guesses are slowed: the real code links at once.
    emu.send_text(guesser, f"/start {real}")
    await bot.wait_text(guesser.id, "connected to")


async def test_staff_commands_from_others_change_nothing(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate, child, stranger_user = (
        emu.user(4301, "Rosa"),
        emu.user(49301, "Ana"),
        emu.user(49302, "Zed"),
    )
    await bot.enrol(advocate)
    await bot.link(advocate, child)
    await bot.wait_text(advocate.id, "is now linked")
    before = len(emu.sent_to(advocate.id))
    for user in (child, stranger_user):
        for command in (
            "/invite Sneaky",
            "/children",
            "/notes ABC",
            "/handover ABC Rosa",
            "/alerts",
            "/stage ABC",
        ):
            emu.send_text(user, command)
    # Each chat is paced at Telegram's one message a second (after a short burst).
    await emu.wait_for(lambda: len(emu.sent_to(stranger_user.id)) >= 6, timeout=20)
    await emu.wait_for(
        lambda: sum("cannot do that" in t for t in bot.texts(child.id)) >= 6, timeout=20
    )
    assert all(t == stranger(Catalogs().get("en")).text for t in bot.texts(stranger_user.id))
    assert len(emu.sent_to(advocate.id)) == before
    assert not any("Code:" in t for t in bot.texts(child.id) + bot.texts(stranger_user.id))


async def test_help_and_menus_per_role(bot: BotHarness, emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate, supervisor, child = (
        emu.user(4401, "Rosa"),
        emu.user(4402, "Sam"),
        emu.user(49401, "Ana"),
    )
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.restart()  # menus are registered at start-up for every enrolled staff member
    await bot.link(advocate, child)
    for user in (advocate, supervisor, child):
        emu.send_text(user, "/help")
    await bot.wait_text(advocate.id, "enrolled as an advocate")
    await bot.wait_text(supervisor.id, "enrolled as a supervisor")
    await bot.wait_text(child.id, "Help now")
    default = {c["command"] for c in emu.commands()}
    staff = {c["command"] for c in emu.commands({"type": "chat", "chat_id": advocate.id})}
    lead = {c["command"] for c in emu.commands({"type": "chat", "chat_id": supervisor.id})}
    assert default == {"start", "help", "language"}
    assert {"invite", "children", "notes", "handover"} <= staff
    assert {"resolve", "enrol", "staff", "unenrol"} <= lead
    assert not {"resolve", "enrol", "staff", "unenrol"} & staff
