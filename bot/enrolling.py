"""Supervisors enrol advocates in the bot: /enrol makes a code, /staff lists, /unenrol retires.

The new advocate opens the code like a young person opens theirs (the same /start link and the
same throttle); every supervisor hears who joined and on whose code. Only supervisors reach
the commands here; others are refused by `bot.routing`.
"""

from __future__ import annotations

from telegram import Update

from bot import menus, notices
from bot.gate import to_staff, tr_for
from bot.i18n import SUPPORTED, Translator
from bot.interpreter_texts import interpreter_enrol_usage
from bot.interpreter_texts import languages as language_list
from bot.interpreting import tell_closed
from bot.runtime import AlongsideContext
from conversations import continuity, enrolment, people
from conversations.enrolment import Enrolled
from conversations.errors import AccessDenied
from conversations.outgoing import Outgoing
from conversations.people import Role, StaffError, StaffView, display_name


def _interpreter_args(args: list[str]) -> tuple[str, tuple[str, ...]] | None:
    """``interpreter NAME LANGUAGES`` (languages last, comma-separated codes): the name and
    the languages, or None when they are not all there."""
    if len(args) < 3:
        return None
    codes = tuple(dict.fromkeys(c.strip().lower() for c in args[-1].split(",") if c.strip()))
    if not codes or any(code not in SUPPORTED for code in codes):
        return None
    return " ".join(args[1:-1]), codes


async def enrol_command(update: Update, ctx: AlongsideContext) -> None:
    supervisor, tr = ctx.staff, ctx.tr
    args = list(ctx.args or ())
    role = Role.ADVOCATE
    languages: tuple[str, ...] = ()
    if len(args) > 1 and args[0].casefold() == Role.INTERPRETER.value:
        parsed = _interpreter_args(args)
        if parsed is None:
            await to_staff(ctx, supervisor, interpreter_enrol_usage(tr))
            return
        role = Role.INTERPRETER
        args, languages = [parsed[0]], parsed[1]
    name = " ".join(args)
    if name and await people.name_taken(ctx.uow, display_name(name)):
        await to_staff(
            ctx,
            supervisor,
            Outgoing(
                text=tr._(
                    "Someone on the staff is already called {name}. Use a name that tells them "
                    "apart, "
                    "for example with a surname.",
                    name=display_name(name),
                )
            ),
        )
        return
    try:
        new = await enrolment.create_staff_invite(
            ctx.uow, supervisor, name, role=role, languages=languages
        )
    except StaffError:
        await to_staff(
            ctx,
            supervisor,
            Outgoing(
                text=tr._(
                    "Use: /enrol NAME, for example /enrol Maria Lopez. It makes a code that enrols "
                    "one new advocate."
                )
            ),
        )
        return
    link = f"https://t.me/{ctx.runtime.bot_username}?start={new.code}"
    if role is Role.INTERPRETER:
        await to_staff(
            ctx,
            supervisor,
            Outgoing(
                text=tr._(
                    "Code for {name} to join as an interpreter for {languages}.\nCode: {code}\n"
                    "Link: {link}\n\nIt works once and ends {when}. Send it only to them, in "
                    "person or privately.",
                    name=" ".join(name.split()),
                    languages=language_list(languages),
                    code=new.code,
                    link=link,
                    when=tr.datetime(new.expires_at),
                )
            ),
        )
        return
    await to_staff(
        ctx,
        supervisor,
        Outgoing(
            text=tr._(
                "Code for {name} to join as an advocate.\nCode: {code}\nLink: {link}\n\n"
                "It works once and ends {when}. Send it only to them, in person or privately.",
                name=" ".join(name.split()),
                code=new.code,
                link=link,
                when=tr.datetime(new.expires_at),
            )
        ),
    )


async def welcome(ctx: AlongsideContext, enrolled: Enrolled) -> None:
    """The newcomer learns what they can do; every supervisor learns who joined."""
    staff = enrolled.staff
    tr = tr_for(ctx, staff.locale)
    await to_staff(ctx, staff, Outgoing(text=_welcome_text(tr, enrolled)))
    await to_staff(ctx, staff, notices.staff_help(tr, staff))
    await to_staff(ctx, staff, menus.menu(tr, staff.role))
    for supervisor in await people.supervisors(ctx.uow):
        told = _joined_text(tr_for(ctx, supervisor.locale), enrolled)
        await to_staff(ctx, supervisor, Outgoing(text=told))


