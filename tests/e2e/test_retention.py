"""Handled inbox and outbox rows are deleted after ``ALONGSIDE_QUEUE_RETENTION_DAYS`` by the
sweeper; what is recent stays, replies to it still find the young person, and the totals on
/metrics do not go down."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select

from bot.emulator import BotApiEmulator
from conversations import queues
from conversations.models import InboxUpdate, OutboxMessage
from conversations.people import Role
from tests.conftest import BotHarness, raw_session


async def _oldest(url: str) -> tuple[datetime | None, datetime | None]:
    async with raw_session(url) as session:
        inbox = (await session.execute(select(func.min(InboxUpdate.received_at)))).scalar()
        outbox = (await session.execute(select(func.min(OutboxMessage.created_at)))).scalar()
    return inbox, outbox


async def test_old_rows_go_and_replies_to_recent_relays_still_route(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(
        database_url, ALONGSIDE_SWEEP_SECONDS="0.2", ALONGSIDE_QUEUE_RETENTION_DAYS="30"
    )
    await bot.start()
    advocate, child = emu.user(7401, "Rosa"), emu.user(97401, "Ana")
    await bot.enrol(emu.user(7402, "Sam"), Role.SUPERVISOR)
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.link(advocate, child)
    emu.send_text(child, "old news")
    await bot.wait_text(advocate.id, "old news")
    assert bot.running is not None
    store = bot.running.runtime.store
    async with store.sessions() as session:
        before = await queues.counts(session)

    bot.clock.advance(days=31)
    emu.send_text(child, "fresh news")
    fresh = await bot.wait_text(advocate.id, "fresh news")
    cutoff = bot.clock.now() - timedelta(days=30)

    for _ in range(100):
        inbox, outbox = await _oldest(database_url)
        if inbox and outbox and min(inbox, outbox) > cutoff:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("what was handled before the retention is still there")
    async with store.sessions() as session:
        after = await queues.counts(session)
    assert after.received >= before.received + 1, "the totals do not go down"
    assert sum(after.sent.values()) >= sum(before.sent.values()) + 1

    # The recent relay's row, by which a reply finds the young person, stays (its "sent" mark
    # commits just after Telegram's answer, which the emulator shows first).
    for _ in range(100):
        async with raw_session(database_url) as session:
            shown = (
                await session.execute(
                    select(func.count(OutboxMessage.id)).where(
                        OutboxMessage.chat_index == store.index.telegram(advocate.id),
                        OutboxMessage.tg_message_id == fresh.message_id,
                    )
                )
            ).scalar_one()
        if shown:
            break
        await asyncio.sleep(0.1)
    assert shown == 1
    emu.send_text(advocate, "we can talk tomorrow", reply_to=fresh.message_id)
    await bot.wait_text(child.id, "we can talk tomorrow")
