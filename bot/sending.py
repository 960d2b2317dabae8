"""The Telegram calls: one small function per kind of message, in a table keyed by kind.

Each takes the bot, the chat, the message and what all kinds share (the buttons or keyboard,
whether its content is protected, what it answers), and returns what Telegram answered: the
message sent, or True for calls that send none (deletions, a menu, an empty card).
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import segno
from telegram import (
    Bot,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
)
from telegram.error import BadRequest

from bot import menus
from conversations.outgoing import Outgoing

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


@dataclass(frozen=True)
class Send:
    """What every kind is sent with."""

    bot: Bot
    chat_id: int
    message: Outgoing
    markup: Markup
    protect: bool | None
    reply: ReplyParameters | None
    thread: int | None = None  # the topic of the chat it goes in (Bot API 9.3); None: the chat


async def deliver(
    bot: Bot, chat_id: int, message: Outgoing, reply_to: int | None, thread: int | None = None
) -> int | None:
    """Send one message (in topic `thread` of the chat, if given); returns its id in the chat
    (None for deletions)."""
    send = SENDERS.get(message.kind)
    if send is None:
        raise BadRequest(f"unknown kind {message.kind}")
    sent = await send(
        Send(
            bot,
            chat_id,
            message,
            _markup(message),
            message.protect or None,
            None
            if reply_to is None
            else ReplyParameters(reply_to, allow_sending_without_reply=True),
            thread,
        )
    )
    return sent.message_id if isinstance(sent, Message) else None


def reason(exc: BadRequest) -> str:
    return exc.message.split(":")[-1].strip().replace(" ", "_")[:60]


def _markup(message: Outgoing) -> Markup:
    if message.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.text, callback_data=b.data, url=b.url) for b in row]
                for row in message.buttons
            ]
        )
    if message.keyboard is not None:
        return ReplyKeyboardMarkup(
            [list(row) for row in message.keyboard], resize_keyboard=True, is_persistent=True
        )
    return None


async def _clear(s: Send) -> bool:
    ids = sorted({*s.message.extra.get("ids", []), *s.message.extra.get("also", [])})
    for start in range(0, len(ids), 100):
        try:
            await s.bot.delete_messages(s.chat_id, ids[start : start + 100])
        except BadRequest:
            # Some were already gone or too old: the rest are still worth removing.
            log.info("outbox.clear_partial", extra={"count": len(ids)})
    return True


async def _commands(s: Send) -> bool:
    try:
        await s.bot.set_my_commands(
            menus.bot_commands(s.message), scope=BotCommandScopeChat(s.chat_id)
        )
    except BadRequest as exc:
        # A menu is a convenience: not worth a dead letter and a supervisor's time.
        log.info("outbox.menu_not_set", extra={"error": reason(exc)})
    return True


async def _text(s: Send) -> Message | bool:
    if not s.message.text:
        return True  # a card whose alert is gone: nothing left to show
    quotes = [
        MessageEntity(MessageEntity.BLOCKQUOTE, offset, length)
        for offset, length in s.message.quote_spans()
    ]
    return await s.bot.send_message(
        s.chat_id,
        s.message.text,
        reply_markup=s.markup,
        protect_content=s.protect,
        reply_parameters=s.reply,
        entities=quotes or None,
        message_thread_id=s.thread,
    )


async def _card(s: Send) -> Message | bool:
    """Bring an alert card up to date where it is shown; send it anew where it is not."""
    shown = s.message.extra.get("edit")
    inline = s.markup if isinstance(s.markup, InlineKeyboardMarkup) else None
    if isinstance(shown, int):
        try:
            return await s.bot.edit_message_text(
                s.message.text, chat_id=s.chat_id, message_id=shown, reply_markup=inline
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.info("outbox.card_not_edited", extra={"error": reason(exc)})
    return await s.bot.send_message(
        s.chat_id, s.message.text, reply_markup=inline, message_thread_id=s.thread
    )


async def _qr(s: Send) -> Message:
    png = io.BytesIO()
    segno.make(s.message.extra["link"], error="m").save(png, kind="png", scale=8)
    return await s.bot.send_photo(
        s.chat_id,
        InputFile(png.getvalue(), filename="invite.png"),
        caption=s.message.text or None,
        reply_markup=s.markup,
        protect_content=s.protect,
        reply_parameters=s.reply,
        message_thread_id=s.thread,
    )


async def _chart(s: Send) -> Message:
    """A chart drawn from the figures the message carries (`bot.charts`), off the event loop:
    drawing takes a good part of a second."""
    from bot.charts import monthly_png

    png = await asyncio.to_thread(monthly_png, s.message.extra)
    return await s.bot.send_photo(
        s.chat_id,
        InputFile(png, filename="statistics.png"),
        caption=s.message.text or None,
        reply_markup=s.markup,
        protect_content=s.protect,
        reply_parameters=s.reply,
        message_thread_id=s.thread,
    )


async def _file(s: Send) -> Message:
    """A text file made here (a profile for the police, a record export), uploaded as a
    document rather than sent by file id."""
    return await s.bot.send_document(
        s.chat_id,
        InputFile(str(s.message.extra["body"]).encode(), filename=str(s.message.extra["name"])),
        caption=s.message.text or None,
        reply_markup=s.markup,
        protect_content=s.protect,
        reply_parameters=s.reply,
        message_thread_id=s.thread,
    )


def _media(method: str, *, caption: bool = True) -> Sender:
    """A kind sent by its file id, with its caption where the kind has one. The bot's method
    is looked up by name on the bot itself, so its own subclass's version is the one called."""

    async def send(s: Send) -> Message:
        extra = {"caption": s.message.text or None} if caption else {}
        call: Callable[..., Awaitable[Message]] = getattr(s.bot, method)
        return await call(
            s.chat_id,
            s.message.file_id or "",
            **extra,
            reply_markup=s.markup,
            protect_content=s.protect,
            reply_parameters=s.reply,
            message_thread_id=s.thread,
        )

    return send


Sender = Callable[[Send], Awaitable[Message | bool]]
SENDERS: dict[str, Sender] = {
    "clear": _clear,
    "commands": _commands,
    "text": _text,
    "card": _card,
    "qr": _qr,
    "chart": _chart,
    "file": _file,
    "photo": _media("send_photo"),
    "voice": _media("send_voice"),
    "video": _media("send_video"),
    "document": _media("send_document"),
    "audio": _media("send_audio"),
    "animation": _media("send_animation"),
    "sticker": _media("send_sticker", caption=False),
    "video_note": _media("send_video_note", caption=False),
}
