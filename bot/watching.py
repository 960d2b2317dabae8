"""Missing-risk watch and discretion in the bot: daily check-ins, /placed, and clearing the chat.

Check-ins ask at a reasonable local hour, in the child's language, with one-tap answers. The
sweeper that sends them also turns silence into a concern, re-raises unacknowledged alerts,
and posts the daily audit digest to supervisors.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, time, timedelta

from babel.dates import get_timezone
from telegram import Update

from bot import closing, interpreting, missing, notices
from bot.alerting import help_now, sweep_once
from bot.callbacks import CheckInAnswer
from bot.closing import CaseRetention
from bot.gate import to_child, to_staff, tr_for
from bot.health import Retry
from bot.i18n import Translator
from bot.runtime import AlongsideContext, Runtime, wait_any
from conversations import alerts, anchor, people, queues, watch
from conversations.access import access_child_by_ref
from conversations.errors import AccessDenied, CaseClosed
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView
from conversations.store import STORE_ERRORS, UnitOfWork

log = logging.getLogger(__name__)


def next_check_in(runtime: Runtime, now: datetime) -> datetime:
    """The check-in hour, local time, at least 12 hours from now (never at night)."""
    zone = get_timezone(runtime.settings.timezone)
    earliest = (now + timedelta(hours=12)).astimezone(zone)
    at = datetime.combine(earliest.date(), time(runtime.settings.check_in_hour), zone)
    if at < earliest:
        at = datetime.combine(
            earliest.date() + timedelta(days=1), time(runtime.settings.check_in_hour), zone
        )
    return at.astimezone(now.tzinfo)


def check_in_message(tr: Translator, check_in_id: str) -> Outgoing:
    return Outgoing(
        text=tr._("Hi! How are you today?"),
        buttons=(
            (
                Button(tr._("👍 I'm OK"), data=CheckInAnswer(check_in_id, "fine").encode()),
                Button(tr._("😟 Not good"), data=CheckInAnswer(check_in_id, "bad").encode()),
            ),
            (Button(tr._("🆘 I need help"), data=CheckInAnswer(check_in_id, "help").encode()),),
        ),
    )


async def sweep_watch(runtime: Runtime) -> int:
    """Send due check-ins and raise silent ones as concerns; returns how many acted on."""
    settings = runtime.settings
    async with runtime.store.unit() as uow:
        window = timedelta(hours=settings.check_in_answer_hours)
        due = await watch.due_check_ins(uow, window)
        for item in due:
            tr = runtime.tr(item.child.locale)
            await uow.send(
                item.child.telegram_id,
                check_in_message(tr, item.id),
                purpose="check_in",
                key_id=item.child.data_key_id,
                child_id=item.child.id,
            )
        silent = await watch.silent_check_ins(uow)
        for item in silent:
            await _concern(runtime, uow, item.child, "silent")
        await uow.commit()
    return len(due) + len(silent)


async def _concern(runtime: Runtime, uow: UnitOfWork, child: ChildView, why: str) -> None:
    await alerts.raise_alert(
        uow, child, source="check_in", severity="concern", categories=(f"check_in_{why}",)
    )
    advocate = child.advocate_id and await people.get_staff(uow, child.advocate_id)
    readers = [advocate] if advocate else await people.supervisors(uow)
    for reader in readers:
        tr = runtime.tr(reader.locale)
        if why == "silent":
            text = tr._(
                "⚠️ {nickname} · {ref} did not answer today's check-in. Please check on them.",
                nickname=child.nickname,
                ref=child.ref,
            )
        else:
            text = tr._(
                "⚠️ {nickname} · {ref} answered today's check-in: not good. Please contact them.",
                nickname=child.nickname,
                ref=child.ref,
            )
        # A silence in the first week may be a young person gone: offer, never open, an episode.
        buttons = ((notices.propose_missing(tr, child),),) if why == "silent" else ()
        await uow.send(
            reader.telegram_id,
            Outgoing(text=text, buttons=buttons),
            purpose="alert",
            staff_id=reader.id,
            child_id=child.id,
        )


async def on_check_in_button(
    ctx: AlongsideContext, child: ChildView, button: CheckInAnswer
) -> None:
    reply = button.reply
    tr = ctx.tr
    if not await watch.answer(ctx.uow, child, button.check_in_id, reply):
        return
    if reply != "fine":
        # Asking for someone, like writing, opens a closed case again: someone must answer.
        await closing.on_contact(ctx, child)
    if reply == "help":
        await help_now(ctx, child)
    elif reply == "bad":
        await _concern(ctx.runtime, ctx.uow, child, "bad")
        await to_child(
            ctx,
            child,
            Outgoing(
                text=tr._("Thank you for telling me. Someone will contact you soon.")
                + "\n\n"
                + notices.in_danger(tr)
            ),
        )
    else:
        await to_child(ctx, child, Outgoing(text=tr._("Thank you. Write here any time.")))


async def placed(update: Update, ctx: AlongsideContext) -> None:
    """/placed REF: a new placement starts the watch again (not while the case is closed)."""
    staff, tr = ctx.staff, ctx.tr
    try:
        child = await access_child_by_ref(ctx.uow, staff, (ctx.args or [""])[0].upper())
    except AccessDenied:
        await to_staff(
            ctx,
            staff,
            Outgoing(text=tr._("Use /placed REF with the reference of one of your young people.")),
        )
        return
    try:
        await watch.record_placement(ctx.uow, staff, child, next_check_in(ctx.runtime, ctx.uow.now))
    except CaseClosed:
        await to_staff(ctx, staff, closing.still_closed(tr, child.ref), about=child)
        return
    await to_staff(
        ctx,
        staff,
        Outgoing(
            text=tr._(
                "Noted: new placement for {nickname} · {ref}. I will check in with them every day "
                "for the next 7 days.",
                nickname=child.nickname,
                ref=child.ref,
            )
        ),
        about=child,
    )


async def hide(update: Update, ctx: AlongsideContext) -> None:
    """Clear the child's chat as far as Telegram allows; nothing is lost elsewhere."""
    await clear_chat(
        ctx, ctx.child, update.effective_message.message_id if update.effective_message else None
    )


