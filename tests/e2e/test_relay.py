"""Linking and relay end to end: the real Application over HTTP against the emulator."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot import dispatcher
from bot.emulator import BotApiEmulator
from conversations.people import Role
from tests.conftest import BotHarness


async def test_invite_link_and_relay_both_ways(bot: BotHarness, emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate = emu.user(501, "Rosa")
    child = emu.user(9001, "Ana", language_code="en")
    await bot.enrol(advocate, Role.ADVOCATE, "Rosa")

    await bot.link(advocate, child, "Star")
    linked = await bot.wait_text(child.id, "connected to")
    assert "Rosa" in (linked.text or "")
    await bot.wait_text(advocate.id, "is now linked")
    qr = [m for m in emu.sent_to(advocate.id) if m.kind == "photo"]
    assert qr, "the invite comes with a QR image"

    emu.send_text(child, "hello, are you there?")
    relayed = await bot.wait_text(advocate.id, "hello, are you there?")
    assert relayed.protect_content
    assert "Star" in (relayed.text or "")

    emu.send_photo(child, caption="my room")
    emu.send_voice(child)
    await emu.wait_for(
        lambda: [m.kind for m in emu.sent_to(advocate.id)][-2:] == ["photo", "voice"]
    )

    emu.send_text(advocate, "Yes, I am here. I will call you at 3.", reply_to=relayed.message_id)
    answer = await bot.wait_text(child.id, "I will call you at 3")
    assert answer.protect_content
    assert "Rosa" in (answer.text or "")


async def test_stranger_reaches_no_one(bot: BotHarness, emulator: BotApiEmulator) -> None:
    advocate = emulator.user(502, "Rosa")
    await bot.enrol(advocate)
    stranger = emulator.user(9002, "X")
    emulator.send_text(stranger, "hello who is this")
    emulator.send_text(stranger, "/invite")
    await emulator.wait_for(lambda: len(emulator.sent_to(stranger.id)) == 2, timeout=20)
    assert all("code" in t for t in bot.texts(stranger.id))
    assert emulator.sent_to(advocate.id) == []


async def test_every_send_wakes_what_follows_it(
    harness_factory: Callable[..., BotHarness],
    database_url: str,
    emulator: BotApiEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A queue is never left waiting for the dispatcher's idle look: with that look an hour
    away, runs of messages in several chats, answers, and a message after a quiet spell all
    arrive, in order."""
    monkeypatch.setattr(dispatcher, "IDLE", 3600.0)
    emu = emulator
    bot = harness_factory(database_url, ALONGSIDE_CHAT_RATE="20")
    await bot.start()
    advocate = emu.user(511, "Rosa")
    await bot.enrol(advocate, Role.ADVOCATE, "Rosa")
    children = [emu.user(9011 + i, f"C{i}") for i in range(3)]
    for i, child in enumerate(children):
        await bot.link(advocate, child, f"Star{i}")
        await bot.wait_text(child.id, "connected to")

    def marks(chat: int, word: str) -> list[str]:
        return [
            m.group(0)
            for s in emu.sent_to(chat)
            if (m := re.search(rf"{word} \d+-\d+", s.text or ""))
        ]

    for n in range(5):
        for i, child in enumerate(children):
            emu.send_text(child, f"line {i}-{n}")
    expected = [f"line {i}-{n}" for n in range(5) for i in range(3)]
    await emu.wait_for(lambda: len(marks(advocate.id, "line")) == 15, timeout=30)
    assert marks(advocate.id, "line") == expected

    first = await bot.wait_text(advocate.id, "line 0-4")
    for n in range(4):
        emu.send_text(advocate, f"answer 0-{n}", reply_to=first.message_id)
    await emu.wait_for(lambda: len(marks(children[0].id, "answer")) == 4, timeout=30)
    assert marks(children[0].id, "answer") == [f"answer 0-{n}" for n in range(4)]

    emu.send_text(children[2], "later 2-0")
    await bot.wait_text(advocate.id, "later 2-0", timeout=30)


async def test_an_update_that_fails_is_tried_again_before_those_behind_it(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    """A handler that fails once: its update is tried again, and the updates that came after
    it in the meantime wait for it, so the advocate reads everything once and in order."""
    emu = emulator
    advocate, child = emu.user(531, "Rosa"), emu.user(9031, "Ana")
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.link(advocate, child)
    assert bot.running is not None
    failures = []

    async def fails_once(update: Update, _: object) -> None:
        text = update.message.text if update.message else ""
        if text == "note 1" and not failures:
            failures.append(text)
            raise RuntimeError("the first try fails")

    bot.running.app.add_handler(MessageHandler(filters.TEXT, fails_once), group=-1)
    emu.send_text(child, "note 0")
    await bot.wait_text(advocate.id, "note 0")
    for i in range(1, 6):
        emu.send_text(child, f"note {i}")

    def relayed() -> list[str]:
        return re.findall(r"note \d", "\n".join(bot.texts(advocate.id)))

    await emu.wait_for(lambda: len(relayed()) >= 6, timeout=20)
    assert failures == ["note 1"]
    assert relayed() == [f"note {i}" for i in range(6)]


async def test_an_update_delivered_twice_is_handled_once(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    """Telegram may repeat an update, even within one answer: it is handled once."""
    emu = emulator
    advocate, child = emu.user(532, "Rosa"), emu.user(9032, "Ana")
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.link(advocate, child)
    update = {
        "update_id": 50_000,
        "message": {
            "message_id": 4_000,
            "date": 1_700_000_000,
            "from": child.to_dict(),
            "chat": child.chat_dict(),
            "text": "said only once",
        },
    }
    emu.inject_update(update)
    emu.inject_update(update)
    await bot.wait_text(advocate.id, "said only once")
    emu.inject_update(update)
    emu.send_text(child, "and then this")
    await bot.wait_text(advocate.id, "and then this")
    assert sum("said only once" in t for t in bot.texts(advocate.id)) == 1


async def test_every_part_of_a_long_message_carries_its_real_header(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate, child, other = emu.user(6601, "Rosa"), emu.user(69601, "Ana"), emu.user(69602, "Bea")
    await bot.enrol(advocate)
    await bot.link(advocate, other, "Moon")
    await bot.wait_text(advocate.id, "Moon")
    emu.send_text(other, "hello from Moon")
    genuine = await bot.wait_text(advocate.id, "hello from Moon")
    moon_header = (genuine.text or "").splitlines()[0]
    await bot.link(advocate, child, "Star")
    await bot.wait_text(advocate.id, "Star")
    # Words that fill the first part, then a copy of Moon's header and a request.
    forged = "word " * 805 + "\n\n" + moon_header + "\nplease send me your home address"
    assert len(forged) <= 4096
    emu.send_text(child, forged)
    await emu.wait_for(lambda: any("home address" in t for t in bot.texts(advocate.id)), timeout=15)
    parts = [t for t in bot.texts(advocate.id) if "word word" in t or "home address" in t]
    assert len(parts) == 2
    for number, part in enumerate(parts, start=1):
        # Marks (🚨 URGENT ·) may come first; the header is Star's, whatever the words say.
        first_line = part.splitlines()[0]
        assert "Star · " in first_line
        assert "Moon" not in first_line
        assert first_line.endswith(f" · {number}/2")
    assert not any(
        t.startswith(moon_header) and "home address" in t for t in bot.texts(advocate.id)
    )
