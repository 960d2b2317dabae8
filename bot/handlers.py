"""Telegram handlers: parse the update, call one service, render for each reader.

Every effect goes through the update's unit of work (``ctx.uow``): state, audit rows and the
messages to send commit together when the inbox marks the update done. Handlers never send
directly, except answering a button press, which has no lasting effect.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ApplicationHandlerStop

from bot import closing, interpreter_relay, journeying, notices, privacy, relaying
from bot.alerting import help_now
from bot.gate import identify, to_child, to_staff, tr_for
from bot.interpreter_texts import reply_to_interpreter
from bot.profiles import profile_reply
from bot.relaying import send_to_child
from bot.runtime import AlongsideContext, current
from bot.topic_routing import replied_to, send_in_topic
from bot.watching import clear_chat
from conversations import people, relay
from conversations.access import access_child_by_reply
from conversations.errors import AccessDenied
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.relay import Content

log = logging.getLogger(__name__)


def content_of(message: Message) -> Content | None:
    """What a message carries, in plain values; None for kinds we cannot pass on."""
    caption = message.caption or ""
    if message.text is not None:
        return Content("text", message.text)
    media: list[tuple[str, Any]] = [
        ("photo", message.photo[-1] if message.photo else None),
        ("voice", message.voice),
        ("video", message.video),
        ("document", message.document),
        ("sticker", message.sticker),
        ("audio", message.audio),
        ("animation", message.animation),
        ("video_note", message.video_note),
    ]
    for kind, item in media:
        if item:
            name = getattr(item, "file_name", None)
            return Content(kind, caption, item.file_id, name if isinstance(name, str) else None)
    return None


# Messages -------------------------------------------------------------------------------------


async def on_message(update: Update, ctx: AlongsideContext) -> None:
    message = update.message
    if message is None:
        return
    # Strangers were answered by the stranger gate (`bot.strangers`).
    person = ctx.person
    if isinstance(person, StaffView):
        await staff_message(update, ctx, person)
    elif isinstance(person, ChildView):
        tr = ctx.tr
        # Safety first: a young person whose case was closed is heard again at once.
        await closing.on_contact(ctx, person)
        if message.text == notices.help_now_label(tr):
            await help_now(ctx, person)
        elif message.text == notices.language_label(tr):
            await to_child(ctx, person, notices.choose_language(tr))
        elif message.text == notices.clear_label(tr):
            await clear_chat(ctx, person, message.message_id)
        elif message.text == notices.next_label(tr):
            await journeying.what_happens_next(ctx, person)
        elif message.text == notices.about_label(tr):
            await journeying.about_me(ctx, person)
        elif message.text == notices.my_data_label(tr):
            await to_child(ctx, person, privacy.notice(tr, ctx.runtime.settings.retention_days))
        else:
            await relay_from_child(update, ctx, person)


def typed_danger(ctx: AlongsideContext, message: Message, locale: str) -> bool:
    """Whether the words of a message screen as urgent (for a sender not yet linked)."""
    content = content_of(message)
    return bool(
        content
        and content.text
        and ctx.runtime.detector.scan(content.text, languages=(locale,)).urgent
    )


async def relay_from_child(update: Update, ctx: AlongsideContext, child: ChildView) -> None:
    message = update.message
    if message is None:
        return
    content = content_of(message)
    if content is None:
        await to_child(ctx, child, notices.unsupported(tr_for(ctx, child.locale)))
        return
    await relaying.relay_from_child(ctx, child, content, message.message_id)


async def on_edit(update: Update, ctx: AlongsideContext) -> None:
    message = update.edited_message
    if message is None:
        return
    person = await identify(ctx, update)
    content = content_of(message)
    if content is None:
        return
    if isinstance(person, ChildView):
        await relaying.edit_from_child(ctx, person, content, message.message_id)
    elif isinstance(person, StaffView) and not person.is_interpreter:
        await relaying.edit_from_staff(ctx, person, content, message.message_id)


async def staff_message(update: Update, ctx: AlongsideContext, staff: StaffView) -> None:
    message = update.message
    if message is None:
        return
    content = content_of(message)
    tr = tr_for(ctx, staff.locale)
    if content is None:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr._(
                    "This kind of message cannot be passed on. Send text, a photo, a voice "
                    "message, "
                    "a video, a sticker or a file."
                )
            ),
        )
        return
    uow = ctx.uow
    replied = replied_to(message)
    if staff.is_interpreter:
        await interpreter_relay.interpreter_message(
            ctx, staff, content, replied.message_id if replied is not None else None
        )
        return
    if await send_in_topic(ctx, staff, message, content):
        return
    if replied is not None:
        if await profile_reply(ctx, staff, replied.message_id, content):
            return
        if await windows_note(ctx, staff, replied.message_id):
            return
        # Only words the bot wrote may name the child (Telegram says who wrote them).
        ours = replied.from_user is not None and replied.from_user.id == ctx.bot.id
        try:
            child = await access_child_by_reply(
                uow, staff, replied.message_id, (replied.text or replied.caption) if ours else None
            )
        except AccessDenied:
            await to_staff(ctx, staff, notices.cannot_reach(tr))
            return
        await send_to_child(ctx, staff, child, content, message.message_id)
        return
    mine = await people.children_of(uow, staff.id)
    if not mine:
        await to_staff(ctx, staff, notices.no_children(tr))
    elif len(mine) == 1:
        await send_to_child(ctx, staff, mine[0], content, message.message_id)
    else:
        pending = await relay.hold_for_choice(uow, staff, content, message.message_id)
        await to_staff(ctx, staff, notices.pick_child(tr, pending, mine))


async def windows_note(ctx: AlongsideContext, staff: StaffView, replied: int) -> bool:
    """A reply to an interpreter's message goes nowhere: it would reach the young person."""
    shown = await ctx.uow.replies.replied_to(staff.telegram_id, replied)
    if shown is None or shown.purpose != "interpreter":
        return False
    await to_staff(ctx, staff, reply_to_interpreter(tr_for(ctx, staff.locale)))
    return True


# Chat membership: a child who blocks the bot may not be the one holding the phone --------------


async def on_membership(update: Update, ctx: AlongsideContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    person = ctx.person
    status = change.new_chat_member.status
    if isinstance(person, StaffView):
        blocked = status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT)
        await people.set_staff_reachable(ctx.uow, person.id, not blocked)
        return
    if not isinstance(person, ChildView):
        return
    if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
        if await relay.mark_unreachable(ctx.uow, person.id):
            advocate = person.advocate_id and await people.get_staff(ctx.uow, person.advocate_id)
            for reader in [advocate] if advocate else await people.supervisors(ctx.uow):
                await to_staff(
                    ctx,
                    reader,
                    notices.child_unreachable(tr_for(ctx, reader.locale), person),
                    about=person,
                )
    elif status == ChatMemberStatus.MEMBER:
        await relay.mark_reachable(ctx.uow, person.id)


async def on_error(update: object, ctx: AlongsideContext) -> None:
    """Record that the update failed so the inbox rolls it back; log only what is safe."""
    state = current.get(None)
    error = ctx.error
    name = type(error).__name__ if error else "unknown"
    if state is not None:
        state.error = name
    update_id = update.update_id if isinstance(update, Update) else None
    log.error(
        "handler.error",
        extra={"update_id": update_id, "error": name},
        exc_info=(type(error), error, error.__traceback__) if error else None,
    )
    # No later handler group runs on a failed update: it is rolled back and tried again whole.
    raise ApplicationHandlerStop
