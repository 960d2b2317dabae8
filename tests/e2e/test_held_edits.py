"""An advocate's edit of a message waiting for them to say which young person it is for, end to
end (the real Application over HTTP against the emulator, topics on): edited before the choice,
the new words are what goes; edited after it, the young person reads a correction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.emulator import BotApiEmulator, EmulatedUser
from conversations.models import AuditEntry
from tests.conftest import BotHarness, inline_buttons, raw_session
from tests.e2e.topic_chats import two_linked


async def _choose(bot: BotHarness, advocate: EmulatedUser, nickname: str, nth: int = 1) -> None:
    """Press `nickname` on the `nth` "which young person?" question."""
    await bot.emu.wait_for(
        lambda: sum("Which young person" in t for t in bot.texts(advocate.id)) >= nth,
        description="the question",
    )
    pick = [m for m in bot.emu.sent_to(advocate.id) if "Which young person" in (m.text or "")]
    question = pick[nth - 1]
    chosen = next(d for label, d in inline_buttons(question).items() if label.startswith(nickname))
    bot.emu.press_button(advocate, question.message_id, chosen)


async def test_an_edit_before_the_choice_is_what_goes(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    rosa, ana, bea = await two_linked(bot, 7980)
    written = emu.send_text(rosa, "See you on Monday")
    await bot.wait_text(rosa.id, "Which young person")
    emu.edit_text(rosa, written["message_id"], "See you on Tuesday")
    emu.edit_text(rosa, written["message_id"], "See you on Wednesday")
    await _choose(bot, rosa, "Star")
    await bot.wait_text(rosa.id, "Sent to Star")
    went = await bot.wait_text(ana.id, "See you on")
    assert (went.text or "").endswith("See you on Wednesday")
    assert [t for t in bot.texts(ana.id) if "See you on" in t] == [went.text]
    assert not any("See you on" in t for t in bot.texts(bea.id))

    # The edit is the message now: a later edit corrects what Ana read.
    emu.edit_text(rosa, written["message_id"], "See you on Thursday")
    corrected = await bot.wait_text(ana.id, "See you on Thursday")
    assert corrected.reply_to_message_id == went.message_id
    async with raw_session(database_url) as session:
        actions = list(
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.action.like("message.%"))
                )
            ).scalars()
        )
    assert actions == ["message.edit_held", "message.edit_held", "message.send", "message.edit"]


async def test_an_edit_after_the_choice_reaches_them_as_a_correction(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url)
    rosa, ana, bea = await two_linked(bot, 7990)
    written = emu.send_text(rosa, "Meet at the library")
    await _choose(bot, rosa, "Moon")
    first = await bot.wait_text(bea.id, "Meet at the library")
    emu.edit_text(rosa, written["message_id"], "Meet at the station")
    corrected = await bot.wait_text(bea.id, "Meet at the station")
    assert corrected.reply_to_message_id == first.message_id
    assert (corrected.text or "").startswith("✏️")
    assert not any("Meet at" in t for t in bot.texts(ana.id))
