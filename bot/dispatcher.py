"""The outbox dispatcher: sends queued messages in order per chat, within Telegram's limits.

* Order: only the oldest pending message of a chat may be sent, and one at a time per chat
  (`conversations.outbox.heads`: the safety lane first).
* Pace: a global token bucket (``ALONGSIDE_SEND_RATE``, 30/s) and one per chat
  (``ALONGSIDE_CHAT_RATE``, 1/s with a burst of 3, as Telegram tolerates short bursts).
* Failures: ``RetryAfter`` waits as told (for that chat only: one slow chat must not stall the
  rest). A network error or a 5xx while Telegram itself does not answer is an outage, waited
  out without spending any message's tries (`bot.outage`). Otherwise the failure is about that
  message: a counted try with backoff (up to 5 minutes), and a dead letter (supervisors told)
  only after ``ALONGSIDE_MAX_ATTEMPTS`` tries and ``ALONGSIDE_GIVE_UP_HOURS``; a permanent
  refusal is one at once. A chat that blocked the bot is marked unreachable and whoever looks
  after it is told (`conversations.outbox`).
* Crash safety: a message is marked sent right after Telegram accepts it, and its chat sends
  nothing more until that mark has committed (`bot.recording`).
* The database away: each look that fails is tried again after 1 s ... 30 s, for as long as
  it takes (`bot.health`). With PostgreSQL only the worker holding the lock sends (`bot.leader`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import leader
from bot.health import Retry
from bot.leader import LEADER_LOCK
from bot.opening import Prepared, open_heads
from bot.outage import Outage
from bot.pacing import Bucket
from bot.recording import Marks, StaffNotices
from bot.runtime import AlongsideApp, Runtime, wait_any
from bot.sending import reason
from bot.topics import Topics
from bot.transport import last_answer
from conversations import outbox, shown
from conversations.outbox import Head, backoff
from conversations.store import STORE_ERRORS

__all__ = ["LEADER_LOCK", "Bucket", "Dispatcher", "backoff"]

log = logging.getLogger(__name__)

BURST = 3.0
CONCURRENCY = 16
ROUND = 32  # rows read (and decrypted) together before they are paced out
IDLE = 5.0  # seconds between looks when nothing is due and nothing woke the loop


class Dispatcher:
    def __init__(self, runtime: Runtime, app: AlongsideApp) -> None:
        self.runtime = runtime
        self.app = app
        self.store = runtime.store
        settings = runtime.settings
        self.global_bucket = Bucket(settings.send_rate, max(settings.send_rate, 1.0))
        self.chat_buckets: dict[str, Bucket] = {}
        self.in_flight: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(CONCURRENCY)
        self.sent = 0
        self.marks = Marks(runtime)
        self.outage = Outage(runtime, app)
        self.notices = StaffNotices(runtime)
        self.topics = Topics(runtime, app.bot)
        # Whether, at the last look, each chat had more queued behind its head. A send that
        # went through in a chat with nothing behind it need not wake the loop: anything queued
        # since woke it already. A look still reading may have read before the send was marked,
        # so a send that ends during one always wakes the loop.
        self.followed: dict[str, bool] = {}
        self.looking = False
        # Sends finished so far, and the count at each chat's latest: a look that began before
        # a chat's send finished may hold that chat's old head (sent, dead, or put off), so it
        # leaves that chat to the next look.
        self.finishes = 0
        self.finished_at: dict[str, int] = {}

    def _chat_bucket(self, chat_index: str) -> Bucket:
        bucket = self.chat_buckets.get(chat_index)
        if bucket is None:
            bucket = self.chat_buckets[chat_index] = Bucket(self.runtime.settings.chat_rate, BURST)
        return bucket

    async def heads(self) -> tuple[list[Head], float]:
        """The sendable head of each chat's queue, and how long until the next may be due."""
        now = self.store.clock.now()
        began = self.finishes
        self.looking = True
        try:
            rows = await outbox.heads(self.store)
        finally:
            self.looking = False
        seen: set[str] = set()
        jobs: list[Head] = []
        wait = IDLE
        self.followed = {}
        for row in rows:
            chat_index = row.chat_index
            if chat_index in seen:
                continue
            seen.add(chat_index)
            self.followed[chat_index] = row.depth > 1
            if chat_index in self.in_flight or self.finished_at.get(chat_index, 0) > began:
                # (a send that finished during the look woke the loop to look again)
                continue
            if row.not_before > now:
                wait = min(wait, (row.not_before - now).total_seconds())
                continue
            chat_wait = self._chat_bucket(chat_index).wait_time()
            if chat_wait > 0:
                wait = min(wait, chat_wait)
                continue
            jobs.append(row)
        # Only a look that is still reading can be misled by these.
        self.finished_at = {chat: n for chat, n in self.finished_at.items() if n > began}
        return jobs, max(wait, 0.005)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until stopped; with PostgreSQL, only while this worker holds the lead.

        A store error (the database away, a full disk) is waited out with capped backoff, for
        as long as it lasts; a leader whose own connection died has lost its lock with it, so it
        stops sending and competes for the lock again like the others.
        """
        retry = Retry(self.runtime.health, "dispatcher")

        async def send(lost: asyncio.Event) -> None:
            await self._loop(stop, retry, lost)

        while not stop.is_set():
            if self.store.is_sqlite:
                await self._loop(stop, retry)
                continue
            try:
                await leader.lead(self.store, self.runtime.outbox_ready, send, stop, retry.worked)
            except STORE_ERRORS as exc:
                await wait_any(stop, stop, retry.failed(exc))
                continue
            await wait_any(stop, stop, 2.0)

    async def _loop(
        self, stop: asyncio.Event, retry: Retry, lost: asyncio.Event | None = None
    ) -> None:
        while not stop.is_set() and not (lost and lost.is_set()):
            try:
                await self._round(stop, retry)
            except STORE_ERRORS as exc:
                # What this round had read stays pending: the next round reads it again.
                await wait_any(lost or stop, stop, retry.failed(exc))
        await self.drain()

    async def _round(self, stop: asyncio.Event, retry: Retry) -> None:
        if not self.marks.ok.is_set():
            await wait_any(self.marks.ok, stop, IDLE)
            return
        if self.outage.started is not None:
            await self.outage.wait_out(stop)
            return
        self.runtime.outbox_ready.clear()
        jobs, wait = await self.heads()
        retry.worked()
        for start in range(0, len(jobs), ROUND):
            for job in jobs[start : start + ROUND]:
                self.in_flight.add(job.chat_index)
            prepared = await self._prepare(jobs[start : start + ROUND])
            for item in prepared:
                global_wait = self.global_bucket.wait_time()
                if global_wait > 0:
                    await asyncio.sleep(global_wait)
                self.global_bucket.take()
                self._chat_bucket(item.chat_index).take()
                await self.slots.acquire()
                task = asyncio.create_task(self._send_job(item))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
        # Look again when something is queued or a send finishes, not in a busy loop.
        await wait_any(self.runtime.outbox_ready, stop, wait)

    async def drain(self) -> None:
        """Let sends already handed to Telegram finish and be recorded (graceful shutdown)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=15)

    async def _prepare(self, jobs: list[Head]) -> list[Prepared]:
        """Open a round of heads; a head that can never be opened becomes a dead letter."""
        prepared: list[Prepared] = []
        try:
            prepared, unreadable = await open_heads(self.runtime, jobs)
        finally:
            ready = {item.id for item in prepared}
            for job in jobs:
                if job.id not in ready:
                    self.in_flight.discard(job.chat_index)
        for outbox_id, error in unreadable:
            await outbox.dead(self.store, outbox_id, f"unreadable:{error}", self.notices)
        return prepared

    async def _send_job(self, job: Prepared) -> None:
        sent = False
        try:
            sent = await self.send_one(job)
        except STORE_ERRORS as exc:
            # Not recorded as tried: it stays pending, and is looked at again once the store is.
            self.runtime.health.failed(exc, "dispatcher")
        except Exception:
            log.exception("outbox.send_crashed", extra={"outbox_id": job.id})
        finally:
            self.finishes += 1
            if self.looking:
                self.finished_at[job.chat_index] = self.finishes
            self.in_flight.discard(job.chat_index)
            self.slots.release()
            if not sent or self.looking or self.followed.get(job.chat_index, True):
                self.runtime.outbox_ready.set()

    async def send_one(self, job: Prepared) -> bool:
        """Hand one message to Telegram; True if it went (and its mark committed)."""
        message = job.message
        if message.kind == "clear":
            # Worked out at the last moment: the chat may have grown since the row was read.
            message.extra["ids"] = await shown.deletable(self.store, job.chat_index, job.child_id)
        outbox_id = job.id
        # The database is not held while Telegram answers.
        started = time.monotonic()
        # This task's context may carry an answer from a call made before it was created.
        last_answer.set(None)
        try:
            # In the young person's topic of a staff member's chat, where it has one.
            sent = await self.topics.send(job)
        except RetryAfter as exc:
            await outbox.retry_later(
                self.store, outbox_id, _seconds(exc.retry_after), "retry_after", count=False
            )
            return False
        except Forbidden:
            await outbox.blocked(self.store, outbox_id, self.notices)
            return False
        except BadRequest as exc:
            await outbox.dead(self.store, outbox_id, f"bad_request:{reason(exc)}", self.notices)
            return False
        except Exception as exc:
            answer = last_answer.get()
            if answer is None or not answer.accepted:
                # Not known to have gone (a timeout, a dropped connection, a 5xx, an error of
                # ours). Telegram down is an outage to wait out; otherwise a counted try.
                error = type(exc).__name__
                if isinstance(exc, TimedOut | NetworkError):
                    if not await self.outage.telegram_up():
                        self.outage.begin(error)
                        await outbox.retry_later(self.store, outbox_id, 0, error, count=False)
                        return False
                else:
                    log.warning("outbox.send_error", extra={"outbox_id": outbox_id, "error": error})
                    error = f"error:{error}"
                settings = self.runtime.settings
                give_up = outbox.GiveUp(settings.max_attempts, settings.give_up)
                await outbox.failed_try(self.store, outbox_id, error, self.notices, give_up)
                return False
            # Telegram accepted it and the answer could not be read: it went, never again.
            log.warning(
                "outbox.unreadable_answer",
                extra={"outbox_id": outbox_id, "error": type(exc).__name__},
            )
            sent = answer.message_id()
        await self.marks.sent(job, sent)
        self.sent += 1
        log.debug(
            "outbox.sent",
            extra={"outbox_id": outbox_id, "ms": round((time.monotonic() - started) * 1000)},
        )
        return True


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]
