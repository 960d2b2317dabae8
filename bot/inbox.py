"""The inbox: every update is committed before Telegram is told it arrived, then handled once.

Polling moves the ``getUpdates`` offset past an update only after the update's row committed;
webhook mode answers 200 only after it. A crash can therefore only cause a redelivery, which the
primary key on ``update_id`` absorbs. Handling runs each update in one unit of work: the
handlers' changes, the messages they queue and the "done" mark commit together.

On SQLite one process does everything, so what it accepts is handed to its handler directly;
the store is read for pending updates only at start and after an update failed. There, too, the
first update of a polled batch is handled in the transaction that accepts the batch when nothing
older waits: its rows, its effects and its "done" mark commit together, before the offset moves
past it, one commit where there were two (`Inbox.accept_polled`).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from telegram import Update
from telegram.error import NetworkError, TimedOut
from telegram.warnings import PTBUserWarning

from bot.fallback import pass_on
from bot.health import Retry
from bot.runtime import AlongsideApp, Runtime, UpdateState, current, wait_any
from conversations import inbox as queue
from conversations.inbox import MAX_ATTEMPTS, PENDING_BATCH, Incoming
from conversations.store import STORE_ERRORS, UnitOfWork

__all__ = ["ALLOWED_UPDATES", "MAX_ATTEMPTS", "Inbox", "chat_of", "poll", "process_forever"]

log = logging.getLogger(__name__)
# We call getUpdates raw on purpose: a malformed update must reach our inbox, not fail parsing.
warnings.filterwarnings("ignore", message="Please use 'Bot.getUpdates'", category=PTBUserWarning)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]


def chat_of(raw: Mapping[str, Any]) -> int | None:
    """The private chat an update belongs to, read defensively from untrusted JSON."""
    for key in ("message", "edited_message", "my_chat_member"):
        part = raw.get(key)
        if isinstance(part, dict):
            chat = part.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
    query = raw.get("callback_query")
    if isinstance(query, dict):
        sender = query.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def _incoming(updates: Iterable[Mapping[str, Any]]) -> list[Incoming]:
    return [
        Incoming(raw["update_id"], chat_of(raw), raw)
        for raw in updates
        if isinstance(raw.get("update_id"), int)
    ]


class Inbox:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        # SQLite, one process: what this process accepted goes straight to its handler, not
        # by way of a read of what is pending. `caught_up` says whether every pending row is
        # in `fresh`: not at start (an earlier run may have left some), nor while an update
        # that failed waits to be tried again. An update leaves `fresh` once handled.
        self.fresh: list[tuple[int, bytes]] = []
        self.caught_up = False
        self.retrying = False
        # Updates whose first try, in the transaction that polled them, failed: the inbox loop
        # counts that try in their turn, as if it had made it (`_handle`).
        self.tried: dict[int, tuple[str, bool]] = {}
        # Held while a polled batch is accepted (and its first update handled): shutting down
        # waits for it rather than cancel work half done.
        self.polling = asyncio.Lock()

    async def accept(self, updates: Iterable[Mapping[str, Any]]) -> int:
        """Commit updates (duplicates ignored); returns how many were new."""
        incoming = _incoming(updates)
        async with self.store.unit() as uow:
            inserted = await queue.accept(uow, incoming)
            if not incoming:
                return 0
            await self._commit_accepted(uow, inserted)
        self.runtime.inbox_ready.set()
        return len(inserted)

    async def _commit_accepted(self, uow: UnitOfWork, inserted: dict[int, bytes]) -> None:
        await uow.commit()
        if self.store.is_sqlite:
            # Still holding the writer's lock: a read of what is pending, which takes it too,
            # sees these rows only once they are in `fresh` as well.
            self.fresh.extend(sorted(inserted.items()))

    async def accept_polled(self, app: AlongsideApp, updates: Iterable[Mapping[str, Any]]) -> None:
        """`accept` a batch from ``getUpdates``; on SQLite, when no update accepted before it
        waits, its first update is handled in the same transaction (one commit, not two).

        If handling it fails, all rolls back, the batch is accepted on its own, and the inbox
        loop counts the failed try in the update's turn, as it counts its own: the rest wait
        behind it as usual.
        """
        incoming = _incoming(updates)
        if not self.store.is_sqlite or not incoming:
            await self.accept(updates)
            return
        first = incoming[0].update_id
        async with self.store.unit() as uow:
            # Under the writer's lock: the inbox loop is not between taking an update and
            # handling it, and `fresh` holds every accepted update not yet handled.
            inline = self.caught_up and not self.fresh
            inserted = await queue.accept(uow, incoming, handling=first if inline else None)
            if not (inline and first in inserted):
                await self._commit_accepted(uow, inserted)
                self.runtime.inbox_ready.set()
                return
            try:
                failed = await self._handle_in(uow, app, first, incoming[0].raw, marked=True)
            except BaseException:
                # Committed or not, the rest of the batch is not in `fresh`: the store has the
                # last word on what is pending.
                self.caught_up = False
                raise
            if failed is None:
                self.fresh.extend(sorted(i for i in inserted.items() if i[0] != first))
                if self.fresh:
                    self.runtime.inbox_ready.set()
                return
        async with self.store.unit() as uow:
            inserted = await queue.accept(uow, incoming)
            await self._commit_accepted(uow, inserted)
            if first in inserted:
                self.tried[first] = failed
        self.runtime.inbox_ready.set()

    async def next_offset(self) -> int | None:
        return await queue.next_offset(self.store)

    async def pending(self) -> list[tuple[int, bytes | None]]:
        return await queue.pending(self.store)

    async def process_pending(self, app: AlongsideApp) -> int:
        """Handle pending updates until none is left that this worker may take."""
        if self.caught_up:
            try:
                return await self._process_fresh(app)
            except BaseException:
                # The batch taken from `fresh` is still pending in the store: read it there.
                self.caught_up = False
                raise
        self.retrying = False
        done = 0
        handled: set[int] = set()
        while batch := await self.pending():
            progressed = 0
            for update_id, payload in batch:
                progressed += await self._handle(app, update_id, payload)
                handled.add(update_id)
            done += progressed
            # A short batch was all there was: what arrives meanwhile sets `inbox_ready`.
            if not progressed or len(batch) < PENDING_BATCH:
                break
        # All that was pending was read; what was accepted since is in `fresh`.
        self.caught_up = self.store.is_sqlite and not self.retrying
        self.fresh = [item for item in self.fresh if item[0] not in handled]
        return done

    async def _process_fresh(self, app: AlongsideApp) -> int:
        done = 0
        while self.fresh and self.caught_up:
            update_id, payload = self.fresh[0]
            done += await self._handle(app, update_id, payload)
            if not self.caught_up:
                # One failed and waits to be tried again; the rest stay pending behind
                # it, to be read again from the store in order.
                break
            # Only now out of `fresh`: nothing polled after it is handled first.
            self.fresh.pop(0)
        return done

    async def _handle(self, app: AlongsideApp, update_id: int, payload: bytes | None) -> int:
        if (tried := self.tried.pop(update_id, None)) is not None:
            await self._failed(update_id, tried[0], final=tried[1])
            return 1
        return await self.process_one(app, update_id, payload)

    async def process_one(
        self, app: AlongsideApp, update_id: int, payload: bytes | None = None
    ) -> int:
        """Handle one update; 1 if this worker handled (or gave up on) it, else 0.

        With `payload` (SQLite's single process) the update is known to be pending and is not
        claimed again.
        """
        async with self.store.unit() as uow:
            if payload is None:
                payload = await queue.claim(uow, update_id)
                if payload is None:
                    return 0
            try:
                raw = await uow.open_json(payload, "inbox", "payload", str(update_id))
            except Exception as exc:
                # Damaged past opening: no later try reads it.
                failed: tuple[str, bool] | None = (type(exc).__name__, True)
            else:
                failed = await self._handle_in(uow, app, update_id, raw)
            if failed is None:
                return 1
        await self._failed(update_id, failed[0], final=failed[1])
        return 1

    async def _handle_in(
        self, uow: UnitOfWork, app: AlongsideApp, update_id: int, raw: Any, *, marked: bool = False
    ) -> tuple[str, bool] | None:
        """Run the handlers in `uow`, and commit it with the update marked done (already, if
        `marked`). None once committed; else the error's name, and whether no later try could
        do better."""
        state = UpdateState(uow)
        token = current.set(state)
        unreadable = False
        try:
            update = Update.de_json(raw, app.bot)
        except Exception as exc:
            # Forged or mangled past what the library can read: no later try reads it.
            state.error, unreadable = type(exc).__name__, True
        else:
            try:
                await app.process_update(update)
            except Exception as exc:  # a malformed update must not stop the queue
                state.error = type(exc).__name__
        finally:
            current.reset(token)
        if state.error is None:
            state.error = await (
                queue.commit_handled(uow) if marked else queue.mark_done(uow, update_id)
            )
        return None if state.error is None else (state.error, unreadable)

    async def _failed(self, update_id: int, error: str, *, final: bool = False) -> None:
        """Roll back the update's effects and count the try; after the last (or at once, when
        it is `final`), keep the update as a dead letter with its reason and pass its message
        on as it came, so that nothing a young person sends is dropped."""
        log.warning("inbox.update_failed", extra={"update_id": update_id, "error": error})
        failure = await queue.failed(
            self.store, update_id, error, **({"max_attempts": 1} if final else {})
        )
        if failure is None:
            return
        if not failure.final:
            self.caught_up = False
            self.retrying = True
            return
        try:
            async with self.store.unit(read_only=True) as uow:
                raw = await uow.open_json(failure.payload, "inbox", "payload", str(update_id))
        except Exception as exc:
            log.critical(
                "inbox.unreadable_dead_letter",
                extra={"update_id": update_id, "error": type(exc).__name__},
            )
            raw = {}
        await pass_on(self.runtime, update_id, raw, error[:60])


async def poll(runtime: Runtime, app: AlongsideApp, inbox: Inbox, stop: asyncio.Event) -> None:
    """Long-poll Telegram; the offset moves only past updates already committed.

    While the store refuses them (the database away, a full disk) the offset stays where it is,
    so Telegram keeps them and gives them again after the pause.
    """
    retry = Retry(runtime.health, "poll")
    offset: int | None = None
    while not stop.is_set():
        try:
            offset = await inbox.next_offset()
        except STORE_ERRORS as exc:
            await wait_any(stop, stop, retry.failed(exc))
            continue
        retry.worked()
        break
    backoff = 1.0
    while not stop.is_set():
        try:
            raw_updates = await app.bot.do_api_request(
                "getUpdates",
                api_kwargs={
                    "offset": offset,
                    "timeout": runtime.settings.poll_timeout,
                    "allowed_updates": ALLOWED_UPDATES,
                },
                read_timeout=runtime.settings.poll_timeout + 10,
            )
        except (NetworkError, TimedOut) as exc:
            log.warning("poll.error", extra={"error": type(exc).__name__})
            await wait_any(stop, stop, backoff)
            backoff = min(backoff * 2, 30.0)
            continue
        backoff = 1.0
        updates = [u for u in raw_updates or [] if isinstance(u, dict)]
        if not updates:
            continue
        try:
            async with inbox.polling:
                await inbox.accept_polled(app, updates)
        except STORE_ERRORS as exc:
            await wait_any(stop, stop, retry.failed(exc))
            continue
        retry.worked()
        ids = [u["update_id"] for u in updates if isinstance(u.get("update_id"), int)]
        if ids:
            offset = max(ids) + 1


async def process_forever(
    runtime: Runtime, app: AlongsideApp, inbox: Inbox, stop: asyncio.Event
) -> None:
    retry = Retry(runtime.health, "inbox")
    while not stop.is_set():
        runtime.inbox_ready.clear()
        try:
            await inbox.process_pending(app)
        except STORE_ERRORS as exc:
            # The store failed outside any one update (the database away, a full disk): the
            # updates stay pending and are read again after the pause, however long it lasts.
            await wait_any(stop, stop, retry.failed(exc))
            continue
        retry.worked()
        # Until more arrive; other workers' orphans and held-back updates are looked at again
        # soon, and a failed update is tried again after this pause.
        await wait_any(runtime.inbox_ready, stop, 1.0 if runtime.store.is_sqlite else 0.25)
