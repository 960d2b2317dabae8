"""Shared fixtures: the emulator, a store on SQLite or PostgreSQL, and the running bot.

PostgreSQL tests use a fresh database per test on ``ALONGSIDE_TEST_POSTGRES_URL`` (default: the
local server's ``test`` database as a template for the connection). Without a reachable server
they skip with the reason, except in CI (``CI`` or ``ALONGSIDE_REQUIRE_POSTGRES`` set), where
they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("PTB_TIMEDELTA", "1")

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import Running, serve
from bot.emulator import BotApiEmulator, EmulatedUser
from bot.settings import Settings
from conversations import people
from conversations.people import Role, StaffView
from conversations.store import MovableClock, make_engine, upgrade

TOKEN = "123456:TEST-TOKEN-alongside-tests"
PG_URL = os.environ.get(
    "ALONGSIDE_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
RUNNING: list[BotHarness] = []
REQUIRE_PG = bool(os.environ.get("CI") or os.environ.get("ALONGSIDE_REQUIRE_POSTGRES"))
# How much longer than on an idle laptop every emulator wait may take before it fails:
# CI runs beside other suites on two shared cores. A passing wait ends as soon as it holds.
PATIENCE = float(os.environ.get("ALONGSIDE_TEST_PATIENCE") or (4 if os.environ.get("CI") else 1))


def _plain_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _pg_available() -> str | None:
    try:
        conn = await asyncpg.connect(_plain_dsn(PG_URL), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}"
    await conn.close()
    return None


# Each process migrates one template once; a test's database is a copy of it (a tenth of a
# second, where migrating took most of a second). Dropping a database waits for a checkpoint
# (over a second): the drops run beside the tests, and the session waits for them at its end.
_template: str | None = None
_drops = concurrent.futures.ThreadPoolExecutor(max_workers=2, thread_name_prefix="pg-drop")
_dropping: list[concurrent.futures.Future[None]] = []


async def _admin(sql: str) -> None:
    admin = await asyncpg.connect(_plain_dsn(PG_URL))
    try:
        await admin.execute(sql)
    finally:
        await admin.close()


def _drop_later(name: str) -> None:
    _dropping.append(
        _drops.submit(asyncio.run, _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    )


async def _migrated_template() -> str:
    global _template
    if _template is None:
        name = f"alongside_template_{secrets.token_hex(6)}"
        await _admin(f'CREATE DATABASE "{name}"')
        engine = make_engine(PG_URL.rsplit("/", 1)[0] + "/" + name)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()
        _template = name
    return _template


def pytest_sessionfinish(session: pytest.Session) -> None:
    if _template is not None:
        _drop_later(_template)
    for drop in _dropping:
        drop.result()
    _drops.shutdown()


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, migrated database; dropped afterwards."""
    problem = await _pg_available()
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"{problem} (PostgreSQL is required in CI)")
        pytest.skip(problem)
    name = f"alongside_{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}" TEMPLATE "{await _migrated_template()}"')
    url = PG_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        # Bots still running on this database stop first, whatever order fixtures unwind in.
        for harness in [h for h in RUNNING if h.settings.database_url == url]:
            await harness.stop()
        _drop_later(name)


def inline_buttons(message: object) -> dict[str, str]:
    """A sent message's inline buttons: label → callback data."""
    markup = getattr(message, "reply_markup", None) or {}
    return {
        b["text"]: b.get("callback_data", "")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


@contextlib.asynccontextmanager
async def raw_session(url: str) -> AsyncIterator[AsyncSession]:
    """A plain session on a store's database, for tests that look beneath the services."""
    engine = make_engine(url)
    try:
        async with AsyncSession(engine) as session:
            yield session
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'alongside.db'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'alongside.db'}"


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="alongside_test_bot") as emu:
        emu.patience = PATIENCE
        yield emu


