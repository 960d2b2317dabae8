"""A record rewritten in the database by someone without the keys, as the bot's users meet it."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from bot.emulator import BotApiEmulator
from conversations.people import Role
from conversations.store import make_engine
from tests.conftest import BotHarness


async def _raw(url: str, sql: str, **params: object) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(sql), params)
    finally:
        await engine.dispose()


async def test_a_child_moved_to_another_advocate_still_reaches_a_person_and_only_them(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    rosa, sam, boss = emu.user(5501, "Rosa"), emu.user(5502, "Sam"), emu.user(5503, "Dee")
    child = emu.user(59501, "Ana")
    await bot.enrol(rosa)
    await bot.enrol(sam)
    await bot.enrol(boss, Role.SUPERVISOR)
    await bot.link(rosa, child)
    emu.send_text(child, "hello before")
    await bot.wait_text(rosa.id, "hello before")

    # Sam, with write access to the database, makes Ana's record his.
    running = bot.running
    assert running is not None
    await _raw(
        database_url,
        "UPDATE children SET advocate_id = (SELECT id FROM staff WHERE tg_index = :sam)",
        sam=running.runtime.store.index.telegram(sam.id),
    )
    emu.send_text(child, "i want to die")
    await bot.wait_text(child.id, "999")
    card = await bot.wait_text(boss.id, "URGENT")
    assert card is not None
    await bot.wait_text(boss.id, "i want to die")
    emu.send_text(sam, "/children")
    await bot.wait_text(sam.id, "no young people")
    await asyncio.sleep(0.3)
    assert not any("want to die" in t for t in bot.texts(sam.id))
    assert not any("want to die" in t for t in bot.texts(rosa.id))
