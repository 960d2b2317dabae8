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

from bot import away, journeying, notices
from bot.alerting import answer_due, closed_notice, help_now, screen_and_alert
from bot.gate import identify, to_child, to_staff, tr_for
from bot.runtime import AlongsideContext, current
from bot.watching import clear_chat
from conversations import attention, continuity, people, relay
from conversations.access import access_child_by_reply
from conversations.errors import AccessDenied
from conversations.outgoing import TEXT_LIMIT, Button, Outgoing, split_text, utf16_len
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


def _urgent(ctx: AlongsideContext, message: Message, locale: str) -> bool:
    content = content_of(message)
    return bool(
        content
        and content.text
        and ctx.runtime.detector.scan(content.text, languages=(locale,)).urgent
    )


def relayed(header: str, content: Content, seen: Button) -> list[Outgoing]:
    """A young person's message as staff receive it. A text too long for one message is sent
    in parts that each carry the real header ("2/3"), so no part can begin with words of
    theirs made to look like another young person's header."""
    if content.kind != "text" or not content.text:
        body = f"{header}\n{content.text}" if content.text else header
        return [
            Outgoing(
                kind=content.kind,
                text=body,
                file_id=content.file_id,
                protect=True,
                buttons=((seen,),),
            )
        ]
    # Room for the header, a line break and the longest part number.
    room = TEXT_LIMIT - utf16_len(header) - 16
    pieces = split_text(content.text, room)
    if len(pieces) == 1:
        return [Outgoing(text=f"{header}\n{content.text}", protect=True, buttons=((seen,),))]
    return [
        Outgoing(
            text=f"{header} · {number}/{len(pieces)}\n{piece}",
            protect=True,
            buttons=((seen,),) if number == len(pieces) else (),
        )
        for number, piece in enumerate(pieces, start=1)
    ]


async def relay_from_child(update: Update, ctx: AlongsideContext, child: ChildView) -> None:
    message = update.message
    if message is None:
        return
    content = content_of(message)
    tr = tr_for(ctx, child.locale)
    if content is None:
        await to_child(ctx, child, notices.unsupported(tr))
        return
    uow = ctx.uow
    screened = await screen_and_alert(ctx, child, content.text)
    message_id = await relay.record_from_child(
        uow, child, content, message.message_id, screened.severity
    )
    await screened.after_record(message_id)
    if child.muted:
        return  # kept with the record, pushed to no one
    topic = await continuity.take_asking(uow, child)
    readers, away_advocate = await people.readers_of(uow, child)
    if child.advocate_id is None and readers and await _held(ctx, child, readers):
        return
    if not readers:
        await to_child(ctx, child, notices.waiting_for_advocate(tr))
    elif topic:
        await to_child(ctx, child, Outgoing(text=tr._("Thank you. I sent it to your advocate.")))
    if away_advocate:
        await away.tell_child(ctx, child, away_advocate)
    if readers and screened.severity != "urgent":
        await _closed_notice(ctx, child)
    if readers:
        await attention.await_answer(uow, child.id, answer_due(ctx.runtime, uow.now))
    for reader in readers:
        staff_tr = tr_for(ctx, reader.locale)
        header = notices.relay_header(staff_tr, child, uow.now, screened.marks(staff_tr))
        if topic:
            label = journeying.topic_label(staff_tr, journeying.content(ctx), topic)
            header = f"{header}\n❓ {child.nickname} {label}" if label else header
        if away_advocate and reader is not away_advocate:
            header = f"{header}\n{away.standing_in(staff_tr, away_advocate)}"
        seen = Button(staff_tr._("Seen"), data=f"seen:{child.id}")
        for outgoing in relayed(header, content, seen):
            await to_staff(
                ctx,
                reader,
                outgoing,
                purpose="relay",
                key_id=child.data_key_id,
                child_id=child.id,
                message_id=message_id,
            )


async def _held(ctx: AlongsideContext, child: ChildView, readers: list[StaffView]) -> bool:
    """Someone not linked to an advocate reaches the supervisors at a limited rate: past it,
    what they write is kept and the supervisors are told once."""
    limit = ctx.runtime.settings.stranger_relays_per_hour
    over = await attention.messages_this_hour(ctx.uow, child.id) - limit
    if over == 1:
        for reader in readers:
            staff_tr = tr_for(ctx, reader.locale)
            await to_staff(
                ctx,
                reader,
                Outgoing(
                    text=staff_tr._(
                        "{ref} (not linked) keeps writing: what they send in the next hour is "
                        "kept, not "
                        "passed on. Open their alert to read it, or /mute {ref}.",
                        ref=child.ref,
                    )
                ),
            )
    return over > 0


async def _closed_notice(ctx: AlongsideContext, child: ChildView) -> None:
    """Outside service hours, once per closure: when a person will read, and who to call now."""
    hours = ctx.runtime.settings.service_hours
    now = ctx.uow.now
    if hours is None or hours.is_open(now):
        return
    opens = hours.next_open(now)
    if await attention.first_word_while_closed(ctx.uow, child.id, opens):
        tr = tr_for(ctx, child.locale)
        # Always within the week: the day's name and the time read best.
        await to_child(
            ctx,
            child,
            closed_notice(tr, tr.datetime(opens, "EEEE HH:mm"), ctx.runtime.settings.region),
        )


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
    uow = ctx.uow
    original = await relay.record_edit(uow, person, message.message_id, content)
    if original is None:
        return
    screened = await screen_and_alert(ctx, person, content.text)
    await screened.after_record(original)
    # Whoever read the message reads its correction (supervisors too, while the advocate is away).
    if not person.advocate_id:
        return
    readers, _ = await people.readers_of(uow, person)
    for reader in readers:
        staff_tr = tr_for(ctx, reader.locale)
        header = screened.marks(staff_tr) + notices.correction_header(staff_tr, person, uow.now)
        await to_staff(
            ctx,
            reader,
            Outgoing(text=f"{header}\n{content.text}", protect=True),
            purpose="relay",
            key_id=person.data_key_id,
            child_id=person.id,
            message_id=original,
            reply_to_message_id=original,
        )


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


async def send_to_child(
    ctx: AlongsideContext, staff: StaffView, child: ChildView, content: Content
) -> None:
    uow = ctx.uow
    message_id = await relay.record_to_child(uow, child, staff, content)
    await uow.audit(f"staff:{staff.id}", "message.send", child.id)
    await attention.answered(uow, child.id, f"staff:{staff.id}", "answered")
    tr = tr_for(ctx, child.locale)
    header = notices.from_advocate_header(tr, staff.name)
    body = f"{header}\n{content.text}" if content.text else header
    await to_child(
        ctx,
        child,
        Outgoing(kind=content.kind, text=body, file_id=content.file_id, protect=True),
        purpose="reply",
        message_id=message_id,
        staff_id=staff.id,
    )


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
    # No later handler group runs on a failed update: it is rolled back and tried again whole.
    raise ApplicationHandlerStop
