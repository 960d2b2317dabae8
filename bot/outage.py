"""Telegram down: told apart from a failure of one message, waited out, and told of once.

A network error or a 5xx is first put to Telegram itself (``getMe``): if that fails too,
Telegram is down, and sending pauses, looking again with capped backoff (2 s ... 60 s), for
hours if need be, without spending any message's tries; supervisors hear once, when it is over
(if it lasted ``ALONGSIDE_OUTAGE_NOTICE_SECONDS`` or more).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from telegram.error import NetworkError, RetryAfter

from bot import metrics, notices
from bot.runtime import AlongsideApp, Runtime, wait_any
from conversations import people

log = logging.getLogger(__name__)

OUTAGE_CAP = 60.0  # seconds between looks at Telegram while it is down


class Outage:
    def __init__(self, runtime: Runtime, app: AlongsideApp) -> None:
        self.runtime = runtime
        self.app = app
        # A Telegram outage being waited out: since when (monotonic, and as the clock says),
        # how many looks it has failed, and when to look next.
        self.started: float | None = None
        self.since: datetime | None = None
        self.level = 0
        self.resume_at = 0.0
        self.probe: asyncio.Task[bool] | None = None
        self.probed_at = 0.0

    async def telegram_up(self) -> bool:
        """Whether Telegram answers at all; the sends failing together share one look."""
        if self.probe is None or (self.probe.done() and time.monotonic() - self.probed_at > 1):
            self.probed_at = time.monotonic()
            self.probe = asyncio.create_task(self._get_me())
        return await asyncio.shield(self.probe)

    async def _get_me(self) -> bool:
        try:
            await self.app.bot.get_me(read_timeout=10, connect_timeout=5)
        except RetryAfter:
            return True  # it answers, if only to say wait
        except NetworkError:  # a dropped connection, a timeout, a 5xx
            return False
        except Exception:
            return True  # an answer of another kind: not an outage
        return True

    def begin(self, error: str) -> None:
        """A send failed because Telegram is down: pause (the message stays as it is)."""
        now = time.monotonic()
        if self.started is None:
            self.started, self.since = now, self.runtime.store.clock.now()
            self.level = 0
            metrics.TELEGRAM_DOWN.set(1)
            metrics.TELEGRAM_OUTAGES.inc()
            log.warning("outbox.outage_started", extra={"error": error})
        if now >= self.resume_at:
            self.level += 1
            self.resume_at = now + min(OUTAGE_CAP, 2.0**self.level)

    async def wait_out(self, stop: asyncio.Event) -> None:
        """Look at Telegram with capped backoff until it answers, then go on sending."""
        while not stop.is_set():
            delay = self.resume_at - time.monotonic()
            if delay > 0:
                await wait_any(stop, stop, delay)
                continue
            if await self.telegram_up():
                await self._over()
                return
            self.level += 1
            self.resume_at = time.monotonic() + min(OUTAGE_CAP, 2.0**self.level)

    async def _over(self) -> None:
        started, since = self.started, self.since
        self.started = self.since = None
        self.level = 0
        self.resume_at = 0.0
        metrics.TELEGRAM_DOWN.set(0)
        lasted = 0.0 if started is None else time.monotonic() - started
        log.warning("outbox.outage_over", extra={"ms": round(lasted * 1000)})
        if lasted < self.runtime.settings.outage_notice.total_seconds() or since is None:
            return
        async with self.runtime.store.unit() as uow:
            for supervisor in await people.supervisors(uow):
                await uow.send(
                    supervisor.telegram_id,
                    notices.outage_over(
                        self.runtime.tr(supervisor.locale), since, max(1, round(lasted / 60))
                    ),
                    purpose="system",
                    staff_id=supervisor.id,
                )
            await uow.commit()
