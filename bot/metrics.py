"""Prometheus metrics: counters kept by each worker, gauges read from the store at scrape time.

No label ever carries a child, a chat or a person: only kinds, severities and outcomes.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy import func, select

from conversations.models import OutboxMessage
from conversations.store import Store

REGISTRY = CollectorRegistry()
UPDATES_RECEIVED = Counter("alongside_updates_received_total",
                           "Updates committed to the inbox", registry=REGISTRY)
UPDATES_PROCESSED = Counter("alongside_updates_processed_total",
                            "Updates handled successfully", registry=REGISTRY)
UPDATES_FAILED = Counter("alongside_updates_failed_total",
                         "Updates given up on after their last try", registry=REGISTRY)
ALERTS_RAISED = Counter("alongside_alerts_raised_total", "Safety alerts raised",
                        ["severity"], registry=REGISTRY)
ALERTS_ACKNOWLEDGED = Counter("alongside_alerts_acknowledged_total",
                              "Safety alerts acknowledged by a person", registry=REGISTRY)
ALERTS_UNHEARD = Counter("alongside_alerts_unheard_total",
                         "Alerts raised with nobody active and reachable to tell",
                         registry=REGISTRY)
UPDATES_PASSED_ON = Counter("alongside_updates_passed_on_total",
                            "Updates that failed for good and were passed on as they came",
                            registry=REGISTRY)
MESSAGES_SENT = Counter("alongside_messages_sent_total", "Messages Telegram accepted",
                        ["purpose"], registry=REGISTRY)
DEAD_LETTERS = Counter("alongside_dead_letters_total", "Messages given up on",
                       registry=REGISTRY)
SEND_LATENCY = Histogram("alongside_send_latency_seconds",
                         "From queueing a message to Telegram accepting it",
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
                         registry=REGISTRY)
WEBHOOK_REFUSED = Counter("alongside_webhook_refused_total",
                          "Webhook requests refused and connections closed early, by reason: "
                          "wrong_secret, throttled (429), slow_client (no request in time), "
                          "crowded (closed to make room)",
                          ["reason"], registry=REGISTRY)
OUTBOX_DEPTH = Gauge("alongside_outbox_pending", "Messages waiting to be sent",
                     registry=REGISTRY)
OUTBOX_AGE = Gauge("alongside_outbox_oldest_seconds", "Age of the oldest waiting message",
                   registry=REGISTRY)
DEAD_IN_STORE = Gauge("alongside_outbox_dead", "Dead letters in the store", registry=REGISTRY)
LEADER = Gauge("alongside_dispatcher_leader", "1 if this worker is sending the outbox",
               registry=REGISTRY)
TELEGRAM_DOWN = Gauge("alongside_telegram_unreachable",
                      "1 while sending waits out a Telegram outage", registry=REGISTRY)
TELEGRAM_OUTAGES = Counter("alongside_telegram_outages_total",
                           "Telegram outages waited out by the sender", registry=REGISTRY)
MARKS_FAILING = Gauge("alongside_outbox_marks_failing",
                      "1 while a sent message cannot be recorded (sending is paused)",
                      registry=REGISTRY)


async def render(store: Store, now: datetime) -> bytes:
    async with store.sessions() as session:
        pending, oldest = (await session.execute(
            select(func.count(OutboxMessage.id), func.min(OutboxMessage.created_at))
            .where(OutboxMessage.status == "pending"))).one()
        dead = (await session.execute(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "dead"))
        ).scalar_one()
    OUTBOX_DEPTH.set(pending)
    OUTBOX_AGE.set(0 if oldest is None else max((now - oldest).total_seconds(), 0))
    DEAD_IN_STORE.set(dead)
    return generate_latest(REGISTRY)
