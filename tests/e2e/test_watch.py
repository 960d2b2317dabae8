"""The missing-risk watch: daily check-ins in the first week, what each answer brings, and how
closing and reopening a case pause and resume it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator, EmulatedUser
from bot.emulator._types import SentMessage
from conversations.models import Alert, AuditEntry, CheckIn, Child
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session
from tests.e2e.test_childrens_code import _linked

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}


async def test_check_ins_answers_and_silence(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, supervisor = emu.user(6101, "Rosa"), emu.user(6102, "Sam")
    child = emu.user(69101, "Ana")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)

    def check_ins() -> list[SentMessage]:
        return [m for m in emu.sent_to(child.id) if "How are you today" in (m.text or "")]

    bot.clock.advance(hours=36)
    await emu.wait_for(lambda: len(check_ins()) == 1, timeout=10, description="first check-in")
    first = check_ins()[0]
    emu.press_button(child, first.message_id, inline_buttons(first)["😟 Not good"])
    await bot.wait_text(advocate.id, "answered today's check-in: not good")
    await bot.wait_text(child.id, "Thank you for telling me")

    bot.clock.advance(hours=24)
    await emu.wait_for(lambda: len(check_ins()) == 2, timeout=10, description="next day")
    bot.clock.advance(hours=7)
    await bot.wait_text(advocate.id, "did not answer today's check-in")

    bot.clock.advance(hours=17)
    await emu.wait_for(lambda: len(check_ins()) == 3, timeout=10, description="third day")
    third = check_ins()[2]
    emu.press_button(child, third.message_id, inline_buttons(third)["🆘 I need help"])
    await bot.wait_text(supervisor.id, "pressed Help now")
    await bot.wait_text(child.id, "999")
    emu.press_button(child, third.message_id, inline_buttons(third)["🆘 I need help"])
    await asyncio.sleep(1)
    assert sum("pressed Help now" in t for t in bot.texts(supervisor.id)) == 1, (
        "an answer counts once"
    )

    bot.clock.advance(days=6)
    await asyncio.sleep(1.5)
    count = len(check_ins())
    bot.clock.advance(days=2)
    await asyncio.sleep(1.5)
    assert len(check_ins()) == count, "no check-ins after the first week"

    # The silent days queued a concern each for the advocate, paced at one message a second.
    emu.send_text(advocate, "/children")
    listing = await bot.wait_text(advocate.id, "young person:", timeout=20)
    ref = (listing.text or "").split("· ")[1].split()[0]
    # A reference that is not theirs (or none) is refused alike, and starts nothing.
    emu.send_text(advocate, "/placed ZZZ")
    await bot.wait_text(advocate.id, "Use /placed REF", timeout=20)
    emu.send_text(advocate, f"/placed {ref}")
    await bot.wait_text(advocate.id, "new placement", timeout=20)
    bot.clock.advance(hours=36)
    await emu.wait_for(
        lambda: len(check_ins()) == count + 1,
        timeout=10,
        description="a new placement starts the watch again",
    )


async def _watched(url: str, ref: str) -> tuple[int, int, list[str]]:
    """A young person's check-ins, alerts, and the watch's steps in the audit log."""
    async with raw_session(url) as session:
        child_id = (await session.execute(select(Child.id).where(Child.ref == ref))).scalar_one()
        asked = await session.execute(select(func.count()).where(CheckIn.child_id == child_id))
        raised = await session.execute(select(func.count()).where(Alert.child_id == child_id))
        steps = await session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.subject == child_id, AuditEntry.action.startswith("watch."))
            .order_by(AuditEntry.id)
        )
        return asked.scalar_one(), raised.scalar_one(), list(steps.scalars())


async def test_closing_pauses_the_watch_and_reopening_resumes_what_is_left_of_it(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate = emu.user(6201, "Rosa")
    ana, bea = emu.user(69201, "Ana"), emu.user(69202, "Bea")
    await bot.enrol(advocate)
    await bot.enrol(emu.user(6202, "Sam"), Role.SUPERVISOR)
    star = await _linked(bot, advocate, ana, "Star")
    moon = await _linked(bot, advocate, bea, "Moon")

    def asked(user: EmulatedUser) -> list[SentMessage]:
        return [m for m in emu.sent_to(user.id) if "How are you today" in (m.text or "")]

    bot.clock.advance(hours=36)
    await emu.wait_for(
        lambda: len(asked(ana)) == len(asked(bea)) == 1, description="both asked on day one"
    )
    emu.send_text(advocate, f"/close {star} ended")
    await bot.wait_text(advocate.id, "Closed: the case of")

    # Bea's silence past the answer window is raised; Ana's, in the same sweep, is not. Then
    # Bea is asked the next day and Ana is not: each of Ana's would have been written in the
    # same transaction as Bea's, before Bea's reached her.
    bot.clock.advance(hours=7)
    await bot.wait_text(advocate.id, f"Moon · {moon} did not answer")
    assert await _watched(database_url, star) == (1, 0, ["watch.start", "watch.pause"])
    bot.clock.advance(hours=17)
    await emu.wait_for(lambda: len(asked(bea)) == 2, description="Bea asked on day two")
    assert (await _watched(database_url, star))[:2] == (1, 0)

    # Ana writes: her case opens again, and so does the rest of her first week.
    emu.send_text(ana, "I am back")
    relayed = await bot.wait_text(advocate.id, "I am back")
    await bot.wait_text(advocate.id, "wrote again, so their closed case is open again")
    emu.send_text(advocate, "welcome back", reply_to=relayed.message_id)
    await bot.wait_text(ana.id, "welcome back")
    bot.clock.advance(hours=36)
    await emu.wait_for(lambda: len(asked(ana)) == 2, description="Ana asked again")
    emu.press_button(ana, asked(ana)[1].message_id, inline_buttons(asked(ana)[1])["👍 I'm OK"])
    await bot.wait_text(ana.id, "Thank you. Write here any time.")

    # Closed again, and reopened only once her first week is over: nothing starts again. Bea's
    # new placement starts hers, and her check-in shows the sweep went past Ana's would-be one.
    emu.send_text(advocate, f"/close {star} ended")
    await emu.wait_for(lambda: sum("Closed: the case" in t for t in bot.texts(advocate.id)) == 2)
    bot.clock.advance(hours=80)
    emu.send_text(advocate, f"/placed {moon}")
    await bot.wait_text(advocate.id, "new placement")
    emu.send_text(advocate, f"/reopen {star}")
    await bot.wait_text(advocate.id, "Reopened: the case of")
    before = len(asked(bea))
    bot.clock.advance(hours=36)
    await emu.wait_for(lambda: len(asked(bea)) > before, description="Bea's new placement")
    assert await _watched(database_url, star) == (
        2,
        0,
        ["watch.start", "watch.pause", "watch.resume", "watch.answer", "watch.pause"],
    )
    assert len(asked(ana)) == 2
