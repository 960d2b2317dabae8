"""What an interpreter reads and writes during their window: their messages to the young
person (with a copy for whoever reads the young person) or to the staff member they answer,
and the copies and corrections of the conversation shown to them.

The rules are in `conversations.interpreting`; a window found past its time closes here, and
everyone hears it as `bot.interpreting` tells them.
"""

from __future__ import annotations

from bot import interpreter_texts as texts
from bot import notices
from bot.gate import correction_to_staff, to_staff, tr_for, words_to_child
from bot.interpreting import refuse, tell_closed
from bot.runtime import AlongsideContext
from conversations import interpreting, people
from conversations.errors import AccessDenied
from conversations.interpreting import Route
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.relay import Content
from conversations.relaying import reply_to_child
from conversations.store import UnitOfWork


async def interpreter_message(
    ctx: AlongsideContext, interpreter: StaffView, content: Content, replied: int | None
) -> None:
    """An interpreter's message: to the young person, or to the staff member they answer."""
    try:
        route = await interpreting.route(ctx.uow, interpreter, replied)
    except AccessDenied:
        await refuse(ctx, interpreter, "message")
        return
    await interpreting.answered(ctx.uow, interpreter, route)
    if route.to_staff is not None:
        await _to_staff_member(ctx, interpreter, route, content)
        return
    child = route.child
    message_id = await reply_to_child(ctx.uow, interpreter, child, content, answers=False)
    header = texts.to_child_header(tr_for(ctx, child.locale), interpreter.name)
    await words_to_child(
        ctx, child, header, content, message_id=message_id, author_id=interpreter.id
    )
    # Whoever reads the young person reads what the interpreter told them.
    for reader in await _readers(ctx.uow, child):
        rtr = tr_for(ctx, reader.locale)
        await _copy(ctx, reader, child, content, texts.answer_copy(rtr, interpreter, child))


async def _to_staff_member(
    ctx: AlongsideContext, interpreter: StaffView, route: Route, content: Content
) -> None:
    staff = route.to_staff
    assert staff is not None
    header = texts.to_staff_header(tr_for(ctx, staff.locale), interpreter, route.child)
    await _copy(ctx, staff, route.child, content, header, purpose="interpreter")


async def _readers(uow: UnitOfWork, child: ChildView) -> list[StaffView]:
    readers, _ = await people.readers_of(uow, child)
    return readers


async def _copy(
    ctx: AlongsideContext,
    reader: StaffView,
    child: ChildView,
    content: Content,
    header: str,
    *,
    purpose: str = "relay",
    message_id: str | None = None,
) -> None:
    body = f"{header}\n{content.text}" if content.text else header
    await to_staff(
        ctx,
        reader,
        Outgoing(kind=content.kind, text=body, file_id=content.file_id, protect=True),
        purpose=purpose,
        key_id=child.data_key_id,
        child_id=child.id,
        message_id=message_id,
    )


async def show_to_interpreter(
    ctx: AlongsideContext,
    child: ChildView,
    content: Content,
    message_id: str,
    author: StaffView | None = None,
) -> None:
    """One message of the conversation (the young person's, or `author`'s to them), copied to
    the interpreter reading it now, if any; a window found past its time closes here."""
    interpreter, closed = await interpreting.reader_of(ctx.uow, child)
    if closed is not None:
        await tell_closed(ctx.runtime.catalogs, ctx.uow, closed)
    if interpreter is None or (author is not None and author.id == interpreter.id):
        return
    itr = tr_for(ctx, interpreter.locale)
    header = (
        texts.view_of_child(itr, child, ctx.uow.now)
        if author is None
        else texts.view_of_staff(itr, author, child, ctx.uow.now)
    )
    await _copy(ctx, interpreter, child, content, header, message_id=message_id)
    await interpreting.read(ctx.uow, interpreter, child, message_id)


async def correct_for_interpreter(
    ctx: AlongsideContext,
    child: ChildView,
    content: Content,
    message_id: str,
    author: StaffView | None = None,
) -> None:
    """A message of the conversation (the young person's, or `author`'s to them) was corrected:
    the interpreter reading it now, if they were shown it, reads the correction as its other
    readers do. After the window, no one; a window found past its time closes here."""
    interpreter, closed = await interpreting.reader_of_correction(ctx.uow, child, message_id)
    if closed is not None:
        await tell_closed(ctx.runtime.catalogs, ctx.uow, closed)
    if interpreter is None:
        return
    itr, now = tr_for(ctx, interpreter.locale), ctx.uow.now
    header = (
        notices.correction_header(itr, child, now)
        if author is None
        else "✏️ " + texts.view_of_staff(itr, author, child, now)
    )
    await correction_to_staff(ctx, interpreter, child, content, message_id, header=header)
