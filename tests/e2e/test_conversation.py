"""The conversation in detail: media, edits, long text, choosing a child, clearing the chat."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs
from bot.notices import about_label, clear_label, next_label
from conversations.people import Role
from tests.conftest import PATIENCE, BotHarness, inline_buttons


async def test_media_edits_and_long_text(bot: BotHarness, emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate, child = emu.user(5101, "Rosa"), emu.user(59101, "Ana")
    await bot.enrol(advocate)
    await bot.link(advocate, child, "Star")
    emu.send_video(child, caption="the street")
    emu.send_document(child, file_name="letter.pdf", caption="my letter")
    emu.send_sticker(child)
    await emu.wait_for(
        lambda: (
            [m.kind for m in emu.sent_to(advocate.id)][-4:]
            == ["video", "document", "text", "sticker"]
        ),
        timeout=15 * PATIENCE,
    )
    header = emu.sent_to(advocate.id)[-2]
    assert "Star" in (header.text or ""), "a sticker is preceded by its header"
    assert all(m.protect_content for m in emu.sent_to(advocate.id)[-4:])

    original = emu.send_text(child, "I will come at 5")
    relayed = await bot.wait_text(advocate.id, "I will come at 5")
    emu.edit_text(child, original["message_id"], "I will come at 6")
    correction = await bot.wait_text(advocate.id, "I will come at 6")
    assert "Correction" in (correction.text or "")
    assert correction.reply_to_message_id == relayed.message_id

    long_text = ("word " * 1500).strip() + " END"
    emu.send_text(advocate, long_text, reply_to=relayed.message_id)
    await bot.wait_text(child.id, "END", timeout=15)
    parts = [m.text or "" for m in emu.sent_to(child.id) if "word" in (m.text or "")]
    assert len(parts) == 2, "split in two, never cut"
    assert " ".join(parts).split() == ["Rosa:", *long_text.split()]


async def test_plain_message_asks_which_child(bot: BotHarness, emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate = emu.user(5201, "Rosa")
    first, second = emu.user(59201, "Ana"), emu.user(59202, "Bea")
    await bot.enrol(advocate)
    await bot.link(advocate, first, "Star")
    emu.send_text(advocate, "only one child, so this goes to Star")
    await bot.wait_text(first.id, "this goes to Star")
    await bot.link(advocate, second, "Moon")
    emu.send_text(advocate, "which one gets this?")
    question = await bot.wait_text(advocate.id, "Which young person")
    choices = inline_buttons(question)
    moon = next(data for text, data in choices.items() if text.startswith("Moon"))
    emu.press_button(advocate, question.message_id, moon)
    await bot.wait_text(second.id, "which one gets this?")
    await bot.wait_text(advocate.id, "Sent to Moon")
    assert not any("which one gets this?" in t for t in bot.texts(first.id))
    emu.press_button(advocate, question.message_id, moon)
    await bot.wait_text(advocate.id, "no longer open")
    assert sum("which one gets this?" in t for t in bot.texts(second.id)) == 1


async def test_clear_chat_removes_what_telegram_allows(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url)
    await bot.start()
    advocate, child = emu.user(5301, "Rosa"), emu.user(59301, "Ana", language_code="ro")
    await bot.enrol(advocate)
    await bot.link(advocate, child)
    sent = emu.send_text(child, "please remember this")
    relayed = await bot.wait_text(advocate.id, "please remember this")
    emu.send_text(advocate, "I will", reply_to=relayed.message_id)
    await bot.wait_text(child.id, "I will")
    # What they pressed or typed that is never relayed goes too: a menu, a command.
    answered = len(emu.sent_to(child.id))
    pressed = [
        emu.send_text(child, label(Catalogs().get("ro"))) for label in (next_label, about_label)
    ]
    await emu.wait_for(lambda: len(emu.sent_to(child.id)) >= answered + 2, timeout=15)
    emu.send_text(child, clear_label(Catalogs().get("ro")))
    await emu.wait_for(lambda: [m.text for m in emu.visible_to(child.id)] == ["👋"], timeout=15)
    assert emu.is_deleted(child.id, sent["message_id"]), "their own message is gone too"
    assert all(emu.is_deleted(child.id, p["message_id"]) for p in pressed)
    assert emu.is_deleted(child.id, 1), "so is the /start that linked them"
    assert any("please remember this" in t for t in bot.texts(advocate.id))
    assert not any(m.deleted for m in emu.sent_to(advocate.id))
    keyboard = emu.visible_to(child.id)[0].reply_markup or {}
    assert keyboard.get("keyboard"), "Help now stays one tap away"


async def test_open_alert_shows_the_messages_around_it(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate, supervisor, child = (
        emu.user(5401, "Rosa"),
        emu.user(5402, "Sam"),
        emu.user(59401, "Ana"),
    )
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)
    emu.send_text(child, "before the worry")
    await bot.wait_text(advocate.id, "before the worry")
    emu.send_text(child, "i want to die")
    card = await bot.wait_text(supervisor.id, "URGENT")
    emu.press_button(supervisor, card.message_id, inline_buttons(card)["Open"])
    opened = await bot.wait_text(supervisor.id, "Alert for")
    assert "before the worry" in (opened.text or "")
    assert "➡️" in (opened.text or "")
    assert opened.protect_content


async def test_open_alert_quotes_their_words_so_no_line_of_ours_can_be_faked(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate, supervisor, child = (
        emu.user(5411, "Rosa"),
        emu.user(5412, "Sam"),
        emu.user(59411, "Ana"),
    )
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)
    forged = "i want to die 😢\n23:59 staff: meet me at the old bridge"
    emu.send_text(child, forged)
    card = await bot.wait_text(supervisor.id, "URGENT")
    emu.press_button(supervisor, card.message_id, inline_buttons(card)["Open"])
    opened = await bot.wait_text(supervisor.id, "Alert for")
    # The line that reads like ours is inside their quote, never a line of the view itself.
    assert opened.marked("blockquote") == [forged]
    outside = (opened.text or "").replace(forged, "")
    assert "old bridge" not in outside
    assert "23:59 staff" not in outside
