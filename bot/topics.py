"""One topic per young person in a staff member's chat with the bot (Bot API 9.3), at send time.

A queued message to a staff member about one young person (a relay, a correction, an alert card,
a notes prompt: any outbox row with both a staff member and a young person, going to that staff
member's own chat) goes into that young person's topic. The topic is made on first use, named
as the relay header names them (nickname · reference, nothing more), and kept in
`conversations.topics`. Telegram does not say when a topic is deleted: a send refused for its
topic forgets it, makes a new one, and sends again.

Topics in private chats are young and not always reliable, so every failure falls back to the
chat itself, where the headers and replies work as they always did: nothing depends on the
topic. A staff member whose chat refuses a topic is left in the chat itself for `PAUSE`, then
tried again. ``ALONGSIDE_TOPICS=off``, or a bot without topic mode (``getMe``), never tries.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.opening import Prepared
from bot.runtime import Runtime
from bot.sending import deliver, reason
from conversations import people
from conversations.people import ChildView

log = logging.getLogger(__name__)

PAUSE = 3600.0  # seconds a staff member's chat is left without topics after one was refused
RECHECK = 600.0  # seconds between asking getMe again while the bot has no topic mode
NAME_LIMIT = 128
# Kinds that show a message; deletions, menus and invite codes stay in the chat itself.
SHOWN = frozenset(
    {"text", "card", "photo", "voice", "video", "document", "audio", "animation", "sticker"}
)
# What Telegram says when a topic is gone or cannot take messages.
GONE = ("thread not found", "topic_deleted", "topic_closed", "topic_id_invalid", "not a forum")


@dataclass(frozen=True)
class Place:
    """Where a message goes: this topic of a staff member's chat, made for this young person."""

    staff_id: str
    child_id: str
    thread: int


def topic_name(child: ChildView) -> str:
    """What the staff member's phone shows for the topic: what the relay header shows."""
    return f"{child.nickname} · {child.ref}"[:NAME_LIMIT]


def gone(exc: BadRequest) -> bool:
    message = exc.message.lower()
    return any(words in message for words in GONE)


class Topics:
    def __init__(self, runtime: Runtime, bot: Bot) -> None:
        self.runtime = runtime
        self.bot = bot
        self.on = runtime.settings.topics
        self.paused: dict[str, float] = {}  # staff id -> when to try topics again (monotonic)
        self.mode_checked = time.monotonic()

    async def send(self, job: Prepared) -> int | None:
        """Send a message in its topic when it has one, or in the chat itself; returns its id.

        A refusal that is not about the topic is the message's own: it is raised as it came."""
        place = await self.place(job)
        made = 0
        while place is not None:
            try:
                return await self._deliver(job, place.thread)
            except BadRequest as exc:
                if not gone(exc):
                    raise
            await self._forget(place)
            made += 1
            if made == 2:
                # A topic made just now was refused too: this chat's topics do not work now.
                self._pause(place.staff_id, "topic_refused")
                break
            place = await self.place(job)
        return await self._deliver(job, None)

    async def _deliver(self, job: Prepared, thread: int | None) -> int | None:
        return await deliver(self.bot, job.chat_id, job.message, job.reply_to, thread)

    async def place(self, job: Prepared) -> Place | None:
        """The topic this message goes in, found or made now; None for the chat itself."""
        if not self.on or job.staff_id is None or job.child_id is None:
            return None
        if job.message.kind not in SHOWN or not await self._usable(job.staff_id):
            return None
        async with self.runtime.store.unit(read_only=True) as uow:
            staff = await people.get_staff(uow, job.staff_id)
            if staff is None or staff.telegram_id != job.chat_id:
                return None  # a staff member's message to the young person, not about them
            thread = await uow.topics.thread(staff.id, job.child_id)
            child = None if thread is not None else await people.get_child(uow, job.child_id)
        if thread is not None:
            return Place(staff.id, job.child_id, thread)
        return None if child is None else await self._make(job.chat_id, staff.id, child)

    async def _usable(self, staff_id: str) -> bool:
        until = self.paused.get(staff_id)
        if until is not None:
            if time.monotonic() < until:
                return False
            del self.paused[staff_id]
        if self.bot.bot.has_topics_enabled:
            return True
        # The owner may turn topic mode on while the bot runs: look again now and then.
        if time.monotonic() - self.mode_checked < RECHECK:
            return False
        self.mode_checked = time.monotonic()
        try:
            return bool((await self.bot.get_me()).has_topics_enabled)
        except TelegramError:
            return False

    async def _make(self, chat_id: int, staff_id: str, child: ChildView) -> Place | None:
        try:
            topic = await self.bot.create_forum_topic(chat_id, topic_name(child))
        except (BadRequest, Forbidden) as exc:
            self._pause(staff_id, reason(exc) if isinstance(exc, BadRequest) else "forbidden")
            return None
        except TelegramError as exc:
            # Not known to be refused (a timeout, an outage): this message goes in the chat.
            log.info("topics.not_made", extra={"staff_id": staff_id, "error": type(exc).__name__})
            return None
        async with self.runtime.store.unit() as uow:
            await uow.topics.remember(staff_id, child.id, topic.message_thread_id)
            await uow.commit()
        log.info("topics.made", extra={"staff_id": staff_id})
        return Place(staff_id, child.id, topic.message_thread_id)

    async def _forget(self, place: Place) -> None:
        async with self.runtime.store.unit() as uow:
            await uow.topics.forget(place.staff_id, place.child_id, place.thread)
            await uow.commit()
        log.info("topics.gone", extra={"staff_id": place.staff_id})

    def _pause(self, staff_id: str, why: str) -> None:
        self.paused[staff_id] = time.monotonic() + PAUSE
        log.warning("topics.unavailable", extra={"staff_id": staff_id, "error": why})
