"""The demo's transcript: what the people do and what the bot sends, printed as it happens."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.emulator import BotApiEmulator, SentMessage
from bot.practice import Actor

WHO_WIDTH = 18


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
