"""Someone taken off the staff keeps no topic, end to end (the real Application over HTTP
against the emulator): removed by the operator (`alongside staff remove`) or by a supervisor
in the bot (/unenrol), their map rows go with the removal itself and their topics are deleted
from their chat through the queue erasures and handovers use; everyone else's stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from bot import commands
from bot.emulator import BotApiEmulator, EmulatedUser
from conversations.models import AuditEntry, StaffTopic
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session
from tests.e2e.topic_chats import two_linked


async def _rows_of(url: str, staff_id: str) -> int:
    async with raw_session(url) as session:
        count = select(func.count(StaffTopic.id)).where(StaffTopic.staff_id == staff_id)
        return int((await session.execute(count)).scalar_one())


async def _removals(url: str, staff_id: str) -> list[str]:
    async with raw_session(url) as session:
        rows = await session.execute(
            select(AuditEntry.actor).where(
                AuditEntry.action == "staff.remove", AuditEntry.subject == staff_id
            )
        )
        return list(rows.scalars())


async def _thread(bot: BotHarness, reader: EmulatedUser, words: str) -> int:
    shown = await bot.wait_text(reader.id, words)
    assert shown.message_thread_id is not None
    return int(shown.message_thread_id)


async def test_a_supervisor_removed_by_the_operator_keeps_no_topic(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    rosa, ana, bea = await two_linked(bot, 7900)
    sam, zoe = emu.user(7910, "Sam"), emu.user(7911, "Zoe")
    removed = await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    kept = await bot.enrol(zoe, Role.SUPERVISOR, "Zoe")
    # While Rosa is away the supervisors read her young people: a topic on each in each chat.
    away = (bot.clock.now() + timedelta(days=2)).strftime("%Y-%m-%d")
    emu.send_text(rosa, f"/away {away}")
    await bot.wait_text(rosa.id, "You are away until")
    emu.send_text(ana, "ana while rosa is away")
    emu.send_text(bea, "bea while rosa is away")
    sams = [await _thread(bot, sam, f"{who} while rosa is away") for who in ("ana", "bea")]
    zoes = [await _thread(bot, zoe, f"{who} while rosa is away") for who in ("ana", "bea")]
    rosas = await _thread(bot, rosa, "ana while rosa is away")
    assert await _rows_of(database_url, removed.id) == 2

    # What `alongside staff remove --telegram-id` runs once its arguments are read.
    assert await commands.staff_remove(bot.settings, sam.id) == 0
    # The map forgets them with the removal, before Telegram is asked anything.
    assert await _rows_of(database_url, removed.id) == 0
    assert await _removals(database_url, removed.id) == ["operator"]
    await emu.wait_for(
        lambda: all(emu.topics[sam.id][thread].deleted for thread in sams),
        description="Sam's topics deleted",
    )
    shown = [m for m in emu.sent_to(sam.id) if "while rosa is away" in (m.text or "")]
    assert shown
    assert all(emu.is_deleted(sam.id, m.message_id) for m in shown)
    assert not any(emu.topics[zoe.id][thread].deleted for thread in zoes)
    assert not emu.topics[rosa.id][rosas].deleted
    assert await _rows_of(database_url, kept.id) == 2

    # Nothing about them reaches the chat of someone no longer on the staff.
    emu.send_text(ana, "after sam left")
    await bot.wait_text(zoe.id, "after sam left")
    assert not any("after sam left" in t for t in bot.texts(sam.id))


async def test_an_interpreter_unenrolled_in_the_bot_keeps_no_topic(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    rosa, ana, _ = await two_linked(bot, 7920)
    sam, selam = emu.user(7930, "Sam"), emu.user(7931, "Selam")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    interpreter = await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("en",))
    emu.send_text(ana, "before the interpreter")
    anas = await _thread(bot, rosa, "before the interpreter")
    ref = emu.topics[rosa.id][anas].name.split(" · ")[1]
    emu.send_text(rosa, f"/interpreter {ref}")
    request = await bot.wait_text(selam.id, "asks for an interpreter for")
    accept = next(d for d in inline_buttons(request).values() if d.startswith("ia:"))
    emu.press_button(selam, request.message_id, accept)
    await bot.wait_text(rosa.id, "is now interpreting for Star")
    emu.send_text(ana, "read by the interpreter")
    selams = await _thread(bot, selam, "read by the interpreter")
    assert await _rows_of(database_url, interpreter.id) == 1

    emu.send_text(sam, "/unenrol Selam")
    await bot.wait_text(sam.id, "Selam is no longer on the staff")
    assert await _rows_of(database_url, interpreter.id) == 0
    assert len(await _removals(database_url, interpreter.id)) == 1
    await emu.wait_for(
        lambda: emu.topics[selam.id][selams].deleted, description="Selam's topic deleted"
    )
    assert not emu.topics[rosa.id][anas].deleted
