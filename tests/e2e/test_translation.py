"""Translation beside every message, end to end: the real bot, a LibreTranslate-compatible HTTP
server of ours with canned translations, and the emulator. The original always goes at once; the
translation follows as a reply to it, labelled, or is left out with a note."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import select

from bot.emulator import BotApiEmulator
from bot.emulator.translation import TranslationServer
from bot.i18n import Catalogs
from conversations.models import AuditEntry, Translation
from conversations.people import Role
from tests.conftest import BotHarness

CANNED = {
    ("vi", "en", "Mình cần gặp bạn"): "I need to see you",
    ("en", "vi", "Tomorrow at 10, at the office."): "Ngày mai lúc 10 giờ, ở văn phòng.",
    # Words the Vietnamese screening does not flag, that the English one does in translation.
    ("vi", "en", "Tôi đang ở nhà một người bạn"): (
        "A man is hurting me right now and I cannot leave, please help"
    ),
}
FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}
VI_LABEL = "🌐 Translated by a computer. It may be wrong: ask if something is unclear."


@pytest.fixture
async def server() -> AsyncIterator[TranslationServer]:
    async with TranslationServer(("en", "vi", "fr"), CANNED) as running:
        yield running


async def test_both_sides_read_each_other_in_their_own_language(
    harness_factory: Callable[..., BotHarness],
    database_url: str,
    emulator: BotApiEmulator,
    server: TranslationServer,
) -> None:
    emu = emulator
    bot = harness_factory(database_url, ALONGSIDE_TRANSLATE_URL=server.url, **FAST)
    await bot.start()
    advocate, child = emu.user(9101, "Rosa"), emu.user(99101, "Lan", language_code="vi")
    await bot.enrol(advocate)
    await bot.link(advocate, child)

    emu.send_text(child, "Mình cần gặp bạn")
    relay = await bot.wait_text(advocate.id, "Mình cần gặp bạn")
    translated = await bot.wait_text(advocate.id, "I need to see you")
    assert "Machine translation from Vietnamese" in (translated.text or "")
    assert translated.reply_to_message_id == relay.message_id
    assert translated.message_id > relay.message_id, "the original first"

    # The advocate answers the translation as they would the relay: it reaches the young person.
    emu.send_text(advocate, "Tomorrow at 10, at the office.", reply_to=translated.message_id)
    original = await bot.wait_text(child.id, "Tomorrow at 10, at the office.")
    assert (original.text or "").startswith("Rosa")
    theirs = await bot.wait_text(child.id, "Ngày mai lúc 10 giờ")
    label = Catalogs().get("vi")._(VI_LABEL)
    assert label != VI_LABEL, "labelled in Vietnamese"
    assert (theirs.text or "").startswith(label)
    assert theirs.reply_to_message_id == original.message_id

    # Only the words and the two languages left the deployment: no name, no header.
    assert server.received == [
        ("vi", "en", "Mình cần gặp bạn"),
        ("en", "vi", "Tomorrow at 10, at the office."),
    ]
    assert bot.running is not None
    async with bot.running.runtime.store.unit(read_only=True) as uow:
        actions = (
            (await uow.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)))
            .scalars()
            .all()
        )
        statuses = (await uow.session.execute(select(Translation.status))).scalars().all()
    assert actions.count("message.translated") == 2
    assert sorted(statuses) == ["done", "done"]
    # Finished jobs go with the queues' retention, by the bot's own sweep.
    bot.clock.advance(days=31)
    store = bot.running.runtime.store
    for _ in range(int(60 * emu.patience)):
        async with store.unit(read_only=True) as uow:
            if (await uow.session.execute(select(Translation.id))).first() is None:
                break
        await asyncio.sleep(1)
    else:
        raise AssertionError("finished translation jobs outlived the queues' retention")


async def test_a_slow_or_absent_server_never_holds_back_a_message_or_an_alert(
    harness_factory: Callable[..., BotHarness],
    sqlite_url: str,
    emulator: BotApiEmulator,
    server: TranslationServer,
) -> None:
    emu = emulator
    bot = harness_factory(
        sqlite_url, ALONGSIDE_TRANSLATE_URL=server.url, ALONGSIDE_TRANSLATE_TIMEOUT="1", **FAST
    )
    await bot.start()
    advocate, supervisor = emu.user(9201, "Rosa"), emu.user(9202, "Sam")
    child = emu.user(99201, "Lan", language_code="vi")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)

    server.delay = 30.0  # far longer than the bot's timeout of one second
    emu.send_text(child, "Có người đang đánh tôi, cứu tôi với")
    # The relay and the alert card to both, and the emergency answer, while the server sleeps.
    await bot.wait_text(advocate.id, "Có người đang đánh tôi")
    await emu.wait_for(
        lambda: all(
            any(m.reply_markup and "ack" in str(m.reply_markup) for m in emu.sent_to(reader))
            for reader in (advocate.id, supervisor.id)
        ),
        description="alert cards for the advocate and the supervisor",
    )
    await emu.wait_for(lambda: len(emu.sent_to(child.id)) >= 2, description="emergency answer")
    assert not any("Machine translation" in t for t in bot.texts(advocate.id))

    # Tried again once the server answers: the translation follows.
    server.delay = 0.0
    bot.clock.advance(seconds=11)
    await bot.wait_text(advocate.id, "Machine translation from Vietnamese")

    # A server that stays away: after its tries, a note in place of the translation.
    await server.stop()
    emu.send_text(child, "Mình cần gặp bạn")
    relay = await bot.wait_text(advocate.id, "Mình cần gặp bạn")
    for pause in (11, 61, 301):
        await asyncio.sleep(1.5)
        bot.clock.advance(seconds=pause)
    note = await bot.wait_text(advocate.id, "the translation server did not answer")
    assert note.reply_to_message_id == relay.message_id


async def test_words_urgent_only_in_translation_raise_the_alert(
    harness_factory: Callable[..., BotHarness],
    sqlite_url: str,
    emulator: BotApiEmulator,
    server: TranslationServer,
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url, ALONGSIDE_TRANSLATE_URL=server.url, **FAST)
    await bot.start()
    advocate = emu.user(9301, "Rosa")
    child, other = emu.user(99301, "Lan", language_code="vi"), emu.user(99302, "Ana")
    await bot.enrol(advocate)
    await bot.link(advocate, child)
    await bot.link(advocate, other, "Moon")

    emu.send_text(child, "Tôi đang ở nhà một người bạn")
    translated = await bot.wait_text(advocate.id, "A man is hurting me")
    assert (translated.text or "").startswith("🚨"), "marked as urgent"
    await emu.wait_for(
        lambda: any(
            m.reply_markup and "ack" in str(m.reply_markup) for m in emu.sent_to(advocate.id)
        ),
        description="an alert card",
    )
    await emu.wait_for(lambda: len(emu.sent_to(child.id)) >= 2, description="emergency answer")

    # A correction is translated too.
    sent = emu.send_text(child, "Mình cần gặp bạn")
    await bot.wait_text(advocate.id, "I need to see you")
    emu.edit_text(child, sent["message_id"], "Tôi đang ở nhà một người bạn")
    await bot.wait_text(advocate.id, "✏️")
    await emu.wait_for(
        lambda: sum("A man is hurting me" in t for t in bot.texts(advocate.id)) == 2,
        description="the correction's translation",
    )

    # An English-reading young person's messages are not sent anywhere.
    emu.send_text(other, "hello Rosa")
    await bot.wait_text(advocate.id, "hello Rosa")
    await asyncio.sleep(1)
    assert [r[2] for r in server.received] == [
        "Tôi đang ở nhà một người bạn",
        "Mình cần gặp bạn",
        "Tôi đang ở nhà một người bạn",
    ]
