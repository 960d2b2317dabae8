"""SQLite for the event loop: statements run on the loop's own thread, commits on a worker.

aiosqlite sends every call (open a cursor, execute, fetch, close) to the connection's thread
and back, a wake-up of the event loop each time: four per statement, about forty per relayed
message. A statement on a local WAL database takes microseconds, less than the hop itself, so
here statements run in place. What can take long is kept off the loop: a commit (an fsync with
``synchronous=FULL``) runs on a worker thread, and a lock held by another process is waited
for with the loop free, not inside SQLite's busy handler.

It offers the calls SQLAlchemy's aiosqlite dialect makes of an aiosqlite connection, through
the engine's documented ``async_creator``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

# Like sqlite3's own busy timeout, but waited for with the event loop free.
BUSY_TIMEOUT = 30.0
BUSY_FIRST_WAIT = 0.002
BUSY_LONGEST_WAIT = 0.1


# Another connection holds the lock: worth waiting for. Not SQLITE_BUSY_SNAPSHOT (517): a
# transaction whose snapshot went stale cannot write however long it waits.
_WAIT_FOR = frozenset({sqlite3.SQLITE_BUSY, 261})  # 261: SQLITE_BUSY_RECOVERY


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in _WAIT_FOR


async def _patiently(call: Callable[[], T], committer: ThreadPoolExecutor | None = None) -> T:
    """`call` in place (or on the `committer` thread); while another process holds the lock,
    again after a pause.

    A statement or commit that SQLite refused as busy changed nothing and may be repeated.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT
    wait = BUSY_FIRST_WAIT
    while True:
        try:
            return call() if committer is None else await _off_loop(committer, call)
        except sqlite3.OperationalError as error:
            if not _busy(error) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(wait)
        wait = min(wait * 2, BUSY_LONGEST_WAIT)


async def _off_loop(committer: ThreadPoolExecutor, call: Callable[[], T]) -> T:
    work = committer.submit(call)
    try:
        return await asyncio.wrap_future(work)
    except asyncio.CancelledError:
        # The worker still holds the connection: whoever cleans up after the cancelled task
        # (a rollback, a close) must not use it at the same time.
        concurrent.futures.wait([work])
        raise


class Cursor:
    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Any = ()) -> Cursor:
        await _patiently(lambda: self._cursor.execute(sql, parameters))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        rows = list(parameters)
        await _patiently(lambda: self._cursor.executemany(sql, rows))
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> Sequence[Any]:
        return self._cursor.fetchall()

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    async def close(self) -> None:
        self._cursor.close()


class _InPlace:
    """SQLAlchemy's aiosqlite dialect sets the isolation level through aiosqlite's queue of
    calls; here that queue runs each call at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the waiting caller, as aiosqlite does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class Connection:
    def __init__(self, conn: sqlite3.Connection, committer: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn
        self._tx = _InPlace()
        self._committer = committer

    def cursor(self) -> Cursor:
        return Cursor(self._live().cursor())

    def _live(self) -> sqlite3.Connection:
        if self._connection is None:
            raise ValueError("Connection closed")
        return self._connection

    @property
    def in_transaction(self) -> bool:
        return self._live().in_transaction

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    async def commit(self) -> None:
        conn = self._live()
        if conn.in_transaction:
            await _patiently(conn.commit, self._committer)

    async def rollback(self) -> None:
        self._live().rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._live().create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


_committer: ThreadPoolExecutor | None = None


def _committer_thread() -> ThreadPoolExecutor:
    """One worker for every connection: SQLite commits one writer at a time anyway."""
    global _committer
    if _committer is None:
        _committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-commit")
    return _committer


def private_file(database: str) -> None:
    """Create the database file 0600 whatever the umask (SQLite gives its WAL and shared-memory
    files the database file's mode), and tighten one an older run left readable."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for path in (database, f"{database}-wal", f"{database}-shm"):
        if path == database and not os.path.exists(path):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        if os.path.exists(path) and os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o600)


def connector(database: str) -> Callable[[], Any]:
    """The engine's ``async_creator`` for the SQLite file `database`."""

    async def connect() -> Connection:
        private_file(database)
        # The busy handler is ours (see `_patiently`); a commit runs on the worker thread.
        conn = sqlite3.connect(database, timeout=0, check_same_thread=False)
        return Connection(conn, _committer_thread())

    return connect
