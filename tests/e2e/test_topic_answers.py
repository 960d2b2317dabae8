"""The bot answers a staff member where they wrote, end to end (the real Application over HTTP
against the emulator): a confirmation, an error, an unknown command, a prompt with buttons and
what a button press answers all land in the topic the staff member wrote in (whichever young
person's it is), what is written in the chat itself is answered there, and an answer whose
topic was deleted meanwhile comes in the chat itself."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import BotApiEmulator
from tests.conftest import BotHarness, inline_buttons
from tests.e2e.topic_chats import two_linked


async def test_answers_land_in_the_topic_they_answer(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    emu.users_manage_topics = True
    bot = harness_factory(database_url)
    rosa, ana, bea = await two_linked(bot, 7800)
    emu.send_text(ana, "from ana")
    emu.send_text(bea, "from bea")
    in_ana = (await bot.wait_text(rosa.id, "from ana")).message_thread_id
    in_bea = (await bot.wait_text(rosa.id, "from bea")).message_thread_id
    assert in_ana is not None
    assert in_bea is not None
    ana_ref = emu.topics[rosa.id][in_ana].name.split(" · ")[1]
    bea_ref = emu.topics[rosa.id][in_bea].name.split(" · ")[1]

    async def answer(text: str, needle: str, thread: int | None) -> int | None:
        emu.send_text(rosa, text, thread=thread)
        return (await bot.wait_text(rosa.id, needle)).message_thread_id  # type: ignore[no-any-return]

    # A confirmation about Bea, asked for in Ana's topic: answered in Ana's topic.
    assert await answer(f"/note {bea_ref} likes drawing", "Note saved for Moon", in_ana) == in_ana
    # An error, and a command the bot does not know.
    assert await answer(f"/note {ana_ref}", "Use: /note REF", in_ana) == in_ana
    assert await answer("/nonsense", "I do not know that command", in_bea) == in_bea
    # A prompt with buttons, and what pressing one answers.
    emu.send_text(rosa, f"/stage {ana_ref}", thread=in_ana)
    prompt = await bot.wait_text(rosa.id, "Choose the new stage")
    assert prompt.message_thread_id == in_ana
    emu.press_button(rosa, prompt.message_id, next(iter(inline_buttons(prompt).values())))
    done = await bot.wait_text(rosa.id, "Stage set for Star")
    assert done.message_thread_id == in_ana
    # Written in the chat itself: answered there.
    assert await answer("/help", "/invite NICKNAME", None) is None

    # Asked in Bea's topic, which is deleted before the bot answers: in the chat itself.
    await bot.stop()
    emu.send_text(rosa, f"/note {ana_ref} met her teacher", thread=in_bea)
    emu.delete_topic(rosa, in_bea)
    await bot.start()
    await emu.wait_for(
        lambda: len([m for m in emu.sent_to(rosa.id) if "Note saved for" in (m.text or "")]) == 2,
        description="the second note saved",
    )
    late = next(m for m in emu.sent_to(rosa.id) if "Note saved for Star" in (m.text or ""))
    assert late.message_thread_id is None


async def test_a_message_that_cannot_be_handled_is_answered_in_its_topic(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    """What the bot cannot even read (an entity python-telegram-bot cannot parse) is answered
    by the fail-safe from the update's stored JSON: in the topic it was written in too."""
    emu = emulator
    bot = harness_factory(sqlite_url, ALONGSIDE_SWEEP_SECONDS="0.2")
    rosa, ana, _ = await two_linked(bot, 7850)
    emu.send_text(ana, "hello rosa")
    thread = (await bot.wait_text(rosa.id, "hello rosa")).message_thread_id
    assert thread is not None
    emu.inject_update(
        {
            "message": {
                "message_id": 9100,
                "date": 1_700_000_000,
                "chat": {"id": rosa.id, "type": "private"},
                "from": {"id": rosa.id, "is_bot": False, "first_name": "Rosa"},
                "message_thread_id": thread,
                "is_topic_message": True,
                "text": "for ana",
                "entities": [{"type": "bold"}],
            }
        }
    )
    told = await bot.wait_text(rosa.id, "Your last message could not be handled", timeout=20)
    assert told.message_thread_id == thread
