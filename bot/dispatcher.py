"""The outbox dispatcher: sends queued messages in order per chat, within Telegram's limits.

* Order: only the oldest pending message of a chat may be sent, and one at a time per chat.
* Pace: a global token bucket (``ALONGSIDE_SEND_RATE``, 30/s) and one per chat
  (``ALONGSIDE_CHAT_RATE``, 1/s with a burst of 3, as Telegram tolerates short bursts).
* Failures: ``RetryAfter`` waits as told (for that chat only: one slow chat must not stall the
  rest). A network error or a 5xx is first put to Telegram itself (``getMe``): if that fails too,
  Telegram is down, and sending pauses, looking again with capped backoff (2 s ... 60 s), for
  hours if need be, without spending any message's tries; supervisors hear once, when it is over.
  If Telegram answers, the failure is about that message: a counted try with backoff (up to 5
  minutes), and a dead letter (supervisors told) only after ``ALONGSIDE_MAX_ATTEMPTS`` tries and
  ``ALONGSIDE_GIVE_UP_HOURS``; a permanent refusal is one at once. A chat that blocked the bot is
  marked unreachable and whoever looks after it is told.
* Crash safety: a message is marked sent in the database right after Telegram accepts it, and its
  chat sends nothing more until that mark has committed; a kill between the two is the only way a
  message can go twice (one per chat with a send in flight). A mark that cannot commit (a full
  disk, the database away) pauses all sending and is retried until it does: never a resend.
  Marks that arrive together commit together (one transaction for many chats), which keeps the
  writer free for incoming updates.
* The database away: each look at the outbox that fails is tried again after 1 s ... 30 s, for
  as long as it takes (`bot.health`). On PostgreSQL the sending worker watches its own
  connection, which holds the lock: when it dies, the server has let the lock go, so this worker
  stops sending and competes for the lock again.
"""

from __future__ import annotations

import asyncio
import io
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

