"""What each phone shows, read from the emulator as a Telegram app would draw it.

Plain data for the page: text with Telegram's entities (the page escapes all of it), inline
buttons, the reply keyboard in force, and media as placeholders (no file leaves the emulator).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.emulator import BotApiEmulator, SentMessage

JSON = dict[str, Any]
KINDS = ("text", "photo", "voice", "video", "document", "sticker", "audio", "animation")
SHOWN_ENTITIES = frozenset(
    {"bold", "italic", "underline", "strikethrough", "code", "pre", "spoiler", "blockquote"}
)
QUOTE = 80  # characters of a replied-to message shown above a reply
NOTICES = 3  # the latest answers to button presses ("toasts") a phone keeps


def phone_chat(emu: BotApiEmulator, chat_id: int, zone: ZoneInfo) -> JSON:
    sent = emu.sent_to(chat_id)
    return {
        "messages": [message(m, zone) for m in emu.history(chat_id)],
        "keyboard": keyboard(sent),
        "notices": notices(emu, chat_id),
    }


def message(raw: JSON, zone: ZoneInfo) -> JSON:
    kind = next((k for k in KINDS if k in raw), "other")
    when = datetime.fromtimestamp(int(raw.get("date", 0)), zone)
    media = raw.get(kind) if kind != "text" else None
    shown: JSON = {
        "id": raw["message_id"],
        "mine": not raw.get("from", {}).get("is_bot", False),
        "kind": kind,
        "text": raw.get("text") or raw.get("caption") or "",
        "entities": [
            {"type": e["type"], "offset": e["offset"], "length": e["length"]}
            for e in raw.get("entities") or raw.get("caption_entities") or []
            if e.get("type") in SHOWN_ENTITIES
        ],
        "file_name": media.get("file_name") if isinstance(media, dict) else None,
        "emoji": media.get("emoji") if isinstance(media, dict) else None,
        "time": when.strftime("%H:%M"),
        "day": when.strftime("%a %d %b %Y"),
        "edited": "edit_date" in raw,
        "protected": bool(raw.get("has_protected_content")),
        "buttons": inline_buttons(raw.get("reply_markup")),
        "reply": None,
    }
    replied = raw.get("reply_to_message")
    if isinstance(replied, dict):
        quoted = replied.get("text") or replied.get("caption") or ""
        shown["reply"] = {"id": replied.get("message_id"), "text": quoted[:QUOTE]}
    return shown


def inline_buttons(markup: Any) -> list[list[JSON]]:
    """Each button's label and what pressing it does here: send its data, or nothing (a link is
    shown, never followed: nothing leaves the machine)."""
    rows = (markup or {}).get("inline_keyboard", []) if isinstance(markup, dict) else []
    shown: list[list[JSON]] = []
    for row in rows:
        cells: list[JSON] = []
        for button in row:
            cell: JSON = {"text": str(button.get("text", ""))}
            if isinstance(button.get("callback_data"), str):
                cell["data"] = button["callback_data"]
            elif isinstance(button.get("url"), str):
                cell["url"] = button["url"]
            cells.append(cell)
        shown.append(cells)
    return shown


def keyboard(sent: list[SentMessage]) -> list[list[str]] | None:
    """The reply keyboard in force: the last one sent, until one removes it."""
    current: list[list[str]] | None = None
    for item in sent:
        markup = item.reply_markup or {}
        if "keyboard" in markup:
            current = [[_label(b) for b in row] for row in markup["keyboard"]]
        elif markup.get("remove_keyboard"):
            current = None
    return current


def _label(button: Any) -> str:
    return str(button.get("text", "")) if isinstance(button, dict) else str(button)


def notices(emu: BotApiEmulator, chat_id: int) -> list[JSON]:
    """The bot's answers to this person's button presses that said something, newest last,
    numbered so the page shows each once."""
    said = [
        {"n": n, "text": str(answer["text"])}
        for n, answer in enumerate(emu.answered_callbacks)
        if answer.get("text") and answer["query"].get("from", {}).get("id") == chat_id
    ]
    return said[-NOTICES:]
