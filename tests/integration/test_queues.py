"""The queues' retention and totals on SQLite and PostgreSQL: handled rows older than the
retention go, in batches; recent and pending ones stay; totals counted from the queues never go
down."""

from __future__ import annotations

import os
import re
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, insert, select

from bot import metrics
from conversations import queues
from conversations.models import InboxUpdate, OutboxMessage, QueueTotal
from conversations.store import Store, StoreConfig

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OLD, RECENT = NOW - timedelta(days=31), NOW - timedelta(days=29)


class SetClock:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    config = StoreConfig(database_url, secrets.token_bytes(32), secrets.token_bytes(32))
    opened = await Store.open(config, SetClock())
    yield opened
    await opened.close()


async def _fill(
    store: Store, inbox: list[tuple[str, datetime]], outbox: list[tuple[str, str, datetime]]
) -> None:
    async with store.unit() as uow:
        await uow.session.execute(
            insert(cast(Table, InboxUpdate.__table__)),
            [
                {
                    "update_id": i,
                    "payload_sealed": b"",
                    "chat_index": None,
                    "status": status,
                    "attempts": 0,
                    "received_at": at,
                    "processed_at": at,
                }
                for i, (status, at) in enumerate(inbox, start=1)
            ],
        )
        await uow.session.execute(
            insert(cast(Table, OutboxMessage.__table__)),
            [
                {
                    "uid": f"u{i:08d}",
                    "chat_index": "chat",
                    "chat_sealed": b"",
                    "payload_sealed": b"",
                    "purpose": purpose,
                    "lane": 1,
                    "status": status,
                    "attempts": 1,
                    "not_before": at,
                    "created_at": at,
                    "sent_at": at if status == "sent" else None,
                }
                for i, (status, purpose, at) in enumerate(outbox)
            ],
        )
        await uow.commit()


async def _left(store: Store) -> tuple[list[tuple[str, datetime]], list[tuple[str, datetime]]]:
    async with store.sessions() as session:
        inbox = (
            await session.execute(
                select(InboxUpdate.status, InboxUpdate.received_at).order_by(InboxUpdate.update_id)
            )
        ).all()
        outbox = (
            await session.execute(
                select(OutboxMessage.status, OutboxMessage.created_at).order_by(OutboxMessage.id)
            )
        ).all()
    return [tuple(row) for row in inbox], [tuple(row) for row in outbox]  # type: ignore[misc]


async def _counts(store: Store) -> queues.Counts:
    async with store.sessions() as session:
        return await queues.counts(session)


async def test_old_handled_rows_go_in_batches_and_the_totals_stay(store: Store) -> None:
    many = queues.BATCH * 2 + 7
    await _fill(
        store,
        inbox=[("done", OLD)] * many + [("failed", OLD), ("pending", OLD), ("done", RECENT)],
        outbox=[("sent", "relay", OLD)] * many
        + [
            ("sent", "reply", OLD),
            ("dead", "notice", OLD),
            ("pending", "relay", OLD),
            ("sent", "relay", RECENT),
        ],
    )
    before = await _counts(store)
    assert before.received == many + 3
    assert before.sent == {"relay": many + 1, "reply": 1}

    gone = await queues.purge(store, timedelta(days=30))

    assert gone == many + 1 + many + 2
    inbox, outbox = await _left(store)
    assert inbox == [("pending", OLD), ("done", RECENT)], "pending and recent updates stay"
    assert outbox == [("pending", OLD), ("sent", RECENT)], "pending and recent messages stay"
    after = await _counts(store)
    assert (after.received, after.processed, after.failed, after.sent, after.dead_letters) == (
        before.received,
        before.processed,
        before.failed,
        before.sent,
        before.dead_letters,
    )
    assert (after.inbox_pending, after.outbox_pending, after.dead_kept) == (1, 1, 0)
    assert await queues.purge(store, timedelta(days=30)) == 0


async def test_the_readiness_write_probe_is_not_a_queue_total(store: Store) -> None:
    """What /readyz asks while an outage lasts is a real commit, and counts as nothing."""
    await queues.probe(store, write=False)
    await queues.probe(store, write=True)
    async with store.sessions() as session:
        rows = (await session.execute(select(QueueTotal.name, QueueTotal.count))).all()
    assert [tuple(row) for row in rows] == [(queues.PROBE, 1)]
    counts = await _counts(store)
    assert (counts.received, counts.dead_letters, dict(counts.sent)) == (0, 0, {})


async def test_metrics_show_how_deep_and_old_the_inbox_is(store: Store) -> None:
    """Updates stored and not handled (a worker whose loops stopped) show on /metrics."""
    await _fill(
        store,
        inbox=[("pending", NOW - timedelta(seconds=90)), ("pending", RECENT), ("done", RECENT)],
        outbox=[("pending", "relay", RECENT)],
    )
    text = (await metrics.render(store, NOW)).decode()
    assert "alongside_inbox_pending 2.0" in text
    oldest = re.search(r"^alongside_inbox_oldest_seconds (\S+)$", text, re.MULTILINE)
    assert oldest is not None
    assert float(oldest.group(1)) == timedelta(days=29).total_seconds()
    assert "alongside_updates_received_total 3.0" in text
    assert "alongside_outbox_pending 1.0" in text


async def test_metrics_name_the_worker_that_answered(store: Store) -> None:
    text = (await metrics.render(store, NOW)).decode()
    assert f'alongside_worker_info{{worker="{socket.gethostname()}:{os.getpid()}"}} 1.0' in text