def make_settings(emu: BotApiEmulator, database_url: str, data_dir: Path, **env: str) -> Settings:
    environ = {
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_API_FILE_URL": emu.base_file_url,
        "DATABASE_URL": database_url,
        "ALONGSIDE_DATA_DIR": str(data_dir),
        "ALONGSIDE_POLL_TIMEOUT": "1",
        # Telegram's one message a second to a chat would make every test that sends a few
        # messages to one person wait seconds; a test of the pacing itself sets its own rate.
        "ALONGSIDE_CHAT_RATE": "50",
        **env,
    }
    return Settings.from_env(environ)


@dataclass
class BotHarness:
    emu: BotApiEmulator
    settings: Settings
    clock: MovableClock = field(default_factory=MovableClock)
    running: Running | None = None
    task: asyncio.Task[None] | None = None
    stop_event: asyncio.Event | None = None

    async def start(self, timeout: float = 20) -> None:
        self.stop_event = asyncio.Event()
        started = asyncio.Event()

        def ready(running: Running) -> None:
            self.running = running
            started.set()

        self.task = asyncio.create_task(
            serve(self.settings, clock=self.clock, stop=self.stop_event, ready=ready)
        )
        waiter = asyncio.ensure_future(started.wait())
        done, _ = await asyncio.wait(
            {waiter, self.task},
            timeout=timeout * self.emu.patience,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if self.task in done:
            self.task.result()
        waiter.cancel()
        assert started.is_set(), "bot did not start"
        RUNNING.append(self)

    async def stop(self) -> None:
        if self.stop_event is not None and self.task is not None:
            self.stop_event.set()
            await asyncio.wait_for(self.task, 30)
        self.running = None
        if self in RUNNING:
            RUNNING.remove(self)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def enrol(
        self,
        user: EmulatedUser,
        role: Role = Role.ADVOCATE,
        name: str | None = None,
        locale: str = "en",
        languages: tuple[str, ...] = (),
    ) -> StaffView:
        assert self.running is not None
        async with self.running.runtime.store.unit() as uow:
            view = await people.add_staff(
                uow,
                telegram_id=user.id,
                name=name or user.first_name,
                role=role,
                locale=locale,
                languages=languages,
            )
            await uow.commit()
        return view

    async def link(
        self, advocate: EmulatedUser, child: EmulatedUser, nickname: str = "Star"
    ) -> str:
        """The advocate invites, the child opens the link; returns the code."""
        before = len(self.emu.sent_to(advocate.id))
        self.emu.send_text(advocate, f"/invite {nickname}")
        # Read from the deep link, which reads the same in every language.
        await self.emu.wait_for(
            lambda: any("?start=" in (m.text or "") for m in self.emu.sent_to(advocate.id)[before:])
        )
        message = next(
            m for m in self.emu.sent_to(advocate.id)[before:] if "?start=" in (m.text or "")
        )
        code = (message.text or "").split("?start=")[1].split(maxsplit=1)[0].strip("\u2068\u2069")
        seen = len(self.emu.sent_to(child.id))
        self.emu.send_text(child, f"/start {code}")
        await self.emu.wait_for(lambda: len(self.emu.sent_to(child.id)) > seen)
        return code

    def texts(self, chat_id: int) -> list[str]:
        return [(m.text or m.caption or "") for m in self.emu.sent_to(chat_id)]

    async def wait_text(self, chat_id: int, needle: str, timeout: float = 10.0) -> Any:
        await self.emu.wait_for(
            lambda: any(needle in t for t in self.texts(chat_id)),
            timeout=timeout,
            description=f"{needle!r} in chat {chat_id}",
        )
        return next(m for m in self.emu.sent_to(chat_id) if needle in (m.text or m.caption or ""))


@pytest.fixture
async def harness_factory(
    emulator: BotApiEmulator, tmp_path: Path
) -> AsyncIterator[Callable[..., BotHarness]]:
    made: list[BotHarness] = []

    def make(database_url: str, **env: str) -> BotHarness:
        harness = BotHarness(
            emulator, make_settings(emulator, database_url, tmp_path / "data", **env)
        )
        made.append(harness)
        return harness

    yield make
    for harness in made:
        await harness.stop()


@pytest.fixture
async def bot(harness_factory: Callable[..., BotHarness], database_url: str) -> BotHarness:
    harness = harness_factory(database_url)
    await harness.start()
    return harness
