"""Away end to end: the young person is told once, supervisors read and answer meanwhile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs
from bot.notices import advocate_away
from conversations.models import AuditEntry, Staff
from conversations.people import Role
from tests.conftest import BotHarness, raw_session
from tests.test_catalogs import plain

LONDON = ZoneInfo("Europe/London")


def _away_notices(bot: BotHarness, chat: int, needle: str) -> int:
    return sum(needle in plain(t) for t in bot.texts(chat))


async def _away_until(url: str) -> list[datetime | None]:
    async with raw_session(url) as session:
        return list(
            (await session.execute(select(Staff.away_until).order_by(Staff.created_at)))
            .scalars()
            .all()
        )


async def test_an_away_advocate_is_covered_and_the_child_told_once(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    advocate, supervisor = emu.user(8101, "Rosa"), emu.user(8102, "Sam")
    child = emu.user(89101, "Lan", language_code="vi")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)

    # A time that means nothing changes nothing.
    emu.send_text(advocate, "/away someday")
    await bot.wait_text(advocate.id, "Use: /away TIME")
    emu.send_text(advocate, "/away 2020-01-01 09:00")
    await bot.wait_text(advocate.id, "Please give a time in the next 90 days.")
    assert await _away_until(database_url) == [None, None]

    back_on = (datetime.now(LONDON) + timedelta(days=3)).date()
    emu.send_text(advocate, f"/away {back_on.isoformat()} 9:30")
    await bot.wait_text(advocate.id, "You are away until")
    until = datetime.combine(back_on, time(9, 30), LONDON)
    assert (await _away_until(database_url))[0] == until.astimezone(UTC)

    emu.send_text(child, "xin chào, bạn có ở đó không?")
    await bot.wait_text(advocate.id, "xin chào")
    covered = await bot.wait_text(supervisor.id, "xin chào")
    assert "Rosa is away until" in (covered.text or "")
    vietnamese = Catalogs().get("vi")
    notice = plain(advocate_away(vietnamese, "Rosa", vietnamese.datetime(until)).text)
    assert notice != plain(advocate_away(Catalogs().get("en"), "Rosa", "x").text)
    await emu.wait_for(
        lambda: _away_notices(bot, child.id, notice) == 1,
        description="the away notice, in Vietnamese",
    )

    emu.send_text(child, "mình đợi nhé")
    await bot.wait_text(supervisor.id, "mình đợi nhé")
    assert _away_notices(bot, child.id, notice) == 1, "told once per absence"

    # The supervisor answers in the advocate's place, with a Telegram reply.
    emu.send_text(supervisor, "Chào Lan, mình là Sam.", reply_to=covered.message_id)
    answer = await bot.wait_text(child.id, "Chào Lan, mình là Sam.")
    assert (answer.text or "").startswith("Sam")

    emu.send_text(advocate, "/back")
    await bot.wait_text(advocate.id, "Welcome back")
    assert await _away_until(database_url) == [None, None]
    seen = len(emu.sent_to(supervisor.id))
    emu.send_text(child, "bạn về rồi à")
    await bot.wait_text(advocate.id, "bạn về rồi à")
    await asyncio.sleep(0.5)
    assert not any("bạn về rồi à" in (m.text or "") for m in emu.sent_to(supervisor.id)[seen:])
    assert _away_notices(bot, child.id, notice) == 1

    async with raw_session(database_url) as session:
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert actions.count("staff.away") == 1
    assert actions.count("staff.back") == 1


async def test_a_new_absence_is_told_again_and_an_ended_one_not_at_all(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate, child = emu.user(8201, "Rosa"), emu.user(89201, "Ana")
    await bot.enrol(advocate)
    await bot.link(advocate, child)
    in_an_hour = (datetime.now(LONDON) + timedelta(hours=1)).strftime("%H:%M")
    emu.send_text(advocate, f"/away {in_an_hour}")
    await bot.wait_text(advocate.id, "You are away until")
    emu.send_text(advocate, "/away")
    await emu.wait_for(
        lambda: sum("You are away until" in t for t in bot.texts(advocate.id)) == 2,
        description="/away alone says until when",
    )

    emu.send_text(child, "one")
    await bot.wait_text(child.id, "Rosa is away until")
    tomorrow = (datetime.now(LONDON) + timedelta(days=1)).date().isoformat()
    emu.send_text(advocate, f"/away {tomorrow}")
    await emu.wait_for(lambda: sum("You are away until" in t for t in bot.texts(advocate.id)) == 3)
    emu.send_text(child, "two")
    await emu.wait_for(
        lambda: sum("Rosa is away until" in t for t in bot.texts(child.id)) == 2,
        description="a changed absence is told again",
    )
    assert "09:00" in bot.texts(child.id)[-1]

    bot.clock.advance(days=2)
    emu.send_text(child, "three")
    await bot.wait_text(advocate.id, "three")
    await asyncio.sleep(0.5)
    assert sum("Rosa is away until" in t for t in bot.texts(child.id)) == 2, (
        "an absence that has ended is not mentioned"
    )


async def test_only_staff_can_be_away(bot: BotHarness, emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate, child = emu.user(8301, "Rosa"), emu.user(89301, "Ana")
    stranger = emu.user(89302, "Who")
    await bot.enrol(advocate)
    await bot.link(advocate, child)
    emu.send_text(child, "/away 18:00")
    await bot.wait_text(child.id, "I cannot do that here")
    emu.send_text(stranger, "/back")
    await bot.wait_text(stranger.id, "you need a code")
    await asyncio.sleep(0.3)
    assert not any("/away" in t for t in bot.texts(advocate.id))
