"""Telegram handlers: parse the update, call one service, render for each reader.

Every effect goes through the update's unit of work (``ctx.uow``): state, audit rows and the
messages to send commit together when the inbox marks the update done. Handlers never send
directly, except answering a button press, which has no lasting effect.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import (
    alert_desk,
    away,
    enrolling,
    erasing,
    journeying,
    menus,
    notices,
    relaying,
    watching,
)
from bot.alerting import help_now
from bot.gate import (
    COMMANDS,
    identify,
    staff_only,
    stranger_tr,
    to_child,
    to_staff,
    to_stranger,
    tr_for,
)
from bot.i18n import SUPPORTED
from bot.relaying import send_to_child
from bot.runtime import AlongsideApp, AlongsideContext, current
from bot.watching import clear_chat, next_check_in, on_check_in_button
from conversations import enrolment, linking, people, relay, watch
from conversations.access import access_child_by_ref, access_child_by_reply
from conversations.errors import AccessDenied, InviteExpired, InviteUnknown, InviteUsed, Throttled
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffError, StaffView
from conversations.relay import Content

log = logging.getLogger(__name__)
PRIVATE = filters.ChatType.PRIVATE


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


# /start and linking ---------------------------------------------------------------------------


async def start(update: Update, ctx: AlongsideContext) -> None:
    person = await identify(ctx, update)
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.staff_help(tr_for(ctx, person.locale), person))
        return
    code = ctx.args[0] if ctx.args else ""
    if linking.looks_like_code(code):
        await _link(update, ctx, code)
        return
    if isinstance(person, ChildView):
        await _child_help(ctx, person)
        return
    await to_stranger(ctx, update, notices.stranger(stranger_tr(ctx, update)))


async def _link(update: Update, ctx: AlongsideContext, code: str) -> None:
    user = update.effective_user
    if user is None:
        return
    tr = stranger_tr(ctx, update)
    existing = await people.find_child(ctx.uow, user.id)
    if existing is not None:
        tr = tr_for(ctx, existing.locale)
    uow = ctx.uow
    try:
        enrolled = await enrolment.enrol_with_code(uow, user.id, code, tr.locale)
        if enrolled is not None:
            await enrolling.welcome(ctx, enrolled)
            return
        result = await linking.link_child(uow, user.id, code, tr.locale)
    except StaffError:
        # A staff code opened from a young person's account: it stays for whom it was meant.
        await to_stranger(ctx, update, notices.code_unknown(tr))
        return
    except Throttled as exc:
        minutes = max(1, math.ceil((exc.until - uow.now).total_seconds() / 60))
        await to_stranger(ctx, update, notices.throttled(tr, minutes))
        return
    except InviteUsed:
        await to_stranger(ctx, update, notices.code_used(tr))
        return
    except InviteExpired:
        await to_stranger(ctx, update, notices.code_expired(tr))
        return
    except InviteUnknown:
        await to_stranger(ctx, update, notices.code_unknown(tr))
        return
    child, advocate = result.child, result.advocate
    tr = tr_for(ctx, child.locale)
    if result.already:
        await to_child(ctx, child, notices.already_linked(tr, advocate.name))
        return
    await to_child(ctx, child, notices.linked(tr, advocate.name))
    await watch.start_watch(
        ctx.uow, child.id, next_check_in(ctx.runtime, ctx.uow.now), f"child:{child.id}", "linked"
    )
    staff_tr = tr_for(ctx, advocate.locale)
    await to_staff(
        ctx,
        advocate,
        Outgoing(
            text=staff_tr._(
                "{nickname} · {ref} is now linked with you. Their language: {language}.",
                nickname=child.nickname,
                ref=child.ref,
                language=SUPPORTED[child.locale].native,
            )
        ),
    )


async def _child_help(ctx: AlongsideContext, child: ChildView) -> None:
    advocate = child.advocate_id and await people.get_staff(ctx.uow, child.advocate_id)
    await to_child(
        ctx,
        child,
        notices.child_help(tr_for(ctx, child.locale), advocate.name if advocate else None),
    )


async def help_command(update: Update, ctx: AlongsideContext) -> None:
    person = await identify(ctx, update)
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.staff_help(tr_for(ctx, person.locale), person))
    elif isinstance(person, ChildView):
        await _child_help(ctx, person)
    else:
        await to_stranger(ctx, update, notices.stranger(stranger_tr(ctx, update)))


# Staff commands -------------------------------------------------------------------------------


async def invite(update: Update, ctx: AlongsideContext) -> None:
    staff = await staff_only(update, ctx)
    if staff is None:
        return
    nickname = " ".join(ctx.args or ()).strip()[:40]
    tr = tr_for(ctx, staff.locale)
    if not nickname:
        nickname = tr._("new young person")
    lifetime = ctx.runtime.settings.invite_lifetime
    new = await linking.create_invite(ctx.uow, staff, nickname, lifetime)
    link = f"https://t.me/{ctx.runtime.bot_username}?start={new.code}"
    for part in notices.invite_created(tr, nickname, new.code, link, new.expires_at):
        await to_staff(ctx, staff, part)


async def children(update: Update, ctx: AlongsideContext) -> None:
    staff = await staff_only(update, ctx)
    if staff is None:
        return
    mine = await people.children_of(ctx.uow, staff.id)
    tr = tr_for(ctx, staff.locale)
    await to_staff(ctx, staff, notices.children_list(tr, mine) if mine else notices.no_children(tr))


async def language(update: Update, ctx: AlongsideContext) -> None:
    """/language: anyone may choose the language the bot writes to them in."""
    person = await identify(ctx, update)
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.choose_language(tr_for(ctx, person.locale)))
    elif isinstance(person, ChildView):
        await to_child(ctx, person, notices.choose_language(tr_for(ctx, person.locale)))
    else:
        await to_stranger(ctx, update, notices.stranger(stranger_tr(ctx, update)))


async def unknown_command(update: Update, ctx: AlongsideContext) -> None:
    person = await identify(ctx, update)
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.staff_unknown_command(tr_for(ctx, person.locale)))
    elif isinstance(person, ChildView):
        await relay_from_child(update, ctx, person)
    else:
        await to_stranger(ctx, update, notices.stranger(stranger_tr(ctx, update)))


# Messages -------------------------------------------------------------------------------------


async def on_message(update: Update, ctx: AlongsideContext) -> None:
    message = update.message
    if message is None:
        return
    person = await identify(ctx, update)
    if isinstance(person, StaffView):
        await staff_message(update, ctx, person)
    elif isinstance(person, ChildView):
        tr = tr_for(ctx, person.locale)
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
        else:
            await relay_from_child(update, ctx, person)
    else:
        text = (message.text or "").strip()
        tr = stranger_tr(ctx, update)
        if len(text) == linking.CODE_LENGTH and linking.looks_like_code(text):
            await _link(update, ctx, text)
        elif text == notices.help_now_label(tr) and update.effective_user is not None:
            # No code, no advocate: a person still answers. Supervisors see them as unlinked.
            child = await linking.register_unlinked(ctx.uow, update.effective_user.id, tr.locale)
            await help_now(ctx, child)
        elif update.effective_user is not None and _urgent(ctx, message, tr.locale):
            # Typed danger is screened like a child's, code or not: answered and alerted.
            child = await linking.register_unlinked(ctx.uow, update.effective_user.id, tr.locale)
            await relay_from_child(update, ctx, child)
        else:
            await to_stranger(ctx, update, notices.stranger(stranger_tr(ctx, update)))


def _urgent(ctx: AlongsideContext, message: Message, locale: str) -> bool:
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
    if not isinstance(person, ChildView):
        return
    content = content_of(message)
    if content is None:
        return
    await relaying.edit_from_child(ctx, person, content, message.message_id)


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
    replied = message.reply_to_message
    if replied is not None:
        # Only words the bot wrote may name the child (Telegram says who wrote them).
        ours = replied.from_user is not None and replied.from_user.id == ctx.bot.id
        try:
            child = await access_child_by_reply(
                uow, staff, replied.message_id, (replied.text or replied.caption) if ours else None
            )
        except AccessDenied:
            await to_staff(ctx, staff, notices.cannot_reach(tr))
            return
        await send_to_child(ctx, staff, child, content)
        return
    mine = await people.children_of(uow, staff.id)
    if not mine:
        await to_staff(ctx, staff, notices.no_children(tr))
    elif len(mine) == 1:
        await send_to_child(ctx, staff, mine[0], content)
    else:
        pending = await relay.hold_for_choice(uow, staff, content)
        await to_staff(ctx, staff, notices.pick_child(tr, pending, mine))


# Buttons --------------------------------------------------------------------------------------


async def on_button(update: Update, ctx: AlongsideContext) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except TelegramError:
        # The spinner on their button stops by itself; nothing depends on this answer.
        log.info("button.answer_failed", extra={"update_id": update.update_id})
    data = query.data or ""
    person = await identify(ctx, update)
    if isinstance(person, ChildView) and data.startswith("lang:"):
        code = data.removeprefix("lang:")
        if code in SUPPORTED:
            await people.set_child_locale(ctx.uow, person.id, code, chosen=True)
            await ctx.uow.audit(f"child:{person.id}", "child.language", person.id, code)
            await to_child(ctx, person, notices.language_set(tr_for(ctx, code)))
            await to_child(ctx, person, menus.menu(tr_for(ctx, code), None))
        return
    if isinstance(person, StaffView) and data.startswith("lang:"):
        code = data.removeprefix("lang:")
        if code in SUPPORTED:
            await people.set_staff_locale(ctx.uow, person.id, code)
            chosen = notices.language_set(tr_for(ctx, code))
            await to_staff(ctx, person, Outgoing(text=chosen.text))
            await to_staff(ctx, person, menus.menu(tr_for(ctx, code), person.role))
        return
    if isinstance(person, ChildView) and data.startswith("j:"):
        await journeying.on_journey_button(ctx, person, data)
        return
    if isinstance(person, StaffView) and data.startswith(("st:", "ho:")):
        await journeying.on_staff_journey_button(ctx, person, data)
        return
    if isinstance(person, ChildView) and data.startswith("ci:"):
        await on_check_in_button(ctx, person, data)
        return
    if isinstance(person, StaffView) and data.startswith("to:"):
        await _deliver_pending(ctx, person, data)
        return
    if isinstance(person, StaffView) and data.startswith(erasing.PREFIX):
        await erasing.on_erase_button(ctx, person, data)
        return


async def _deliver_pending(ctx: AlongsideContext, staff: StaffView, data: str) -> None:
    parts = data.split(":")
    tr = tr_for(ctx, staff.locale)
    if len(parts) != 3:
        return
    _, pending_id, ref = parts
    try:
        child = await access_child_by_ref(ctx.uow, staff, ref)
    except AccessDenied:
        await to_staff(ctx, staff, notices.cannot_reach(tr))
        return
    content = await relay.take_pending(ctx.uow, staff, pending_id)
    if content is None:
        await to_staff(ctx, staff, notices.choice_expired(tr))
        return
    await send_to_child(ctx, staff, child, content)
    await to_staff(ctx, staff, notices.sent_to(tr, child))


# Chat membership: a child who blocks the bot may not be the one holding the phone --------------


async def on_membership(update: Update, ctx: AlongsideContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    person = await identify(ctx, update)
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
                    ctx, reader, notices.child_unreachable(tr_for(ctx, reader.locale), person)
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


def register(app: AlongsideApp) -> None:
    app.add_handler(CommandHandler("start", start, filters=COMMANDS))
    app.add_handler(CommandHandler("help", help_command, filters=COMMANDS))
    app.add_handler(CommandHandler("invite", invite, filters=COMMANDS))
    app.add_handler(CommandHandler("children", children, filters=COMMANDS))
    app.add_handler(CommandHandler("language", language, filters=COMMANDS))
    alert_desk.register(app)
    away.register(app)
    enrolling.register(app)
    watching.register(app)
    journeying.register(app)
    erasing.register(app)
    app.add_handler(
        MessageHandler(PRIVATE & filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command)
    )
    app.add_handler(MessageHandler(PRIVATE & filters.UpdateType.MESSAGE, on_message))
    app.add_handler(MessageHandler(PRIVATE & filters.UpdateType.EDITED_MESSAGE, on_edit))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(ChatMemberHandler(on_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_error_handler(on_error)
