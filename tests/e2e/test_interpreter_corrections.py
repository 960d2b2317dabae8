"""Corrections reach the interpreter, end to end (the real Application over HTTP against the
emulator): when the young person or the advocate edits a message the interpreter was shown,
the interpreter's copy is corrected as the advocate's is (the new words, answering the
original); the advocate's edit reaches the young person the same way. After the window, no
edit reaches the interpreter."""

from __future__ import annotations

from sqlalchemy import select

from bot.emulator import BotApiEmulator, EmulatedUser
from conversations.models import AuditEntry
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session

REFUSAL = "As an interpreter you can only"


async def _window(bot: BotHarness, rosa: EmulatedUser, selam: EmulatedUser, ref: str) -> None:
    """Rosa asks for an interpreter for `ref`; Selam accepts."""
    bot.emu.send_text(rosa, f"/interpreter {ref}")
    request = await bot.wait_text(selam.id, "asks for an interpreter for")
    accept = next(d for d in inline_buttons(request).values() if d.startswith("ia:"))
    bot.emu.press_button(selam, request.message_id, accept)
    await bot.wait_text(rosa.id, "is now interpreting for Star")


def _replies(bot: BotHarness, chat: int, needle: str) -> list[tuple[str, int | None]]:
    return [
        (m.text or "", m.reply_to_message_id)
        for m in bot.emu.sent_to(chat)
        if needle in (m.text or "")
    ]


async def test_the_interpreter_reads_every_correction_inside_the_window_and_none_after(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    rosa, selam = emu.user(9301, "Rosa"), emu.user(9302, "Selam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("ti",))
    ana = emu.user(99301, "Ana", language_code="ti")
    await bot.link(rosa, ana, "Star")
    linked = await bot.wait_text(rosa.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]

    # Written before the window: never shown to the interpreter, so nor is its correction.
    early = emu.send_text(ana, "before anyone interprets")
    await bot.wait_text(rosa.id, "before anyone interprets")
    await _window(bot, rosa, selam, ref)

    # The young person corrects a message: the advocate's and the interpreter's copies alike.
    said = emu.send_text(ana, "ሰላም ክንደይ")
    view = await bot.wait_text(selam.id, "ሰላም ክንደይ")
    relayed = await bot.wait_text(rosa.id, "ሰላም ክንደይ")
    emu.edit_text(ana, said["message_id"], "ሰላም ክንደይ ኣለኹም")
    await bot.wait_text(rosa.id, "ሰላም ክንደይ ኣለኹም")
    await bot.wait_text(selam.id, "ሰላም ክንደይ ኣለኹም")
    for chat, original in ((rosa.id, relayed), (selam.id, view)):
        (text, answers), *_ = _replies(bot, chat, "ሰላም ክንደይ ኣለኹም")
        assert text.startswith("✏️ Correction from Star")
        assert answers == original.message_id

    # The advocate corrects their answer: the young person and the interpreter read it.
    emu.send_text(rosa, "See you on Monday", reply_to=relayed.message_id)
    to_ana = await bot.wait_text(ana.id, "See you on Monday")
    seen_by_selam = await bot.wait_text(selam.id, "See you on Monday")
    written = next(m for m in emu.history(rosa.id) if m.get("text") == "See you on Monday")
    emu.edit_text(rosa, written["message_id"], "See you on Tuesday")
    corrected = await bot.wait_text(ana.id, "See you on Tuesday")
    assert (corrected.text or "").startswith("✏️ Rosa:")
    assert corrected.reply_to_message_id == to_ana.message_id
    assert corrected.protect_content
    for_selam = await bot.wait_text(selam.id, "See you on Tuesday")
    assert (for_selam.text or "").startswith("✏️ 🗣 Interpreter's view · Rosa to Star")
    assert for_selam.reply_to_message_id == seen_by_selam.message_id

    emu.edit_text(ana, early["message_id"], "before anyone interprets, corrected")
    await bot.wait_text(rosa.id, "before anyone interprets, corrected")
    emu.send_text(selam, "/children")
    await _refusals(bot, selam, 1)
    assert not _replies(bot, selam.id, "before anyone interprets")

    # After the window: the corrections reach the advocate and the young person, never the
    # interpreter (each is queued before the interpreter's next refusal, which is awaited).
    bot.clock.advance(hours=2, minutes=1)
    emu.edit_text(ana, said["message_id"], "ሰላም ደሓን ዲኹም")
    await bot.wait_text(rosa.id, "ሰላም ደሓን ዲኹም")
    emu.edit_text(rosa, written["message_id"], "See you on Wednesday")
    await bot.wait_text(ana.id, "See you on Wednesday")
    await bot.wait_text(selam.id, "Your time interpreting for Star")
    emu.send_text(selam, "/children")
    await _refusals(bot, selam, 2)
    assert not _replies(bot, selam.id, "ሰላም ደሓን ዲኹም")
    assert not _replies(bot, selam.id, "Wednesday")

    async with raw_session(database_url) as session:
        details = (
            await session.execute(
                select(AuditEntry.detail).where(AuditEntry.action == "interpreter.read")
            )
        ).scalars()
        corrected_reads = [d for d in details if d.endswith("corrected")]
    assert len(corrected_reads) == 2, "each correction the interpreter read is audited"


async def _refusals(bot: BotHarness, interpreter: EmulatedUser, count: int) -> None:
    await bot.emu.wait_for(
        lambda: sum(REFUSAL in t for t in bot.texts(interpreter.id)) >= count,
        description=f"{count} refusals",
    )


async def test_an_advocates_edit_after_choosing_the_young_person_and_after_a_handover(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    """A message that waited for its young person to be chosen is corrected like any other.
    Handed over since: the edit reaches no one and its writer is told so. An edit of a message
    that never went to a young person (a command) is left alone."""
    emu = emulator
    rosa, tariq, sam = emu.user(9311, "Rosa"), emu.user(9312, "Tariq"), emu.user(9313, "Sam")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    await bot.enrol(tariq, Role.ADVOCATE, "Tariq")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    ana, bea = emu.user(99311, "Ana", language_code="en"), emu.user(99312, "Bea")
    await bot.link(rosa, ana, "Star")
    linked = await bot.wait_text(rosa.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]
    await bot.link(rosa, bea, "Moon")
    written = emu.send_text(rosa, "Hello Ana")
    pick = await bot.wait_text(rosa.id, "Which young person")
    star = next(data for label, data in inline_buttons(pick).items() if label.startswith("Star"))
    emu.press_button(rosa, pick.message_id, star)
    first = await bot.wait_text(ana.id, "Hello Ana")
    emu.edit_text(rosa, written["message_id"], "Hello Ana, it is Rosa")
    corrected = await bot.wait_text(ana.id, "Hello Ana, it is Rosa")
    assert corrected.reply_to_message_id == first.message_id
    assert not any("Hello Ana" in t for t in bot.texts(bea.id))

    command = emu.send_text(rosa, "/children")
    await bot.wait_text(rosa.id, "You have 2 young people")
    emu.edit_text(rosa, command["message_id"], "/help")
    emu.send_text(sam, f"/handover {ref} Tariq")
    await bot.wait_text(ana.id, "From now on, Tariq is your advocate")
    emu.edit_text(rosa, written["message_id"], "Hello Ana, Rosa again")
    await bot.wait_text(rosa.id, "not one you can write to")
    assert not any("Rosa again" in t for t in bot.texts(ana.id))
    assert not any("/invite NICKNAME" in t for t in bot.texts(rosa.id)), "no command re-run"