import segno
from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from telegram import (
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot import menus, metrics, notices
from bot.alerting import live_card
from bot.health import Retry, describe_store_error
from bot.runtime import AlongsideApp, Runtime, wait_any
from bot.transport import last_answer
from conversations import people, relay
from conversations.errors import ConfigurationError, SealError
from conversations.models import WIPED, Child, OutboxMessage, Staff
from conversations.models import Message as StoredMessage
from conversations.outgoing import Outgoing
from conversations.store import STORE_ERRORS, UnitOfWork

log = logging.getLogger(__name__)

BURST = 3.0
LEADER_LOCK = 0x416C6F6F  # the PostgreSQL advisory lock the sending worker holds
NOTIFY_CHANNEL = "alongside_outbox"
DELETE_WINDOW = timedelta(hours=47, minutes=50)
# Ids one "Clear chat" asks Telegram to delete at most (100 a call): two days of a busy chat.
CLEAR_LIMIT = 2000
CONCURRENCY = 16
BATCH = 500
ROUND = 32  # rows read (and decrypted) together before they are paced out
IDLE = 5.0  # seconds between looks when nothing is due and nothing woke the loop
OUTAGE_CAP = 60.0  # seconds between looks at Telegram while it is down
MARK_RETRY_CAP = 10.0  # seconds between tries of a mark that cannot commit
LEAD_CHECK = 5.0  # seconds between looks at the leader's own connection


class Bucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens -= 1


@dataclass(frozen=True)
class Job:
    """A head of queue as read, still sealed."""

    id: int
    uid: str
    chat_index: str
    chat_sealed: bytes
    payload_sealed: bytes
    purpose: str
    created_at: datetime
    message_id: str | None
    child_id: str | None
    reply_to_message_id: str | None
    staff_id: str | None = None
    alert_id: str | None = None


def _heads_query() -> Select[*tuple[Any, ...]]:
    """Each chat's next message, whole, with how deep that chat's queue is: one row per chat
    however deep the backlog, so a finished send knows whether one follows. The next message
    is the oldest of the safety lane if there is one, else the oldest: safety overtakes what is
    routine, and each lane keeps its own order. Built once: the same statement every time."""
    ranked = (
        select(
            OutboxMessage.id.label("id"),
            func.row_number()
            .over(
                partition_by=OutboxMessage.chat_index,
                order_by=(OutboxMessage.lane, OutboxMessage.id),
            )
            .label("place"),
            func.count(OutboxMessage.id).over(partition_by=OutboxMessage.chat_index).label("depth"),
        )
        .where(OutboxMessage.status == "pending")
        .subquery()
    )
    return (
        select(
            OutboxMessage.id,
            OutboxMessage.uid,
            OutboxMessage.chat_index,
            OutboxMessage.chat_sealed,
            OutboxMessage.payload_sealed,
            OutboxMessage.purpose,
            OutboxMessage.created_at,
            OutboxMessage.message_id,
            OutboxMessage.child_id,
            OutboxMessage.reply_to_message_id,
            OutboxMessage.staff_id,
            OutboxMessage.alert_id,
            OutboxMessage.not_before,
            ranked.c.depth,
        )
        .join(ranked, OutboxMessage.id == ranked.c.id)
        .where(ranked.c.place == 1)
        .order_by(OutboxMessage.lane, OutboxMessage.id)
        .limit(BATCH)
    )


HEADS = _heads_query()


@dataclass
class Prepared:
    """A head of queue, read and opened, ready to hand to Telegram."""

    id: int
    chat_index: str
    chat_id: int
    message: Outgoing
    reply_to: int | None
    purpose: str
    created_at: datetime
    message_id: str | None
    child_id: str | None


@dataclass
class _Mark:
    job: Prepared
    tg_message_id: int | None
    done: asyncio.Future[None]


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
        self.marks: list[_Mark] = []
        self.marking: asyncio.Task[None] | None = None
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
        # A Telegram outage being waited out: since when (monotonic, and as the clock says),
        # how many looks it has failed, and when to look next.
        self.outage_started: float | None = None
        self.outage_since: datetime | None = None
        self.outage_level = 0
        self.resume_at = 0.0
        self.probe: asyncio.Task[bool] | None = None
        self.probed_at = 0.0
        # Set while a sent message's mark cannot commit: nothing more goes until it does.
        self.marks_ok = asyncio.Event()
        self.marks_ok.set()

    def _chat_bucket(self, chat_index: str) -> Bucket:
        bucket = self.chat_buckets.get(chat_index)
        if bucket is None:
            bucket = self.chat_buckets[chat_index] = Bucket(self.runtime.settings.chat_rate, BURST)
        return bucket

    async def heads(self) -> tuple[list[Job], float]:
        """The sendable head of each chat's queue, and how long until the next may be due."""
        now = self.store.clock.now()
        began = self.finishes
        self.looking = True
        try:
            async with self.store.sessions() as session:
                rows = (await session.execute(HEADS)).all()
        finally:
            self.looking = False
        seen: set[str] = set()
        jobs: list[Job] = []
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
            jobs.append(
                Job(
                    row.id,
                    row.uid,
                    chat_index,
                    row.chat_sealed,
                    row.payload_sealed,
                    row.purpose,
                    row.created_at,
                    row.message_id,
                    row.child_id,
                    row.reply_to_message_id,
                    row.staff_id,
                    row.alert_id,
                )
            )
        # Only a look that is still reading can be misled by these.
        self.finished_at = {chat: n for chat, n in self.finished_at.items() if n > began}
        return jobs, max(wait, 0.005)

    async def run(self, stop: asyncio.Event) -> None:
        """Send until stopped. With PostgreSQL only the worker holding the lock sends, so
        Telegram's global limit holds across workers; the others wait to take over.

        A store error (the database away, a full disk) is waited out with capped backoff, for
        as long as it lasts; a leader whose own connection died has lost its lock with it, so it
        stops sending and competes for the lock again like the others.
        """
        retry = Retry(self.runtime.health, "dispatcher")
        while not stop.is_set():
            if self.store.is_sqlite:
                await self._loop(stop, retry)
                continue
            try:
                await self._lead(stop, retry)
            except STORE_ERRORS as exc:
                await wait_any(stop, stop, retry.failed(exc))
                continue
            await wait_any(stop, stop, 2.0)

    async def _lead(self, stop: asyncio.Event, retry: Retry) -> None:
        """Take the lead if no worker has it, and send until stopped or the lead is lost."""
        async with self.store.engine.connect() as conn:
            # Autocommit: the lock belongs to the session, and no transaction stays open.
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            held = (await conn.execute(select(func.pg_try_advisory_lock(LEADER_LOCK)))).scalar()
            retry.worked()
            if not held:
                return
            try:
                await self._send_as_leader(conn, stop, retry)
            except BaseException:
                # Whatever went wrong, the lock must not stay behind in a pooled connection.
                await conn.invalidate()
                raise

    async def _send_as_leader(
        self, conn: AsyncConnection, stop: asyncio.Event, retry: Retry
    ) -> None:
        lost = asyncio.Event()
        driver: Any = (await conn.get_raw_connection()).driver_connection

        def gone(*_: object) -> None:
            lost.set()
            self.runtime.outbox_ready.set()

        driver.add_termination_listener(gone)
        listener = await _listen(conn, self.runtime.outbox_ready)
        watch = asyncio.create_task(_watch_lead(conn, lost, stop))
        metrics.LEADER.set(1)
        try:
            await self._loop(stop, retry, lost)
        finally:
            metrics.LEADER.set(0)
            dropped = lost.is_set()
            lost.set()
            await watch
        if dropped:
            # The server let the lock go with the session; this one is of no more use.
            log.warning("outbox.lead_lost")
            await conn.invalidate()
            return
        driver.remove_termination_listener(gone)
        await listener()
        await conn.execute(select(func.pg_advisory_unlock(LEADER_LOCK)))

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
        if not self.marks_ok.is_set():
            await wait_any(self.marks_ok, stop, IDLE)
            return
        if self.outage_started is not None:
            await self._wait_out(stop)
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

    async def _prepare(self, jobs: list[Job]) -> list[Prepared]:
        """Open a round of heads (in one read-only unit, should a key or a reply target need
        reading); a head that can never be opened becomes a dead letter."""
        if not jobs:
            return []
        prepared: list[Prepared] = []
        unreadable: list[tuple[int, str]] = []
        try:
            async with self.store.unit(read_only=True) as uow:
                for job in jobs:
                    try:
                        chat_id = int(await uow.open(job.chat_sealed, "outbox", "chat", job.uid))
                        message = Outgoing.from_json(
                            await uow.open_json(job.payload_sealed, "outbox", "payload", job.uid)
                        )
                    except (SealError, ConfigurationError) as exc:
                        # Its child was erased as it was read (the row is gone with the key),
                        # or it was damaged: then it can never go, and supervisors hear so.
                        unreadable.append((job.id, type(exc).__name__))
                        continue
                    if message.kind == "card" and job.alert_id is not None:
                        message = await self._live_card(uow, job, message)
                    reply_to = (
                        None
                        if job.reply_to_message_id is None
                        else await self._reply_target(
                            uow.session, job.chat_index, job.reply_to_message_id
                        )
                    )
                    prepared.append(
                        Prepared(
                            job.id,
                            job.chat_index,
                            chat_id,
                            message,
                            reply_to,
                            job.purpose,
                            job.created_at,
                            job.message_id,
                            job.child_id,
                        )
                    )
        finally:
            ready = {item.id for item in prepared}
            for job in jobs:
                if job.id not in ready:
                    self.in_flight.discard(job.chat_index)
        for outbox_id, error in unreadable:
            await self._dead(outbox_id, f"unreadable:{error}")
        return prepared

    async def _live_card(self, uow: UnitOfWork, job: Job, message: Outgoing) -> Outgoing:
        """An alert card rendered as the alert stands now, and where the card it replaces is
        shown in this chat (sent anew if it never arrived)."""
        assert job.alert_id is not None
        card = await live_card(self.runtime, uow, job.alert_id, job.staff_id)
        if card is None:
            return replace(message, kind="text", text="")
        shown = (
            (
                await uow.session.execute(
                    select(OutboxMessage.tg_message_id)
                    .where(
                        OutboxMessage.alert_id == job.alert_id,
                        OutboxMessage.chat_index == job.chat_index,
                        OutboxMessage.tg_message_id.is_not(None),
                    )
                    .order_by(OutboxMessage.id.desc())
                )
            )
            .scalars()
            .first()
        )
        return replace(card, kind="card", extra={"edit": shown})

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
            async with self.store.sessions() as session:
                message.extra["ids"] = await self._deletable(session, job.chat_index, job.child_id)
        outbox_id = job.id
        # The database is not held while Telegram answers.
        started = time.monotonic()
        # This task's context may carry an answer from a call made before it was created.
        last_answer.set(None)
        try:
            sent = await self._deliver(job.chat_id, message, job.reply_to)
        except RetryAfter as exc:
            await self._retry(outbox_id, _seconds(exc.retry_after), "retry_after", count=False)
            return False
        except Forbidden:
            await self._blocked(outbox_id)
            return False
        except BadRequest as exc:
            await self._dead(outbox_id, f"bad_request:{_reason(exc)}")
            return False
        except Exception as exc:
            answer = last_answer.get()
            if answer is None or not answer.accepted:
                # Not known to have gone (a timeout, a dropped connection, a 5xx, an error of
                # ours). Telegram down is an outage to wait out; otherwise a counted try.
                error = type(exc).__name__
                if isinstance(exc, TimedOut | NetworkError):
                    if not await self._telegram_up():
                        await self._outage(outbox_id, error)
                        return False
                else:
                    log.warning("outbox.send_error", extra={"outbox_id": outbox_id, "error": error})
                    error = f"error:{error}"
                await self._failed_try(outbox_id, error)
                return False
            # Telegram accepted it and the answer could not be read: it went, never again.
            log.warning(
                "outbox.unreadable_answer",
                extra={"outbox_id": outbox_id, "error": type(exc).__name__},
            )
            sent = answer.message_id()
        await self._sent(job, sent)
        self.sent += 1
        log.debug(
            "outbox.sent",
            extra={"outbox_id": outbox_id, "ms": round((time.monotonic() - started) * 1000)},
        )
        return True

    async def _telegram_up(self) -> bool:
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

    async def _outage(self, outbox_id: int, error: str) -> None:
        """A send failed because Telegram is down: keep the message as it is and pause."""
        now = time.monotonic()
        if self.outage_started is None:
            self.outage_started, self.outage_since = now, self.store.clock.now()
            self.outage_level = 0
            metrics.TELEGRAM_DOWN.set(1)
            metrics.TELEGRAM_OUTAGES.inc()
            log.warning("outbox.outage_started", extra={"error": error})
        if now >= self.resume_at:
            self.outage_level += 1
            self.resume_at = now + min(OUTAGE_CAP, 2.0**self.outage_level)
        await self._retry(outbox_id, 0, error, count=False)

    async def _wait_out(self, stop: asyncio.Event) -> None:
        """Look at Telegram with capped backoff until it answers, then go on sending."""
        while not stop.is_set():
            delay = self.resume_at - time.monotonic()
            if delay > 0:
                await wait_any(stop, stop, delay)
                continue
            if await self._telegram_up():
                await self._outage_over()
                return
            self.outage_level += 1
            self.resume_at = time.monotonic() + min(OUTAGE_CAP, 2.0**self.outage_level)

    async def _outage_over(self) -> None:
        started, since = self.outage_started, self.outage_since
        self.outage_started = self.outage_since = None
        self.outage_level = 0
        self.resume_at = 0.0
        metrics.TELEGRAM_DOWN.set(0)
        lasted = 0.0 if started is None else time.monotonic() - started
        log.warning("outbox.outage_over", extra={"ms": round(lasted * 1000)})
        if lasted < self.runtime.settings.outage_notice.total_seconds() or since is None:
            return
        async with self.store.unit() as uow:
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

    async def _reply_target(
        self, session: AsyncSession, chat_index: str, reply_to: str
    ) -> int | None:
        """Where the message we answer was shown in this chat, if anywhere."""
        shown = (
            (
                await session.execute(
                    select(OutboxMessage.tg_message_id)
                    .where(
                        OutboxMessage.message_id == reply_to,
                        OutboxMessage.chat_index == chat_index,
                        OutboxMessage.tg_message_id.is_not(None),
                    )
                    .order_by(OutboxMessage.id)
                )
            )
            .scalars()
            .first()
        )
        if shown is not None:
            return int(shown)
        own = await session.get(StoredMessage, reply_to)
        return None if own is None or own.direction != "in" else own.tg_message_id

    async def _deletable(
        self, session: AsyncSession, chat_index: str, child_id: str | None
    ) -> list[int]:
        """Every message in this chat, either side's, Telegram still lets a bot delete (48
        hours)."""
        since = self.store.clock.now() - DELETE_WINDOW
        ours = (
            (
                await session.execute(
                    select(OutboxMessage.tg_message_id).where(
                        OutboxMessage.chat_index == chat_index,
                        OutboxMessage.status == "sent",
                        OutboxMessage.sent_at > since,
                        OutboxMessage.tg_message_id.is_not(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        theirs: list[int | None] = []
        if child_id is not None:
            theirs = list(
                (
                    await session.execute(
                        select(StoredMessage.tg_message_id).where(
                            StoredMessage.child_id == child_id,
                            StoredMessage.direction == "in",
                            StoredMessage.created_at > since,
                            StoredMessage.tg_message_id.is_not(None),
                        )
                    )
                )
                .scalars()
                .all()
            )
        known = {int(i) for i in [*ours, *theirs] if i is not None}
        if not known:
            return []
        # A private chat numbers both sides' messages one after another, so everything between
        # the first we know of and the last is this chat's too: the young person's button
        # presses, commands and codes, which are never stored. The one just before the first
        # is theirs when it was what we answered; any that cannot go are skipped by Telegram.
        first, last = min(known), max(known)
        return list(range(max(first - 1, 1, last - CLEAR_LIMIT + 1), last + 1))

    async def _deliver(self, chat_id: int, message: Outgoing, reply_to: int | None) -> int | None:
        """Send one message; returns its id in the chat (None for deletions)."""
        sent = await self._send(chat_id, message, reply_to)
        return sent.message_id if isinstance(sent, Message) else None

    async def _send(self, chat_id: int, message: Outgoing, reply_to: int | None) -> Message | bool:
        bot = self.app.bot
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None
        if message.buttons:
            markup = InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
                    for row in message.buttons
                ]
            )
        elif message.keyboard is not None:
            markup = ReplyKeyboardMarkup(
                [list(row) for row in message.keyboard], resize_keyboard=True, is_persistent=True
            )
        reply = (
            None
            if reply_to is None
            else ReplyParameters(reply_to, allow_sending_without_reply=True)
        )
        protect = message.protect or None
        kind = message.kind
        caption = message.text or None
        file_id = message.file_id or ""
        if kind == "clear":
            ids = sorted({*message.extra.get("ids", []), *message.extra.get("also", [])})
            for start in range(0, len(ids), 100):
                try:
                    await bot.delete_messages(chat_id, ids[start : start + 100])
                except BadRequest:
                    # Some were already gone or too old: the rest are still worth removing.
                    log.info("outbox.clear_partial", extra={"count": len(ids)})
            return True
        if kind == "commands":
            try:
                await bot.set_my_commands(
                    menus.bot_commands(message), scope=BotCommandScopeChat(chat_id)
                )
            except BadRequest as exc:
                # A menu is a convenience: not worth a dead letter and a supervisor's time.
                log.info("outbox.menu_not_set", extra={"error": _reason(exc)})
            return True
        if kind == "text" and not message.text:
            return True  # a card whose alert is gone: nothing left to show
        if kind == "text":
            quotes = [
                MessageEntity(MessageEntity.BLOCKQUOTE, offset, length)
                for offset, length in message.quote_spans()
            ]
            return await bot.send_message(
                chat_id,
                message.text,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
                entities=quotes or None,
            )
        if kind == "card":
            return await self._card(chat_id, message, markup)
        if kind == "qr":
            png = io.BytesIO()
            segno.make(message.extra["link"], error="m").save(png, kind="png", scale=8)
            return await bot.send_photo(
                chat_id,
                InputFile(png.getvalue(), filename="invite.png"),
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "photo":
            return await bot.send_photo(
                chat_id,
                file_id,
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "voice":
            return await bot.send_voice(
                chat_id,
                file_id,
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "video":
            return await bot.send_video(
                chat_id,
                file_id,
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "document":
            return await bot.send_document(
                chat_id,
                file_id,
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "audio":
            return await bot.send_audio(
                chat_id,
                file_id,
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "animation":
            return await bot.send_animation(
                chat_id,
                file_id,
                caption=caption,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "sticker":
            return await bot.send_sticker(
                chat_id,
                file_id,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        if kind == "video_note":
            return await bot.send_video_note(
                chat_id,
                file_id,
                reply_markup=markup,
                protect_content=protect,
                reply_parameters=reply,
            )
        raise BadRequest(f"unknown kind {kind}")

    async def _card(
        self,
        chat_id: int,
        message: Outgoing,
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None,
    ) -> Message | bool:
        """Bring an alert card up to date where it is shown; send it anew where it is not."""
        bot = self.app.bot
        shown = message.extra.get("edit")
        inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
        if isinstance(shown, int):
            try:
                return await bot.edit_message_text(
                    message.text, chat_id=chat_id, message_id=shown, reply_markup=inline
                )
            except BadRequest as exc:
                if "not modified" in exc.message.lower():
                    return True
                log.info("outbox.card_not_edited", extra={"error": _reason(exc)})
        return await bot.send_message(chat_id, message.text, reply_markup=inline)

    async def _sent(self, job: Prepared, tg_message_id: int | None) -> None:
        """Record a send; returns once the mark has committed (with whatever else was ready)."""
        mark = _Mark(job, tg_message_id, asyncio.get_running_loop().create_future())
        self.marks.append(mark)
        if self.marking is None or self.marking.done():
            self.marking = asyncio.create_task(self._write_marks())
        await mark.done

    async def _write_marks(self) -> None:
        while self.marks:
            batch, self.marks = self.marks, []
            tries = 0
            while True:
                try:
                    await self._commit_marks(batch)
                    break
                except Exception as exc:
                    # Sent but not recorded: sending again would send it twice. Nothing more
                    # goes until the record holds (a full disk freed, the database back).
                    if tries == 0:
                        self.marks_ok.clear()
                        metrics.MARKS_FAILING.set(1)
                        log.error(
                            "outbox.mark_failed",
                            extra={"count": len(batch), "error": describe_store_error(exc)},
                        )
                        self.runtime.health.failed(exc, "dispatcher")
                    tries += 1
                    await asyncio.sleep(min(MARK_RETRY_CAP, 0.25 * 2**tries))
                    # Later marks join this batch: one commit for all once it works.
                    batch, self.marks = batch + self.marks, []
            if tries:
                log.warning("outbox.mark_recovered", extra={"count": len(batch), "attempts": tries})
                self.runtime.health.answered()
                metrics.MARKS_FAILING.set(0)
                self.marks_ok.set()
            for mark in batch:
                mark.done.set_result(None)

    async def _commit_marks(self, batch: list[_Mark]) -> None:
        table = cast(Table, OutboxMessage.__table__)
        async with self.store.unit() as uow:
            now = uow.now
            await uow.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    status="sent",
                    sent_at=now,
                    tg_message_id=bindparam("b_tg"),
                    chat_sealed=WIPED,
                    payload_sealed=WIPED,
                    attempts=table.c.attempts + 1,
                    last_error=None,
                ),
                [{"b_id": m.job.id, "b_tg": m.tg_message_id} for m in batch],
            )
            # Where an advocate's answer shows in the child's chat, for replies to it later.
            replies = [
                {"b_id": m.job.message_id, "b_tg": m.tg_message_id}
                for m in batch
                if m.job.purpose == "reply" and m.job.message_id and m.tg_message_id
            ]
            if replies:
                messages = cast(Table, StoredMessage.__table__)
                await uow.session.execute(
                    update(messages)
                    .where(messages.c.id == bindparam("b_id"), messages.c.tg_message_id.is_(None))
                    .values(tg_message_id=bindparam("b_tg")),
                    replies,
                )
            await uow.commit()
        for mark in batch:
            metrics.SEND_LATENCY.observe(max((now - mark.job.created_at).total_seconds(), 0))

    async def _retry(self, outbox_id: int, delay: float, error: str, *, count: bool) -> None:
        async with self.store.unit() as uow:
            row = await uow.session.get(OutboxMessage, outbox_id)
            if row is None:
                return
            if count:
                row.attempts += 1
            row.last_error = error
            row.not_before = uow.now + timedelta(seconds=delay)
            await uow.commit()

    async def _failed_try(self, outbox_id: int, error: str) -> None:
        settings = self.runtime.settings
        async with self.store.sessions() as session:
            row = await session.get(OutboxMessage, outbox_id)
            if row is None:
                return
            attempts, age = row.attempts, self.store.clock.now() - row.created_at
        if attempts + 1 >= settings.max_attempts and age >= settings.give_up:
            await self._dead(outbox_id, error, count=True)
            return
        await self._retry(outbox_id, backoff(attempts), error, count=True)

    async def _dead(self, outbox_id: int, error: str, *, count: bool = False) -> None:
        async with self.store.unit() as uow:
            row = await uow.session.get(OutboxMessage, outbox_id)
            if row is None:
                return
            row.status = "dead"
            row.chat_sealed = row.payload_sealed = WIPED
            row.last_error = error[:120]
            if count:
                row.attempts += 1
            await uow.audit("system", "outbox.dead", str(outbox_id), row.purpose)
            log.error("outbox.dead_letter", extra={"outbox_id": outbox_id, "error": error[:60]})
            if row.purpose != "system":
                # Dead letters about dead letters would loop; supervisors hear of the first.
                ref = None
                if row.child_id is not None:
                    child = await uow.session.get(Child, row.child_id)
                    ref = child.ref if child else None
                for supervisor in await people.supervisors(uow):
                    tr = self.runtime.tr(supervisor.locale)
                    await uow.send(
                        supervisor.telegram_id,
                        notices.dead_letter(tr, ref, row.purpose, row.attempts),
                        purpose="system",
                        staff_id=supervisor.id,
                    )
            await uow.commit()

    async def _blocked(self, outbox_id: int) -> None:
        """A chat that blocked the bot: stop trying, and tell the humans (it may be a signal)."""
        async with self.store.unit() as uow:
            row = await uow.session.get(OutboxMessage, outbox_id)
            if row is None:
                return
            row.status = "dead"
            row.chat_sealed = row.payload_sealed = WIPED
            row.last_error = "blocked"
            chat_index = row.chat_index
            child = (
                await uow.session.execute(select(Child).where(Child.tg_index == chat_index))
            ).scalar_one_or_none()
            staff = (
                await uow.session.execute(select(Staff).where(Staff.tg_index == chat_index))
            ).scalar_one_or_none()
            if child is not None and await relay.mark_unreachable(uow, child.id):
                view = await people.child_view(uow, child)
                watchers = await people.supervisors(uow)
                advocate = child.advocate_id and await people.get_staff(uow, child.advocate_id)
                if advocate:
                    watchers = [advocate, *[w for w in watchers if w.id != advocate.id]]
                for person in watchers:
                    await uow.send(
                        person.telegram_id,
                        notices.child_unreachable(self.runtime.tr(person.locale), view),
                        purpose="system",
                        staff_id=person.id,
                    )
            if staff is not None and not staff.unreachable:
                staff.unreachable = True
                await uow.audit("system", "staff.unreachable", staff.id)
            await uow.commit()


def backoff(attempts: int) -> float:
    """Exponential with full jitter, capped: 0.5 s, 1 s, 2 s ... up to 5 minutes."""
    ceiling = min(300.0, 0.5 * (2**attempts))
    return random.uniform(ceiling / 2, ceiling)


def _seconds(value: object) -> float:
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


def _reason(exc: BadRequest) -> str:
    return exc.message.split(":")[-1].strip().replace(" ", "_")[:60]


async def _watch_lead(conn: AsyncConnection, lost: asyncio.Event, stop: asyncio.Event) -> None:
    """Look at the leader's connection now and then: one the server dropped without a word (a
    network that went away) has lost the lock too, and another worker may be sending."""
    while True:
        await wait_any(lost, stop, LEAD_CHECK)
        if lost.is_set() or stop.is_set():
            return
        try:
            async with asyncio.timeout(LEAD_CHECK):
                await conn.execute(select(1))
        except STORE_ERRORS:
            lost.set()
            return


async def _listen(conn: AsyncConnection, ready: asyncio.Event) -> Callable[[], Awaitable[None]]:
    """Wake the sender when any worker commits new outbox rows (NOTIFY in the same commit)."""
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection

    def wake(*_: object) -> None:
        ready.set()

    await driver.add_listener(NOTIFY_CHANNEL, wake)

    async def stop() -> None:
        await driver.remove_listener(NOTIFY_CHANNEL, wake)

    return stop
