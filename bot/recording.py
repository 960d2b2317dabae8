"""What a send leaves behind: its mark, committed before its chat sends more, and the words
for whoever must hear of one that could not go.

A message is marked sent in the database right after Telegram accepts it; a kill between the
two is the only way a message can go twice (one per chat with a send in flight). A mark that
cannot commit (a full disk, the database away) pauses all sending and is retried until it does:
never a resend. Marks that arrive together commit together (one transaction for many chats),
which keeps the writer free for incoming updates.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot import metrics, notices
from bot.health import describe_store_error
from bot.opening import Prepared
from bot.runtime import Runtime
from conversations import outbox
from conversations.outgoing import Outgoing
from conversations.people import ChildView

log = logging.getLogger(__name__)

MARK_RETRY_CAP = 10.0  # seconds between tries of a mark that cannot commit


class StaffNotices:
    """`conversations.outbox.Notices` in each reader's language."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def dead_letter(self, locale: str, ref: str | None, purpose: str, attempts: int) -> Outgoing:
        return notices.dead_letter(self.runtime.tr(locale), ref, purpose, attempts)

    def child_unreachable(self, locale: str, child: ChildView) -> Outgoing:
        return notices.child_unreachable(self.runtime.tr(locale), child)


@dataclass
class _Mark:
    job: Prepared
    tg_message_id: int | None
    done: asyncio.Future[None]


class Marks:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.pending: list[_Mark] = []
        self.writing: asyncio.Task[None] | None = None
        # Set while a sent message's mark cannot commit: nothing more goes until it does.
        self.ok = asyncio.Event()
        self.ok.set()

    async def sent(self, job: Prepared, tg_message_id: int | None) -> None:
        """Record a send; returns once the mark has committed (with whatever else was ready)."""
        mark = _Mark(job, tg_message_id, asyncio.get_running_loop().create_future())
        self.pending.append(mark)
        if self.writing is None or self.writing.done():
            self.writing = asyncio.create_task(self._write())
        await mark.done

    async def _write(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            tries = 0
            while True:
                try:
                    await self._commit(batch)
                    break
                except Exception as exc:
                    # Sent but not recorded: sending again would send it twice. Nothing more
                    # goes until the record holds (a full disk freed, the database back).
                    if tries == 0:
                        self.ok.clear()
                        metrics.MARKS_FAILING.set(1)
                        log.error(
                            "outbox.mark_failed",
                            extra={"count": len(batch), "error": describe_store_error(exc)},
                        )
                        self.runtime.health.failed(exc, "dispatcher")
                    tries += 1
                    await asyncio.sleep(min(MARK_RETRY_CAP, 0.25 * 2**tries))
                    # Later marks join this batch: one commit for all once it works.
                    batch, self.pending = batch + self.pending, []
            if tries:
                log.warning("outbox.mark_recovered", extra={"count": len(batch), "attempts": tries})
                self.runtime.health.answered()
                metrics.MARKS_FAILING.set(0)
                self.ok.set()
            for mark in batch:
                mark.done.set_result(None)

    async def _commit(self, batch: list[_Mark]) -> None:
        now = await outbox.mark_sent(
            self.runtime.store,
            [
                outbox.Sent(m.job.id, m.tg_message_id, m.job.purpose, m.job.message_id)
                for m in batch
            ],
        )
        for mark in batch:
            metrics.SEND_LATENCY.observe(max((now - mark.job.created_at).total_seconds(), 0))