async def clear_chat(ctx: AlongsideContext, child: ChildView, own_message: int | None) -> None:
    tr = tr_for(ctx, child.locale)
    await ctx.uow.audit(f"child:{child.id}", "child.hide", child.id)
    await to_child(
        ctx,
        child,
        Outgoing(kind="clear", extra={"also": [own_message] if own_message else []}),
        purpose="hide",
    )
    await to_child(
        ctx, child, Outgoing(text="👋", keyboard=notices.child_keyboard(tr)), purpose="hide"
    )


class AuditDigest:
    """Once a day, the audit chain's length and end to every supervisor (`conversations.anchor`).

    The digest's own audit entry records that it went, so a restart or another worker does not
    post it again; between days this remembers when the next is due and asks the store nothing.
    """

    def __init__(self) -> None:
        self.not_before: datetime | None = None

    async def sweep(self, runtime: Runtime) -> int:
        if self.not_before is not None and runtime.store.clock.now() < self.not_before:
            return 0
        async with runtime.store.unit() as uow:
            due = await anchor.next_digest(uow.session)
            if due is None or uow.now < due:
                self.not_before = due
                return 0
            readers = await people.supervisors(uow)
            end = await anchor.claim_digest(uow) if readers else None
            if end is None:
                return 0
            for reader in readers:
                text = notices.audit_digest(runtime.tr(reader.locale), end.rows, end.hash)
                await uow.send(reader.telegram_id, text, purpose="notice", staff_id=reader.id)
            await uow.commit()
        self.not_before = uow.now + anchor.DAY
        return len(readers)


class Retention:
    """Handled inbox and outbox rows older than ``ALONGSIDE_QUEUE_RETENTION_DAYS`` are deleted
    (`conversations.queues.purge`), looked at once an hour."""

    EVERY = timedelta(hours=1)

    def __init__(self) -> None:
        self.not_before: datetime | None = None

    async def sweep(self, runtime: Runtime) -> int:
        now = runtime.store.clock.now()
        if self.not_before is not None and now < self.not_before:
            return 0
        gone = await queues.purge(runtime.store, runtime.settings.queue_retention)
        self.not_before = now + self.EVERY
        if gone:
            log.info("queues.purged", extra={"count": gone})
        return gone


async def sweep_forever(runtime: Runtime, stop: asyncio.Event) -> None:
    """Deadlines live in the database; this acts on them, whichever worker runs it.

    A store error (the database away, a full disk) ends the round: the next sweeps would meet
    it too. The round is tried again after a pause that grows while it lasts.
    """
    digest = AuditDigest()
    retention = Retention()
    cases = CaseRetention()
    retry = Retry(runtime.health, "sweep")
    while not stop.is_set():
        pause = runtime.settings.sweep_seconds
        sweeps = (
            sweep_once,
            sweep_watch,
            interpreting.sweep,
            missing.sweep,
            digest.sweep,
            retention.sweep,
            cases.sweep,
        )
        for sweep in sweeps:
            try:
                await sweep(runtime)
            except STORE_ERRORS as exc:
                pause = max(pause, retry.failed(exc))
                break
            except Exception:
                log.exception("sweep.failed")
        else:
            retry.worked()
        await wait_any(stop, stop, pause)
