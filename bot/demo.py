"""`alongside demo`: the real bot, a scripted conversation, printed as it happens.

The bot runs unchanged against the built-in Bot API emulator, with its own SQLite store and keys
in a temporary directory that is removed afterwards. Settings are built here, never from the
environment or ``.env``, so the demo cannot reach a real database or a real Telegram token.

The script is a list of steps (``STEPS``); a flow that is not built yet is listed with no action
and reported as not available, so adding it later is a change in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from bot import i18n, notices
from bot.app import Running, serve
from bot.content import journey_content
from bot.emulator import BotApiEmulator, EmulatedUser, SentMessage
from bot.i18n import Translator
from bot.settings import Settings
from conversations import people
from conversations.journey import Stage
from conversations.people import Role
from safety import load_contacts

TOKEN = "123456:DEMO-TOKEN-alongside-demo"  # noqa: S105 - the emulator's, not a real token
BOT_USERNAME = "alongside_demo_bot"
WAIT = 60.0  # a step waits for what it expects; on an idle machine each takes well under a second
# Start-up registers every role's menu in every language: on a busy shared machine that alone
# has taken over a minute. A demo that gives up sooner shows nothing.
START_WAIT = 180.0
STOP_WAIT = 15.0
WHO_WIDTH = 18
BIDI_MARKS = "\u2066\u2067\u2068\u2069"


class DemoFailed(Exception):
    """A step did not happen; the message says which and what was expected."""


@dataclass(frozen=True)
class Actor:
    user: EmulatedUser
    label: str
    locale: str = "en"

    @property
    def name(self) -> str:
        return self.user.first_name


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
    supervisor: Actor
    advocate: Actor
    child: Actor
    second_child: Actor

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
            raise DemoFailed(f"{actor.name} never got {what} within {WAIT:.0f} s") from None
        message = match()
        if message is None:
            raise DemoFailed(f"the bot stopped before {actor.name} got {what}")
        self.transcript.flush()
        return message

    def mark(self, actor: Actor) -> int:
        return len(self.emu.sent_to(actor.user.id))


def containing(needle: str) -> Callable[[SentMessage], bool]:
    return lambda m: needle in _plain(m.text or m.caption or "")


def _plain(text: str) -> str:
    return text.translate({ord(c): None for c in BIDI_MARKS})


# Steps ------------------------------------------------------------------------------------------


async def enrol_staff(demo: Demo) -> None:
    async with demo.running.runtime.store.unit() as uow:
        for actor, role in ((demo.supervisor, Role.SUPERVISOR), (demo.advocate, Role.ADVOCATE)):
            await people.add_staff(
                uow, telegram_id=actor.user.id, name=actor.name, role=role, locale="en"
            )
            demo.transcript.line("operator", f"enrols {actor.name} as {role.value} (English)")
        await uow.commit()


async def link(demo: Demo, child: Actor, nickname: str) -> None:
    since = demo.mark(demo.advocate)
    demo.send(demo.advocate, f"/invite {nickname}")
    invite = await demo.expect(
        demo.advocate, f"an invite code for {nickname}", containing("Code:"), since
    )
    code = _plain(invite.text or "").split("Code:")[1].split()[0]
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
    menu = await demo.expect(rosa, "the stage menu", containing("Choose the new stage"), since)
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
        raise DemoFailed(f"the stage menu has no {title!r} button")
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
        raise DemoFailed(f"{child.name}'s keyboard has no {label!r} button (has {shown})")
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
        raise DemoFailed(f"{sam.name} has no alert with an {label!r} button")
    since = demo.mark(sam)
    demo.transcript.said(sam, f"[{label}]", "presses the button on the alert")
    demo.emu.press_button(sam.user, card.message_id, data)
    await demo.expect(sam, "confirmation of the acknowledgement", containing("Acknowledged"), since)


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


def demo_settings(emu: BotApiEmulator, data_dir: Path) -> Settings:
    return Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{(data_dir / 'alongside.db').resolve()}",
            "ALONGSIDE_DATA_DIR": str(data_dir),
            "ALONGSIDE_POLL_TIMEOUT": "1",
        }
    )


class MissingTranslations(logging.Filter):
    """Counts untranslated strings instead of logging each: one summary line at the end."""

    def __init__(self) -> None:
        super().__init__()
        self.locales: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "i18n.missing_string":
            return True
        locale = str(getattr(record, "locale", "?"))
        self.locales[locale] = self.locales.get(locale, 0) + 1
        return False

    def summary(self) -> str | None:
        if not self.locales:
            return None
        counts = ", ".join(f"{n} in {locale}" for locale, n in sorted(self.locales.items()))
        return f"Not yet translated, so shown in English: {counts}."


@contextlib.contextmanager
def quiet_logs() -> Iterator[MissingTranslations]:
    """WARNING and above only, so the conversation stays readable; DEBUG is left alone."""
    root = logging.getLogger()
    before = root.level
    if before >= logging.INFO or before == logging.NOTSET:
        root.setLevel(max(before, logging.WARNING))
    missing = MissingTranslations()
    i18n_log = logging.getLogger(i18n.__name__)
    i18n_log.addFilter(missing)
    try:
        yield missing
    finally:
        i18n_log.removeFilter(missing)
        root.setLevel(before)


async def start_bot(settings: Settings, stop: asyncio.Event) -> tuple[asyncio.Task[None], Running]:
    ready: asyncio.Future[Running] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(serve(settings, stop=stop, ready=ready.set_result))
    waits: set[asyncio.Future[Any]] = {ready, task}
    await asyncio.wait(waits, timeout=START_WAIT, return_when=asyncio.FIRST_COMPLETED)
    if ready.done():
        return task, ready.result()
    ready.cancel()
    if task.done():
        error = task.exception()
        raise DemoFailed(f"the bot did not start: {type(error).__name__}: {error}")
    task.cancel()
    raise DemoFailed(f"the bot did not start within {START_WAIT:.0f} s")


async def play(demo: Demo, out: TextIO) -> None:
    for step in STEPS:
        demo.transcript.heading(step.title)
        try:
            await step.run(demo)
        except DemoFailed as exc:
            raise DemoFailed(f"step “{step.title}” did not happen: {exc}") from None


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
            except DemoFailed as exc:
                print(f"\nalongside demo: {exc}", file=sys.stderr, flush=True)
                return 1
        note = missing.summary()
    print(f"\n{note}" if note else "", file=out)
    print("Demo finished: the bot stopped and its temporary data was deleted.", file=out)
    return 0


async def _run(emu: BotApiEmulator, data_dir: Path, out: TextIO) -> None:
    stop = asyncio.Event()
    task, running = await start_bot(demo_settings(emu, data_dir), stop)
    transcript = Transcript(emu, out)
    demo = Demo(
        emu,
        running,
        task,
        transcript,
        supervisor=Actor(emu.user(7001, "Sam", language_code="en"), "supervisor Sam"),
        advocate=Actor(emu.user(7002, "Rosa", language_code="en"), "advocate Rosa"),
        child=Actor(emu.user(9001, "Ana", language_code="sq"), "child Ana [sq]", "sq"),
        second_child=Actor(emu.user(9002, "Minh", language_code="vi"), "child Minh [vi]", "vi"),
    )
    for actor in (demo.supervisor, demo.advocate, demo.child, demo.second_child):
        transcript.names[actor.user.id] = actor.name
    follower = asyncio.create_task(transcript.follow())
    try:
        await play(demo, out)
    finally:
        follower.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await follower
        transcript.flush()
        stop.set()
        try:
            await asyncio.wait_for(task, STOP_WAIT)
        except TimeoutError:
            raise DemoFailed(f"the bot did not stop within {STOP_WAIT:.0f} s") from None
        except Exception as exc:
            raise DemoFailed(f"the bot failed: {type(exc).__name__}: {exc}") from None
