"""Topic chats for the end-to-end tests: a bot started with topics in private chats, and an
advocate with two young people."""

from __future__ import annotations

from bot.emulator import EmulatedUser
from conversations.people import Role
from tests.conftest import BotHarness


async def two_linked(bot: BotHarness, base: int) -> tuple[EmulatedUser, EmulatedUser, EmulatedUser]:
    """Start `bot` with topics on in the emulator's private chats; Rosa (an advocate, id `base`)
    is linked to Ana ("Star") and Bea ("Moon")."""
    emu = bot.emu
    emu.topics_enabled = True
    await bot.start()
    advocate = emu.user(base, "Rosa")
    ana = emu.user(base + 1, "Ana", language_code="en")
    bea = emu.user(base + 2, "Bea", language_code="en")
    await bot.enrol(advocate, Role.ADVOCATE, "Rosa")
    await bot.link(advocate, ana, "Star")
    await bot.link(advocate, bea, "Moon")
    return advocate, ana, bea
