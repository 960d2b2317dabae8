"""The embedded store's SQLite connection: statements on the loop, commits off it, and a lock
held by another process waited for without stopping the bot.

Each test holds SQLite's write lock from a plain `sqlite3` connection, as another process
(an operator's `alongside staff add`) would, and drives the real engine against the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from conversations import sqlite_driver
from conversations.store import make_engine


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def other_process(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path / "driver.db", timeout=0, isolation_level=None)
    yield conn
    conn.close()


async def _ticks_while(
    work: asyncio.Task[object], release: float, other: sqlite3.Connection
) -> int:
    """How often the loop ran something else while `work` waited for the lock."""
    ticks = 0
    loop = asyncio.get_running_loop()
    until = loop.time() + release
    while loop.time() < until:
        assert not work.done(), "the write went through while the lock was held"
        await asyncio.sleep(0.01)
        ticks += 1
    other.execute("COMMIT")
    await asyncio.wait_for(work, 10)
    return ticks


async def _notes(engine: AsyncEngine) -> object:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM notes"))).scalar()


async def test_a_write_waits_for_another_process_with_the_loop_free(
    engine: AsyncEngine, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('waited')"))

    ticks = await _ticks_while(asyncio.create_task(write()), 0.3, other_process)

    assert ticks >= 5  # SQLite's own busy handler would have held the loop the whole time
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT body FROM notes"))).scalars().all() == ["waited"]


async def test_a_reader_elsewhere_does_not_hold_up_a_commit(
    engine: AsyncEngine, other_process: sqlite3.Connection
) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO notes (body) VALUES ('first')"))
        other_process.execute("BEGIN")
        other_process.execute("SELECT count(*) FROM notes").fetchall()
        await conn.commit()
    other_process.execute("COMMIT")
    assert await _notes(engine) == 1


async def test_a_lock_held_too_long_fails_the_write_and_changes_nothing(
    engine: AsyncEngine, other_process: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT", 0.2)
    other_process.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError, match="locked"):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (body) VALUES ('never')"))
    other_process.execute("COMMIT")
    assert await _notes(engine) == 0


async def test_a_stale_snapshot_fails_at_once_instead_of_waiting(
    engine: AsyncEngine, other_process: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting cannot help a transaction that read before another writer committed."""
    monkeypatch.setattr(sqlite_driver, "BUSY_TIMEOUT", 3600)
    async with engine.connect() as conn:
        await conn.execute(text("BEGIN"))
        await conn.execute(text("SELECT count(*) FROM notes"))
        other_process.execute("INSERT INTO notes (body) VALUES ('elsewhere')")
        with pytest.raises(OperationalError, match="locked"):
            await asyncio.wait_for(
                conn.execute(text("INSERT INTO notes (body) VALUES ('stale')")), 10
            )


async def test_database_errors_keep_their_kind(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO notes (id, body) VALUES (1, 'one')"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO notes (id, body) VALUES (1, 'again')"))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT body FROM notes"))).scalars().all() == ["one"]


async def test_a_cancelled_commit_leaves_the_connection_whole(engine: AsyncEngine) -> None:
    """Cancelled while the worker commits: the commit either happened or did not, and the
    connection goes back to the pool fit for the next transaction."""
    for i in range(20):

        async def write(n: int = i) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO notes (body) VALUES (:b)"), {"b": str(n)})

        task = asyncio.create_task(write())
        for _ in range(i % 4):
            await asyncio.sleep(0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO notes (body) VALUES ('after')"))
    async with engine.connect() as conn:
        bodies = (await conn.execute(text("SELECT body FROM notes"))).scalars().all()
    assert bodies[-1] == "after"
    assert len(bodies) == len(set(bodies))
