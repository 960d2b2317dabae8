"""A young person's words and a staff member's reply, rendered: the use cases in
``conversations.relaying`` decide and record; this queues what each person reads, in their own
language and in the order the old single handler sent it (alert and emergency answer first,
then what the young person is told, then the relay to each reader).
"""

from __future__ import annotations

from bot import away, journeying, notices, translating
from bot.alerting import answer_alert, closed_notice, marks, rules
from bot.gate import correction_to_staff, to_child, to_staff, tr_for, words_to_child
from bot.interpreter_relay import correct_for_interpreter, show_to_interpreter
from bot.runtime import AlongsideContext
from conversations import relaying
from conversations.errors import AccessDenied
from conversations.outgoing import TEXT_LIMIT, Button, Outgoing, split_text, utf16_len
from conversations.people import ChildView, StaffView
from conversations.relay import Content
from conversations.relaying import Edited, Relayed
from safety import ScanResult


def screen(ctx: AlongsideContext, child: ChildView, text: str) -> ScanResult | None:
    """The safety scan of a young person's words; None when there are none."""
    return ctx.runtime.detector.scan(text, languages=(child.locale,)) if text else None


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


async def relay_from_child(
    ctx: AlongsideContext, child: ChildView, content: Content, telegram_message_id: int
) -> None:
    """Relay a young person's message and tell everyone concerned."""
    result = await relaying.relay_from_child(
        ctx.uow,
        child,
        content,
        telegram_message_id,
        scanned=screen(ctx, child, content.text),
        rules=rules(ctx.runtime),
    )
    if result.severity != "none":
        await answer_alert(ctx, child, result.raised, source="message", severity=result.severity)
    if result.muted:
        return  # kept with the record, pushed to no one
    if result.held:
        if result.tell_held:
            await _tell_held(ctx, child, result.readers)
        return
    await _tell_child(ctx, child, result)
    for reader in result.readers:
        await _relay_to(ctx, reader, child, content, result)
    await show_to_interpreter(ctx, child, content, result.message_id)


async def _tell_child(ctx: AlongsideContext, child: ChildView, result: Relayed) -> None:
    tr = tr_for(ctx, child.locale)
    if not result.readers:
        await to_child(ctx, child, notices.waiting_for_advocate(tr))
    elif result.topic:
        await to_child(ctx, child, Outgoing(text=tr._("Thank you. I sent it to your advocate.")))
    if result.tell_away and result.away_advocate is not None:
        await away.tell_child(ctx, child, result.away_advocate)
    if result.closed_until is not None:
        # Always within the week: the day's name and the time read best.
        opens = tr.datetime(result.closed_until, "EEEE HH:mm")
        await to_child(ctx, child, closed_notice(tr, opens, ctx.runtime.settings.region))


async def _relay_to(
    ctx: AlongsideContext, reader: StaffView, child: ChildView, content: Content, result: Relayed
) -> None:
    staff_tr = tr_for(ctx, reader.locale)
    header = notices.relay_header(staff_tr, child, ctx.uow.now, marks(staff_tr, result.severity))
    if result.topic:
        label = journeying.topic_label(staff_tr, journeying.content(ctx), result.topic)
        header = f"{header}\n❓ {child.nickname} {label}" if label else header
    advocate = result.away_advocate
    if advocate and reader is not advocate:
        header = f"{header}\n{away.standing_in(staff_tr, advocate)}"
    seen = Button(staff_tr._("Seen"), data=f"seen:{child.id}")
    for outgoing in relayed(header, content, seen):
        await to_staff(
            ctx,
            reader,
            outgoing,
            purpose="relay",
            key_id=child.data_key_id,
            child_id=child.id,
            message_id=result.message_id,
        )
    if content.text:
        await translating.ask_for_staff(ctx.runtime, ctx.uow, result.message_id, child, reader)


async def _tell_held(
    ctx: AlongsideContext, child: ChildView, readers: tuple[StaffView, ...]
) -> None:
    """Someone not linked to an advocate reaches the supervisors at a limited rate: past it,
    what they write is kept and the supervisors are told once."""
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
            about=child,
        )


async def edit_from_child(
    ctx: AlongsideContext, child: ChildView, content: Content, telegram_message_id: int
) -> None:
    """A young person corrected a message: keep it, screen it, show the correction to its
    readers as a reply to the original."""
    result = await relaying.edit_from_child(
        ctx.uow,
        child,
        telegram_message_id,
        content,
        scanned=screen(ctx, child, content.text),
        rules=rules(ctx.runtime),
    )
    if result is None:
        return
    if result.severity != "none":
        await answer_alert(ctx, child, result.raised, source="message", severity=result.severity)
    for reader in result.readers:
        await _correct_for(ctx, reader, child, content, result)
    await correct_for_interpreter(ctx, child, content, result.message_id)


async def _correct_for(
    ctx: AlongsideContext, reader: StaffView, child: ChildView, content: Content, result: Edited
) -> None:
    staff_tr = tr_for(ctx, reader.locale)
    header = marks(staff_tr, result.severity) + notices.correction_header(
        staff_tr, child, ctx.uow.now
    )
    await correction_to_staff(ctx, reader, child, content, result.message_id, header=header)
    if content.text:
        await translating.ask_for_staff(ctx.runtime, ctx.uow, result.message_id, child, reader)


async def send_to_child(
    ctx: AlongsideContext,
    staff: StaffView,
    child: ChildView,
    content: Content,
    written_as: int | None = None,
) -> None:
    """A staff member's message, recorded, with their name above it for the young person;
    `written_as` is its id in their chat, should they edit it."""
    message_id = await relaying.reply_to_child(
        ctx.uow, staff, child, content, written_as=written_as
    )
    tr = tr_for(ctx, child.locale)
    header = notices.from_advocate_header(tr, staff.name)
    await words_to_child(ctx, child, header, content, message_id=message_id, author_id=staff.id)
    if content.text:
        await translating.ask_for_child(ctx.runtime, ctx.uow, message_id, child, staff)
    await show_to_interpreter(ctx, child, content, message_id, author=staff)


async def edit_from_staff(
    ctx: AlongsideContext, staff: StaffView, content: Content, telegram_message_id: int
) -> None:
    """A staff member corrected a message already sent to a young person: the young person
    reads the correction as an answer to the original (marked ✏️ above their name), and so
    does the interpreter reading with them."""
    try:
        edited = await relaying.edit_from_staff(ctx.uow, staff, telegram_message_id, content)
    except AccessDenied:
        await to_staff(ctx, staff, notices.cannot_reach(ctx.tr))
        return
    if edited is None:
        return
    child, message_id = edited.child, edited.message_id
    header = "✏️ " + notices.from_advocate_header(tr_for(ctx, child.locale), staff.name)
    await to_child(
        ctx,
        child,
        Outgoing(text=f"{header}\n{content.text}", protect=True),
        purpose="reply",
        message_id=message_id,
        staff_id=staff.id,
        reply_to_message_id=message_id,
    )
    if content.text:
        await translating.ask_for_child(ctx.runtime, ctx.uow, message_id, child, staff)
    await correct_for_interpreter(ctx, child, content, message_id, author=staff)
