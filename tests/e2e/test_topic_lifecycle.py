"""A young person's topic follows what happens to them, end to end (the real Application over
HTTP against the emulator): it goes from every chat when they are erased (by a supervisor, or
after a closed case's retention), from the previous advocate's chat on a handover (the new
advocate gets one), and is renamed when their nickname changes. A deletion that keeps failing
holds nothing up; one Telegram refuses leaves no name behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator, EmulatedUser, Fault
from bot.topics import BLANK
from conversations.models import StaffTopic
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session
from tests.e2e.topic_chats import two_linked


def _ref(topic_name: str) -> str:
    return topic_name.split(" · ")[1]


async def _map_rows(url: str) -> int:
    async with raw_session(url) as session:
        return int((await session.execute(select(func.count(StaffTopic.id)))).scalar_one())


def _named(emu: BotApiEmulator, words: str) -> list[str]:
    """The topics still showing, in any chat, whose name holds `words`."""
    return [
        topic.name
        for chat in emu.topics.values()
        for topic in chat.values()
        if not topic.deleted and words in topic.name
    ]


async def _relayed_in_topic(
    bot: BotHarness, child: EmulatedUser, staff: EmulatedUser, words: str
) -> int:
    bot.emu.send_text(child, words)
    relayed = await bot.wait_text(staff.id, words)
    assert relayed.message_thread_id is not None
    return int(relayed.message_thread_id)


async def test_an_erased_young_person_leaves_no_topic_in_any_chat(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    rosa, ana, bea = await two_linked(bot, 7700)
    sam = emu.user(7710, "Sam")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    # While Rosa is away, Sam reads Ana's messages too: a topic in each chat.
    away = (bot.clock.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    emu.send_text(rosa, f"/away {away}")
    await bot.wait_text(rosa.id, "You are away until")
    in_rosas = await _relayed_in_topic(bot, ana, rosa, "while you are away")
    sams = await bot.wait_text(sam.id, "while you are away")
    assert sams.message_thread_id is not None
    kept = await _relayed_in_topic(bot, bea, rosa, "bea stays")
    await bot.wait_text(sam.id, "bea stays")
    ref = _ref(emu.topics[rosa.id][in_rosas].name)
    assert await _map_rows(database_url) == 4, "Ana and Bea, each in Rosa's and Sam's chat"

    emu.send_text(sam, f"/erase {ref}")
    warning = await bot.wait_text(sam.id, "for good?")
    emu.press_button(sam, warning.message_id, inline_buttons(warning)["Erase for good"])
    await bot.wait_text(sam.id, f"Erased: {ref}.")
    await emu.wait_for(
        lambda: (
            emu.topics[rosa.id][in_rosas].deleted
            and emu.topics[sam.id][sams.message_thread_id].deleted
        ),
        description="Ana's topics deleted",
    )
    # With everything they showed, and nothing named after Ana anywhere.
    for chat in (rosa.id, sam.id):
        shown = [m for m in emu.sent_to(chat) if "while you are away" in (m.text or "")]
        assert shown
        assert all(emu.is_deleted(chat, m.message_id) for m in shown)
    assert _named(emu, "Star") == []
    assert _named(emu, ref) == []
    assert await _map_rows(database_url) == 2, "Bea's topics are all the map holds"
    assert not emu.topics[rosa.id][kept].deleted
    emu.send_text(bea, "bea again")
    again = await bot.wait_text(rosa.id, "bea again")
    assert again.message_thread_id == kept


async def test_a_closed_case_erased_after_its_retention_takes_its_topic(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url, ALONGSIDE_RETENTION_DAYS="30", ALONGSIDE_SWEEP_SECONDS="0.2")
    rosa, ana, _ = await two_linked(bot, 7720)
    thread = await _relayed_in_topic(bot, ana, rosa, "goodbye for now")
    ref = _ref(emu.topics[rosa.id][thread].name)
    emu.send_text(rosa, "take care", thread=thread)
    await bot.wait_text(ana.id, "take care")
    emu.send_text(rosa, f"/close {ref} adult")
    await bot.wait_text(rosa.id, "Closed: the case of")

    bot.clock.advance(days=31)
    await bot.wait_text(rosa.id, "was erased: its case was closed")
    await emu.wait_for(lambda: emu.topics[rosa.id][thread].deleted, description="topic deleted")
    assert _named(emu, "Star") == []
    assert await _map_rows(sqlite_url) == 0


async def test_a_handover_moves_the_topic_from_the_old_advocate_to_the_new(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url)
    rosa, ana, _ = await two_linked(bot, 7730)
    tariq, sam = emu.user(7740, "Tariq"), emu.user(7741, "Sam")
    await bot.enrol(tariq, Role.ADVOCATE, "Tariq")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    old = await _relayed_in_topic(bot, ana, rosa, "before the handover")
    ref = _ref(emu.topics[rosa.id][old].name)

    emu.send_text(sam, f"/handover {ref} Tariq")
    # The new advocate's summary opens their own topic on Ana.
    summary = await bot.wait_text(tariq.id, "is now with you, handed over by Sam")
    assert summary.message_thread_id is not None
    assert emu.topics[tariq.id][summary.message_thread_id].name == f"Star · {ref}"
    # Need to know: Rosa's topic goes, with what it showed her.
    await emu.wait_for(lambda: emu.topics[rosa.id][old].deleted, description="old topic gone")
    relayed = next(m for m in emu.sent_to(rosa.id) if "before the handover" in (m.text or ""))
    assert emu.is_deleted(rosa.id, relayed.message_id)
    told = await bot.wait_text(rosa.id, "was handed over from Rosa to Tariq")
    assert told.message_thread_id is None

    emu.send_text(ana, "after the handover")
    after = await bot.wait_text(tariq.id, "after the handover")
    assert after.message_thread_id == summary.message_thread_id
    live = [t.name for t in emu.topics[rosa.id].values() if not t.deleted]
    assert [name for name in live if name.startswith("Star")] == []
    assert len(emu.topics[tariq.id]) == 1


async def test_a_new_nickname_renames_the_topics_that_show_them(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    """Someone with no advocate presses Help now: the supervisors' alert opens a topic named
    as they are then. Once an advocate's code links them, the topic takes their nickname."""
    emu = emulator
    emu.topics_enabled = True
    bot = harness_factory(sqlite_url)
    await bot.start()
    rosa, sam = emu.user(7750, "Rosa"), emu.user(7751, "Sam")
    stranger = emu.user(7752, "Ana", language_code="en")
    await bot.enrol(rosa, Role.ADVOCATE, "Rosa")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    emu.send_text(stranger, "/start")
    await emu.wait_for(lambda: bool(emu.sent_to(stranger.id)), description="an answer")
    emu.send_text(stranger, "Help now")
    card = await bot.wait_text(sam.id, "(not linked)")
    assert card.message_thread_id is not None
    topic = emu.topics[sam.id][card.message_thread_id]
    assert topic.name.startswith("(not linked) · ")
    ref = _ref(topic.name)

    await bot.link(rosa, stranger, "Star")
    await emu.wait_for(lambda: topic.name == f"Star · {ref}", description="the topic renamed")
    renames = [c for c in emu.calls_to("editForumTopic") if c.ok]
    assert len(renames) == 1
    assert _named(emu, "(not linked)") == []


