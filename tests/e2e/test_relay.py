"""Linking and relay end to end: the real Application over HTTP against the emulator."""

from __future__ import annotations

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
        lambda: [m.kind for m in emu.sent_to(advocate.id)][-2:] == ["photo", "voice"])

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
    await emulator.wait_for(lambda: len(emulator.sent_to(stranger.id)) == 2)
    assert all("code" in t for t in bot.texts(stranger.id))
    assert emulator.sent_to(advocate.id) == []
