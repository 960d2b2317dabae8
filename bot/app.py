"""Wiring in one place: settings → store → runtime → `Application`, and the loops that run it.

The `Application` is python-telegram-bot's own, without its `Updater`: our inbox receives
updates (committing them first) and feeds `Application.process_update`; our dispatcher sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError
from telegram import BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes
from telegram.request import HTTPXRequest

from bot import menus, routing
from bot.dispatcher import Dispatcher
from bot.health import FIRST_PAUSE, LONGEST_PAUSE, describe_store_error
from bot.i18n import DEFAULT, LANGUAGES, Catalogs
from bot.inbox import ALLOWED_UPDATES, Inbox, poll, process_forever
from bot.runtime import AlongsideApp, AlongsideContext, Runtime
from bot.settings import Settings
from bot.translating import translate_forever
from bot.transport import RecordingRequest
from bot.watching import sweep_forever
from conversations import bonds, people, urls
from conversations.anchor import ANCHOR_FILE, Anchor
from conversations.crypto import MASTER_KEY_FILE, master_fingerprint
from conversations.errors import AlongsideError, ConfigurationError, StoreUnreachable
from conversations.models import DataKey, Staff
from conversations.store import Clock, Store, is_current, make_engine
from safety import Detector

log = logging.getLogger(__name__)
NOT_UPGRADED = "the database schema is not current: run `alongside db upgrade`"
# PostgreSQL's answers that mean "not now" rather than "never": starting up or shutting down,
# too many connections, connection failures.
PASSING_SQLSTATES = frozenset({"57P01", "57P02", "57P03", "53300", "08000", "08001", "08006"})


@dataclass(frozen=True)
class _Held:
    """What a database holds already, looked at before any key is read or made."""

    data: bool  # a data key: not a new store, so only its own keys may open it
    wrapped_by: str | None = None  # the fingerprint of the master key that wrapped its system key


def _no_file_yet(settings: Settings) -> bool:
    """An embedded store not made yet: nothing to look inside (and nothing to make here)."""
    embedded = urls.embedded_file(settings.database_url)
    return embedded is not None and not embedded.exists()


async def _look_inside(settings: Settings) -> _Held:
    """Whether the database has data, and whose master key wrapped it; a configuration error if
    it cannot be reached or (PostgreSQL) its schema is behind."""
    if _no_file_yet(settings):
        return _Held(data=False)
    engine = make_engine(settings.database_url)
    try:
        try:
            await (await engine.connect()).close()
        except (OSError, DBAPIError) as exc:
            # A timeout has no text of its own.
            reason = (str(getattr(exc, "orig", None) or exc).splitlines() or ["timed out"])[0]
            message = f"the database {settings.shown_database} cannot be reached: {reason}"
            if _passing(exc):
                raise StoreUnreachable(message) from exc
            raise ConfigurationError(message) from None
        if not settings.is_sqlite and not await is_current(engine):
            raise ConfigurationError(NOT_UPGRADED)
        async with engine.connect() as conn:
            if not await conn.run_sync(lambda c: inspect(c).has_table(DataKey.__tablename__)):
                return _Held(data=False)
            system = (
                await conn.execute(
                    select(DataKey.master_id)
                    .where(DataKey.purpose == "system")
                    .order_by(DataKey.id)
                    .limit(1)
                )
            ).scalar()
            anything = (await conn.execute(select(DataKey.id).limit(1))).first() is not None
        return _Held(data=anything, wrapped_by=system)
    finally:
        await engine.dispose()


def _passing(exc: BaseException) -> bool:
    """Whether a failure to connect may pass by itself (an unreachable or starting server), as
    opposed to settings that will never work (a wrong password, a database that does not
    exist, an SQLite file that cannot be opened: sqlite3 raises its own errors, not OSError)."""
    if isinstance(exc, OSError):
        return True
    orig = getattr(exc, "orig", None)
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code in PASSING_SQLSTATES


async def open_store_when_reachable(settings: Settings, clock: Clock | None = None) -> Store:
    """`open_store` for a serving bot: a database that is down at start is waited for, with
    the same backoff and log lines as an outage met later (a service manager would otherwise
    restart the bot in a tight loop, and give up)."""
    pause = FIRST_PAUSE
    down_since: float | None = None
    loop = asyncio.get_running_loop()
    while True:
        try:
            store = await open_store(settings, clock)
        except StoreUnreachable as exc:
            if down_since is None:
                down_since = loop.time()
                log.error(
                    "store.unavailable",
                    extra={"loop": "start", "error": describe_store_error(exc.__cause__ or exc)},
                )
            await asyncio.sleep(pause)
            pause = min(LONGEST_PAUSE, pause * 2)
            continue
        if down_since is not None:
            log.warning("store.available", extra={"ms": round((loop.time() - down_since) * 1000)})
        return store


async def open_store(settings: Settings, clock: Clock | None = None) -> Store:
    """The embedded store upgrades itself; a server database must be upgraded on purpose.

    Keys are made only for a new store, and a master key that did not wrap this database's
    keys is refused with that reason before anything is opened with it.
    """
    held = await _look_inside(settings)
    config = settings.store_config(new_store=not held.data)
    given = {
        master_fingerprint(key)
        for key in (config.master_key, config.pending_master_key)
        if key is not None
    }
    if held.wrapped_by is not None and held.wrapped_by not in given:
        source = (
            "ALONGSIDE_MASTER_KEY"
            if settings.master_key_b64
            else str(settings.data_dir / MASTER_KEY_FILE)
        )
        raise ConfigurationError(
            f"the master key in {source} does not open this database's "
            f"keys ({settings.shown_database})"
        )
    store = await Store.open(config, clock, migrate=settings.is_sqlite)
    if store.rotated:
        # A key rotation committed but stopped before installing its key file: finish it.
        pending = settings.data_dir / (MASTER_KEY_FILE + ".new")
        pending.replace(settings.data_dir / MASTER_KEY_FILE)
    # Every commit that audits notes the chain's end in the data dir too (`conversations.anchor`).
    store.anchor = Anchor(settings.data_dir / ANCHOR_FILE, store.index.audit_key)
    return store


async def build(settings: Settings, clock: Clock | None = None) -> tuple[Runtime, AlongsideApp]:
    if not settings.token:
        raise ConfigurationError("TELEGRAM_BOT_TOKEN is not set")
    store = await open_store_when_reachable(settings, clock)
    runtime = Runtime(
        settings=settings,
        store=store,
        catalogs=Catalogs(settings.timezone),
        detector=Detector.load(),
    )
    store.after_commit.append(runtime.outbox_ready.set)
    app: AlongsideApp = (
        Application.builder()
        .token(settings.token)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url or settings.api_base_url)
        .context_types(ContextTypes(context=AlongsideContext))
        .request(
            RecordingRequest(
                connection_pool_size=64,
                connect_timeout=5,
                read_timeout=15,
                write_timeout=15,
                pool_timeout=5,
            )
        )
        .get_updates_request(HTTPXRequest(read_timeout=settings.poll_timeout + 15))
        .updater(None)
        .build()
    )
    app.bot_data["runtime"] = runtime
    routing.register(app)
    return runtime, app


async def register_menus(runtime: Runtime, app: AlongsideApp) -> None:
    """Command menus per role: young people and strangers see the default, in the language of
    their Telegram app; staff see their own, in their own language."""
    bot = app.bot
    try:
        for lang in LANGUAGES:
            code = "" if lang.code == DEFAULT else menus.TELEGRAM_CODES[lang.code]
            await bot.set_my_commands(
                menus.bot_commands(menus.menu(runtime.tr(lang.code), None)),
                scope=BotCommandScopeDefault(),
                language_code=code or None,
            )
        async with runtime.store.unit() as uow:
            rows = (
                (await uow.session.execute(select(Staff).where(Staff.active.is_(True))))
                .scalars()
                .all()
            )
            staff = [await people.staff_view(uow, row) for row in rows if bonds.trusted(row)]
    except TelegramError as exc:
        # Menus are a convenience; the bot works without them.
        log.warning("menus.not_set", extra={"error": type(exc).__name__})
        return
    for member in staff:
        commands = menus.bot_commands(menus.menu(runtime.tr(member.locale), member.role))
        try:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(member.telegram_id))
        except TelegramError as exc:
            # One who never opened the chat ("chat not found") must not cost the others theirs.
            log.info(
                "menus.not_set_for_staff",
                extra={"staff_id": member.id, "error": type(exc).__name__},
            )


class LoopDied(AlongsideError):
    """One of the bot's loops ended of an error nobody expected (it was logged as
    ``bot.loop_crashed``): the process stops with exit code 1, to be started again."""


@dataclass
class Running:
    runtime: Runtime
    app: AlongsideApp
    stop: asyncio.Event
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    dispatcher: Dispatcher | None = None
    inbox: Inbox | None = None
    died: BaseException | None = None

    @property
    def alive(self) -> bool:
        """Every loop running: what `/readyz` and the webhook ask before saying yes."""
        return (
            self.died is None
            and not self.stop.is_set()
            and all(not task.done() for task in self.tasks)
        )


def _ended(task: asyncio.Task[None], running: Running) -> None:
    """A loop that dies takes the process down, so the service manager restarts it cleanly."""
    if task.cancelled():
        return
    error = task.exception()
    if error is None and running.stop.is_set():
        return  # asked to stop
    failure = error or RuntimeError(f"{task.get_name()} ended by itself")
    if running.died is None:
        running.died = failure
    log.critical(
        "bot.loop_crashed",
        extra={"loop": task.get_name(), "error": type(failure).__name__},
        exc_info=(type(failure), failure, failure.__traceback__),
    )
    running.stop.set()


def keep_what_started(_: object = None) -> None:
    """Take everything built at start-up (catalogs, lexicons, the application) out of the
    collector's sight, once the bot is serving.

    Otherwise every full collection walks those 130,000-odd long-lived objects with the event
    loop stopped: 40-100 ms each, measured. For a serving process only, not a test run that
    starts many bots.
    """
    gc.collect()
    gc.freeze()


async def serve(
    settings: Settings,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    poll_updates: bool = True,
    ready: Callable[[Running], None] | None = None,
    handle_signals: bool = True,
) -> None:
    """Run until `stop` is set (SIGTERM and SIGINT set it), then shut down gracefully.

    Without polling (webhook mode) updates arrive through `Running.inbox.accept`.
    """
    runtime, app = await build(settings, clock)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT) if handle_signals else ():
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await app.initialize()
        runtime.bot_username = app.bot.username
        if poll_updates:
            await app.bot.delete_webhook(drop_pending_updates=False)
        else:
            await app.bot.set_webhook(
                settings.webhook_url or "",
                secret_token=settings.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        await register_menus(runtime, app)
        inbox = Inbox(runtime)
        dispatcher = Dispatcher(runtime, app)
        running = Running(runtime, app, stop, dispatcher=dispatcher, inbox=inbox)
        worker_stop = asyncio.Event()
        running.tasks = [
            asyncio.create_task(process_forever(runtime, app, inbox, worker_stop), name="inbox"),
            asyncio.create_task(dispatcher.run(worker_stop), name="dispatcher"),
            asyncio.create_task(sweep_forever(runtime, worker_stop), name="sweeper"),
        ]
        if settings.translate_url:
            running.tasks.append(
                asyncio.create_task(translate_forever(runtime, worker_stop), name="translator")
            )
        poller = (
            asyncio.create_task(poll(runtime, app, inbox, stop), name="poller")
            if poll_updates
            else None
        )
        for task in running.tasks:
            task.add_done_callback(lambda t: _ended(t, running))
        if poller is not None:
            running.tasks.append(poller)
            poller.add_done_callback(lambda t: _ended(t, running))
        log.info("bot.started", extra={"languages": len(LANGUAGES)})
        if ready is not None:
            ready(running)
        await stop.wait()
        log.info("bot.stopping")
        if poller is not None:
            # An unanswered getUpdates is harmless: nothing was confirmed. A batch being
            # accepted (its first update handled with it) is let finish.
            async with inbox.polling:
                poller.cancel()
            await asyncio.gather(poller, return_exceptions=True)
        worker_stop.set()
        await asyncio.gather(*running.tasks, return_exceptions=True)
        if running.died is not None:
            raise LoopDied(
                f"a loop of the bot stopped ({type(running.died).__name__}); "
                "see bot.loop_crashed in the log"
            ) from running.died
    finally:
        with contextlib.suppress(Exception):
            await app.shutdown()
        await runtime.store.close()
        log.info("bot.stopped")
