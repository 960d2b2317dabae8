"""Prometheus metrics: the queues' totals and depths read from the store at scrape time, so they
are the same whichever worker answers; the rest kept by each worker about itself.

Global (counted from the inbox and outbox, plus what retention and erasures deleted:
`conversations.queues`): updates received, processed and failed, messages sent, dead letters,
and both queues' depth and oldest age. Everything else is this worker's own: add it up across
workers (``sum``) where that means something; ``alongside_worker_info{worker="host:pid"}``
names the worker that answered, so per-worker values can be told apart.

No label ever carries a child, a chat or a person: only kinds, severities and outcomes.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from conversations import queues
from conversations.store import STORE_ERRORS, Store

REGISTRY = CollectorRegistry()
ALERTS_RAISED = Counter(
    "alongside_alerts_raised_total", "Safety alerts raised", ["severity"], registry=REGISTRY
)
ALERTS_ACKNOWLEDGED = Counter(
    "alongside_alerts_acknowledged_total",
    "Safety alerts acknowledged by a person",
    registry=REGISTRY,
)
ALERTS_UNHEARD = Counter(
    "alongside_alerts_unheard_total",
    "Alerts raised with nobody active and reachable to tell",
    registry=REGISTRY,
)
UPDATES_PASSED_ON = Counter(
    "alongside_updates_passed_on_total",
    "Updates that failed for good and were passed on as they came",
    registry=REGISTRY,
)
SEND_LATENCY = Histogram(
    "alongside_send_latency_seconds",
    "From queueing a message to Telegram accepting it",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=REGISTRY,
)
WEBHOOK_REFUSED = Counter(
    "alongside_webhook_refused_total",
    "Webhook requests refused and connections closed early, by reason: "
    "wrong_secret, throttled (429), slow_client (no request in time), "
    "crowded (closed to make room)",
    ["reason"],
    registry=REGISTRY,
)
LEADER = Gauge(
    "alongside_dispatcher_leader", "1 if this worker is sending the outbox", registry=REGISTRY
)
TELEGRAM_DOWN = Gauge(
    "alongside_telegram_unreachable",
    "1 while sending waits out a Telegram outage",
    registry=REGISTRY,
)
TELEGRAM_OUTAGES = Counter(
    "alongside_telegram_outages_total",
    "Telegram outages waited out by the sender",
    registry=REGISTRY,
)
MARKS_FAILING = Gauge(
    "alongside_outbox_marks_failing",
    "1 while a sent message cannot be recorded (sending is paused)",
    registry=REGISTRY,
)
STORE_DOWN = Gauge(
    "alongside_store_unavailable",
    "1 while this worker finds the database unavailable (it waits, and /readyz says 503)",
    registry=REGISTRY,
)


class _FromStore(Collector):
    """The queues as one scrape read them."""

    def __init__(self, counts: queues.Counts, now: datetime) -> None:
        self.counts = counts
        self.now = now

    def _age(self, oldest: datetime | None) -> float:
        return 0.0 if oldest is None else max((self.now - oldest).total_seconds(), 0.0)

    def collect(self) -> Iterator[Metric]:
        c = self.counts
        yield CounterMetricFamily(
            "alongside_updates_received", "Updates committed to the inbox", value=c.received
        )
        yield CounterMetricFamily(
            "alongside_updates_processed", "Updates handled successfully", value=c.processed
        )
        yield CounterMetricFamily(
            "alongside_updates_failed", "Updates given up on after their last try", value=c.failed
        )
        sent = CounterMetricFamily(
            "alongside_messages_sent", "Messages Telegram accepted", labels=["purpose"]
        )
        for purpose, count in sorted(c.sent.items()):
            sent.add_metric([purpose], count)
        yield sent
        yield CounterMetricFamily(
            "alongside_dead_letters", "Messages given up on", value=c.dead_letters
        )
        yield GaugeMetricFamily(
            "alongside_inbox_pending", "Updates waiting to be handled", value=c.inbox_pending
        )
        yield GaugeMetricFamily(
            "alongside_inbox_oldest_seconds",
            "Age of the oldest update waiting to be handled",
            value=self._age(c.inbox_oldest),
        )
        yield GaugeMetricFamily(
            "alongside_outbox_pending", "Messages waiting to be sent", value=c.outbox_pending
        )
        yield GaugeMetricFamily(
            "alongside_outbox_oldest_seconds",
            "Age of the oldest waiting message",
            value=self._age(c.outbox_oldest),
        )
        yield GaugeMetricFamily(
            "alongside_outbox_dead", "Dead letters in the store", value=c.dead_kept
        )


WORKER_INFO = Gauge(
    "alongside_worker_info",
    "Always 1: which worker answered this scrape",
    ["worker"],
    registry=REGISTRY,
)


async def render(store: Store, now: datetime) -> bytes:
    WORKER_INFO.labels(worker=f"{socket.gethostname()}:{os.getpid()}").set(1)
    try:
        async with store.sessions() as session:
            counts = await queues.counts(session)
    except STORE_ERRORS:
        # The worker's own metrics still answer, and say the database is away.
        return generate_latest(REGISTRY)
    scrape = CollectorRegistry()
    scrape.register(_FromStore(counts, now))
    return generate_latest(scrape) + generate_latest(REGISTRY)
