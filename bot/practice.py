"""The real bot on the built-in Bot API emulator, in a data dir of its own: what `alongside demo`
and `alongside sandbox` share.

Settings are built here, never from the environment or ``.env``, so neither can reach a real
database or a real Telegram token; `only_the_emulator` refuses any that could.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot import i18n
from bot.app import Running, serve
from bot.emulator import BotApiEmulator, EmulatedUser
from bot.settings import Settings
from conversations.errors import ConfigurationError
from conversations.store import Clock

TOKEN = "123456:DEMO-TOKEN-alongside-demo"  # noqa: S105 - the emulator's, not a real token
BOT_USERNAME = "alongside_demo_bot"
# Start-up registers every role's menu in every language: on a busy shared machine that alone
# has taken over a minute. Giving up sooner shows nothing.
START_WAIT = 180.0
STOP_WAIT = 15.0
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class PracticeFailed(Exception):
    """The practice bot did not start, stopped, or a scripted step did not happen."""


@dataclass(frozen=True)
class Actor:
    user: EmulatedUser
    label: str
    locale: str = "en"

    @property
    def name(self) -> str:
        return self.user.first_name


@dataclass(frozen=True)
class Cast:
    """The people of the demo, and of the sandbox's phones (Minh is scripted only)."""

    supervisor: Actor
    advocate: Actor
    child: Actor
    second_child: Actor


def cast(
    emu: BotApiEmulator,
    *,
    staff_locale: str = "en",
    child: tuple[str, str] = ("Ana", "sq"),
    supervisor_locale: str | None = None,
) -> Cast:
    """Sam supervises, Rosa advocates; the young person is Ana (Albanian) unless named."""
    name, locale = child
    sam = supervisor_locale or staff_locale
    return Cast(
        supervisor=Actor(emu.user(7001, "Sam", language_code=sam), "supervisor Sam", sam),
        advocate=Actor(
            emu.user(7002, "Rosa", language_code=staff_locale), "advocate Rosa", staff_locale
        ),
        child=Actor(emu.user(9001, name, language_code=locale), f"child {name} [{locale}]", locale),
        second_child=Actor(emu.user(9002, "Minh", language_code="vi"), "child Minh [vi]", "vi"),
    )


def practice_settings(emu: BotApiEmulator, data_dir: Path, **env: str) -> Settings:
    settings = Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{(data_dir / 'alongside.db').resolve()}",
            "ALONGSIDE_DATA_DIR": str(data_dir),
            "ALONGSIDE_POLL_TIMEOUT": "1",
            **env,
        }
    )
    only_the_emulator(settings)
    return settings


def only_the_emulator(settings: Settings) -> None:
    """Practice talks to the emulator on this machine, with its made-up token, or not at all."""
    for url in (settings.api_base_url, settings.api_file_url or settings.api_base_url):
        if urlsplit(url).hostname not in LOOPBACK:
            raise ConfigurationError(
                "practice runs only against the built-in emulator on this machine, "
                "never a real Bot API"
            )
    if settings.token != TOKEN:
        raise ConfigurationError(
            "practice runs only with the emulator's own token, never a real one"
        )
    if not settings.is_sqlite:
        raise ConfigurationError("practice keeps its data in a temporary embedded store only")


async def start_bot(
    settings: Settings, stop: asyncio.Event, clock: Clock | None = None, *, signals: bool = True
) -> tuple[asyncio.Task[None], Running]:
    """``signals``: whether Ctrl-C stops the bot itself (the sandbox leaves that to its server)."""
    only_the_emulator(settings)
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(
        serve(settings, clock=clock, stop=stop, ready=ready.set_result, handle_signals=signals)
    )
    waits: set[asyncio.Future[Any]] = {ready, task}
    await asyncio.wait(waits, timeout=START_WAIT, return_when=asyncio.FIRST_COMPLETED)
    if ready.done():
        return task, ready.result()
    ready.cancel()
    if task.done():
        error = task.exception()
        raise PracticeFailed(f"the bot did not start: {type(error).__name__}: {error}")
    task.cancel()
    raise PracticeFailed(f"the bot did not start within {START_WAIT:.0f} s")


async def stop_bot(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    try:
        await asyncio.wait_for(task, STOP_WAIT)
    except TimeoutError:
        raise PracticeFailed(f"the bot did not stop within {STOP_WAIT:.0f} s") from None
    except Exception as exc:
        raise PracticeFailed(f"the bot failed: {type(exc).__name__}: {exc}") from None


@contextlib.asynccontextmanager
async def bot_on(
    settings: Settings, clock: Clock | None = None, *, signals: bool = True
) -> AsyncIterator[tuple[asyncio.Task[None], Running]]:
    """The bot running until the block ends."""
    stop = asyncio.Event()
    task, running = await start_bot(settings, stop, clock, signals=signals)
    try:
        yield task, running
    finally:
        await stop_bot(task, stop)


class MissingTranslations(logging.Filter):
    """Counts untranslated strings instead of logging each: one summary line at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.locales: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "i18n.missing_string":
            return True
        locale = str(getattr(record, "locale", "?"))
        self.locales[locale] = self.locales.get(locale, 0) + 1
        return False

    def summary(self) -> str | None:
        if not self.locales:
            return None
        counts = ", ".join(f"{n} in {locale}" for locale, n in sorted(self.locales.items()))
        return f"Not yet translated, so shown in English: {counts}."


@contextlib.contextmanager
def quiet_logs() -> Iterator[MissingTranslations]:
    """WARNING and above only, so what people say stays readable; DEBUG is left alone."""
    root = logging.getLogger()
    before = root.level
    if before >= logging.INFO or before == logging.NOTSET:
        root.setLevel(max(before, logging.WARNING))
    missing = MissingTranslations()
    i18n_log = logging.getLogger(i18n.__name__)
    i18n_log.addFilter(missing)
    try:
        yield missing
    finally:
        i18n_log.removeFilter(missing)
        root.setLevel(before)