def _welcome_text(tr: Translator, enrolled: Enrolled) -> str:
    staff, by = enrolled.staff, enrolled.invited_by.name
    if staff.is_interpreter:
        return tr._(
            "Welcome, {name}. {supervisor} enrolled you as an interpreter.",
            name=staff.name,
            supervisor=by,
        )
    return tr._(
        "Welcome, {name}. {supervisor} enrolled you as an advocate.",
        name=staff.name,
        supervisor=by,
    )


def _joined_text(tr: Translator, enrolled: Enrolled) -> str:
    staff, by = enrolled.staff, enrolled.invited_by.name
    if staff.is_interpreter:
        return tr._(
            "{name} is now enrolled as an interpreter for {languages}, with a code "
            "from {supervisor}.",
            name=staff.name,
            languages=language_list(staff.languages),
            supervisor=by,
        )
    return tr._(
        "{name} is now enrolled as an advocate, with a code from {supervisor}.",
        name=staff.name,
        supervisor=by,
    )


def _staff_line(tr: Translator, staff: StaffView, load: int) -> str:
    if staff.is_supervisor:
        return tr._("{name} · supervisor", name=staff.name)
    if staff.is_interpreter:
        return tr._(
            "{name} · interpreter · {languages}",
            name=staff.name,
            languages=language_list(staff.languages),
        )
    return tr.n_(
        "{name} · advocate · {n} young person",
        "{name} · advocate · {n} young people",
        load,
        name=staff.name,
    )


async def staff_command(update: Update, ctx: AlongsideContext) -> None:
    supervisor, tr = ctx.staff, ctx.tr
    listed = sorted(await people.list_staff(ctx.uow), key=lambda item: not item[0].is_supervisor)
    lines = [tr._("Staff:"), *(_staff_line(tr, staff, load) for staff, load in listed)]
    await to_staff(ctx, supervisor, Outgoing(text="\n".join(lines)))


async def unenrol_command(update: Update, ctx: AlongsideContext) -> None:
    supervisor, tr = ctx.staff, ctx.tr
    name = " ".join(ctx.args or ())
    if not name.strip():
        await to_staff(
            ctx,
            supervisor,
            Outgoing(
                text=tr._("Use: /unenrol NAME. Hand their young people over first with /handover.")
            ),
        )
        return
    matches = await continuity.staff_by_name(ctx.uow, name)
    if not matches:
        await to_staff(ctx, supervisor, Outgoing(text=tr._("No colleague matches that name.")))
        return
    if len(matches) > 1:
        await to_staff(
            ctx,
            supervisor,
            Outgoing(
                text=tr._(
                    "More than one colleague matches: {names}. Use the full name.",
                    names=", ".join(m.name for m in matches),
                )
            ),
        )
        return
    advocate = matches[0]
    try:
        removal = await enrolment.retire_advocate(ctx.uow, supervisor, advocate)
    except AccessDenied:
        await to_staff(
            ctx,
            supervisor,
            Outgoing(text=tr._("Only the operator can take a supervisor off the staff.")),
        )
        return
    if keeping := removal.keeping:
        await to_staff(
            ctx,
            supervisor,
            Outgoing(
                text=tr.n_(
                    "{name} still has {n} young person. Hand them over first with /handover.",
                    "{name} still has {n} young people. Hand them over first with /handover.",
                    keeping,
                    name=advocate.name,
                )
            ),
        )
        return
    await to_staff(
        ctx,
        supervisor,
        Outgoing(
            text=tr._(
                "{name} is no longer on the staff. A new code can enrol them again.",
                name=advocate.name,
            )
        ),
    )
    former = tr_for(ctx, advocate.locale)
    await to_staff(
        ctx,
        advocate,
        Outgoing(
            text=former._("You are no longer enrolled as staff here. Thank you for your work.")
        ),
    )
    await to_staff(ctx, advocate, menus.menu(former, None))
    for closed in removal.closed:
        await tell_closed(ctx.runtime.catalogs, ctx.uow, closed)
