"""`alongside demo`: the real bot, a scripted conversation, printed as it happens.

The bot runs unchanged against the built-in Bot API emulator, with its own SQLite store and keys
in a temporary directory that is removed afterwards. Settings are built in code
(`bot.practice`), never from the environment or ``.env``, so the demo cannot reach a real
database or a real Telegram token.

The script is a list of steps (``STEPS``), each waiting for what the bot does; the sandbox
(`bot.sandbox`) plays the same steps on its phones.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot import notices
from bot.app import Running
from bot.callbacks import StageChoice
from bot.content import journey_content
from bot.emulator import BotApiEmulator, SentMessage
from bot.i18n import SUPPORTED, Translator
from bot.practice import (
    BOT_USERNAME,
    TOKEN,
    Actor,
    Cast,
    PracticeFailed,
    bot_on,
    cast,
    practice_settings,
    quiet_logs,
)
from conversations import people
from conversations.journey import Stage
from conversations.people import Role
from conversations.store import MovableClock
from safety import load_contacts

WAIT = 60.0  # a step waits for what it expects; on an idle machine each takes well under a second
WHO_WIDTH = 18
BIDI_MARKS = "\u2066\u2067\u2068\u2069"


# Printing ---------------------------------------------------------------------------------------


@dataclass
class Transcript:
    """Prints what the people do and, as soon as the emulator has it, what the bot sends."""

    emu: BotApiEmulator
    out: TextIO
    started: float = field(default_factory=time.monotonic)
    names: dict[int, str] = field(default_factory=dict)
    shown: dict[int, int] = field(default_factory=dict)

    def line(self, who: str, text: str) -> None:
        stamp = f"{time.monotonic() - self.started:6.2f}s"
        first, *rest = text.split("\n")
        indent = " " * (len(stamp) + 2 + WHO_WIDTH + 1)
        lines = [f"{stamp}  {who:<{WHO_WIDTH}} {first}", *(indent + part for part in rest)]
        print("\n".join(lines), file=self.out, flush=True)

    def said(self, actor: Actor, text: str, note: str = "") -> None:
        self.flush()
        self.line(actor.label, text + (f"  ({note})" if note else ""))

    def heading(self, title: str) -> None:
        self.flush()
        print(f"\n── {title} ──", file=self.out, flush=True)

    def flush(self) -> None:
        """Print every bot message not printed yet, in each person's chat."""
        for chat_id, name in self.names.items():
            sent = self.emu.sent_to(chat_id)
            for message in sent[self.shown.get(chat_id, 0) :]:
                self.line(f"bot → {name}", render(message))
            self.shown[chat_id] = len(sent)

    async def follow(self) -> None:
        while True:
            self.flush()
            await asyncio.sleep(0.02)


def render(message: SentMessage) -> str:
    body = message.text if message.kind == "text" else message.caption
    text = body or ""
    if message.kind != "text":
        text = f"({message.kind}) {text}".rstrip()
    if message.reply_to_message_id is not None:
        text = f"(reply) {text}"
    rows = buttons(message)
    if rows:
        text += "\n" + "\n".join(" ".join(f"[{label}]" for label in row) for row in rows)
    return text


def buttons(message: SentMessage) -> list[list[str]]:
    """Button labels as the user sees them: inline buttons, or the reply keyboard."""
    markup = message.reply_markup or {}
    rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
    return [[_label(button) for button in row] for row in rows]


def _label(button: Any) -> str:
    return str(button.get("text", "")) if isinstance(button, dict) else str(button)


# The demo's world --------------------------------------------------------------------------------


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
    return lambda m: needle in _plain(m.text or m.caption or "")


def with_buttons(pattern: str) -> Callable[[SentMessage], bool]:
    """A message with an inline button whose data matches ``pattern`` (the same in every
    language)."""
    return lambda m: any(
        re.match(pattern, str(b.get("callback_data", "")))
        for row in (m.reply_markup or {}).get("inline_keyboard", [])
        for b in row
    )


def _plain(text: str) -> str:
    return text.translate({ord(c): None for c in BIDI_MARKS})


# Steps ------------------------------------------------------------------------------------------


