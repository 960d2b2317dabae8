"""The store: engine, migrations, and the unit of work that owns each transaction.

SQLite (aiosqlite, WAL) is the embedded default for one process; PostgreSQL (asyncpg) serves
several. Migrations are Alembic's, applied programmatically.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    Insert,
    Select,
    String,
    and_,
    cast,
    column,
    event,
    func,
    insert,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from conversations import audit, bonds, sqlite_driver, upgrades
from conversations.anchor import Anchor
from conversations.crypto import BlindIndex, Keyring
from conversations.errors import ConfigurationError
from conversations.ids import new_id
from conversations.models import Base, DataKey, OutboxMessage
from conversations.outgoing import Outgoing

if TYPE_CHECKING:
    from conversations import closures, episodes, replies, repositories, topic_map, windows

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
CONNECT_TIMEOUT = 10.0
_ACTIVITY = table(
    "pg_stat_activity",
    column("datname"),
    column("pid"),
    column("backend_xid"),
    column("backend_xmin"),
)
XID_SPAN = 2**32


def _in_the_way(horizon: str) -> Select[int]:
    """Sessions that would make VACUUM FULL copy a row deleted before transaction `horizon`
    instead of dropping it: a transaction anywhere on the server that began writing before it
    (VACUUM's own snapshot reaches back to the oldest one running, whatever its database), or a
    snapshot in this database older than it."""
    a = _ACTIVITY.c
    before = func.age(text("CAST(:horizon AS xid)").bindparams(horizon=horizon))
    return (
        select(func.count())
        .select_from(_ACTIVITY)
        .where(
            a.pid != func.pg_backend_pid(),
            or_(
                and_(a.backend_xid.is_not(None), func.age(a.backend_xid) > before),
                and_(
                    a.datname == func.current_database(),
                    a.backend_xmin.is_not(None),
                    func.age(a.backend_xmin) > before,
                ),
            ),
        )
    )


_QUEUE = insert(Base.metadata.tables[OutboxMessage.__tablename__])
# Emergency answers, alert cards and acknowledgements: never behind routine messages.
SAFETY_PURPOSES = frozenset({"safety", "alert", "card"})
# What the database raises when it is away, full or refusing: SQLAlchemy's errors, and what a
# connection attempt raises unwrapped (a refused or reset socket, asyncpg's own errors at
# connect, such as a database not accepting connections). A reason to wait, never to stop.
STORE_ERRORS: tuple[type[BaseException], ...] = (
    SQLAlchemyError,
    OSError,
    sqlite3.Error,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
)


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class MovableClock:
    """Real time plus whatever has been added: for tests whose deadlines are hours away, and
    the sandbox, whose clock staff move forward to see check-ins and escalations happen."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **kw: float) -> None:
        self.offset += timedelta(**kw)

    def timestamp(self) -> float:
        """Epoch seconds, as the Bot API emulator's clock wants them."""
        return self.now().timestamp()


def _alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # Alembic's config parser reads `%` as its own syntax: a path with `(` is %-escaped in a URL.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        database = make_url(url).database or ""
        engine = create_async_engine(url, async_creator=sqlite_driver.connector(database))

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a committed update survives power loss, not only a killed process.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            # Deleted and overwritten content is zeroed in the file, not left in free space:
            # an erased young person's wrapped key must not outlive the erasure on disk.
            cursor.execute("PRAGMA secure_delete=ON")
            # No busy_timeout: SQLite would wait for another process's lock holding the event
            # loop; `sqlite_driver` waits with it free.
            cursor.close()

        _skip_empty_rollbacks(engine)
        return engine
    if url.startswith("postgresql+asyncpg"):
        # A worker killed mid-transaction must not keep its locks: the server checks for a
        # vanished client even while that session waits on a lock.
        settings = {
            "client_connection_check_interval": "1000",
            "idle_in_transaction_session_timeout": "60000",
        }
        return create_async_engine(
            url,
            pool_size=10,
            max_overflow=10,
            pool_pre_ping=True,
            # A server that drops packets is an outage after 10 s, not asyncpg's default 60.
            connect_args={"server_settings": settings, "timeout": CONNECT_TIMEOUT},
        )
    raise ConfigurationError(
        "DATABASE_URL must be sqlite+aiosqlite:///... or postgresql+asyncpg://..."
    )


def _skip_empty_rollbacks(engine: AsyncEngine) -> None:
    """Roll back only a transaction that is open.

    pysqlite opens a transaction just before the first write, so a unit that only read ends
    with none open, and rolling back nothing is a no-op in SQLite. Through aiosqlite it still
    costs a round trip to the connection's thread: about ten per relayed message.
    """
    dialect = engine.sync_engine.dialect
    rollback = dialect.do_rollback

    def do_rollback(dbapi_connection: Any) -> None:
        driver = dbapi_connection.driver_connection
        try:
            idle = driver is not None and not driver.in_transaction
        except ValueError:  # closed: let the real rollback say so
            idle = False
        if not idle:
            rollback(dbapi_connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign]


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    cfg = _alembic_config(str(engine.url))

    def _run(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")

    async with engine.begin() as conn:
        await conn.run_sync(_run)


async def is_current(engine: AsyncEngine) -> bool:
    script = ScriptDirectory.from_config(_alembic_config(str(engine.url)))

    def _current(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as conn:
        heads = await conn.run_sync(_current)
    return heads == set(script.get_heads())


class HoldingSession(Session):
    """Keeps every row it loads until it closes.

    The identity map holds rows weakly, and services hand out plain views, not rows: without
    this, a row read once in a unit of work is read again from the database the next time any
    service asks for it by key.
    """


@event.listens_for(HoldingSession, "loaded_as_persistent")
def _hold(session: Session, instance: object) -> None:
    session.info.setdefault("held", []).append(instance)


bonds.install(HoldingSession)


@dataclass
class StoreConfig:
    url: str
    master_key: bytes
    index_key: bytes
    # A key a rotation wrote but did not yet install (it stopped between the two steps).
    pending_master_key: bytes | None = None


class Store:
    """Everything that touches the database goes through a `UnitOfWork` from here."""

    def __init__(self, engine: AsyncEngine, keyring: Keyring, index: BlindIndex, clock: Clock):
        self.engine = engine
        self.keyring = keyring
        self.index = index
        self.clock = clock
        self.sessions = async_sessionmaker(
            engine,
            expire_on_commit=False,
            sync_session_class=HoldingSession,
            info={bonds.INDEX: index},
        )
        self.system_key_id = ""
        self.rotated = False
        self.after_commit: list[Callable[[], None]] = []
        self.is_sqlite = engine.url.get_backend_name() == "sqlite"
        # SQLite has one writer; serialising here avoids "database is locked" retries.
        self.write_lock = asyncio.Lock() if self.is_sqlite else None
        # Where each commit that audited notes the chain's end outside the database (set by
        # whoever opens the store for the bot or the command line; tests may leave it unset).
        self.anchor: Anchor | None = None

    @classmethod
    async def open(
        cls, config: StoreConfig, clock: Clock | None = None, *, migrate: bool = True
    ) -> Store:
        engine = make_engine(config.url)
        # A wrong key or an unreachable server must not leave a pool (and its files) open.
        try:
            if migrate:
                await upgrade(engine)
            store = cls(
                engine,
                Keyring(config.master_key),
                BlindIndex(config.index_key),
                clock or SystemClock(),
            )
            if config.pending_master_key is not None:
                async with store.sessions() as session:
                    wrapped_by = (
                        await session.execute(
                            select(DataKey.master_id).where(DataKey.purpose == "system")
                        )
                    ).scalar()
                pending = Keyring(config.pending_master_key)
                if wrapped_by == pending.master_id:
                    store.keyring = pending
                    store.rotated = True
            await store._load_system_key()
            if migrate:
                await upgrades.run(store)
            return store
        except BaseException:
            await engine.dispose()
            raise

    async def _load_system_key(self) -> None:
        async with self.sessions() as session:
            row = (
                (
                    await session.execute(
                        select(DataKey).where(DataKey.purpose == "system").order_by(DataKey.id)
                    )
                )
                .scalars()
                .first()
            )
            if row is None:
                wrapped = self.keyring.new_data_key()
                row = DataKey(
                    id=wrapped.key_id,
                    wrapped=wrapped.wrapped,
                    master_id=wrapped.master_id,
                    purpose="system",
                    created_at=self.clock.now(),
                )
                session.add(row)
                await session.commit()
            elif not self.keyring.knows(row.id):
                self.keyring.load(row.id, row.wrapped)
            self.system_key_id = row.id

    async def scrub(self, session: AsyncSession, tables: Iterable[str]) -> None:
        """Remove superseded copies of rows from the live database files.

        SQLite (with ``secure_delete``, which zeroes what is deleted in the main file): the
        WAL still holds older page images, so it is checkpointed and truncated, waiting for
        readers to finish. PostgreSQL: the tables named are rewritten (``VACUUM FULL``), so no
        dead tuple keeps an erased or rewrapped key, or an erased child's row. Backups and WAL
        archives are beyond reach.
        """
        if self.is_sqlite:
            for _ in range(200):
                busy = (await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).first()
                if busy is not None and not busy[0]:
                    return
                await asyncio.sleep(0.01)
            log.error("store.checkpoint_busy")
            return
        known = set(Base.metadata.tables)
        async with self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            # A row version that a running transaction may still see (one of this bot's loops,
            # autovacuum), or older than the oldest transaction writing anywhere on the server, is
            # copied, not dropped: wait until every such transaction has ended (30 s at most),
            # and make a second pass after a moment.
            now = select(cast(func.pg_current_xact_id(), String))
            current = (await auto.execute(now)).scalar_one()
            horizon = str(int(current) % XID_SPAN)
            for _ in range(150):
                if not (await auto.execute(_in_the_way(horizon))).scalar_one():
                    break
                await asyncio.sleep(0.2)
            else:
                log.warning("store.scrub_waited", extra={"ms": 30000})
            for attempt in range(2):
                if attempt:
                    await asyncio.sleep(1.0)
                for table in sorted(set(tables) & known):
                    await auto.execute(text(f"VACUUM FULL {table}"))

    def unit(self, *, read_only: bool = False) -> UnitOfWork:
        """A unit of work; a read-only one does not queue behind SQLite's single writer."""
        return UnitOfWork(self, read_only=read_only)

    async def close(self) -> None:
        await self.engine.dispose()


class UnitOfWork:
    """One transaction: state changes, audit rows and outbox rows commit together or not at all.

    The rules reach their rows through its repositories (`conversations.repositories`), which
    never commit.
    """

    def __init__(self, store: Store, *, read_only: bool = False) -> None:
        self.store = store
        self.read_only = read_only
        self.keyring = store.keyring
        self.index = store.index
        self.now = store.clock.now()
        self.queued = 0
        self._locked = False
        self._on_commit: list[Callable[[], None]] = []
        self.scrub: set[str] = set()
        # The audit chain's end as this transaction left it (head row, last hash), once known.
        self.audit_tail: tuple[Any, str] | None = None
        # The chat and topic the update this unit handles was written in, if a topic.
        self.answering: tuple[int, int] | None = None

    async def __aenter__(self) -> UnitOfWork:
        if self.store.write_lock is not None and not self.read_only:
            await self.store.write_lock.acquire()
            self._locked = True
        return self

    @cached_property
    def session(self) -> AsyncSession:
        # Made when first used: a unit that only opens sealed values never needs one.
        return self.store.sessions()

    async def __aexit__(self, *exc: object) -> None:
        try:
            session: AsyncSession | None = self.__dict__.get("session")
            if session is not None:
                if session.in_transaction():
                    await session.rollback()
                await session.close()
        finally:
            if self._locked and self.store.write_lock is not None:
                self.store.write_lock.release()
                self._locked = False

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self.queued and not self.store.is_sqlite:
            # Delivered at commit, to whichever worker is sending.
            await self.session.execute(select(func.pg_notify("alongside_outbox", "")))
        # The chain's end once this commits (no head row: nothing to anchor).
        end = self.audit_tail
        rows = getattr(end[0], "rows", None) if end is not None else None
        await self.session.commit()
        self.audit_tail = None
        if rows and end is not None and self.store.anchor is not None:
            self.store.anchor.record(rows, end[1], self.now)
        callbacks, self._on_commit = self._on_commit, []
        for callback in callbacks:
            callback()
        if self.scrub:
            tables, self.scrub = self.scrub, set()
            await self.store.scrub(self.session, tables)
        if self.queued:
            for callback in self.store.after_commit:
                callback()
            self.queued = 0

    def scrub_after_commit(self, *tables: str) -> None:
        """Once this unit commits, leave no older copy of a data key, nor of the rows of these
        tables, in the live database files (see `Store.scrub`): for an erasure or a rotation."""
        self.scrub |= {DataKey.__tablename__, *tables}

    def on_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit has committed; never if it rolls back.

        For state outside the database (the keyring in memory) that must follow the commit.
        """
        self._on_commit.append(callback)

    # Repositories ------------------------------------------------------------------------
    # Imported when first asked for: they build on `conversations.people`, which imports this.

    @cached_property
    def children(self) -> repositories.SqlChildren:
        from conversations.repositories import SqlChildren

        return SqlChildren(self)

    @cached_property
    def staff(self) -> repositories.SqlStaff:
        from conversations.repositories import SqlStaff

        return SqlStaff(self)

    @cached_property
    def invites(self) -> repositories.SqlInvites:
        from conversations.repositories import SqlInvites

        return SqlInvites(self)

    @cached_property
    def staff_invites(self) -> repositories.SqlStaffInvites:
        from conversations.repositories import SqlStaffInvites

        return SqlStaffInvites(self)

    @cached_property
    def attempts(self) -> repositories.SqlCodeAttempts:
        from conversations.repositories import SqlCodeAttempts

        return SqlCodeAttempts(self)

    @cached_property
    def alerts(self) -> repositories.SqlAlerts:
        from conversations.repositories import SqlAlerts

        return SqlAlerts(self)

    @cached_property
    def notes(self) -> repositories.SqlNotes:
        from conversations.repositories import SqlNotes

        return SqlNotes(self)

    @cached_property
    def summaries(self) -> repositories.SqlSummaries:
        from conversations.repositories import SqlSummaries

        return SqlSummaries(self)

    @cached_property
    def topics(self) -> topic_map.SqlTopics:
        from conversations.topic_map import SqlTopics

        return SqlTopics(self)

    @cached_property
    def windows(self) -> windows.SqlWindows:
        from conversations.windows import SqlWindows

        return SqlWindows(self)

    @cached_property
    def replies(self) -> replies.SqlReplies:
        from conversations.replies import SqlReplies

        return SqlReplies(self)

    @cached_property
    def episodes(self) -> episodes.SqlEpisodes:
        from conversations.episodes import SqlEpisodes

        return SqlEpisodes(self)

    @cached_property
    def closures(self) -> closures.SqlClosures:
        from conversations.closures import SqlClosures

        return SqlClosures(self)

    # Sealing -----------------------------------------------------------------------------

    async def key_for(self, key_id: str) -> str:
        if not self.keyring.knows(key_id):
            row = await self.session.get(DataKey, key_id)
            if row is None:
                raise ConfigurationError("a data key is missing from the store")
            self.keyring.load(row.id, row.wrapped)
        return key_id

    async def load_keys(self, blobs: Iterable[bytes]) -> None:
        """Unwrap, in one query, the data keys these sealed values need and memory lacks.

        Listing fifty children must not cost fifty round trips the first time each is read.
        """
        missing = {Keyring.key_id_of(blob) for blob in blobs}
        missing = {key_id for key_id in missing if not self.keyring.knows(key_id)}
        if not missing:
            return
        rows = (
            await self.session.execute(
                select(DataKey.id, DataKey.wrapped).where(DataKey.id.in_(sorted(missing)))
            )
        ).all()
        for key_id, wrapped in rows:
            self.keyring.load(key_id, wrapped)

    def new_child_key(self) -> str:
        wrapped = self.keyring.new_data_key()
        self.session.add(
            DataKey(
                id=wrapped.key_id,
                wrapped=wrapped.wrapped,
                master_id=wrapped.master_id,
                purpose="child",
                created_at=self.now,
            )
        )
        return wrapped.key_id

    async def seal(self, key_id: str, value: str, table: str, column: str, row: str) -> bytes:
        await self.key_for(key_id)
        return self.keyring.seal(key_id, value.encode(), table, column, row)

    async def open(self, blob: bytes, table: str, column: str, row: str) -> str:
        await self.key_for(Keyring.key_id_of(blob))
        return self.keyring.open(blob, table, column, row).decode()

    async def seal_json(
        self, key_id: str, value: Mapping[str, Any], table: str, column: str, row: str
    ) -> bytes:
        return await self.seal(key_id, json.dumps(value, separators=(",", ":")), table, column, row)

    async def open_json(self, blob: bytes, table: str, column: str, row: str) -> Any:
        return json.loads(await self.open(blob, table, column, row))

    # Effects -----------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        await audit.append(self, actor, action, subject, detail)

    async def send(
        self,
        chat_id: int,
        message: Outgoing,
        *,
        purpose: str,
        key_id: str | None = None,
        child_id: str | None = None,
        staff_id: str | None = None,
        message_id: str | None = None,
        reply_to_message_id: str | None = None,
        alert_id: str | None = None,
    ) -> None:
        """Queue a message; it leaves only if this unit commits. Safety purposes take the
        priority lane: they go before anything routine already queued for the same chat.

        Anything about a young person is sealed under their key (`key_id`), or names them
        (`child_id`, which also puts a staff member's copy in their topic): their erasure
        takes it from the queue either way."""
        key = key_id or self.store.system_key_id
        lane = 0 if purpose in SAFETY_PURPOSES else 1
        if self.answering is not None and self.answering[0] == chat_id and message.thread is None:
            # An answer to what was written in a topic goes in that topic, not the chat itself.
            message = replace(message, thread=self.answering[1])
        chat_index = self.index.telegram(chat_id)
        rows = []
        for part in message.parts():
            uid = new_id()
            rows.append(
                {
                    "uid": uid,
                    "chat_index": chat_index,
                    "chat_sealed": await self.seal(key, str(chat_id), "outbox", "chat", uid),
                    "payload_sealed": await self.seal_json(
                        key, part.to_json(), "outbox", "payload", uid
                    ),
                    "purpose": purpose,
                    "status": "pending",
                    "attempts": 0,
                    "not_before": self.now,
                    "created_at": self.now,
                    "child_id": child_id,
                    "key_id": None if key == self.store.system_key_id else key,
                    "staff_id": staff_id,
                    "message_id": message_id,
                    "reply_to_message_id": reply_to_message_id,
                    "lane": lane,
                    "alert_id": alert_id,
                }
            )
            # Only the first part answers the message it replies to.
            reply_to_message_id = None
        # As plain rows: nothing reads them back in this unit.
        await self.insert(_QUEUE, rows)
        self.queued += len(rows)

    async def insert(self, statement: Insert, rows: list[dict[str, Any]]) -> None:
        """Write rows with one prepared INSERT now, as the next read's autoflush would have
        written them: after what they refer to, which the unit may still hold unflushed."""
        await self.flush_pending()
        await self.session.execute(statement, rows)

    async def flush_pending(self) -> None:
        """Write what the unit holds unflushed: an ORM query would first (autoflush), a plain
        statement does not."""
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
