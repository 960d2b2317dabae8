"""The queues' lifetime: what the inbox and outbox hold, what has passed through them, and
deleting what is old enough.

Handled rows (updates done or failed, messages sent or dead) are kept for a retention period,
then deleted in batches by the sweeper (`purge`): a relayed message's outbox row is how an
advocate's reply to it finds the young person, and "Clear chat" needs the last 48 hours of
them. Whatever is deleted, here or with an erased child (`retire_inbox`, `retire_outbox`), is
added to ``queue_totals`` in the same transaction, so the totals counted from the queues
(`counts`: updates received, messages sent...) never go down, and read the same from any
worker.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.models import InboxUpdate, OutboxMessage, QueueTotal, Translation
from conversations.store import Store

HANDLED = ("done", "failed")  # inbox rows that are finished with
FINISHED = ("sent", "dead")  # outbox rows that are
BATCH = 500
PURGE_LOCK = 0x416C7072  # PostgreSQL: one worker deletes at a time, the others skip
PROBE = "probe"  # the row `probe` writes; not a queue total


@dataclass(frozen=True)
class Counts:
    """The queues now, and everything that has passed through them."""

    received: int
    processed: int
    failed: int
    inbox_pending: int
    inbox_oldest: datetime | None
    sent: Mapping[str, int]  # by purpose
    dead_letters: int
    dead_kept: int  # dead letters still in the store
    outbox_pending: int
    outbox_oldest: datetime | None


async def counts(session: AsyncSession) -> Counts:
    inbox = (
        await session.execute(
            select(InboxUpdate.status, func.count(), func.min(InboxUpdate.received_at)).group_by(
                InboxUpdate.status
            )
        )
    ).all()
    outbox = (
        await session.execute(
            select(
                OutboxMessage.status,
                OutboxMessage.purpose,
                func.count(),
                func.min(OutboxMessage.created_at),
            ).group_by(OutboxMessage.status, OutboxMessage.purpose)
        )
    ).all()
    gone: dict[str, int] = {
        name: int(count)
        for name, count in (await session.execute(select(QueueTotal.name, QueueTotal.count)))
    }
    held = {status: int(count) for status, count, _ in inbox}
    sent: Counter[str] = Counter(
        {
            name.removeprefix("outbox:sent:"): count
            for name, count in gone.items()
            if name.startswith("outbox:sent:")
        }
    )
    dead = outbox_pending = 0
    outbox_oldest = None
    for status, purpose, count, oldest in outbox:
        if status == "sent":
            sent[purpose] += int(count)
        elif status == "dead":
            dead += int(count)
        elif status == "pending":
            outbox_pending += int(count)
            outbox_oldest = oldest if outbox_oldest is None else min(outbox_oldest, oldest)
    done, failed = gone.get("inbox:done", 0), gone.get("inbox:failed", 0)
    return Counts(
        received=sum(held.values()) + done + failed,
        processed=held.get("done", 0) + done,
        failed=held.get("failed", 0) + failed,
        inbox_pending=held.get("pending", 0),
        inbox_oldest=next((oldest for status, _, oldest in inbox if status == "pending"), None),
        sent=dict(sent),
        dead_letters=dead + gone.get("outbox:dead", 0),
        dead_kept=dead,
        outbox_pending=outbox_pending,
        outbox_oldest=outbox_oldest,
    )


async def retire_inbox(session: AsyncSession, where: ColumnElement[bool]) -> int:
    """Delete these inbox rows, adding the handled ones to the totals; how many went."""
    statuses = (
        (
            await session.execute(
                delete(InboxUpdate)
                .where(where)
                .returning(InboxUpdate.status)
                .execution_options(synchronize_session=False)
            )
        )
        .scalars()
        .all()
    )
    await _add(session, Counter(f"inbox:{status}" for status in statuses if status in HANDLED))
    return len(statuses)


async def retire_outbox(session: AsyncSession, where: ColumnElement[bool]) -> int:
    """Delete these outbox rows, adding the sent and dead ones to the totals; how many went."""
    rows = (
        await session.execute(
            delete(OutboxMessage)
            .where(where)
            .returning(OutboxMessage.status, OutboxMessage.purpose)
            .execution_options(synchronize_session=False)
        )
    ).all()
    await _add(
        session,
        Counter(
            "outbox:dead" if status == "dead" else f"outbox:sent:{purpose}"
            for status, purpose in rows
            if status in FINISHED
        ),
    )
    return len(rows)


async def _add(session: AsyncSession, tallies: Mapping[str, int]) -> None:
    if not tallies:
        return
    table = cast(Table, QueueTotal.__table__)
    insert: Any = sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert
    statement = insert(table).values(
        # In one order everywhere: two transactions adding to the same rows cannot deadlock.
        [{"name": name, "count": tallies[name]} for name in sorted(tallies)]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"count": table.c.count + statement.excluded.count}
        )
    )


async def retire_translations(session: AsyncSession, where: ColumnElement[bool]) -> int:
    """Delete these finished translation jobs (they hold no text); how many went."""
    rows = (
        await session.execute(
            delete(Translation)
            .where(where)
            .returning(Translation.id)
            .execution_options(synchronize_session=False)
        )
    ).all()
    return len(rows)


async def purge(store: Store, retention: timedelta) -> int:
    """Delete handled rows received or queued more than `retention` ago, a batch per
    transaction, so the writer is never held for long; returns how many went."""
    before = store.clock.now() - retention
    inbox = (
        select(InboxUpdate.update_id)
        .where(InboxUpdate.status.in_(HANDLED), InboxUpdate.received_at < before)
        .order_by(InboxUpdate.update_id)
        .limit(BATCH)
    )
    outbox = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status.in_(FINISHED), OutboxMessage.created_at < before)
        .order_by(OutboxMessage.id)
        .limit(BATCH)
    )
    translations = (
        select(Translation.id)
        .where(Translation.status != "pending", Translation.created_at < before)
        .limit(BATCH)
    )
    steps = (
        (retire_inbox, InboxUpdate.update_id.in_(inbox.scalar_subquery())),
        (retire_outbox, OutboxMessage.id.in_(outbox.scalar_subquery())),
        (retire_translations, Translation.id.in_(translations.scalar_subquery())),
    )
    total = 0
    for retire, where in steps:
        while True:
            async with store.unit() as uow:
                if (
                    not store.is_sqlite
                    and not (
                        await uow.session.execute(
                            select(func.pg_try_advisory_xact_lock(PURGE_LOCK))
                        )
                    ).scalar()
                ):
                    return total
                gone = await retire(uow.session, where)
                await uow.commit()
            total += gone
            if gone < BATCH:
                break
            await asyncio.sleep(0)  # incoming updates get the writer between batches
    return total


async def probe(store: Store, *, write: bool) -> None:
    """Raise whatever the store raises if it cannot be read or, with `write`, take a commit
    (a full disk refuses writes while reads still work)."""
    if not write:
        async with store.sessions() as session:
            await session.execute(select(1))
        return
    async with store.unit() as uow:
        await _add(uow.session, {PROBE: 1})
        await uow.commit()