async def enrol_staff(demo: Demo) -> None:
    async with demo.running.runtime.store.unit() as uow:
        for actor, role in ((demo.supervisor, Role.SUPERVISOR), (demo.advocate, Role.ADVOCATE)):
            await people.add_staff(
                uow, telegram_id=actor.user.id, name=actor.name, role=role, locale=actor.locale
            )
            language = SUPPORTED[actor.locale].native
            demo.transcript.line("operator", f"enrols {actor.name} as {role.value} ({language})")
        await uow.commit()


async def link(demo: Demo, child: Actor, nickname: str) -> None:
    since = demo.mark(demo.advocate)
    demo.send(demo.advocate, f"/invite {nickname}")
    # Read from the deep link, which reads the same in every language.
    invite = await demo.expect(
        demo.advocate, f"an invite code for {nickname}", containing("?start="), since
    )
    code = _plain(invite.text or "").split("?start=")[1].split()[0]
    demo.send(child, f"/start {code}")
    await demo.expect(
        child, f"the welcome naming {demo.advocate.name}", containing(demo.advocate.name)
    )
    await demo.expect(
        demo.advocate, f"word that {nickname} is linked", containing(f"{nickname} ·"), since
    )


async def link_first_child(demo: Demo) -> None:
    await link(demo, demo.child, "Star")


async def talk(demo: Demo, child: Actor, words: str, answer: str) -> None:
    since = demo.mark(demo.advocate)
    demo.send(child, words)
    relayed = await demo.expect(
        demo.advocate, f"{child.name}'s words relayed", containing(words), since
    )
    heard = demo.mark(child)
    demo.send(demo.advocate, answer, reply_to=relayed.message_id)
    await demo.expect(child, f"{demo.advocate.name}'s answer", containing(answer), heard)


async def albanian(demo: Demo) -> None:
    await talk(
        demo,
        demo.child,
        "Përshëndetje, kur takohemi?",
        "Hello Ana, I can meet you tomorrow at 10 at the centre.",
    )


async def vietnamese(demo: Demo) -> None:
    await link(demo, demo.second_child, "Moon")
    await talk(
        demo,
        demo.second_child,
        "Chào chị, em không hiểu lá thư này.",
        "Hello Minh, send me a photo of the letter and I will explain it.",
    )


async def what_happens_next(demo: Demo) -> None:
    """Rosa records Minh's stage; Minh reads, in Vietnamese, where he is and what comes next."""
    child, rosa = demo.second_child, demo.advocate
    since = demo.mark(rosa)
    demo.send(rosa, "/children")
    listing = await demo.expect(rosa, "the list of her young people", containing("Moon ·"), since)
    ref = _plain(listing.text or "").split("Moon · ")[1].split()[0]
    since = demo.mark(rosa)
    demo.send(rosa, f"/stage {ref}")
    menu = await demo.expect(rosa, "the stage menu", with_buttons(StageChoice.pattern), since)
    journey = journey_content(demo.running.runtime.settings.region)
    title = journey.stages[Stage.REASONABLE_GROUNDS].title.render(demo.tr(rosa.locale))
    data = next(
        (
            b.get("callback_data")
            for row in (menu.reply_markup or {}).get("inline_keyboard", [])
            for b in row
            if b.get("text") == title
        ),
        None,
    )
    if not isinstance(data, str):
        raise PracticeFailed(f"the stage menu has no {title!r} button")
    heard = demo.mark(child)
    demo.transcript.said(rosa, f"[{title}]", "chooses the stage")
    demo.emu.press_button(rosa.user, menu.message_id, data)
    tr = demo.tr(child.locale)
    told = tr._("Your advocate updated where you are now.")
    await demo.expect(child, "word of the new stage", containing(told), heard)
    label = notices.next_label(tr)
    heard = demo.mark(child)
    demo.transcript.said(child, f"[{label}]", "presses the keyboard button")
    demo.emu.send_text(child.user, label)
    after = journey.stages[Stage.RECOVERY_PERIOD].title.render(tr)
    await demo.expect(child, "what comes next", containing(after), heard)


