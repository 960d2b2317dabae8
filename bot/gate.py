"""Who is writing, and the few ways handlers queue a message for someone.

`identify_sender` runs first for every update (`bot.routing`) and keeps who sent it, and their
translator, for the handlers after it (``ctx.person``, ``ctx.tr``).
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import filters

from bot.i18n import Translator, resolve
from bot.runtime import AlongsideContext, Person, current
from conversations import people
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.relay import Content

# Commands act on new messages only: editing "/invite Sta" must not make a second invite.
COMMANDS = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


async def identify(ctx: AlongsideContext, update: Update) -> Person:
    user = update.effective_user
    if user is None:
        return None
    person = await people.find_sender(ctx.uow, user.id)
    if isinstance(person, StaffView) and person.unreachable and update.my_chat_member is None:
        # They wrote, so the chat is open again: alerts reach them once more.
        await people.set_staff_reachable(ctx.uow, person.id, True)
    return person


async def identify_sender(update: object, ctx: AlongsideContext) -> None:
    """Who sent this update, once, for every handler after: staff, a young person, or None.

    A message is read for its sender only in a private chat; a button or a block, anywhere."""
    if not isinstance(update, Update):
        return
    message = update.message or update.edited_message
    # A malformed message may come without its chat: nobody to identify, not a crash.
    chat = message.chat if message is not None else None
    private = message is None or (chat is not None and chat.type == ChatType.PRIVATE)
    person = await identify(ctx, update) if private else None
    state = current.get()
    state.person = person
    state.tr = tr_for(ctx, person.locale) if person else stranger_tr(ctx, update)
    if (where := written_in_topic(update)) is not None:
        # Whatever this update's handlers answer goes in the topic it came from.
        state.uow.answering = where


def written_in_topic(update: Update) -> tuple[int, int] | None:
    """The private chat and topic an update came from (a message written in a topic, or a
    button pressed on a message shown in one), if a topic it was."""
    message: object = update.message or update.edited_message
    if message is None and update.callback_query is not None:
        message = update.callback_query.message
    if not isinstance(message, Message) or message.chat.type != ChatType.PRIVATE:
        return None
    thread = message.message_thread_id
    return (message.chat.id, thread) if message.is_topic_message and thread else None


def tr_for(ctx: AlongsideContext, locale: str | None) -> Translator:
    return ctx.runtime.tr(locale)


def stranger_tr(ctx: AlongsideContext, update: Update) -> Translator:
    user = update.effective_user
    return ctx.runtime.tr(resolve(user.language_code if user else None))


async def to_child(
    ctx: AlongsideContext,
    child: ChildView,
    message: Outgoing,
    *,
    purpose: str = "notice",
    message_id: str | None = None,
    staff_id: str | None = None,
    reply_to_message_id: str | None = None,
) -> None:
    await ctx.uow.send(
        child.telegram_id,
        message,
        purpose=purpose,
        key_id=child.data_key_id,
        child_id=child.id,
        message_id=message_id,
        staff_id=staff_id,
        reply_to_message_id=reply_to_message_id,
    )


async def words_to_child(
    ctx: AlongsideContext,
    child: ChildView,
    header: str,
    content: Content,
    *,
    message_id: str,
    author_id: str,
) -> None:
    """Someone's recorded message to a young person, with who wrote it above it."""
    body = f"{header}\n{content.text}" if content.text else header
    await to_child(
        ctx,
        child,
        Outgoing(kind=content.kind, text=body, file_id=content.file_id, protect=True),
        purpose="reply",
        message_id=message_id,
        staff_id=author_id,
    )


async def correction_to_staff(
    ctx: AlongsideContext,
    reader: StaffView,
    child: ChildView,
    content: Content,
    message_id: str,
    *,
    header: str,
) -> None:
    """A message of a young person's conversation, corrected, as a staff member reads it: the
    new words under `header`, answering where they read the original."""
    await to_staff(
        ctx,
        reader,
        Outgoing(text=f"{header}\n{content.text}", protect=True),
        purpose="relay",
        key_id=child.data_key_id,
        child_id=child.id,
        message_id=message_id,
        reply_to_message_id=message_id,
    )


async def to_stranger(ctx: AlongsideContext, update: Update, message: Outgoing) -> None:
    chat = update.effective_chat
    if chat is not None:
        await ctx.uow.send(chat.id, message, purpose="notice")


async def to_staff(
    ctx: AlongsideContext,
    staff: StaffView,
    message: Outgoing,
    *,
    about: ChildView | None = None,
    **kw: Any,
) -> None:
    """`about`: the young person the message names, where it is not in their topic
    (``child_id``): sealed under their key, so that their erasure takes it while it waits."""
    if about is not None:
        kw.setdefault("key_id", about.data_key_id)
    await ctx.uow.send(
        staff.telegram_id, message, purpose=kw.pop("purpose", "notice"), staff_id=staff.id, **kw
    )
