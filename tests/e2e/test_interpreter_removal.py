"""An interpreter taken off the staff while their window is open, end to end (the real
Application over HTTP against the emulator): removed by a supervisor (/unenrol) or by the
operator (`alongside staff remove`), their window ends with the removal, the young person and
the advocate who asked hear it as they hear any window end, and what the former interpreter
writes afterwards reaches no one. A request still offered to them is withdrawn: it stays open
for the others it went to, and lapses at once, told, when nobody is left to take it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot import commands
from bot.emulator import BotApiEmulator, EmulatedUser
from bot.emulator._types import SentMessage
from conversations.models import AuditEntry, InterpreterWindow
from conversations.people import Role, StaffView
from tests.conftest import BotHarness, inline_buttons, raw_session

ENDED_FOR_ASKER = "The interpreter's time with Star"
ENDED_FOR_INTERPRETER = "Your time interpreting for Star"
STRANGER = "To use this chat you need a code"


def _child_told(bot: BotHarness) -> str:
    """What the young person reads when the interpreter's time ends (in English here)."""
    assert bot.running is not None
    return bot.running.runtime.tr("en")._("The interpreter is no longer reading this chat.")


async def _linked(bot: BotHarness, base: int) -> tuple[EmulatedUser, EmulatedUser, str]:
    """Sam (id `base` + 1) supervises; Rosa is the advocate of Ana ("Star"); returns Rosa, Ana
    and Ana's reference."""
    emu = bot.emu
    rosa, ana = emu.user(base, "Rosa"), emu.user(base + 90, "Ana", language_code="en")
    await bot.enrol(emu.user(base + 1, "Sam"), Role.SUPERVISOR, "Sam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    await bot.link(rosa, ana, "Star")
    linked = await bot.wait_text(rosa.id, "is now linked")
    return rosa, ana, (linked.text or "").split("·")[1].split()[0]


async def _offer(bot: BotHarness, interpreter: EmulatedUser, seen: int = 0) -> SentMessage:
    needle = "asks for an interpreter for"
    await bot.emu.wait_for(
        lambda: sum(needle in t for t in bot.texts(interpreter.id)) > seen,
        description="the request",
    )
    return [m for m in bot.emu.sent_to(interpreter.id) if needle in (m.text or "")][-1]


async def _interpreting(
    bot: BotHarness, rosa: EmulatedUser, ana: EmulatedUser, ref: str, selam: EmulatedUser
) -> SentMessage:
    """Selam accepts Rosa's request and is shown one of Ana's messages (returned)."""
    emu = bot.emu
    emu.send_text(rosa, f"/interpreter {ref}")
    request = await _offer(bot, selam)
    emu.press_button(selam, request.message_id, inline_buttons(request)["Accept"])
    await bot.wait_text(rosa.id, "Selam is now interpreting for Star")
    await bot.wait_text(ana.id, "An interpreter, Selam")
    emu.send_text(ana, "can you read this")
    return await bot.wait_text(selam.id, "can you read this")


async def _window(url: str) -> InterpreterWindow:
    async with raw_session(url) as session:
        return (await session.execute(select(InterpreterWindow))).scalar_one()


async def _actors(url: str, action: str) -> list[str]:
    async with raw_session(url) as session:
        rows = await session.execute(
            select(AuditEntry.actor).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def _told_and_closed_to(
    bot: BotHarness,
    rosa: EmulatedUser,
    ana: EmulatedUser,
    selam: EmulatedUser,
    view: SentMessage,
) -> None:
    """The window is over for everyone, and nothing Selam writes now reaches anyone."""
    emu = bot.emu
    await bot.wait_text(ana.id, _child_told(bot))
    await bot.wait_text(rosa.id, ENDED_FOR_ASKER)
    # Their later message, a reply to what they were shown or not, is a stranger's.
    emu.send_text(selam, "one more thing", reply_to=view.message_id)
    emu.send_text(selam, "and another")
    await emu.wait_for(
        lambda: sum(STRANGER in t for t in bot.texts(selam.id)) >= 2,
        description="both refused",
    )
    emu.send_text(ana, "still there?")
    await bot.wait_text(rosa.id, "still there?")
    await asyncio.sleep(0.3)
    for chat in (ana.id, rosa.id):
        assert not any("one more thing" in t or "and another" in t for t in bot.texts(chat))
    assert not any("still there?" in t for t in bot.texts(selam.id))
    # A former staff member hears nothing more about a young person.
    assert not any(ENDED_FOR_INTERPRETER in t for t in bot.texts(selam.id))
    assert sum(_child_told(bot) in t for t in bot.texts(ana.id)) == 1
    assert sum(ENDED_FOR_ASKER in t for t in bot.texts(rosa.id)) == 1


async def test_an_interpreter_unenrolled_mid_window_ends_it_and_everyone_hears(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    rosa, ana, ref = await _linked(bot, 6601)
    selam = emu.user(6605, "Selam")
    interpreter = await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("en",))
    view = await _interpreting(bot, rosa, ana, ref, selam)

    sam = emu.user(6602, "Sam")
    emu.send_text(sam, "/unenrol Selam")
    await bot.wait_text(sam.id, "Selam is no longer on the staff")
    window = await _window(database_url)
    assert window.status == "ended"
    supervisor = await _staff(bot, sam)
    assert window.closed_by == f"staff:{supervisor.id}"
    assert await _actors(database_url, "interpreter.end") == [f"staff:{supervisor.id}"]
    assert await _actors(database_url, "staff.remove") == [f"staff:{supervisor.id}"]
    assert window.interpreter_id == interpreter.id
    await _told_and_closed_to(bot, rosa, ana, selam, view)


async def test_an_interpreter_removed_by_the_operator_mid_window_ends_it_and_everyone_hears(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    rosa, ana, ref = await _linked(bot, 6701)
    selam = emu.user(6705, "Selam")
    await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("en",))
    view = await _interpreting(bot, rosa, ana, ref, selam)

    # What `alongside staff remove --telegram-id` runs once its arguments are read.
    assert await commands.staff_remove(bot.settings, selam.id) == 0
    # Ended with the removal itself, before anyone is sent anything.
    window = await _window(database_url)
    assert (window.status, window.closed_by) == ("ended", "operator")
    assert await _actors(database_url, "interpreter.end") == ["operator"]
    await _told_and_closed_to(bot, rosa, ana, selam, view)


async def test_a_request_offered_to_a_removed_interpreter_is_withdrawn_from_them(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    rosa, ana, ref = await _linked(bot, 6801)
    selam, other = emu.user(6805, "Selam"), emu.user(6806, "Other")
    removed = await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("en",))
    kept = await bot.enrol(other, Role.INTERPRETER, "Other", languages=("en",))
    emu.send_text(rosa, f"/interpreter {ref}")
    await bot.wait_text(rosa.id, "I asked 2 interpreters")
    request = await _offer(bot, selam)
    await _offer(bot, other)

    # Still open for Other; Selam's offer is gone, even were they enrolled again.
    assert await commands.staff_remove(bot.settings, selam.id) == 0
    window = await _window(database_url)
    assert (window.status, window.offered) == ("offered", kept.id)
    assert await _actors(database_url, "interpreter.withdraw") == ["operator"]
    again = await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("en",))
    assert again.id == removed.id
    emu.press_button(selam, request.message_id, inline_buttons(request)["Accept"])
    await bot.wait_text(selam.id, "As an interpreter you can only")
    assert (await _window(database_url)).status == "offered"
    assert not any("is now interpreting" in t for t in bot.texts(rosa.id))

    # Nobody left to take it: it lapses now, and Rosa hears so, as when no one accepts in time.
    assert await commands.staff_remove(bot.settings, other.id) == 0
    await bot.wait_text(rosa.id, "No interpreter took the request for Star")
    window = await _window(database_url)
    assert (window.status, window.offered, window.closed_by) == ("lapsed", "", "operator")
    assert not any("is no longer reading" in t for t in bot.texts(ana.id)), "never told of it"


async def _staff(bot: BotHarness, user: EmulatedUser) -> StaffView:
    assert bot.running is not None
    async with bot.running.runtime.store.unit(read_only=True) as uow:
        found = await uow.staff.by_telegram(user.id)
    assert found is not None
    return found