async def press_help_now(demo: Demo) -> None:
    child = demo.child
    label = notices.help_now_label(demo.tr(child.locale))
    shown = [b for m in demo.emu.sent_to(child.user.id) for row in buttons(m) for b in row]
    if label not in shown:
        raise PracticeFailed(f"{child.name}'s keyboard has no {label!r} button (has {shown})")
    seen = {a.user.id: demo.mark(a) for a in (child, demo.advocate, demo.supervisor)}
    demo.transcript.said(child, f"[{label}]", "presses the keyboard button")
    demo.emu.send_text(child.user, label)
    emergency = load_contacts(demo.running.runtime.settings.region).emergency.number
    await demo.expect(child, "the emergency numbers", containing(emergency), seen[child.user.id])
    for staff in (demo.advocate, demo.supervisor):
        await demo.expect(staff, "the safety alert", containing("🚨"), seen[staff.user.id])


async def acknowledge(demo: Demo) -> None:
    sam = demo.supervisor
    label = demo.tr(sam.locale)._("Acknowledge")
    card = next(
        (
            m
            for m in reversed(demo.emu.sent_to(sam.user.id))
            if any(label in row for row in buttons(m))
        ),
        None,
    )
    markup = (card.reply_markup or {}) if card else {}
    data = next(
        (
            b.get("callback_data")
            for row in markup.get("inline_keyboard", [])
            for b in row
            if b.get("text") == label
        ),
        None,
    )
    if card is None or not isinstance(data, str):
        raise PracticeFailed(f"{sam.name} has no alert with an {label!r} button")
    since = demo.mark(sam)
    demo.transcript.said(sam, f"[{label}]", "presses the button on the alert")
    demo.emu.press_button(sam.user, card.message_id, data)
    await demo.expect(sam, "confirmation of the acknowledgement", containing("Star ·"), since)


@dataclass(frozen=True)
class Step:
    title: str
    run: Callable[[Demo], Awaitable[None]]


STEPS: tuple[Step, ...] = (
    Step("Staff are enrolled", enrol_staff),
    Step("Linking: Rosa invites Star, Ana opens the code", link_first_child),
    Step("Relay: Ana writes in Albanian, Rosa replies in English", albanian),
    Step("A second child: Minh, in Vietnamese", vietnamese),
    Step("What happens next: Rosa records Minh's stage, Minh asks", what_happens_next),
    Step("Safety: Ana presses Help now", press_help_now),
    Step("Sam acknowledges the alert", acknowledge),
)


# Running ----------------------------------------------------------------------------------------


async def play(demo: Demo, steps: tuple[Step, ...] = STEPS) -> None:
    for step in steps:
        demo.transcript.heading(step.title)
        try:
            await step.run(demo)
        except PracticeFailed as exc:
            raise PracticeFailed(f"step “{step.title}” did not happen: {exc}") from None


async def run_demo(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with quiet_logs() as missing, tempfile.TemporaryDirectory(prefix="alongside-demo-") as tmp:
        async with BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME) as emu:
            print(
                f"Alongside demo: the real bot against the built-in Bot API emulator on "
                f"127.0.0.1:{emu.port}.\nIts data lives in a temporary directory, deleted at "
                "the end. Nothing here reaches Telegram.",
                file=out,
                flush=True,
            )
            try:
                await _run(emu, Path(tmp) / "data", out)
            except PracticeFailed as exc:
                print(f"\nalongside demo: {exc}", file=sys.stderr, flush=True)
                return 1
        note = missing.summary()
    print(f"\n{note}" if note else "", file=out)
    print("Demo finished: the bot stopped and its temporary data was deleted.", file=out)
    return 0


async def _run(emu: BotApiEmulator, data_dir: Path, out: TextIO) -> None:
    clock = MovableClock()
    async with bot_on(practice_settings(emu, data_dir), clock) as (task, running):
        transcript = Transcript(emu, out)
        demo = Demo(emu, running, task, transcript, cast(emu), clock)
        for actor in (demo.supervisor, demo.advocate, demo.child, demo.second_child):
            transcript.names[actor.user.id] = actor.name
        follower = asyncio.create_task(transcript.follow())
        try:
            await play(demo)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            transcript.flush()
