"""One practice world: the emulator, the real bot on a fresh store, a movable clock, and the
phones of a young person, their advocate and a supervisor.

Everything a phone does goes through the emulator as a Telegram app's would (a message, a press
on a button that is there, a reply to a message that is there), so the emulator refuses here
what Telegram refuses.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.demo import Demo, Transcript
from bot.emulator import BotApiEmulator
from bot.i18n import SUPPORTED
from bot.practice import BOT_USERNAME, TOKEN, Actor, bot_on, cast, practice_settings
from bot.sandbox.phones import phone_chat
from conversations.store import MovableClock

ROLES = {"young": "Young person", "advocate": "Advocate", "supervisor": "Supervisor"}
MEDIA = ("photo", "voice", "video", "document", "sticker")
MAX_TEXT = 4096  # what a Telegram app lets one message hold
MAX_CAPTION = 1024
LONGEST_MOVE = timedelta(days=14)
# Deadlines are looked at every second, so a moved clock shows what it brings at once.
SWEEP_SECONDS = "1"
NARRATION_LINES = 200


class Refused(Exception):
    """What a phone tried cannot be done; the message says why, for the page to show."""


class World:
    def __init__(self, root: Path, stack: contextlib.AsyncExitStack, demo: Demo) -> None:
        self.root = root
        self.stack = stack
        self.demo = demo

    @classmethod
    async def open(cls, root: Path, languages: dict[str, str], child: tuple[str, str]) -> World:
        """``languages``: each phone's (the young person's comes with ``child``, a name and
        a language); staff are enrolled in theirs."""
        stack = contextlib.AsyncExitStack()
        try:
            clock = MovableClock()
            emu = await stack.enter_async_context(
                BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME)
            )
            emu.clock = clock.timestamp
            settings = practice_settings(emu, root / "data", ALONGSIDE_SWEEP_SECONDS=SWEEP_SECONDS)
            task, running = await stack.enter_async_context(bot_on(settings, clock, signals=False))
            people = cast(
                emu,
                staff_locale=languages["advocate"],
                supervisor_locale=languages["supervisor"],
                child=child,
            )
            transcript = Transcript(emu, io.StringIO())
            demo = Demo(emu, running, task, transcript, people, clock)
        except BaseException:
            await stack.aclose()
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cls(root, stack, demo)

    async def close(self) -> None:
        try:
            await self.stack.aclose()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def emu(self) -> BotApiEmulator:
        return self.demo.emu

    @property
    def bot_running(self) -> bool:
        return not self.demo.bot_task.done()

    def actor(self, role: str) -> Actor:
        people = self.demo.people
        actors = {"young": people.child, "advocate": people.advocate}
        return actors.get(role, people.supervisor)

    # What a phone does ------------------------------------------------------------------------

    def say(self, role: str, text: Any, reply_to: Any = None) -> None:
        if not isinstance(text, str) or not text.strip():
            raise Refused("write something first")
        if len(text) > MAX_TEXT:
            raise Refused(f"a message holds at most {MAX_TEXT} characters")
        if reply_to is not None and not isinstance(reply_to, int):
            raise Refused("that message is not in this chat")
        try:
            self.emu.send_text(self.actor(role).user, text, reply_to=reply_to)
        except ValueError:
            raise Refused("that message is no longer in this chat") from None

    def send_media(self, role: str, kind: Any, caption: Any = None) -> None:
        if kind not in MEDIA:
            raise Refused(f"a phone here sends only {', '.join(MEDIA)}")
        if caption is not None and (not isinstance(caption, str) or len(caption) > MAX_CAPTION):
            raise Refused(f"a caption holds at most {MAX_CAPTION} characters")
        user, caption = self.actor(role).user, caption or None
        if kind == "photo":
            self.emu.send_photo(user, caption)
        elif kind == "video":
            self.emu.send_video(user, caption)
        elif kind == "document":
            self.emu.send_document(user, "letter.pdf", caption)
        elif kind == "voice":
            self.emu.send_voice(user)
        else:
            self.emu.send_sticker(user)

    def press(self, role: str, message_id: Any, data: Any) -> None:
        if not isinstance(message_id, int) or not isinstance(data, str):
            raise Refused("that button is not there")
        try:
            self.emu.press_button(self.actor(role).user, message_id, data)
        except ValueError:
            raise Refused("that button is no longer there") from None

    def set_language(self, role: str, code: Any) -> None:
        """The phone's own language: Telegram sends it with everything the person does, and the
        bot takes it when it first meets them (staff: when they are enrolled)."""
        if code not in SUPPORTED:
            raise Refused("not a language the bot speaks")
        people, actor = self.demo.people, self.actor(role)
        user = dataclasses.replace(actor.user, language_code=code)
        label = actor.label
        if role == "young":
            label = f"{label.rsplit(' [', 1)[0]} [{code}]"
        moved = dataclasses.replace(actor, user=user, label=label, locale=code)
        field = {"young": "child", "advocate": "advocate"}.get(role, "supervisor")
        self.demo.people = dataclasses.replace(people, **{field: moved})

    def move_clock(self, minutes: Any) -> str:
        if not isinstance(minutes, int) or minutes <= 0:
            raise Refused("the clock only moves forward")
        if timedelta(minutes=minutes) > LONGEST_MOVE:
            raise Refused("move the clock at most 14 days at a time")
        self.demo.clock.advance(minutes=minutes)
        shown = self.now()
        self.demo.transcript.line("clock", f"moves forward {_span(minutes)}: now {shown}")
        return shown

    # What the page shows ----------------------------------------------------------------------

    def now(self) -> str:
        zone = self.demo.running.runtime.settings.zone
        return self.demo.clock.now().astimezone(zone).strftime("%a %d %b %Y, %H:%M")

    def narration(self) -> list[str]:
        out = self.demo.transcript.out
        lines = out.getvalue().splitlines() if isinstance(out, io.StringIO) else []
        return lines[-NARRATION_LINES:]

    def state(self) -> dict[str, Any]:
        zone = self.demo.running.runtime.settings.zone
        phones = []
        for role, title in ROLES.items():
            actor = self.actor(role)
            phones.append(
                {
                    "role": role,
                    "title": title,
                    "name": actor.name,
                    "language": actor.user.language_code or "en",
                    **phone_chat(self.emu, actor.user.id, zone),
                }
            )
        offset = int(self.demo.clock.offset.total_seconds() // 60)
        return {
            "phones": phones,
            "clock": {
                "now": self.now(),
                "zone": self.demo.running.runtime.settings.timezone,
                "ahead": f"{_span(offset)} ahead of real time" if offset else "real time",
            },
            "bot": "running" if self.bot_running else "stopped",
            "narration": self.narration(),
        }


def _span(minutes: int) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{mins} min" if mins else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"
