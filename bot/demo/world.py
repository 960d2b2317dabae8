"""The demo's world: the running bot, its people, and how a step waits for what the bot sends."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.app import Running
from bot.demo.transcript import Transcript
from bot.emulator import BotApiEmulator, SentMessage
from bot.i18n import Translator
from bot.practice import Actor, Cast, PracticeFailed
from conversations.store import MovableClock

WAIT = 60.0  # a step waits for what it expects; on an idle machine each takes well under a second
BIDI_MARKS = "\u2066\u2067\u2068\u2069"


@dataclass
class Demo:
    emu: BotApiEmulator
    running: Running
    bot_task: asyncio.Task[None]
    transcript: Transcript
    people: Cast
    # Real time unless moved: the sandbox's scenarios move it to a check-in or a night.
    clock: MovableClock = field(default_factory=MovableClock)

    @property
    def supervisor(self) -> Actor:
        return self.people.supervisor

    @property
    def advocate(self) -> Actor:
        return self.people.advocate

    @property
    def child(self) -> Actor:
        return self.people.child

    @property
    def second_child(self) -> Actor:
        return self.people.second_child

    def tr(self, locale: str) -> Translator:
        return self.running.runtime.tr(locale)

    def send(self, actor: Actor, text: str, *, reply_to: int | None = None) -> None:
        self.transcript.said(actor, text, "a reply to the message above" if reply_to else "")
        self.emu.send_text(actor.user, text, reply_to=reply_to)

    async def expect(
        self, actor: Actor, what: str, found: Callable[[SentMessage], bool], since: int = 0
    ) -> SentMessage:
        """Wait for the bot to send ``actor`` a message that ``found`` accepts."""

        def match() -> SentMessage | None:
            return next((m for m in self.emu.sent_to(actor.user.id)[since:] if found(m)), None)

        try:
            await self.emu.wait_for(
                lambda: self.bot_task.done() or match() is not None, timeout=WAIT, description=what
            )
        except AssertionError:
            raise PracticeFailed(f"{actor.name} never got {what} within {WAIT:.0f} s") from None
        message = match()
        if message is None:
            raise PracticeFailed(f"the bot stopped before {actor.name} got {what}")
        self.transcript.flush()
        return message

    def mark(self, actor: Actor) -> int:
        return len(self.emu.sent_to(actor.user.id))


def containing(needle: str) -> Callable[[SentMessage], bool]:
    return lambda m: needle in plain(m.text or m.caption or "")


def with_buttons(pattern: str) -> Callable[[SentMessage], bool]:
    """A message with an inline button whose data matches ``pattern`` (the same in every
    language)."""
    return lambda m: any(
        re.match(pattern, str(b.get("callback_data", "")))
        for row in (m.reply_markup or {}).get("inline_keyboard", [])
        for b in row
    )


def plain(text: str) -> str:
    return text.translate({ord(c): None for c in BIDI_MARKS})
