"""One topic per young person in the advocate's chat, end to end: the real Application over
HTTP against the emulator, with topics working, deleted, refused, failing and turned off."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import BotApiEmulator, Fault
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons
from tests.e2e.topic_chats import two_linked


def _creations(emu: BotApiEmulator) -> int:
    return len([c for c in emu.calls_to("createForumTopic") if c.ok])


async def test_two_young_people_in_two_topics_and_a_message_in_one_reaches_its_own(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    advocate, ana, bea = await two_linked(bot, 7100)

    emu.send_text(ana, "hello from ana")
    emu.send_text(bea, "hello from bea")
    from_ana = await bot.wait_text(advocate.id, "hello from ana")
    from_bea = await bot.wait_text(advocate.id, "hello from bea")
    assert from_ana.message_thread_id is not None
    assert from_bea.message_thread_id is not None
    assert from_ana.message_thread_id != from_bea.message_thread_id
    # The topic is named as the header names them; the header stays on every relay.
    topics = emu.topics[advocate.id]
    assert topics[from_ana.message_thread_id].name.startswith("Star · ")
    assert topics[from_bea.message_thread_id].name.startswith("Moon · ")
    assert (from_ana.text or "").startswith(topics[from_ana.message_thread_id].name)
    assert from_ana.protect_content

    # Their next message goes to the same topic: one topic each, made once.
    emu.send_text(ana, "again from ana")
    again = await bot.wait_text(advocate.id, "again from ana")
    assert again.message_thread_id == from_ana.message_thread_id
    assert _creations(emu) == 2

    # Written in a topic, without a reply or a choice: to that young person, and only them.
    emu.send_text(advocate, "answer for ana", thread=from_ana.message_thread_id)
    answer = await bot.wait_text(ana.id, "answer for ana")
    assert "Rosa" in (answer.text or "")
    emu.send_text(advocate, "answer for bea", thread=from_bea.message_thread_id)
    await bot.wait_text(bea.id, "answer for bea")
    assert not any("answer for ana" in t for t in bot.texts(bea.id))
    assert not any("answer for bea" in t for t in bot.texts(ana.id))
    assert not any("Which young person" in t for t in bot.texts(advocate.id))

    # A reply to a relay in a topic still goes by what it answers.
    emu.send_text(advocate, "reply to bea", reply_to=from_bea.message_id)
    await bot.wait_text(bea.id, "reply to bea")
    # A plain message in the chat itself still asks which young person it is for.
    emu.send_text(advocate, "for whom?")
    await bot.wait_text(advocate.id, "Which young person")


async def test_a_deleted_topic_is_made_again_on_the_next_message(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    emu.users_manage_topics = True
    bot = harness_factory(sqlite_url)
    advocate, ana, _ = await two_linked(bot, 7200)

    emu.send_text(ana, "first from ana")
    first = await bot.wait_text(advocate.id, "first from ana")
    assert first.message_thread_id is not None
    emu.delete_topic(advocate, first.message_thread_id)

    emu.send_text(ana, "second from ana")
    second = await bot.wait_text(advocate.id, "second from ana")
    assert second.message_thread_id is not None
    assert second.message_thread_id != first.message_thread_id
    assert emu.topics[advocate.id][second.message_thread_id].name.startswith("Star · ")
    emu.send_text(advocate, "in the new topic", thread=second.message_thread_id)
    await bot.wait_text(ana.id, "in the new topic")


async def test_with_topics_refused_headers_and_replies_work_as_before(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """The bot has topic mode but this advocate's chat refuses topics: everything arrives in
    the chat itself with its header, replies and the choice of young person work, and the bot
    stops asking for topics for a while rather than at every message."""
    emu = emulator
    bot = harness_factory(database_url)
    advocate, ana, bea = await two_linked(bot, 7300)
    emu.topics_off.add(advocate.id)

    emu.send_text(ana, "refused ana")
    emu.send_text(bea, "refused bea")
    from_ana = await bot.wait_text(advocate.id, "refused ana")
    from_bea = await bot.wait_text(advocate.id, "refused bea")
    assert (from_ana.message_thread_id, from_bea.message_thread_id) == (None, None)
    assert "Star" in (from_ana.text or "")
    assert "Moon" in (from_bea.text or "")
    assert len(emu.calls_to("createForumTopic")) == 1

    emu.send_text(advocate, "reply for ana", reply_to=from_ana.message_id)
    await bot.wait_text(ana.id, "reply for ana")
    emu.send_text(advocate, "plain message")
    pick = await bot.wait_text(advocate.id, "Which young person")
    assert len(inline_buttons(pick)) == 2


async def test_a_failed_topic_call_sends_in_the_chat_and_the_next_message_gets_its_topic(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url)
    advocate, ana, _ = await two_linked(bot, 7400)
    emu.add_fault(Fault("500", method="createForumTopic", chat_id=advocate.id, count=1))

    emu.send_text(ana, "during the fault")
    during = await bot.wait_text(advocate.id, "during the fault")
    assert during.message_thread_id is None
    emu.send_text(ana, "after the fault")
    after = await bot.wait_text(advocate.id, "after the fault")
    assert after.message_thread_id is not None


async def test_topics_turned_off_by_the_operator(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url, ALONGSIDE_TOPICS="off")
    advocate, ana, _ = await two_linked(bot, 7500)

    emu.send_text(ana, "no topics here")
    relayed = await bot.wait_text(advocate.id, "no topics here")
    assert relayed.message_thread_id is None
    assert emu.calls_to("createForumTopic") == []
    emu.send_text(advocate, "answer", reply_to=relayed.message_id)
    await bot.wait_text(ana.id, "answer")


async def test_a_topic_left_after_a_handover_reaches_no_one(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    """The map says whom a topic was made for; whether its writer may still reach them is
    asked every time. The new advocate gets a topic of their own. (A handover deletes the old
    advocate's topic, `test_topic_lifecycle`; here Telegram refuses to, so it stays.)"""
    emu = emulator
    emu.topics_enabled = True
    bot = harness_factory(sqlite_url)
    await bot.start()
    old, new, supervisor = emu.user(7601, "Rosa"), emu.user(7602, "Tariq"), emu.user(7603, "Sam")
    ana = emu.user(7604, "Ana", language_code="en")
    await bot.enrol(old, Role.ADVOCATE, "Rosa")
    await bot.enrol(new, Role.ADVOCATE, "Tariq")
    await bot.enrol(supervisor, Role.SUPERVISOR, "Sam")
    await bot.link(old, ana, "Star")
    emu.send_text(ana, "before the handover")
    before = await bot.wait_text(old.id, "before the handover")
    assert before.message_thread_id is not None
    ref = emu.topics[old.id][before.message_thread_id].name.split(" · ")[1]

    emu.add_fault(Fault("500", status=400, method="deleteForumTopic", count=None))
    emu.send_text(supervisor, f"/handover {ref} Tariq")
    await bot.wait_text(ana.id, "From now on, Tariq is your advocate")
    await emu.wait_for(lambda: bool(emu.calls_to("deleteForumTopic")), description="refused")
    emu.send_text(old, "still here?", thread=before.message_thread_id)
    refused = await bot.wait_text(old.id, "not one you can write to")
    assert refused.message_thread_id == before.message_thread_id, "answered where it was written"
    assert not any("still here?" in t for t in bot.texts(ana.id))

    emu.send_text(ana, "after the handover")
    after = await bot.wait_text(new.id, "after the handover")
    assert after.message_thread_id is not None
    emu.send_text(new, "hello from Tariq", thread=after.message_thread_id)
    await bot.wait_text(ana.id, "hello from Tariq")
