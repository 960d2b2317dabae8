"""A closed case starts no contact with its young person, end to end: a new placement, a stage,
a story so far or an interpreter is refused until the case is reopened, and a handover moves it
without a word to them. Their asking for someone (a check-in answered "not good" or "I need
help") or their going missing opens it again, as their writing does; an "I'm OK" does not."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator, EmulatedUser
from bot.emulator._types import SentMessage
from conversations.models import CaseClosure, Child, StageChange, Summary
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session
from tests.e2e.test_childrens_code import _linked

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}
REFUSED = "is closed: nothing was changed"


def _asked(bot: BotHarness, user: EmulatedUser) -> list[SentMessage]:
    return [m for m in bot.emu.sent_to(user.id) if "How are you today" in (m.text or "")]


async def _next_check_in(url: str, ref: str) -> datetime | None:
    async with raw_session(url) as session:
        found = await session.execute(select(Child.next_check_in_at).where(Child.ref == ref))
        return found.scalar_one()


async def _closed(url: str, ref: str) -> bool:
    async with raw_session(url) as session:
        child_id = (await session.execute(select(Child.id).where(Child.ref == ref))).scalar_one()
        found = await session.execute(select(func.count()).where(CaseClosure.child_id == child_id))
        return bool(found.scalar_one())


async def _count(url: str, model: type[StageChange] | type[Summary]) -> int:
    async with raw_session(url) as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_closed_case_starts_no_contact_until_it_is_reopened(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    rosa, tariq = emu.user(6301, "Rosa"), emu.user(6302, "Tariq")
    selam, ana, bea = emu.user(6303, "Selam"), emu.user(69301, "Ana"), emu.user(69302, "Bea")
    await bot.enrol(rosa)
    await bot.enrol(tariq, name="Tariq")
    await bot.enrol(emu.user(6304, "Sam"), Role.SUPERVISOR)
    await bot.enrol(selam, Role.INTERPRETER, "Selam", languages=("en",))
    ref = await _linked(bot, rosa, ana, "Star")
    await _linked(bot, rosa, bea, "Moon")
    emu.send_text(rosa, f"/stage {ref}")
    stages = await bot.wait_text(rosa.id, "Choose the new stage")
    emu.send_text(rosa, f"/close {ref} ended")
    await bot.wait_text(rosa.id, "Closed: the case of")
    heard = len(emu.sent_to(ana.id))

    # Each is refused, says why and what to do, and changes nothing.
    def refused(times: int) -> bool:
        return sum(REFUSED in t for t in bot.texts(rosa.id)) == times

    for done, command in enumerate(
        (
            f"/placed {ref}",
            f"/stage {ref}",
            f"/summary {ref} You came in May.",
            f"/interpreter {ref}",
        ),
        start=1,
    ):
        emu.send_text(rosa, command)
        await emu.wait_for(partial(refused, done), description=command)
    emu.press_button(rosa, stages.message_id, next(iter(inline_buttons(stages).values())))
    await emu.wait_for(partial(refused, 5), description="the stage chosen before")
    refusal = next(t for t in bot.texts(rosa.id) if REFUSED in t)
    assert f"/reopen {ref}" in refusal
    assert not bot.texts(selam.id), "no interpreter is offered a closed case"
    assert await _count(database_url, StageChange) == 0
    assert await _count(database_url, Summary) == 0

    # A handover moves the case without a word to them.
    emu.send_text(rosa, f"/handover {ref} Tariq")
    await bot.wait_text(tariq.id, "is now with you, handed over by Rosa")
    await bot.wait_text(rosa.id, "was handed over from Rosa to Tariq")

    # No check-in either: Bea's shows the sweep went past the time of Ana's.
    bot.clock.advance(hours=36)
    await emu.wait_for(lambda: len(_asked(bot, bea)) == 1, description="Bea asked")
    assert len(emu.sent_to(ana.id)) == heard
    assert await _closed(database_url, ref)

    # Reopened, a new placement starts the check-ins again.
    emu.send_text(tariq, f"/reopen {ref}")
    await bot.wait_text(tariq.id, "Reopened: the case of")
    emu.send_text(tariq, f"/placed {ref}")
    await bot.wait_text(tariq.id, "new placement")
    bot.clock.advance(hours=36)
    await emu.wait_for(lambda: len(_asked(bot, ana)) == 1, description="checked in once reopened")


async def test_asking_for_someone_or_going_missing_reopens_a_closed_case(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    rosa = emu.user(6401, "Rosa")
    ana, bea, cai = emu.user(69401, "Ana"), emu.user(69402, "Bea"), emu.user(69403, "Cai")
    await bot.enrol(rosa)
    await bot.enrol(emu.user(6402, "Sam"), Role.SUPERVISOR)
    star = await _linked(bot, rosa, ana, "Star")
    moon = await _linked(bot, rosa, bea, "Moon")
    sun = await _linked(bot, rosa, cai, "Sun")
    bot.clock.advance(hours=36)
    await emu.wait_for(
        lambda: all(len(_asked(bot, u)) == 1 for u in (ana, bea, cai)), description="day one"
    )
    for ref in (star, moon, sun):
        emu.send_text(rosa, f"/close {ref} ended")
    await emu.wait_for(lambda: sum("Closed: the case" in t for t in bot.texts(rosa.id)) == 3)

    # "I'm OK" is thanked, and the case stays closed.
    emu.press_button(
        ana, _asked(bot, ana)[0].message_id, inline_buttons(_asked(bot, ana)[0])["👍 I'm OK"]
    )
    await bot.wait_text(ana.id, "Thank you. Write here any time.")
    # "Not good" asks for someone: the case is open again, and the advocate told both.
    emu.press_button(
        bea, _asked(bot, bea)[0].message_id, inline_buttons(_asked(bot, bea)[0])["😟 Not good"]
    )
    await bot.wait_text(bea.id, "Someone will contact you soon")
    await bot.wait_text(rosa.id, f"Moon · {moon} wrote again, so their closed case is open again")
    await bot.wait_text(rosa.id, f"Moon · {moon} answered today's check-in: not good")
    assert await _closed(database_url, star)
    assert not await _closed(database_url, moon)

    # Going missing opens it too: the young person is sent the one gentle message.
    emu.send_text(rosa, f"/missing {sun}")
    await bot.wait_text(rosa.id, "Missing episode opened for Sun")
    await bot.wait_text(rosa.id, f"Reopened: the case of {sun}")
    await emu.wait_for(
        lambda: any(
            d.startswith("mc:") for m in emu.sent_to(cai.id) for d in inline_buttons(m).values()
        ),
        description="the young person's message",
    )
    assert not await _closed(database_url, sun)

    # At their next check-in time, the reopened are asked again; the one still closed is not.
    # (That time is the check-in hour at least 12 hours after the reopening: how far away it is
    # depends on the hour the test runs at, so the clock moves to it rather than by a day.)
    due = [await _next_check_in(database_url, ref) for ref in (moon, sun)]
    assert all(at is not None for at in due)
    assert await _next_check_in(database_url, star) is None
    bot.clock.advance(seconds=(max(at for at in due if at) - bot.clock.now()).total_seconds() + 60)
    await emu.wait_for(lambda: len(_asked(bot, bea)) == 2, description="Moon asked on day two")
    await emu.wait_for(lambda: len(_asked(bot, cai)) == 2, description="Sun asked on day two")
    assert len(_asked(bot, ana)) == 1
