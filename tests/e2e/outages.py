"""Database outages for tests, without touching the shared PostgreSQL server.

`DatabaseProxy` stands between the bot and PostgreSQL: `down()` drops every connection through
it and refuses new ones (as a stopped server does), `up()` lets them through again. For SQLite,
an outage is the store refusing writes: `refuse_writes` raises what SQLite raises on a full
disk; `REFUSE_WRITES_WHILE` does the same inside a subprocess while a flag file exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

WRITES = ("INSERT", "UPDATE", "DELETE")

# `python -c REFUSE_WRITES_WHILE FLAG [alongside arguments]`: `alongside` whose every write
# fails as on a full disk while the file FLAG exists, and whose loops meet an error nobody
# expected while FLAG.crash exists.
REFUSE_WRITES_WHILE = """
import os, sqlite3, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
flag = sys.argv[1]

@event.listens_for(Engine, "before_cursor_execute")
def refuse(conn, cursor, statement, parameters, context, executemany):
    if os.path.exists(flag + ".crash") and "row_number" in statement:
        raise RuntimeError("an error nobody expected")
    writes = ("INSERT", "UPDATE", "DELETE")
    if os.path.exists(flag) and statement.lstrip().upper().startswith(writes):
        raise sqlite3.OperationalError("database or disk is full")

from bot.cli import main
sys.exit(main(sys.argv[2:]))
"""


class DatabaseProxy:
    """A TCP forwarder to PostgreSQL that can play a server that went away."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5432) -> None:
        self.target = (host, port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()
        # Cleared: bytes are taken in and go nowhere, as when a network drops packets.
        self.flowing = asyncio.Event()
        self.flowing.set()

    def url(self, url: str) -> str:
        """`url` (a database on the target server) by way of this proxy."""
        return (
            make_url(url)
            .set(host="127.0.0.1", port=self.port)
            .render_as_string(hide_password=False)
        )

    async def up(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def down(self) -> None:
        """Drop every connection and refuse new ones ("connection refused")."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.transport.abort()
        self.links.clear()

    def stall(self) -> None:
        """Accept connections and bytes, answer nothing ("dropped packets"), until `flow`."""
        self.flowing.clear()

    def flow(self) -> None:
        self.flowing.set()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self.flowing.wait()
        try:
            upstream_reader, upstream = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.links |= {writer, upstream}
        await asyncio.gather(
            _pipe(reader, upstream, self.flowing), _pipe(upstream_reader, writer, self.flowing)
        )
        self.links -= {writer, upstream}


async def _pipe(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event
) -> None:
    try:
        while data := await reader.read(65536):
            await flowing.wait()
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.transport.abort()


@contextlib.asynccontextmanager
async def proxied(url: str) -> AsyncIterator[tuple[DatabaseProxy, str]]:
    proxy = DatabaseProxy()
    await proxy.up()
    try:
        yield proxy, proxy.url(url)
    finally:
        await proxy.down()


@contextlib.contextmanager
def refuse_writes(engine: Engine) -> Iterator[None]:
    """Every write on this engine fails as on a full disk, until the block ends."""

    def refuse(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith(WRITES):
            raise sqlite3.OperationalError("database or disk is full")

    event.listen(engine, "before_cursor_execute", refuse)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", refuse)
