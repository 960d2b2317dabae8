"""Interpreters' windows in the bot: /interpreter asks and ends, the Accept button, who hears
that a window closed, and the sweeper that ends windows on time.

The rules are in `conversations.interpreting`; this renders each step for each reader in
their own language. Texts for the interpreter and staff are in `bot.interpreter_texts`; what
an interpreter reads and writes during their window is in `bot.interpreter_relay`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Self

from telegram import Update

from bot import closing, notices
from bot import interpreter_texts as texts
from bot.callbacks import ButtonData, _fit
from bot.gate import to_child, to_staff, tr_for
from bot.i18n import Catalogs
from bot.runtime import AlongsideContext, Runtime
from conversations import interpreting
from conversations.access import access_child_as_interpreter, access_child_by_ref
from conversations.errors import AccessDenied, CaseClosed
from conversations.interpreting import Accepted, Busy, Closed
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView
from conversations.store import UnitOfWork


@dataclass(frozen=True)
class AcceptOffer(ButtonData):
    """``ia:WINDOW_ID``: an interpreter accepts a request offered to them."""

    pattern: ClassVar[str] = r"^ia:"
    window_id: str

    def encode(self) -> str:
        return _fit(f"ia:{self.window_id}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        window_id = data.removeprefix("ia:")
        return cls(window_id) if re.fullmatch(r"ia:[0-9A-Z]{26}", data) else None


async def interpreter_command(update: Update, ctx: AlongsideContext) -> None:
    """``/interpreter REF`` asks, ``/interpreter REF end`` ends; an interpreter's
    ``/interpreter end`` ends their own window."""
    staff, tr = ctx.staff, ctx.tr
    args = [a for a in (ctx.args or ()) if a]
    ending = bool(args) and args[-1].casefold() == "end"
    ref = args[0] if args and not (len(args) == 1 and ending) else ""
    if staff.is_interpreter:
        await _interpreter_ends(ctx, staff, ending)
        return
    if not ref or len(args) > 2 or (len(args) == 2 and not ending):
        await to_staff(ctx, staff, texts.usage(tr))
        return
    try:
        child = await access_child_by_ref(ctx.uow, staff, ref)
    except AccessDenied:
        await to_staff(ctx, staff, notices.cannot_reach(tr))
        return
    if ending:
        closed = await interpreting.end(ctx.uow, staff, child)
        if closed is None:
            await to_staff(ctx, staff, texts.nothing_to_end(tr, child), about=child)
        else:
            await tell_closed(ctx.runtime.catalogs, ctx.uow, closed)
        return
    await _ask(ctx, staff, child)


async def _ask(ctx: AlongsideContext, staff: StaffView, child: ChildView) -> None:
    tr, length = ctx.tr, ctx.runtime.settings.interpreter_window
    try:
        asked = await interpreting.ask(ctx.uow, staff, child, length)
    except CaseClosed:
        await to_staff(ctx, staff, closing.still_closed(tr, child.ref), about=child)
        return
    window = asked.window
    if asked.already and window is not None:
        interpreter = (
            await ctx.uow.staff.get(window.interpreter_id) if window.interpreter_id else None
        )
        await to_staff(ctx, staff, texts.already(tr, child, window, interpreter), about=child)
        return
    if window is None:
        await to_staff(
            ctx, staff, texts.none_free(tr, child, nobody=asked.nobody_speaks), about=child
        )
        return
    hours = int(length.total_seconds() // 3600)
    for interpreter in asked.offered:
        itr = tr_for(ctx, interpreter.locale)
        offer = texts.offer(itr, staff, child, hours)
        accept = Button(itr._("Accept"), data=AcceptOffer(window.id).encode())
        await to_staff(ctx, interpreter, Outgoing(text=offer, buttons=((accept,),)), about=child)
    await to_staff(ctx, staff, texts.asked(tr, child, len(asked.offered)), about=child)


async def _interpreter_ends(ctx: AlongsideContext, interpreter: StaffView, ending: bool) -> None:
    if not ending:
        await to_staff(ctx, interpreter, texts.interpreter_usage(ctx.tr))
        return
    try:
        child, _ = await access_child_as_interpreter(ctx.uow, interpreter, None)
    except AccessDenied:
        await refuse(ctx, interpreter, "end")
        return
    closed = await interpreting.end(ctx.uow, interpreter, child)
    if closed is not None:
        await tell_closed(ctx.runtime.catalogs, ctx.uow, closed)


async def on_accept(ctx: AlongsideContext, interpreter: StaffView, button: AcceptOffer) -> None:
    tr, length = ctx.tr, ctx.runtime.settings.interpreter_window
    try:
        result = await interpreting.accept(ctx.uow, interpreter, button.window_id, length)
    except AccessDenied:
        await refuse(ctx, interpreter, "accept")
        return
    if isinstance(result, Busy):
        await to_staff(ctx, interpreter, texts.busy(tr))
        return
    if not isinstance(result, Accepted):
        closed = not result.by_other
        await to_staff(ctx, interpreter, texts.offer_closed(tr) if closed else texts.taken(tr))
        return
    await _tell_accepted(ctx, interpreter, result)


async def _tell_accepted(ctx: AlongsideContext, interpreter: StaffView, done: Accepted) -> None:
    child, window = done.child, done.window
    hours = max(1, round((window.ends_at - ctx.uow.now).total_seconds() / 3600))
    await to_staff(ctx, interpreter, texts.you_interpret(ctx.tr, child, window, hours), about=child)
    ctr = tr_for(ctx, child.locale)
    await to_child(ctx, child, texts.child_told(ctr, interpreter.name, window, hours))
    if done.asked_by is not None:
        atr = tr_for(ctx, done.asked_by.locale)
        await to_staff(
            ctx, done.asked_by, texts.accepted(atr, interpreter, child, window), about=child
        )
    for other in done.others:
        await to_staff(ctx, other, texts.taken(tr_for(ctx, other.locale)))


async def tell_closed(catalogs: Catalogs, uow: UnitOfWork, closed: Closed) -> None:
    """Everyone concerned hears that a window (or an offer) closed, in their own language; an
    interpreter taken off the staff hears nothing more about the young person."""
    child = closed.child
    if child is None:
        return
    interpreter, asked_by = closed.interpreter, closed.asked_by
    if interpreter is not None:
        if interpreter.active:
            await uow.send(
                interpreter.telegram_id,
                texts.interpreter_closed(catalogs.get(interpreter.locale), child),
                purpose="notice",
                staff_id=interpreter.id,
                key_id=child.data_key_id,
            )
        await uow.send(
            child.telegram_id,
            texts.child_closed(catalogs.get(child.locale)),
            purpose="notice",
            key_id=child.data_key_id,
            child_id=child.id,
        )
    if asked_by is not None:
        await uow.send(
            asked_by.telegram_id,
            texts.asker_closed(catalogs.get(asked_by.locale), child, lapsed=interpreter is None),
            purpose="notice",
            staff_id=asked_by.id,
            key_id=child.data_key_id,
        )
    for other in closed.offered:
        await uow.send(
            other.telegram_id,
            texts.offer_closed(catalogs.get(other.locale)),
            purpose="notice",
            staff_id=other.id,
        )


async def refuse(ctx: AlongsideContext, interpreter: StaffView, what: str) -> None:
    """Refused, audited; their window, if its time is up, closes now and everyone hears."""
    closed = await interpreting.refused(ctx.uow, interpreter, what)
    if closed is not None:
        await tell_closed(ctx.runtime.catalogs, ctx.uow, closed)
    await to_staff(ctx, interpreter, texts.refused(ctx.tr))


async def sweep(runtime: Runtime) -> int:
    """Close windows and offers whose time is up, and tell everyone concerned."""
    async with runtime.store.unit() as uow:
        closed = await interpreting.due(uow)
        for item in closed:
            await tell_closed(runtime.catalogs, uow, item)
        if closed:
            await uow.commit()
    return len(closed)
