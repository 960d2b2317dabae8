"""The children's code end to end: the privacy notice after linking and on *My data*; a closed
case erased on time across restarts, warned a week before; a supervisor's export that holds
what the store holds about one young person and nothing about anyone else."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator, EmulatedUser
from bot.i18n import Catalogs
from bot.notices import my_data_label
from conversations.models import (
    AuditEntry,
    CaseClosure,
    Child,
    ClosedSpan,
    DataKey,
    MissingEpisode,
    MissingProfile,
)
from conversations.people import Role
from tests.conftest import BotHarness, raw_session
from tests.e2e.test_journey import _cli

WARNING = "To keep it, use /reopen"


def _ref(text: str | None) -> str:
    return (text or "").split("·")[1].strip().split()[0].strip("\u2068\u2069")


async def _linked(
    bot: BotHarness, advocate: EmulatedUser, child: EmulatedUser, nickname: str
) -> str:
    before = len(bot.emu.sent_to(advocate.id))
    await bot.link(advocate, child, nickname)
    await bot.emu.wait_for(
        lambda: any("is now linked" in t for t in bot.texts(advocate.id)[before:]),
        description="the advocate told of the link",
    )
    return _ref(next(t for t in bot.texts(advocate.id)[before:] if "is now linked" in t))


async def test_the_notice_after_linking_and_on_my_data(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate = emu.user(8801, "Rosa")
    child = emu.user(8890, "Ana", language_code="fr")
    await bot.enrol(advocate)
    await _linked(bot, advocate, child, "Star")
    french = Catalogs().get("fr")
    from bot.privacy import notice_text

    expected = notice_text(french, bot.settings.retention_days)
    await bot.emu.wait_for(lambda: expected in bot.texts(child.id), description="the notice")
    assert "365" in expected
    keyboard = [
        b["text"]
        for m in emu.sent_to(child.id)
        for row in (m.reply_markup or {}).get("keyboard", [])
        for b in row
    ]
    assert my_data_label(french) in keyboard
    emu.send_text(child, my_data_label(french))
    await emu.wait_for(
        lambda: bot.texts(child.id).count(expected) == 2, description="the notice again"
    )
    # A button of theirs, not a message for their advocate.
    assert not any(my_data_label(french) in t for t in bot.texts(advocate.id))


async def test_a_closed_case_is_erased_on_time_across_restarts(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, ALONGSIDE_RETENTION_DAYS="30")
    await bot.start()
    advocate, supervisor = emu.user(8901, "Rosa"), emu.user(8902, "Sam")
    child, other = emu.user(8990, "Ana"), emu.user(8991, "Bea")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    ref = await _linked(bot, advocate, child, "Star")
    kept = await _linked(bot, advocate, other, "Moon")
    # A profile, an episode from missing to found, and a close undone: all erased with them.
    emu.send_text(advocate, f"/profile {ref} description green coat")
    await bot.wait_text(advocate.id, "Saved to the profile of Star")
    emu.send_text(advocate, f"/missing {ref}")
    await bot.wait_text(advocate.id, "Missing episode opened for Star")
    emu.send_text(advocate, f"/found {ref}")
    await bot.wait_text(advocate.id, "is marked found")
    emu.send_text(advocate, f"/close {ref} ended")
    await bot.wait_text(advocate.id, "Closed: the case of")
    emu.send_text(advocate, f"/reopen {ref}")
    await bot.wait_text(advocate.id, "Reopened: the case of")
    assert await _rows(database_url) == (1, 1, 1)
    # Without a reason, the reasons come as buttons; with one, it closes.
    emu.send_text(advocate, f"/close {ref}")
    await bot.wait_text(advocate.id, "Why is the case of")
    emu.send_text(advocate, f"/close {ref} adult")
    await emu.wait_for(lambda: sum("Closed: the case" in t for t in bot.texts(advocate.id)) == 2)
    await bot.stop()

    bot.clock.advance(days=23, hours=1)  # a week before the erasure
    await bot.start()
    await bot.wait_text(advocate.id, WARNING)
    assert await _record(database_url, ref) is not None
    await bot.stop()
    bot.clock.advance(days=1)
    await bot.start()
    emu.send_text(advocate, "/children")
    await bot.wait_text(advocate.id, "You have 2 young people")
    await bot.stop()

    bot.clock.advance(days=6)
    await bot.start()
    await bot.wait_text(advocate.id, "was erased: its case was closed")
    assert sum(WARNING in t for t in bot.texts(advocate.id)) == 1, "warned once"
    assert await _record(database_url, ref) is None
    assert await _record(database_url, kept) is not None
    assert await _rows(database_url) == (0, 0, 0)
    async with raw_session(database_url) as session:
        assert (await session.execute(select(CaseClosure))).scalars().all() == []
        destroyed = (
            (await session.execute(select(DataKey).where(DataKey.destroyed_at.is_not(None))))
            .scalars()
            .all()
        )
        assert len(destroyed) == 1
        actions = (await session.execute(select(AuditEntry.action))).scalars().all()
    assert "child.erased" in actions
    assert "case.erase_warned" not in actions, "blanked with the rest of the entries about them"
    # The supervisor was not warned: the advocate reads this young person.
    assert not any(WARNING in t for t in bot.texts(supervisor.id))
    await bot.stop()
    # The erasure counted what it blanked, and every bond (the closure's too) still holds.
    verified = _cli(bot.settings.data_dir, database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


async def test_writing_again_reopens_and_reopen_undoes_a_close(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    advocate, supervisor = emu.user(9101, "Rosa"), emu.user(9102, "Sam")
    child = emu.user(9190, "Ana")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    ref = await _linked(bot, advocate, child, "Star")
    emu.send_text(supervisor, f"/close {ref} ended")
    await bot.wait_text(supervisor.id, "Closed: the case of")
    await bot.wait_text(advocate.id, "Closed: the case of")
    emu.send_text(supervisor, f"/reopen {ref}")
    await bot.wait_text(supervisor.id, "Reopened: the case of")
    emu.send_text(advocate, f"/close {ref} ended")
    await emu.wait_for(lambda: sum("Closed: the case" in t for t in bot.texts(advocate.id)) == 2)
    emu.send_text(child, "I need to talk again")
    await bot.wait_text(advocate.id, "I need to talk again")
    await bot.wait_text(advocate.id, "wrote again, so their closed case is open again")
    async with raw_session(database_url) as session:
        assert (await session.execute(select(CaseClosure))).scalars().all() == []


async def _rows(url: str) -> tuple[int, ...]:
    """How many missing episodes, profiles and closed spans the store holds."""
    async with raw_session(url) as session:
        return tuple(
            [
                (await session.execute(select(func.count()).select_from(model))).scalar_one()
                for model in (MissingEpisode, MissingProfile, ClosedSpan)
            ]
        )


async def _record(url: str, ref: str) -> Child | None:
    async with raw_session(url) as session:
        return (await session.execute(select(Child).where(Child.ref == ref))).scalar_one_or_none()


async def test_the_export_holds_one_young_person_and_no_one_else(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    rosa, omar, sam = emu.user(9201, "Rosa"), emu.user(9202, "Omar"), emu.user(9203, "Sam")
    ana = emu.user(9290, "Ana", language_code="sq")
    bea = emu.user(9291, "Bea")
    await bot.enrol(rosa)
    await bot.enrol(omar)
    await bot.enrol(sam, Role.SUPERVISOR)
    mine = await _linked(bot, rosa, ana, "Star")
    theirs = await _linked(bot, omar, bea, "Moon")
    emu.send_text(ana, "pineapple harbour")
    relayed = await bot.wait_text(rosa.id, "pineapple harbour")
    emu.send_text(rosa, "lighthouse tuesday", reply_to=relayed.message_id)
    await bot.wait_text(ana.id, "lighthouse tuesday")
    emu.send_text(rosa, f"/note {mine} saffron kite")
    await bot.wait_text(rosa.id, "Note")
    emu.send_text(rosa, f"/summary {mine} You like walnut maps.")
    await emu.wait_for(lambda: any("walnut maps" in t for t in bot.texts(ana.id)))
    emu.send_text(bea, "velvet tractor")
    relayed = await bot.wait_text(omar.id, "velvet tractor")
    emu.send_text(omar, "marble comet", reply_to=relayed.message_id)
    emu.send_text(omar, f"/note {theirs} copper violin")
    await bot.wait_text(bea.id, "marble comet")

    # Advocates may not export, not even their own young person.
    emu.send_text(rosa, f"/export {mine}")
    await bot.wait_text(rosa.id, "Only a supervisor")
    emu.send_text(sam, f"/export {mine}")
    await emu.wait_for(
        lambda: len([m for m in emu.sent_to(sam.id) if m.kind == "document"]) == 2,
        description="two files: Albanian and English",
    )
    files = {
        (m.caption or ""): emu.file_bytes(m.file_id or "").decode("utf-8")
        for m in emu.sent_to(sam.id)
        if m.kind == "document"
    }
    english = next(body for body in files.values() if "Record of" in body)
    for body in files.values():
        for words in ("pineapple harbour", "lighthouse tuesday", "saffron kite", "walnut maps"):
            assert words in body
        assert mine in body
        assert "Rosa" in body
        assert "child.link" in body
        for words in ("velvet tractor", "marble comet", "copper violin", "Moon", theirs):
            assert words not in body
    assert "Messages (2)" in english
    assert "Notes (1)" in english
    assert any("(Shqip)" in caption for caption in files), list(files)
    async with raw_session(database_url) as session:
        exported = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == "record.export"))
        ).scalar_one()
        reads = (
            (
                await session.execute(
                    select(AuditEntry.action).where(AuditEntry.detail.startswith("export"))
                )
            )
            .scalars()
            .all()
        )
    assert exported.actor.startswith("staff:")
    assert {"audit.read", "messages.read", "summary.read", "stage.read", "alerts.read"} <= set(
        reads
    )
