"""Deadlines fire once, whichever worker sees them: several sweepers on one PostgreSQL database.

Each worker is a store of its own (its own engine and connections), all sweeping at the same time,
as webhook workers behind a load balancer do.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.alerting import ladder, sweep_once
from bot.i18n import Catalogs
from bot.runtime import Runtime
from bot.settings import Settings
from bot.watching import sweep_watch
from conversations import alerts, linking, people, watch
from conversations.models import Alert, AuditEntry, CheckIn, OutboxMessage
from conversations.people import ChildView, Role
from conversations.store import MovableClock, Store, StoreConfig
from safety.detector import Detector
from tests.conftest import TOKEN, postgres_database

pytestmark = pytest.mark.postgres
WORKERS = 4


@dataclass
class Cluster:
    runtimes: list[Runtime]
    clock: MovableClock
    child: ChildView

    @property
    def store(self) -> Store:
        return self.runtimes[0].store

    async def sweep_everywhere(
        self, sweep: Callable[[Runtime], Awaitable[int]], rounds: int = 5
    ) -> list[int]:
        """Every worker sweeps at once, a few times over; what each acted on."""
        done: list[int] = []
        for _ in range(rounds):
            done += await asyncio.gather(*(sweep(r) for r in self.runtimes))
        return done


@pytest.fixture
async def cluster(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with postgres_database() as url:
        settings = Settings.from_env(
            {"TELEGRAM_BOT_TOKEN": TOKEN, "DATABASE_URL": url, "ALONGSIDE_DATA_DIR": str(tmp_path)}
        )
        keys = StoreConfig(url, secrets.token_bytes(32), secrets.token_bytes(32))
        clock = MovableClock()
        catalogs, detector = Catalogs(), Detector.load()
        stores = [await Store.open(keys, clock) for _ in range(WORKERS)]
        runtimes = [
            Runtime(settings=settings, store=s, catalogs=catalogs, detector=detector)
            for s in stores
        ]
        async with stores[0].unit() as uow:
            advocate = await people.add_staff(uow, telegram_id=101, name="Rosa", role=Role.ADVOCATE)
            await people.add_staff(uow, telegram_id=102, name="Sam", role=Role.SUPERVISOR)
            invite = await linking.create_invite(uow, advocate, "Star")
            child = (await linking.link_child(uow, 901, invite.code, "en")).child
            await uow.commit()
        try:
            yield Cluster(runtimes, clock, child)
        finally:
            for store in stores:
                await store.close()


async def _count(store: Store, column: Any, *where: Any) -> int:
    async with store.unit() as uow:
        return int(
            (await uow.session.execute(select(func.count(column)).where(*where))).scalar_one()
        )


async def test_an_escalation_fires_once_whichever_worker_sees_it(cluster: Cluster) -> None:
    async with cluster.store.unit() as uow:
        view = await alerts.raise_alert(
            uow, cluster.child, source="text", severity="urgent", ladder=ladder(cluster.runtimes[0])
        )
        await uow.commit()

    assert sum(await cluster.sweep_everywhere(sweep_once)) == 0, "nothing is due yet"
    cluster.clock.advance(minutes=10, seconds=1)
    assert sum(await cluster.sweep_everywhere(sweep_once)) == 1
    cluster.clock.advance(minutes=30)
    assert sum(await cluster.sweep_everywhere(sweep_once)) == 1

    async with cluster.store.unit() as uow:
        row = await uow.session.get(Alert, view.id)
        assert row is not None
        assert row.level == 2
    # Two re-alerts, each to the advocate and the supervisor, and each audited once.
    assert await _count(cluster.store, OutboxMessage.id, OutboxMessage.purpose == "alert") == 4
    assert await _count(cluster.store, AuditEntry.id, AuditEntry.action == "alert.escalate") == 2


async def test_a_check_in_and_its_silence_fire_once_whichever_worker_sees_them(
    cluster: Cluster,
) -> None:
    async with cluster.store.unit() as uow:
        await watch.start_watch(uow, cluster.child.id, uow.now, "system", "test")
        await uow.commit()

    assert sum(await cluster.sweep_everywhere(sweep_watch)) == 1
    assert await _count(cluster.store, CheckIn.id) == 1
    assert await _count(cluster.store, OutboxMessage.id, OutboxMessage.purpose == "check_in") == 1

    cluster.clock.advance(hours=6, minutes=1)
    assert sum(await cluster.sweep_everywhere(sweep_watch)) == 1, "silence is raised once"
    assert await _count(cluster.store, Alert.id, Alert.severity == "concern") == 1

    cluster.clock.advance(hours=18)
    assert sum(await cluster.sweep_everywhere(sweep_watch)) == 1, "the next day's check-in"
    assert await _count(cluster.store, CheckIn.id) == 2
    assert await _count(cluster.store, OutboxMessage.id, OutboxMessage.purpose == "check_in") == 2
