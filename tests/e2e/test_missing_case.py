"""A young person's case stays open while they are missing, end to end: /close is refused until
/found is recorded (their alert resolved or not), says so and changes nothing; and a case
closed while they were missing (as an older version allowed) is opened again, not erased, when
its erasure falls due, the advocate and supervisors told once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator, EmulatedUser
from conversations.closures import ENDED
from conversations.models import AuditEntry, CaseClosure, Child
from conversations.people import Role
from tests.conftest import BotHarness, raw_session

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}
STILL_MISSING = "Star · {ref} is still marked missing, since"
CLOSED = "Closed: the case of"


async def _missing(bot: BotHarness, base: int) -> tuple[EmulatedUser, EmulatedUser, str]:
    """Rosa (id `base`) is the advocate of Ana ("Star"), Sam supervises; Ana is missing and
    Sam resolved the alert it raised. Returns Rosa, Sam and Ana's reference."""
    emu = bot.emu
    rosa, sam = emu.user(base, "Rosa"), emu.user(base + 1, "Sam")
    await bot.enrol(rosa)
    await bot.enrol(sam, Role.SUPERVISOR)
    await bot.link(rosa, emu.user(base + 90, "Ana"), "Star")
    linked = await bot.wait_text(rosa.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]
    emu.send_text(rosa, f"/missing {ref}")
    await bot.wait_text(rosa.id, "Missing episode opened for Star")
    return rosa, sam, ref


async def _resolve(bot: BotHarness, sam: EmulatedUser, ref: str) -> None:
    bot.emu.send_text(sam, f"/resolve {ref} reported to police")
    await bot.wait_text(sam.id, "Resolved: Star")


async def _closures(url: str) -> int:
    async with raw_session(url) as session:
        return int((await session.execute(select(func.count(CaseClosure.id)))).scalar_one())


async def _audit(url: str, action: str) -> list[tuple[str, str]]:
    async with raw_session(url) as session:
        rows = await session.execute(
            select(AuditEntry.actor, AuditEntry.detail)
            .where(AuditEntry.action == action)
            .order_by(AuditEntry.id)
        )
        return [(actor, detail) for actor, detail in rows]


async def test_a_case_cannot_close_while_its_young_person_is_missing(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    rosa, sam, ref = await _missing(bot, 6901)
    refused = STILL_MISSING.format(ref=ref)

    # With the alert open, and (as before allowed it) once it is resolved: refused, and why.
    emu.send_text(rosa, f"/close {ref} ended")
    answer = await bot.wait_text(rosa.id, refused)
    assert f"/found {ref}" in (answer.text or "")
    await _resolve(bot, sam, ref)
    emu.send_text(rosa, f"/close {ref} ended")
    emu.send_text(sam, f"/close {ref} adult")
    await bot.wait_text(sam.id, refused)
    # Without a reason: refused at once, not asked why first.
    emu.send_text(rosa, f"/close {ref}")
    await emu.wait_for(
        lambda: sum(refused in t for t in bot.texts(rosa.id)) == 3, description="three refusals"
    )
    for chat in (rosa.id, sam.id):
        assert not any(CLOSED in t or "Why is the case" in t for t in bot.texts(chat))
    assert await _closures(database_url) == 0
    assert await _audit(database_url, "case.close") == []

    # Found: now it closes.
    emu.send_text(rosa, f"/found {ref}")
    await bot.wait_text(rosa.id, "is marked found")
    emu.send_text(rosa, f"/close {ref} ended")
    await bot.wait_text(rosa.id, CLOSED)
    assert await _closures(database_url) == 1


async def test_a_case_closed_while_missing_is_opened_again_when_its_erasure_falls_due(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, ALONGSIDE_RETENTION_DAYS="30", **FAST)
    await bot.start()
    rosa, sam, ref = await _missing(bot, 6951)
    await _resolve(bot, sam, ref)
    # Closed while missing, as /close allowed once the alert was resolved.
    assert bot.running is not None
    async with bot.running.runtime.store.unit() as uow:
        child = await uow.children.by_ref(ref)
        assert child is not None
        staff = await uow.staff.by_telegram(rosa.id)
        assert staff is not None
        await uow.closures.add(
            child,
            closed_by=staff.id,
            reason=ENDED,
            words="",
            erase_due_at=uow.now + timedelta(days=30),
        )
        await uow.commit()

    bot.clock.advance(days=30, minutes=1)
    told = STILL_MISSING.format(ref=ref)
    await bot.wait_text(rosa.id, told)
    await bot.wait_text(sam.id, told)
    async with raw_session(database_url) as session:
        kept = (await session.execute(select(Child).where(Child.ref == ref))).scalar_one_or_none()
    assert kept is not None, "not erased"
    assert await _closures(database_url) == 0
    assert await _audit(database_url, "case.reopen") == [("system", "missing")]
    assert await _audit(database_url, "child.erased") == []

    # Told once; later sweeps leave the open case alone.
    bot.clock.advance(minutes=2)
    emu.send_text(rosa, "/children")
    await bot.wait_text(rosa.id, "You have 1 young person")
    bot.clock.advance(minutes=2)
    emu.send_text(rosa, f"/found {ref}")
    await bot.wait_text(rosa.id, "is marked found")
    for chat in (rosa.id, sam.id):
        assert sum(told in t for t in bot.texts(chat)) == 1
    assert await _audit(database_url, "child.erased") == []
