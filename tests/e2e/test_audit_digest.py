"""The daily audit digest: once a day to every supervisor, in their language; to nobody else."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator
from conversations.anchor import DIGEST
from conversations.models import AuditEntry
from conversations.people import Role
from tests.conftest import BotHarness, raw_session

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}
ENGLISH = re.compile(
    r"Audit check: ([\d,]+) entries, ending ([0-9a-f]{16})\. If this number "
    r"ever goes down, tell the operator\."
)
FRENCH = re.compile(
    r"Contrôle du journal d'audit : ([\d\u202f]+) entrées, se terminant par "
    r"([0-9a-f]{16})\."
)


async def _digests(url: str) -> list[tuple[int, str]]:
    """Each digest entry: how long the chain was with it, and the start of its hash."""
    async with raw_session(url) as session:
        entries = (
            await session.execute(
                select(AuditEntry.id, AuditEntry.hash)
                .where(AuditEntry.action == DIGEST)
                .order_by(AuditEntry.id)
            )
        ).all()
        return [
            (
                int(
                    (
                        await session.execute(
                            select(func.count(AuditEntry.id)).where(AuditEntry.id <= entry_id)
                        )
                    ).scalar_one()
                ),
                digest_hash[:16],
            )
            for entry_id, digest_hash in entries
        ]


async def test_one_digest_a_day_to_each_supervisor_only(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    sam, lea = emu.user(6801, "Sam"), emu.user(6802, "Léa")
    rosa, child = emu.user(6803, "Rosa"), emu.user(68101, "Ana")
    await bot.enrol(sam, Role.SUPERVISOR)
    await bot.enrol(lea, Role.SUPERVISOR, locale="fr")
    await bot.enrol(rosa)
    await bot.link(rosa, child)

    def seen(user_id: int, shape: re.Pattern[str]) -> list[tuple[int, str]]:
        return [
            (int(re.sub(r"\D", "", m[1])), m[2])
            for t in bot.texts(user_id)
            if (m := shape.search(t))
        ]

    await asyncio.sleep(0.6)
    assert not seen(sam.id, ENGLISH), "the chain is not a day old yet"

    bot.clock.advance(hours=25)
    await emu.wait_for(
        lambda: seen(sam.id, ENGLISH) and seen(lea.id, FRENCH),
        timeout=10,
        description="the first digest",
    )
    first = await _digests(database_url)
    assert len(first) == 1
    assert seen(sam.id, ENGLISH) == seen(lea.id, FRENCH) == first
    for other in (rosa.id, child.id):
        assert not any(first[0][1] in t or "Audit" in t for t in bot.texts(other))

    await asyncio.sleep(1)
    await bot.restart()
    await asyncio.sleep(1)
    assert len(await _digests(database_url)) == 1, "not again the same day, nor after a restart"
    assert len(seen(sam.id, ENGLISH)) == len(seen(lea.id, FRENCH)) == 1

    bot.clock.advance(hours=24)
    await emu.wait_for(
        lambda: len(seen(sam.id, ENGLISH)) == len(seen(lea.id, FRENCH)) == 2,
        timeout=10,
        description="the next day's digest",
    )
    both = await _digests(database_url)
    assert seen(sam.id, ENGLISH) == seen(lea.id, FRENCH) == both
    assert both[1][0] > both[0][0]
