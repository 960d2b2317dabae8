"""Away: an advocate says when they are back.

While they are away their young people's messages still reach them, and reach every supervisor
too, so a person answers; each young person is told once, in their own language and time format,
when their advocate is back and that someone else reads their messages until then.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Update

from bot import notices
from bot.gate import to_child, to_staff, tr_for
from bot.i18n import Translator
from bot.runtime import AlongsideContext
from conversations import people
from conversations.outgoing import Outgoing
from conversations.people import AWAY_LIMIT, ChildView, StaffError, StaffView

# Back at the start of a working day when only a date is given.
MORNING = time(9, 0)


def parse_until(words: list[str], now: datetime, zone: ZoneInfo) -> datetime | None:
    """`18:00` (the next one), `2027-01-04` (9:00 that day) or `2027-01-04 18:00`, local time."""
    try:
        if len(words) == 1 and ":" in words[0]:
            at = _clock(words[0])
            local = now.astimezone(zone)
            until = datetime.combine(local.date(), at, zone)
            return (
                until
                if until > now
                else datetime.combine(local.date() + timedelta(days=1), at, zone)
            )
        if len(words) == 1:
            return datetime.combine(date.fromisoformat(words[0]), MORNING, zone)
        if len(words) == 2:
            return datetime.combine(date.fromisoformat(words[0]), _clock(words[1]), zone)
    except ValueError:
        return None
    return None


def _clock(text: str) -> time:
    """`9:00` or `09:00`; 24-hour."""
    hours, _, minutes = text.partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2):
        raise ValueError(text)
    return time(int(hours), int(minutes))


def _usage(tr: Translator, zone: str) -> Outgoing:
    return Outgoing(
        text=tr._(
            "Use: /away TIME, for example /away 18:00, /away 2027-01-04 or /away 2027-01-04 09:00 "
            "(time in {zone}). /back when you are back.",
            zone=zone,
        )
    )


def _away_until(tr: Translator, until: datetime) -> Outgoing:
    return Outgoing(
        text=tr._(
            "You are away until {time}. Your young people are told when they write, and "
            "supervisors see their messages until then. /back when you are back.",
            time=tr.datetime(until),
        )
    )


async def away_command(update: Update, ctx: AlongsideContext) -> None:
    staff, tr = ctx.staff, ctx.tr
    zone = ctx.runtime.settings.timezone
    now = ctx.uow.now
    if not ctx.args:
        away = staff.away_until if people.is_away(staff, now) else None
        await to_staff(ctx, staff, _away_until(tr, away) if away else _usage(tr, zone))
        return
    until = parse_until(list(ctx.args), now, ZoneInfo(zone))
    if until is None:
        await to_staff(ctx, staff, _usage(tr, zone))
        return
    try:
        await people.set_away(ctx.uow, staff, until)
    except StaffError:
        await to_staff(
            ctx,
            staff,
            Outgoing(
                text=tr.n_(
                    "Please give a time in the next {n} day.",
                    "Please give a time in the next {n} days.",
                    AWAY_LIMIT.days,
                )
            ),
        )
        return
    await to_staff(ctx, staff, _away_until(tr, until))


async def back_command(update: Update, ctx: AlongsideContext) -> None:
    staff = ctx.staff
    await people.set_away(ctx.uow, staff, None)
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=ctx.tr._("Welcome back. Your young people's messages come to you alone again.")
        ),
    )


def standing_in(tr: Translator, advocate: StaffView) -> str:
    """The line a supervisor reads above a message they see in an away advocate's place."""
    assert advocate.away_until is not None
    return tr._(
        "{advocate} is away until {time}: you see this in their place.",
        advocate=advocate.name,
        time=tr.datetime(advocate.away_until),
    )


async def tell_child(ctx: AlongsideContext, child: ChildView, advocate: StaffView) -> None:
    """When their advocate is back, and that someone else reads meanwhile (once per absence:
    `conversations.relaying` decides when)."""
    assert advocate.away_until is not None
    tr = tr_for(ctx, child.locale)
    await to_child(
        ctx, child, notices.advocate_away(tr, advocate.name, tr.datetime(advocate.away_until))
    )
