"""The sending worker with PostgreSQL: only the worker holding the lock sends, so Telegram's
global limit holds across workers; the others wait to take over.

The leader watches its own connection, which holds the lock: when it dies, the server has let
the lock go, so this worker stops sending and competes for the lock again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot import metrics
from bot.runtime import wait_any
from conversations import lead as locks
from conversations.lead import LEADER_LOCK, NOTIFY_CHANNEL, Connection
from conversations.store import STORE_ERRORS, Store

__all__ = ["LEADER_LOCK", "NOTIFY_CHANNEL", "lead"]

log = logging.getLogger(__name__)

LEAD_CHECK = 5.0  # seconds between looks at the leader's own connection


async def lead(
    store: Store,
    ready: asyncio.Event,
    send: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    taken: Callable[[], None],
) -> None:
    """Take the lead if no worker has it, and `send` until stopped or the lead is lost (the
    event `send` is given is set then); `taken` once the lock was asked for and answered."""
    async with locks.connect(store) as conn:
        held = await locks.take(conn)
        taken()
        if not held:
            return
        try:
            await _send_as_leader(conn, ready, send, stop)
        except BaseException:
            # Whatever went wrong, the lock must not stay behind in a pooled connection.
            await conn.invalidate()
            raise


async def _send_as_leader(
    conn: Connection,
    ready: asyncio.Event,
    send: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
) -> None:
    lost = asyncio.Event()
    driver = await locks.driver(conn)

    def gone(*_: object) -> None:
        lost.set()
        ready.set()

    driver.add_termination_listener(gone)
    listener = await _listen(conn, ready)
    watch = asyncio.create_task(_watch_lead(conn, lost, stop))
    metrics.LEADER.set(1)
    try:
        await send(lost)
    finally:
        metrics.LEADER.set(0)
        dropped = lost.is_set()
        lost.set()
        await watch
    if dropped:
        # The server let the lock go with the session; this one is of no more use.
        log.warning("outbox.lead_lost")
        await conn.invalidate()
        return
    driver.remove_termination_listener(gone)
    await listener()
    await locks.release(conn)


async def _watch_lead(conn: Connection, lost: asyncio.Event, stop: asyncio.Event) -> None:
    """Look at the leader's connection now and then: one the server dropped without a word (a
    network that went away) has lost the lock too, and another worker may be sending."""
    while True:
        await wait_any(lost, stop, LEAD_CHECK)
        if lost.is_set() or stop.is_set():
            return
        try:
            async with asyncio.timeout(LEAD_CHECK):
                await locks.ping(conn)
        except STORE_ERRORS:
            lost.set()
            return


async def _listen(conn: Connection, ready: asyncio.Event) -> Callable[[], Awaitable[None]]:
    """Wake the sender when any worker commits new outbox rows (NOTIFY in the same commit)."""
    driver = await locks.driver(conn)

    def wake(*_: object) -> None:
        ready.set()

    await driver.add_listener(NOTIFY_CHANNEL, wake)

    async def stop() -> None:
        await driver.remove_listener(NOTIFY_CHANNEL, wake)

    return stop
