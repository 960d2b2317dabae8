"""Supervisors enrol advocates in the bot, list the staff, and take advocates off it."""

from __future__ import annotations

from bot.emulator import BotApiEmulator, EmulatedUser
from conversations import people
from conversations.people import Role
from tests.conftest import BotHarness


def _code(text: str) -> str:
    return text.split("Code:")[1].split(maxsplit=1)[0].strip("\u2068\u2069")


async def _staff_code(bot: BotHarness, supervisor: EmulatedUser, name: str) -> str:
    before = len(bot.emu.sent_to(supervisor.id))
    bot.emu.send_text(supervisor, f"/enrol {name}")
    await bot.emu.wait_for(
        lambda: any("Code:" in (m.text or "") for m in bot.emu.sent_to(supervisor.id)[before:])
    )
    return _code(
        next(
            m.text or ""
            for m in bot.emu.sent_to(supervisor.id)[before:]
            if "Code:" in (m.text or "")
        )
    )


async def test_a_supervisor_enrols_an_advocate_who_then_links_a_child(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    supervisor, rosa = emu.user(6101, "Sam"), emu.user(6102, "Rosa")
    newcomer = emu.user(6103, "M", language_code="fr")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")

    code = await _staff_code(bot, supervisor, "Maria   Lopez")
    offer = await bot.wait_text(supervisor.id, "join as an advocate")
    assert "Maria Lopez" in (offer.text or "")
    assert f"https://t.me/alongside_test_bot?start={code}" in (offer.text or "")

    emu.send_text(newcomer, f"/start {code}")
    welcome = await bot.wait_text(newcomer.id, "Maria Lopez")
    assert "Sam" in (welcome.text or "")
    await bot.wait_text(supervisor.id, "Maria Lopez")
    # In French, from the newcomer's Telegram app, menu included.
    assert "Bienvenue" in (welcome.text or "")
    await emu.wait_for(
        lambda: (
            "invite"
            in {c["command"] for c in emu.commands({"type": "chat", "chat_id": newcomer.id})}
        )
    )

    child = emu.user(66103, "Ana")
    await bot.link(newcomer, child, "Lune")
    emu.send_text(child, "bonjour")
    await bot.wait_text(newcomer.id, "bonjour")

    emu.send_text(supervisor, "/staff")
    listing = await bot.wait_text(supervisor.id, "Staff:")
    lines = (listing.text or "").splitlines()
    assert lines[1] == "Sam · supervisor"
    assert "Rosa · advocate · 0 young people" in lines
    assert "Maria Lopez · advocate · 1 young person" in lines


async def test_staff_codes_are_single_use_short_lived_and_refuse_the_wrong_people(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    supervisor, rosa = emu.user(6201, "Sam"), emu.user(6202, "Rosa")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")

    # Only a supervisor enrols; a young person is told nothing of staff.
    emu.send_text(rosa, "/enrol Somebody")
    await bot.wait_text(rosa.id, "Only a supervisor can do that.")
    child = emu.user(66201, "Ana")
    await bot.link(rosa, child)
    emu.send_text(child, "/enrol Somebody")
    await bot.wait_text(child.id, "I cannot do that here")
    emu.send_text(supervisor, "/enrol")
    await bot.wait_text(supervisor.id, "Use: /enrol NAME")
    assert not any("Code:" in t for t in bot.texts(rosa.id) if "Somebody" in t)
    # A name that would look like a colleague's, in any case or with invisible characters.
    emu.send_text(supervisor, "/enrol r\u200bOSA")
    taken = await bot.wait_text(supervisor.id, "already called")
    assert "rOSA" in (taken.text or ""), "the name as it would show, without what hid in it"
    assert not any("Code:" in t and "OSA" in t for t in bot.texts(supervisor.id))

    code = await _staff_code(bot, supervisor, "Lea")
    # A young person's account cannot use it, and it stays for whom it was meant.
    emu.send_text(child, f"/start {code}")
    await bot.wait_text(child.id, "does not work")
    lea, other = emu.user(6203, "Lea"), emu.user(6204, "Other")
    emu.send_text(lea, code)  # pasted as plain text works too
    await bot.wait_text(lea.id, "enrolled you as an advocate")
    emu.send_text(other, f"/start {code}")
    await bot.wait_text(other.id, "already used")

    late = await _staff_code(bot, supervisor, "Late")
    bot.clock.advance(hours=25)
    emu.send_text(emu.user(6205, "Late"), f"/start {late}")
    await bot.wait_text(6205, "too old")
    emu.send_text(emu.user(6205, "Late"), "hello")
    await bot.wait_text(6205, "code")
    assert not any("enrolled you" in t for t in bot.texts(6205))


async def test_unenrol_keeps_no_child_without_an_advocate(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    supervisor, rosa, maria = emu.user(6301, "Sam"), emu.user(6302, "Rosa"), emu.user(6303, "Mx")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    await bot.enrol(maria, Role.ADVOCATE, "Maria")
    child = emu.user(66301, "Ana")
    await bot.link(maria, child, "Star")
    linked = await bot.wait_text(maria.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]

    emu.send_text(maria, "/unenrol Rosa")
    await bot.wait_text(maria.id, "Only a supervisor can do that.")
    emu.send_text(supervisor, "/unenrol Sam")
    await bot.wait_text(supervisor.id, "Only the operator")
    emu.send_text(supervisor, "/unenrol Nobody")
    await bot.wait_text(supervisor.id, "No colleague matches that name.")
    emu.send_text(supervisor, "/unenrol Maria")
    await bot.wait_text(supervisor.id, "Maria still has 1 young person")

    emu.send_text(supervisor, f"/handover {ref} Rosa")
    await bot.wait_text(rosa.id, "is now with you")
    emu.send_text(supervisor, "/unenrol maria")
    await bot.wait_text(supervisor.id, "Maria is no longer on the staff.")
    await bot.wait_text(maria.id, "no longer enrolled")
    emu.send_text(maria, "/children")
    await bot.wait_text(maria.id, "code")
    emu.send_text(supervisor, "/staff")
    listing = await bot.wait_text(supervisor.id, "Staff:")
    assert "Maria" not in (listing.text or "")
    assert "Rosa · advocate · 1 young person" in (listing.text or "")

    # A new code enrols them again.
    code = await _staff_code(bot, supervisor, "Maria")
    emu.send_text(maria, f"/start {code}")
    await bot.wait_text(maria.id, "enrolled you as an advocate")


async def test_whoami_tells_anyone_their_id_and_keeps_nothing(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    newcomer, rosa = emu.user(6401, "New", language_code="fr"), emu.user(6402, "Rosa")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    emu.send_text(newcomer, "/whoami")
    told = await bot.wait_text(newcomer.id, "6401")
    assert "Ton identifiant Telegram" in (told.text or ""), "in their Telegram app's language"
    assert "rejoins" in (told.text or "")
    emu.send_text(rosa, "/whoami")
    mine = await bot.wait_text(rosa.id, "6402")
    assert mine.text == "Your Telegram id is 6402."
    # Asking made no one known: the newcomer is still a stranger, with no record.
    assert bot.running is not None
    async with bot.running.runtime.store.unit(read_only=True) as uow:
        assert await people.find_child(uow, newcomer.id) is None
        assert await people.find_staff(uow, newcomer.id) is None
