"""Whether the database answers, as this process finds it: an outage is waited out, logged once.

Every loop that uses the store (the inbox, the dispatcher, the sweeper, the poller) and the
webhook report here. The first store error starts an outage, logged once as
``store.unavailable`` whichever loop met it first; the first success after it ends it
(``store.available``, with how long it lasted). Meanwhile each loop waits with capped backoff
(`Retry`), `/readyz` says not ready, and webhook deliveries get 503.
"""

from __future__ import annotations

import logging
import time

from bot import metrics

log = logging.getLogger(__name__)

FIRST_PAUSE = 1.0
LONGEST_PAUSE = 30.0


def describe_store_error(exc: BaseException) -> str:
    """What went wrong with the store, in words an operator acts on: a full disk says so."""
    text = str(exc).lower()
    if "disk is full" in text or "no space left" in text or "disk full" in text:
        return "disk_full"
    return type(exc).__name__


class StoreHealth:
    def __init__(self) -> None:
        self.down_since: float | None = None

    @property
    def up(self) -> bool:
        return self.down_since is None

    def failed(self, exc: BaseException, where: str) -> None:
        if self.down_since is not None:
            return
        self.down_since = time.monotonic()
        metrics.STORE_DOWN.set(1)
        log.error("store.unavailable", extra={"loop": where, "error": describe_store_error(exc)})

    def answered(self) -> None:
        if self.down_since is None:
            return
        lasted = time.monotonic() - self.down_since
        self.down_since = None
        metrics.STORE_DOWN.set(0)
        log.warning("store.available", extra={"ms": round(lasted * 1000)})


class Retry:
    """One loop's pauses after store errors: 1 s, 2 s, 4 s ... 30 s, from 1 s again once a try
    works."""

    def __init__(self, health: StoreHealth, where: str) -> None:
        self.health = health
        self.where = where
        self.failures = 0

    def failed(self, exc: BaseException) -> float:
        """Report the error; how long to wait before the next try."""
        self.health.failed(exc, self.where)
        pause = min(LONGEST_PAUSE, FIRST_PAUSE * 2.0 ** min(self.failures, 16))
        self.failures += 1
        return pause

    def worked(self) -> None:
        if self.failures:
            self.failures = 0
            self.health.answered()
