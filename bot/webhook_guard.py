"""Webhook guards: slow and idle clients timed out, wrong secrets counted and held back.

Uvicorn's only timer runs after a response, and any byte received cancels it: nothing times out
a request head. `GuardedH11Protocol` (passed as Uvicorn's ``http`` class) gives each connection
a deadline for its head and caps the connections waiting for one, closing the longest-waiting
first, so a flood of idle sockets cannot starve Telegram's deliveries. It relies on Uvicorn's
``H11Protocol`` hooks, hence the pinned Uvicorn version; the e2e tests would catch a change.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol, RequestResponseCycle
from uvicorn.server import ServerState

from bot import metrics

log = logging.getLogger(__name__)

WRONG_SECRET = metrics.WEBHOOK_REFUSED.labels(reason="wrong_secret")
THROTTLED = metrics.WEBHOOK_REFUSED.labels(reason="throttled")
SLOW_CLIENT = metrics.WEBHOOK_REFUSED.labels(reason="slow_client")
CROWDED = metrics.WEBHOOK_REFUSED.labels(reason="crowded")


def _waiting_for_open_files() -> int:
    """A quarter of the open-file limit (256 of the usual 1024), 16 to 1024: idle connections can
    never take the descriptors that deliveries, the database and Telegram need."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1024
    return min(max(soft // 4, 16), 1024)


@dataclass(frozen=True)
class Limits:
    """What one process tolerates from clients; tests shorten the times."""

    head_timeout: float = 10.0  # from connecting, or from the last response, to a whole head
    body_timeout: float = 10.0  # to read a body, once the secret is right
    wrong_secrets: int = 20  # per client address and window; then 429 until the window ends
    window: float = 60.0
    clients: int = 10_000  # addresses remembered; the oldest window is forgotten first
    waiting: int = field(default_factory=_waiting_for_open_files)

    @property
    def backlog(self) -> int:
        """Uvicorn's backlog is also how many connections asyncio accepts in one go, before any
        of them can be closed to make room: at its default of 2048 a burst of idle connections
        used up the descriptors (EMFILE), and asyncio then stops accepting for a second at a
        time, Telegram's connections included."""
        return self.waiting

    @property
    def concurrency(self) -> int:
        """For Uvicorn's limit_concurrency, which counts waiting connections too: it must sit
        above them, or a crowd of idle ones would turn every delivery into a 503."""
        return 2 * self.waiting


@dataclass(slots=True)
class _Window:
    start: float
    wrong: int = 0


class WrongSecrets:
    """Wrong secrets per client address, in fixed windows, for at most `limits.clients` addresses.

    Forgetting the oldest address when full means a caller with more addresses than that gets
    more tries; the secret's length, not this, is what makes guessing hopeless.
    """

    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def wait(self, client: str) -> float:
        """Seconds until `client` may be heard again; 0 if now."""
        window = self._windows.get(client)
        if window is None or window.wrong < self.limits.wrong_secrets:
            return 0.0
        left = window.start + self.limits.window - self._clock()
        if left <= 0:
            del self._windows[client]
            return 0.0
        return left

    def wrong(self, client: str) -> int:
        """Count a wrong secret; returns the client's count in its current window."""
        now = self._clock()
        window = self._windows.get(client)
        if window is None or now - window.start >= self.limits.window:
            self._windows.pop(client, None)
            window = self._windows[client] = _Window(now)
            if len(self._windows) > self.limits.clients:
                self._windows.popitem(last=False)
        window.wrong += 1
        return window.wrong


class GuardedH11Protocol(H11Protocol):
    """Uvicorn's h11 protocol with a deadline for each request head and a cap on idle connections.

    Uvicorn's only timer is for the silence after a response (timeout_keep_alive), and any byte
    stops it: a connection that sends nothing, or drips a header byte at a time, is held for
    ever, and 1,100 of them starved real deliveries. Here a connection waiting for a head (a new
    one, or one whose response has gone) is closed unless a whole head arrives within
    `limits.head_timeout`; and past `limits.waiting` such connections, the one waiting longest is
    closed. A delivery sends its head at once, so it is never the oldest. Passed to Uvicorn by
    class, so ``--workers N`` gets it too.
    """

    limits: ClassVar[Limits] = Limits()
    # Per server, in the order they began waiting; a plain dict is slow to pop from the front.
    _queues: ClassVar[WeakKeyDictionary[ServerState, OrderedDict[GuardedH11Protocol, None]]] = (
        WeakKeyDictionary()
    )

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._waiting = self._queues.setdefault(server_state, OrderedDict())
        self._deadline: asyncio.TimerHandle | None = None
        # Uvicorn starts a new cycle for each request head: a different one means it came.
        self._awaited: RequestResponseCycle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()
        while len(self._waiting) > self.limits.waiting:
            CROWDED.inc()
            next(iter(self._waiting))._close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._check_head()

    def on_response_complete(self) -> None:
        if not self.transport.is_closing():
            self._await_head()  # before: a pipelined request handled in there counts as come
        super().on_response_complete()
        self._check_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_waiting()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._stop_waiting()
        self._awaited = self.cycle
        self._waiting[self] = None
        self._deadline = self.loop.call_later(self.limits.head_timeout, self._too_slow)

    def _check_head(self) -> None:
        if self._deadline is not None and self.cycle is not self._awaited:
            self._stop_waiting()

    def _stop_waiting(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._waiting.pop(self, None)

    def _too_slow(self) -> None:
        self._deadline = None
        SLOW_CLIENT.inc()
        self._close()

    def _close(self) -> None:
        self._stop_waiting()
        self.transport.close()


def protocol_for(limits: Limits) -> type[GuardedH11Protocol]:
    """The module's own class for the defaults, which worker processes import by name."""
    if limits == GuardedH11Protocol.limits:
        return GuardedH11Protocol
    chosen = limits

    class Protocol(GuardedH11Protocol):
        limits = chosen

    return Protocol