async def test_a_deletion_that_fails_holds_nothing_up_and_a_refused_one_leaves_no_name(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url)
    rosa, ana, bea = await two_linked(bot, 7760)
    sam = emu.user(7770, "Sam")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    anas = await _relayed_in_topic(bot, ana, rosa, "ana here")
    beas = await _relayed_in_topic(bot, bea, rosa, "bea here")

    # Telegram keeps failing: given up after a few tries, and Rosa's chat moves on.
    failing = emu.add_fault(Fault("500", method="deleteForumTopic", count=None))
    await _erase(bot, sam, _ref(emu.topics[rosa.id][anas].name))
    await emu.wait_for(
        lambda: len(emu.calls_to("deleteForumTopic")) >= 4, timeout=30, description="4 tries"
    )
    emu.send_text(bea, "still reaching Rosa")
    await bot.wait_text(rosa.id, "still reaching Rosa", timeout=30)
    assert len(emu.calls_to("deleteForumTopic")) == 4
    emu.remove_fault(failing)

    # Telegram refuses it: the topic is renamed so that it names no one.
    emu.add_fault(Fault("500", status=400, method="deleteForumTopic", count=None))
    await _erase(bot, sam, _ref(emu.topics[rosa.id][beas].name))
    await emu.wait_for(lambda: emu.topics[rosa.id][beas].name == BLANK, description="blanked")
    assert _named(emu, "Moon") == []
    assert await _map_rows(sqlite_url) == 0


async def _erase(bot: BotHarness, supervisor: EmulatedUser, ref: str) -> None:
    bot.emu.send_text(supervisor, f"/erase {ref}")
    await bot.emu.wait_for(
        lambda: any(ref in t and "for good?" in t for t in bot.texts(supervisor.id)),
        description="the erase warning",
    )
    warning = next(m for m in bot.emu.sent_to(supervisor.id) if ref in (m.text or ""))
    bot.emu.press_button(supervisor, warning.message_id, inline_buttons(warning)["Erase for good"])
    await bot.wait_text(supervisor.id, f"Erased: {ref}.")
