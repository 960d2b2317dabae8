"""An interpreter is asked for, accepts, reads and answers within the window, is refused after
it, and never sees notes; the audit log shows every step."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.emulator import BotApiEmulator
from conversations.models import AuditEntry
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session


def _code(text: str) -> str:
    return text.split("Code:")[1].split(maxsplit=1)[0].strip("\u2068\u2069")


async def test_an_interpreter_reads_and_answers_only_inside_their_window(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    supervisor, rosa = emu.user(9101, "Sam"), emu.user(9102, "Rosa")
    selam, other = emu.user(9103, "Selam"), emu.user(9104, "Other")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")

    # A supervisor enrols an interpreter in the bot; a second comes from the operator.
    emu.send_text(supervisor, "/enrol interpreter Selam Tesfay ti,am")
    offer = await bot.wait_text(supervisor.id, "join as an interpreter")
    emu.send_text(selam, f"/start {_code(offer.text or '')}")
    await bot.wait_text(selam.id, "enrolled you as an interpreter")
    await bot.wait_text(supervisor.id, "Selam Tesfay is now enrolled as an interpreter")
    await bot.enrol(other, Role.INTERPRETER, "Other", languages=("ti",))
    emu.send_text(supervisor, "/staff")
    listing = await bot.wait_text(supervisor.id, "Staff:")
    assert "Selam Tesfay · interpreter · ትግርኛ, አማርኛ" in (listing.text or "")

    child = emu.user(99101, "Ana", language_code="ti")
    await bot.link(rosa, child, "Star")
    linked = await bot.wait_text(rosa.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]
    emu.send_text(rosa, f"/note {ref} lives with her aunt")
    await bot.wait_text(rosa.id, "Note saved")

    # Before any window an interpreter reads nothing and reaches no one.
    emu.send_text(selam, "hello?")
    await bot.wait_text(selam.id, "As an interpreter you can only")

    # Asked for; offered to both; the first to accept gets it, the other hears it is taken.
    emu.send_text(rosa, f"/interpreter {ref}")
    await bot.wait_text(rosa.id, "I asked 2 interpreters")
    request = await bot.wait_text(selam.id, "asks for an interpreter for")
    await bot.wait_text(other.id, "asks for an interpreter for")
    accept = next(d for d in inline_buttons(request).values() if d.startswith("ia:"))
    emu.press_button(selam, request.message_id, accept)
    await bot.wait_text(selam.id, "You are interpreting for Star")
    await bot.wait_text(other.id, "Another interpreter has taken this request")
    await bot.wait_text(rosa.id, "Selam Tesfay is now interpreting for Star")
    told = await bot.wait_text(child.id, "Selam Tesfay")
    # In their own language, with how long and until when.
    assert "ተርጓሚ" in (told.text or "")
    assert "2" in (told.text or "")
    assert not any(word in (told.text or "").lower() for word in ("traffick", "alongside"))

    # The interpreter reads both ways: the young person's words and the advocate's.
    emu.send_text(child, "ሰላም ክንደይ ኣለኹም")
    view = await bot.wait_text(selam.id, "ሰላም ክንደይ ኣለኹም")
    assert "Interpreter's view" in (view.text or "")
    await bot.wait_text(rosa.id, "ሰላም ክንደይ ኣለኹም")
    relayed = next(m for m in emu.sent_to(rosa.id) if "ሰላም ክንደይ ኣለኹም" in (m.text or ""))
    emu.send_text(rosa, "Hello Star, how are you feeling?", reply_to=relayed.message_id)
    staff_view = await bot.wait_text(selam.id, "Hello Star, how are you feeling?")
    assert "Rosa" in (staff_view.text or "")
    await bot.wait_text(child.id, "Hello Star, how are you feeling?")

    # Answers: to the young person (marked, in their language), to the advocate (marked).
    emu.send_text(selam, "ሮዛ ከመይ ኣለኺ ትብለኪ ኣላ", reply_to=view.message_id)
    answer = await bot.wait_text(child.id, "ሮዛ ከመይ ኣለኺ ትብለኪ ኣላ")
    assert (answer.text or "").startswith("ተርጓሚ Selam Tesfay:")
    await bot.wait_text(rosa.id, "🗣 Interpreter Selam Tesfay to Star")
    emu.send_text(selam, "She says she is well but tired.", reply_to=staff_view.message_id)
    note = await bot.wait_text(rosa.id, "She says she is well but tired.")
    assert "Interpreter Selam Tesfay, about Star" in (note.text or "")
    assert not any("She says she is well" in t for t in bot.texts(child.id))

    # Never notes, story, other children.
    emu.send_text(selam, f"/notes {ref}")
    await _wait_refusals(bot, selam.id, 2)
    emu.send_text(selam, "/children")
    await _wait_refusals(bot, selam.id, 3)
    assert not any("aunt" in t for t in bot.texts(selam.id))

    # After the window: refused, and everyone is told it ended.
    bot.clock.advance(hours=2, minutes=1)
    emu.send_text(selam, "one more thing", reply_to=view.message_id)
    await _wait_refusals(bot, selam.id, 4)
    await bot.wait_text(selam.id, "Your time interpreting for Star")
    await bot.wait_text(rosa.id, "The interpreter's time with Star")
    await bot.wait_text(child.id, _closed_for(bot, "ti"))
    assert not any("one more thing" in t for t in bot.texts(child.id))
    seen = len(emu.sent_to(selam.id))
    emu.send_text(child, "are you there")
    await bot.wait_text(rosa.id, "are you there")
    await asyncio.sleep(0.5)
    assert not any("are you there" in (m.text or "") for m in emu.sent_to(selam.id)[seen:])

    async with raw_session(database_url) as session:
        rows = (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars()
        actions = [a for a in rows if a.startswith("interpreter.")]
    for step in (
        "interpreter.ask",
        "interpreter.offer",
        "interpreter.accept",
        "interpreter.read",
        "interpreter.answer",
        "interpreter.refused",
        "interpreter.expire",
    ):
        assert step in actions, step
    assert actions.count("interpreter.offer") == 2
    assert actions.count("interpreter.read") == 2
    assert actions.count("interpreter.answer") == 2
    assert actions.index("interpreter.accept") < actions.index("interpreter.read")
    assert actions.index("interpreter.expire") > actions.index("interpreter.answer")


_REFUSAL_START = "As an interpreter you can only"


def _closed_for(bot: BotHarness, locale: str) -> str:
    """What a young person reads when the interpreter's time ends, in their language."""
    assert bot.running is not None
    return bot.running.runtime.tr(locale)._("The interpreter is no longer reading this chat.")


