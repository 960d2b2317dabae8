"""Webhook mode: an ASGI app (Starlette under Uvicorn) that commits each update, then says 200.

* ``POST <path of ALONGSIDE_WEBHOOK_URL>``: the secret header is checked in constant time (403
  and nothing stored otherwise); bodies over 1 MB or that are not an update are refused with 400
  and nothing stored; an accepted update is committed to the inbox before the 200, so a worker
  that dies afterwards leaves it to the others.
* A client address that sends too many wrong secrets gets 429 until its window ends, without a
  comparison (`WrongSecrets`); a request head must arrive within 10 s of connecting, a body within
  10 s, and connections waiting for a head are capped (`GuardedH11Protocol`). All of it is
  counted in ``alongside_webhook_refused_total``.
* ``GET /healthz``: the process is alive. ``GET /readyz``: every loop of the bot is running, the
  database answers (takes a write, while an outage lasts) and its schema is current. ``GET
  /metrics``: Prometheus text.
* The database away (or a full disk): deliveries get 503, so Telegram delivers them again later;
  nothing uncommitted is ever acknowledged. A loop of the bot that dies takes the process down:
  Uvicorn shuts down, and `alongside run` exits 1 (with ``--workers N`` its master starts a new
  worker), never a server answering for a bot that no longer handles anything.

Several workers may serve one PostgreSQL database (``--workers N``, or processes started by hand
behind a load balancer): see `conversations.inbox` (claiming updates per chat) and `bot.leader`
(one sender at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import math
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.app import LoopDied, Running, keep_what_started, serve
from bot.logs import configure_logging
from bot.settings import Settings
from bot.webhook_guard import (
    SLOW_CLIENT,
    THROTTLED,
    WRONG_SECRET,
    GuardedH11Protocol,
    Limits,
    WrongSecrets,
    protocol_for,
)
from conversations import queues
from conversations.errors import AlongsideError, ConfigurationError
from conversations.store import STORE_ERRORS, is_current

log = logging.getLogger(__name__)

MAX_BODY = 1 << 20
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name
MIN_SECRET = 32
SECRET_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# Set when the bot stopped under a live server: `run_webhook` then exits 1, not 0.
BOT_DIED = threading.Event()


def check(settings: Settings) -> tuple[str, str, int]:
    """The webhook path, host and port; a configuration error if anything cannot work."""
    secret = settings.webhook_secret or ""
    # Telegram allows 1-256 characters; anything short enough to guess is refused.
    if not MIN_SECRET <= len(secret) <= 256 or not set(secret) <= SECRET_CHARS:
        raise ConfigurationError(
            f"ALONGSIDE_WEBHOOK_SECRET must be {MIN_SECRET}-256 characters "
            "of A-Z, a-z, 0-9, _ and - in webhook mode"
        )
    url = urlsplit(settings.webhook_url or "")
    if url.scheme not in ("https", "http") or not url.netloc:
        raise ConfigurationError("ALONGSIDE_WEBHOOK_URL must be a full https:// URL")
    host, _, port = settings.listen.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigurationError("ALONGSIDE_LISTEN must be HOST:PORT, e.g. 127.0.0.1:8080")
    return url.path or "/", host, int(port)


class _Endpoints:
    """The webhook's routes, around the bot running in this process."""

    def __init__(self, settings: Settings, limits: Limits, clock: Callable[[], float]) -> None:
        self.settings = settings
        self.secret = (settings.webhook_secret or "").encode()
        self.limits = limits
        self.wrong_secrets = WrongSecrets(limits, clock)
        self.running: Running | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self, _: Starlette) -> AsyncIterator[None]:
        stop = asyncio.Event()
        started = asyncio.Event()

        def ready(running: Running) -> None:
            self.running = running
            keep_what_started()
            started.set()

        task = asyncio.create_task(
            serve(self.settings, stop=stop, poll_updates=False, ready=ready, handle_signals=False)
        )
        waiter = asyncio.ensure_future(started.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()
        leaving = False

        def ended(_: asyncio.Task[None]) -> None:
            if leaving:
                return
            # A loop died (`bot.app.LoopDied`, logged): a server left answering would commit
            # updates nobody handles. Uvicorn shuts down on SIGTERM as if asked to.
            BOT_DIED.set()
            signal.raise_signal(signal.SIGTERM)

        task.add_done_callback(ended)
        try:
            yield
        finally:
            leaving = True
            stop.set()
            with contextlib.suppress(LoopDied):  # logged when it happened
                await task

    async def receive(self, request: Request) -> Response:
        # Behind a proxy, Uvicorn takes the address from X-Forwarded-For (FORWARDED_ALLOW_IPS).
        client = request.client.host if request.client else ""
        wait = self.wrong_secrets.wait(client)
        if wait:
            THROTTLED.inc()
            return PlainTextResponse(
                "too many wrong secrets",
                status_code=429,
                headers={"retry-after": str(math.ceil(wait))},
            )
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            WRONG_SECRET.inc()
            count = self.wrong_secrets.wrong(client)
            log.warning("webhook.wrong_secret", extra={"count": count})
            return PlainTextResponse("forbidden", status_code=403)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            return PlainTextResponse("too large", status_code=400)
        body = bytearray()
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                async for chunk in request.stream():
                    body += chunk
                    if len(body) > MAX_BODY:
                        return PlainTextResponse("too large", status_code=400)
        except TimeoutError:
            SLOW_CLIENT.inc()
            log.warning("webhook.slow_body")
            return PlainTextResponse("too slow", status_code=408, headers={"connection": "close"})
        try:
            update = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return PlainTextResponse("not JSON", status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return PlainTextResponse("not an update", status_code=400)
        running = self.running
        if running is None or running.inbox is None:
            return PlainTextResponse("starting", status_code=503)
        if not running.alive:
            return PlainTextResponse("stopping", status_code=503)
        health = running.runtime.health
        try:
            await running.inbox.accept([update])
        except STORE_ERRORS as exc:
            # Not committed, so not acknowledged: Telegram delivers it again later.
            health.failed(exc, "webhook")
            return PlainTextResponse("database unavailable", status_code=503)
        health.answered()
        return PlainTextResponse("ok")

    async def healthz(self, _: Request) -> Response:
        return PlainTextResponse("ok")

    async def readyz(self, _: Request) -> Response:
        running = self.running
        if running is None:
            return PlainTextResponse("starting", status_code=503)
        if not running.alive:
            return PlainTextResponse("stopping", status_code=503)
        store, health = running.runtime.store, running.runtime.health
        try:
            # While an outage lasts, a write: a full disk still answers reads.
            await queues.probe(store, write=not health.up)
            current = await is_current(store.engine)
        except STORE_ERRORS as exc:
            health.failed(exc, "readyz")
            return PlainTextResponse("database unavailable", status_code=503)
        health.answered()
        if not current:
            return PlainTextResponse("migrations pending", status_code=503)
        return PlainTextResponse("ready")

    async def metrics(self, _: Request) -> Response:
        if self.running is None:
            return PlainTextResponse("starting", status_code=503)
        store = self.running.runtime.store
        body = await metrics.render(store, store.clock.now())
        return Response(body, media_type="text/plain; version=0.0.4")


def create_app(
    settings: Settings,
    limits: Limits = GuardedH11Protocol.limits,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    path, _, _ = check(settings)
    endpoints = _Endpoints(settings, limits, clock)
    return Starlette(
        routes=[
            Route(path, endpoints.receive, methods=["POST"]),
            Route("/healthz", endpoints.healthz, methods=["GET"]),
            Route("/readyz", endpoints.readyz, methods=["GET"]),
            Route("/metrics", endpoints.metrics, methods=["GET"]),
        ],
        lifespan=endpoints.lifespan,
    )


def factory() -> Starlette:
    """For Uvicorn's own worker processes (``--workers N``): settings from the environment."""
    configure_logging(os.environ.get("ALONGSIDE_LOG_FORMAT", "text"))
    return create_app(Settings.from_env())


def run_webhook(
    settings: Settings,
    workers: int,
    log_config: dict[str, Any] | None = None,
    limits: Limits | None = None,
) -> None:
    """`limits` (for tests) needs one process: worker processes build their own defaults."""
    _, host, port = check(settings)
    if workers > 1 and limits is not None:
        raise ValueError("custom limits need a single process")
    if limits is None:
        limits = GuardedH11Protocol.limits
    # No WebSocket upgrades to take a connection out of the protocol's sight.
    app: Starlette | str = create_app(settings, limits) if workers == 1 else "bot.webhook:factory"
    # Uvicorn raises the SIGTERM that stopped it once more when it is done: this process then
    # ends here, with an exit code that says whether the bot died or an operator stopped it.
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        uvicorn.run(
            app,
            factory=workers > 1,
            workers=workers,
            host=host,
            port=port,
            log_config=log_config,
            access_log=False,
            http=protocol_for(limits),
            ws="none",
            limit_concurrency=limits.concurrency,
            backlog=limits.backlog,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    if BOT_DIED.is_set():
        raise AlongsideError(
            "the bot stopped (bot.loop_crashed in the log above): exiting, to be started again"
        )
