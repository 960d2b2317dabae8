"""Which worker sends the outbox (PostgreSQL): the one holding a session-level advisory lock.

The lock belongs to one connection, kept in autocommit so no transaction stays open; new
outbox rows wake the holder through LISTEN/NOTIFY (sent in the same commit, see
`UnitOfWork.commit`). A connection the server dropped has let the lock go with it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from conversations.store import Store

LEADER_LOCK = 0x416C6F6F  # the PostgreSQL advisory lock the sending worker holds
NOTIFY_CHANNEL = "alongside_outbox"

Connection = AsyncConnection


def connect(store: Store) -> Connection:
    """A connection of its own for the lock (use it as `async with`)."""
    return store.engine.connect()


async def take(conn: Connection) -> bool:
    """Take the lock if no worker holds it."""
    # Autocommit: the lock belongs to the session, and no transaction stays open.
    await conn.execution_options(isolation_level="AUTOCOMMIT")
    return bool((await conn.execute(select(func.pg_try_advisory_lock(LEADER_LOCK)))).scalar())


async def release(conn: Connection) -> None:
    await conn.execute(select(func.pg_advisory_unlock(LEADER_LOCK)))


async def ping(conn: Connection) -> None:
    """Raise whatever the store raises if the connection (and so the lock) is gone."""
    await conn.execute(select(1))


async def driver(conn: Connection) -> Any:
    """The driver's own connection (asyncpg), for its listeners."""
    return (await conn.get_raw_connection()).driver_connection