async def _wait_refusals(bot: BotHarness, chat_id: int, count: int) -> None:
    await bot.emu.wait_for(
        lambda: sum(_REFUSAL_START in t for t in bot.texts(chat_id)) >= count,
        description=f"{count} refusals in chat {chat_id}",
    )


async def test_an_advocate_ends_the_window_and_an_unknown_language_is_said_plainly(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    rosa, selam = emu.user(9201, "Rosa"), emu.user(9202, "Selam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("ti",))
    french = emu.user(99201, "Jo", language_code="fr")
    await bot.link(rosa, french, "Moon")
    linked = await bot.wait_text(rosa.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]
    emu.send_text(rosa, f"/interpreter {ref}")
    await bot.wait_text(rosa.id, "No interpreter for Français is enrolled")

    child = emu.user(99202, "Ana", language_code="ti")
    await bot.link(rosa, child, "Star")
    await emu.wait_for(lambda: sum("is now linked" in t for t in bot.texts(rosa.id)) == 2)
    linked_star = [t for t in bot.texts(rosa.id) if "is now linked" in t][1]
    star = linked_star.split("·")[1].split()[0]
    emu.send_text(rosa, f"/interpreter {star}")
    request = await bot.wait_text(selam.id, "asks for an interpreter for")
    emu.send_text(rosa, f"/interpreter {star}")
    await bot.wait_text(rosa.id, "still waiting")
    accept = next(d for d in inline_buttons(request).values() if d.startswith("ia:"))
    emu.press_button(selam, request.message_id, accept)
    await bot.wait_text(child.id, "Selam")
    emu.send_text(rosa, f"/interpreter {star} end")
    await bot.wait_text(selam.id, "Your time interpreting for Star")
    await bot.wait_text(child.id, _closed_for(bot, "ti"))
    emu.send_text(selam, "still here?")
    await bot.wait_text(selam.id, _REFUSAL_START)
