"""The commands that are no one feature's: /start and opening a code, /help, /language, and an
advocate's /invite and /children; the language and "which young person?" buttons.

Each runs for the sender `bot.routing` let through (``ctx.person``), in their language
(``ctx.tr``). Opening a code is shared with the stranger gate (`bot.strangers`).
"""

from __future__ import annotations

import math

from telegram import Update

from bot import enrolling, menus, notices, privacy
from bot.callbacks import LanguageChoice, SendTo
from bot.gate import stranger_tr, to_child, to_staff, to_stranger, tr_for
from bot.handlers import relay_from_child
from bot.i18n import SUPPORTED, Translator
from bot.relaying import send_to_child
from bot.runtime import AlongsideContext
from bot.watching import next_check_in
from conversations import enrolment, linking, people, relay, watch
from conversations.access import access_child_by_ref
from conversations.errors import AccessDenied, InviteExpired, InviteUnknown, InviteUsed, Throttled
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffError, StaffView

# /start and linking ---------------------------------------------------------------------------


async def start(update: Update, ctx: AlongsideContext) -> None:
    person = ctx.person
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.staff_help(ctx.tr, person))
        return
    code = ctx.args[0] if ctx.args else ""
    if linking.looks_like_code(code):
        await open_code(update, ctx, code)
        return
    if isinstance(person, ChildView):
        await _child_help(ctx, person)


async def open_code(update: Update, ctx: AlongsideContext, code: str) -> None:
    """A code opened by a stranger or a young person: an invite, or a staff enrolment."""
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
    await to_child(ctx, child, privacy.notice(tr, ctx.runtime.settings.retention_days))
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
        about=child,
    )


async def _child_help(ctx: AlongsideContext, child: ChildView) -> None:
    advocate = child.advocate_id and await people.get_staff(ctx.uow, child.advocate_id)
    await to_child(ctx, child, notices.child_help(ctx.tr, advocate.name if advocate else None))


async def help_command(update: Update, ctx: AlongsideContext) -> None:
    person = ctx.person
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.staff_help(ctx.tr, person))
    elif isinstance(person, ChildView):
        await _child_help(ctx, person)


async def whoami(update: Update, ctx: AlongsideContext) -> None:
    """/whoami: the sender's numeric Telegram id, which `alongside staff add` needs. Answered
    to anyone, in their chat only; nothing about them is kept."""
    user = update.effective_user
    if user is None:
        return
    person = ctx.person
    answer = your_id(ctx.tr, user.id, stranger=person is None)
    if person is None:
        await to_stranger(ctx, update, answer)
    elif isinstance(person, StaffView):
        await to_staff(ctx, person, answer)
    else:
        await to_child(ctx, person, answer)


def your_id(tr: Translator, telegram_id: int, *, stranger: bool) -> Outgoing:
    text = tr._("Your Telegram id is {id}.", id=str(telegram_id))
    if stranger:
        text += "\n" + tr._("If you are joining the staff, give it to the person who enrols you.")
    return Outgoing(text=text)


async def language(update: Update, ctx: AlongsideContext) -> None:
    """/language: anyone may choose the language the bot writes to them in."""
    person = ctx.person
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.choose_language(ctx.tr))
    elif isinstance(person, ChildView):
        await to_child(ctx, person, notices.choose_language(ctx.tr))


async def on_language_button(update: Update, ctx: AlongsideContext) -> None:
    """The language chosen: said, and the menu given, in that language."""
    query = update.callback_query
    choice = LanguageChoice.decode(query.data or "") if query else None
    person = ctx.person
    if choice is None:
        return
    # The sender's language changes here: what follows is in the new one.
    tr = tr_for(ctx, choice.locale)
    if isinstance(person, ChildView):
        await people.set_child_locale(ctx.uow, person.id, choice.locale, chosen=True)
        await ctx.uow.audit(f"child:{person.id}", "child.language", person.id, choice.locale)
        await to_child(ctx, person, notices.language_set(tr))
        await to_child(ctx, person, menus.menu(tr, None))
    elif isinstance(person, StaffView):
        await people.set_staff_locale(ctx.uow, person.id, choice.locale)
        await to_staff(ctx, person, Outgoing(text=notices.language_set(tr).text))
        await to_staff(ctx, person, menus.menu(tr, person.role))


async def unknown_command(update: Update, ctx: AlongsideContext) -> None:
    person = ctx.person
    if isinstance(person, StaffView):
        await to_staff(ctx, person, notices.staff_unknown_command(ctx.tr))
    elif isinstance(person, ChildView):
        await relay_from_child(update, ctx, person)


# Advocates' own -------------------------------------------------------------------------------


async def invite(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    nickname = " ".join(ctx.args or ()).strip()[:40]
    if not nickname:
        nickname = tr._("new young person")
    lifetime = ctx.runtime.settings.invite_lifetime
    new = await linking.create_invite(ctx.uow, staff, nickname, lifetime)
    link = f"https://t.me/{ctx.runtime.bot_username}?start={new.code}"
    for part in notices.invite_created(tr, nickname, new.code, link, new.expires_at):
        await to_staff(ctx, staff, part)


async def children(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    mine = await people.children_of(ctx.uow, staff.id)
    await to_staff(ctx, staff, notices.children_list(tr, mine) if mine else notices.no_children(tr))


async def deliver_pending(ctx: AlongsideContext, staff: StaffView, button: SendTo) -> None:
    """*Which young person is this for?* answered: the held message goes to them."""
    tr = ctx.tr
    try:
        child = await access_child_by_ref(ctx.uow, staff, button.ref)
    except AccessDenied:
        await to_staff(ctx, staff, notices.cannot_reach(tr))
        return
    held = await relay.take_pending(ctx.uow, staff, button.pending_id)
    if held is None:
        await to_staff(ctx, staff, notices.choice_expired(tr))
        return
    await send_to_child(ctx, staff, child, held.content, held.written_as)
    await to_staff(ctx, staff, notices.sent_to(tr, child), about=child)
