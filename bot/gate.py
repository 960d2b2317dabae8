"""Who is writing, and the few ways handlers queue a message for someone.

Strangers learn how to get a code and reach no one; staff-only commands from anyone else get a
refusal that changes nothing.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import filters

from bot import notices
from bot.i18n import Translator, resolve
from bot.runtime import AlongsideContext
from conversations import people
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView

Person = StaffView | ChildView | None
# Commands act on new messages only: editing "/invite Sta" must not make a second invite.
COMMANDS = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE


async def identify(ctx: AlongsideContext, update: Update) -> Person:
    user = update.effective_user
    if user is None:
        return None
    staff = await people.find_staff(ctx.uow, user.id)
    if staff is not None:
        if staff.unreachable and update.my_chat_member is None:
            # They wrote, so the chat is open again: alerts reach them once more.
            await people.set_staff_reachable(ctx.uow, staff.id, True)
        return staff
    return await people.find_child(ctx.uow, user.id)


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
) -> None:
    await ctx.uow.send(
        child.telegram_id,
        message,
        purpose=purpose,
        key_id=child.data_key_id,
        child_id=child.id,
        message_id=message_id,
        staff_id=staff_id,
    )


async def to_stranger(ctx: AlongsideContext, update: Update, message: Outgoing) -> None:
    chat = update.effective_chat
    if chat is not None:
        await ctx.uow.send(chat.id, message, purpose="notice")


async def to_staff(ctx: AlongsideContext, staff: StaffView, message: Outgoing, **kw: Any) -> None:
    await ctx.uow.send(
        staff.telegram_id, message, purpose=kw.pop("purpose", "notice"), staff_id=staff.id, **kw
    )


async def staff_only(update: Update, ctx: AlongsideContext) -> StaffView | None:
    """The staff member, or None after answering anyone else with a refusal that changes nothing."""
    person = await identify(ctx, update)
    if isinstance(person, StaffView):
        return person
    if isinstance(person, ChildView):
        await to_child(ctx, person, notices.not_for_you(tr_for(ctx, person.locale)))
    else:
        await to_stranger(ctx, update, notices.stranger(stranger_tr(ctx, update)))
    return None
