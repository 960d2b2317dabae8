"""One topic per young person in a staff member's chat with the bot (Bot API 9.3), at send time.

A queued message to a staff member about one young person (a relay, a correction, an alert card,
a notes prompt: any outbox row with both a staff member and a young person, going to that staff
member's own chat) goes into that young person's topic. The topic is made on first use, named
as the relay header names them (nickname · reference, nothing more), and kept in
`conversations.topics`. Telegram does not say when a topic is deleted: a send refused for its
topic forgets it, makes a new one, and sends again. An answer to something written in a topic
(`Outgoing.thread`) goes in that topic instead; where that topic is gone, as any other message.

A topic is made only for someone who may see the young person (`conversations.topics`), and
the outbox also carries what changes a topic: a rename (the name made now, from the young
person as they are now) and a deletion (their erasure, a handover, a window's end). Those are
conveniences too: a refusal, a blocked chat, or a call still failing after `TRIES` ends them
with a log line, never a dead letter, and never holds the chat's queue for long. A deletion
Telegram refuses for any reason but the topic being gone renames the topic to `BLANK`, so no
name stays, and retires it in the map first: it refuses whoever writes in it, but nothing is
placed in it again. Should its young person come back to that staff member (handed back, a
new interpreter's window), a fresh topic is made for them: one call, with the usual fallback
to the chat itself, where renaming the old one back would put their messages in a topic
Telegram has already refused to manage once, under a wrong name until the rename went through.

Topics in private chats are young and not always reliable, so every failure falls back to the
chat itself, where the headers and replies work as they always did: nothing depends on the
topic. A staff member whose chat refuses a topic is left in the chat itself for `PAUSE`, then
tried again. ``ALONGSIDE_TOPICS=off``, or a bot without topic mode (``getMe``), never tries to
make one (but still deletes those it made).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.opening import Prepared
from bot.runtime import Runtime
from bot.sending import deliver, reason
from conversations import people
from conversations.people import ChildView
from conversations.topics import DROP, RENAME, may_have_topic

log = logging.getLogger(__name__)

PAUSE = 3600.0  # seconds a staff member's chat is left without topics after one was refused
RECHECK = 600.0  # seconds between asking getMe again while the bot has no topic mode
NAME_LIMIT = 128
TRIES = 4  # a rename or deletion that keeps failing is given up after this many (2-4 s of backoff)
BLANK = "—"  # what a topic Telegram would not delete is called instead of its young person
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
        if job.message.kind == DROP:
            await self._drop(job)
            return None
        if job.message.kind == RENAME:
            await self._rename(job)
            return None
        if job.message.thread is not None:
            # An answer, in the topic its staff member wrote in (whichever young person's).
            try:
                return await self._deliver(job, job.message.thread)
            except BadRequest as exc:
                if not gone(exc):
                    raise
            log.info("topics.answer_topic_gone", extra={"outbox_id": job.id})
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
            # No new topic for someone who can no longer see them (sent before a handover).
            if child is not None and not await may_have_topic(uow, staff, child):
                child = None
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
        thread = topic.message_thread_id
        async with self.runtime.store.unit() as uow:
            erased = await people.get_child(uow, child.id) is None
            if not erased:
                await uow.topics.remember(staff_id, child.id, thread)
                await uow.commit()
        if erased:
            # Erased while the topic was being made: it must not stay with their name.
            await self._call(None, self.bot.delete_forum_topic(chat_id, thread))
            return None
        log.info("topics.made", extra={"staff_id": staff_id})
        return Place(staff_id, child.id, thread)

    async def _forget(self, place: Place) -> None:
        async with self.runtime.store.unit() as uow:
            await uow.topics.forget(place.staff_id, place.child_id, place.thread)
            await uow.commit()
        log.info("topics.gone", extra={"staff_id": place.staff_id})

    async def _retire(self, place: Place) -> None:
        async with self.runtime.store.unit() as uow:
            await uow.topics.retire(place.staff_id, place.child_id, place.thread)
            await uow.commit()
        log.info("topics.retired", extra={"staff_id": place.staff_id})

    def _pause(self, staff_id: str, why: str) -> None:
        self.paused[staff_id] = time.monotonic() + PAUSE
        log.warning("topics.unavailable", extra={"staff_id": staff_id, "error": why})

    async def _drop(self, job: Prepared) -> None:
        thread = int(job.message.extra["thread"])
        done = await self._call(job, self.bot.delete_forum_topic(job.chat_id, thread))
        if done is True or (isinstance(done, BadRequest) and gone(done)):
            if job.staff_id is not None and job.child_id is not None:
                # A pruned topic stays in the map until now (an erased one went before).
                await self._forget(Place(job.staff_id, job.child_id, thread))
            log.info("topics.dropped", extra={"staff_id": job.staff_id})
            return
        if done is False:
            return  # still there, and still refusing whoever may no longer write in it
        log.warning("topics.not_dropped", extra={"staff_id": job.staff_id, "error": reason(done)})
        if job.staff_id is not None and job.child_id is not None:
            # Before it loses its name: nothing is placed in it again, should they come back.
            await self._retire(Place(job.staff_id, job.child_id, thread))
        blanked = await self._call(job, self.bot.edit_forum_topic(job.chat_id, thread, name=BLANK))
        if isinstance(blanked, BadRequest):
            log.warning("topics.not_blanked", extra={"error": reason(blanked)})

    async def _rename(self, job: Prepared) -> None:
        if job.staff_id is None or job.child_id is None:
            return
        async with self.runtime.store.unit(read_only=True) as uow:
            thread = await uow.topics.thread(job.staff_id, job.child_id)
            child = await people.get_child(uow, job.child_id)
        if thread is None or child is None:
            return  # no topic (any more), or no young person: nothing to name
        done = await self._call(
            job, self.bot.edit_forum_topic(job.chat_id, thread, name=topic_name(child))
        )
        if not isinstance(done, BadRequest) or "not_modified" in reason(done).lower():
            return
        if gone(done):
            await self._forget(Place(job.staff_id, job.child_id, thread))
            return
        log.warning("topics.not_renamed", extra={"error": reason(done)})

    async def _call(self, job: Prepared | None, call: Awaitable[object]) -> BadRequest | bool:
        """Make a call that changes a topic: True if it was made, the refusal if Telegram
        refused it, False if it could not be made.

        A chat that blocked the bot is left as it is. A call that timed out or failed is raised
        for the dispatcher to try again (or wait out an outage), until its last try: then
        given up, as a topic is not worth holding the chat's queue for."""
        try:
            await call
        except BadRequest as exc:
            return exc
        except Forbidden:
            log.info("topics.call_forbidden")
        except NetworkError as exc:
            if job is not None and job.attempts + 1 < TRIES:
                raise
            log.warning("topics.call_given_up", extra={"error": type(exc).__name__})
        else:
            return True
        return False
