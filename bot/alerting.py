"""Safety in the bot: screen child messages, answer at once, alert humans until one acknowledges.

An urgent message or a *Help now* tap gives the child, within the same update, a calm answer
with the region's emergency contacts, and queues alerts (with *Acknowledge* and *Open* buttons)
for their advocate and every supervisor. Concerns mark the relay and wait in ``/alerts``.
The sweeper re-raises unacknowledged urgent alerts on the escalation ladder.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import CommandHandler

from bot import metrics
from bot.gate import COMMANDS, staff_only
from bot.i18n import N_, Translator
from bot.runtime import AlongsideApp, AlongsideContext, Runtime
from conversations import alerts, people
from conversations.alerts import AlertView
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView
from conversations.store import UnitOfWork
from safety import EscalationLadder, Severity, load_contacts

log = logging.getLogger(__name__)

# Short, child-facing names for the region's contacts; none names what the child went through.
CONTACT_LINES = {
    "childline": N_("Childline, free, any time: {number}"),
    "modern_slavery_helpline": N_("Helpline with interpreters, any time: {number}"),
    "missing_people": N_("If you think of leaving, or do not know where to go: "
                         "call or text {number}"),
    "samaritans": N_("Samaritans, to talk, any time: {number}"),
}
SKIPPED = {"emergency", "emergency_silent", "missing_people_text"}
# What each detector category means, for the staff reading an alert.
SIGNS = {
    "danger_now": N_("danger now"),
    "trafficker_control": N_("being controlled or threatened"),
    "going_missing": N_("may go missing"),
    "self_harm": N_("self-harm or suicide"),
    "abuse_exploitation": N_("abuse, forced work or crime"),
    "health_emergency": N_("health emergency"),
    "help_request": N_("asked for help"),
    "wellbeing": N_("low mood"),
    "check_in_silent": N_("no answer to the check-in"),
    "check_in_bad": N_("not good at the check-in"),
}


def emergency_message(tr: Translator, region: str, *, help_now: bool) -> Outgoing:
    contacts = load_contacts(region)
    emergency = contacts.emergency.number
    lines = [tr._("You pressed Help now. A person has been told and will contact you soon.")
             if help_now else
             tr._("Thank you for telling me. A person has been told and will contact you soon."),
             "",
             tr._("If you are in danger now, call {number}.", number=emergency)]
    silent = next((c for c in contacts.contacts if c.id == "emergency_silent"), None)
    if silent is not None:
        digits = re.findall(r"\d+", silent.number)
        if len(digits) == 2:
            lines.append(tr._("If you cannot speak, call {number} and press {code} when asked.",
                              number=digits[0], code=digits[1]))
    lines.append("")
    for contact in contacts.contacts:
        if contact.id in SKIPPED:
            continue
        template = CONTACT_LINES.get(contact.id)
        lines.append(tr._(template, number=contact.number) if template
                     else f"{contact.name}: {contact.number}")
    lines += ["", tr._("This is not your fault.")]
    return Outgoing(text="\n".join(lines))


def marks(tr: Translator, severity: str) -> str:
    if severity == Severity.URGENT.value:
        return tr._("🚨 URGENT · ")
    if severity == Severity.CONCERN.value:
        return tr._("⚠️ Concern · ")
    return ""


def ladder(runtime: Runtime) -> EscalationLadder:
    return EscalationLadder.parse(runtime.settings.escalation)


@dataclass
class Screened:
    severity: str
    marks: Callable[[Translator], str]
    after_record: Callable[[str], Awaitable[None]] = field(default=lambda _id: _noop())


async def _noop() -> None:
    return None


async def screen_and_alert(ctx: AlongsideContext, child: ChildView, text: str) -> Screened:
    """Scan a child's words; answer and alert now if urgent. Runs before anything is relayed."""
    if not text:
        return Screened("none", lambda tr: "")
    result = ctx.runtime.detector.scan(text, languages=(child.locale,))
    severity = result.severity.value
    if result.severity is Severity.NONE:
        return Screened(severity, lambda tr: "")
    uow = ctx.uow
    view = await alerts.raise_alert(uow, child, source="message", severity=severity,
                                    categories=tuple(result.categories),
                                    rules=tuple(result.rules), ladder=ladder(ctx.runtime))
    metrics.ALERTS_RAISED.labels(severity).inc()
    if result.severity is Severity.URGENT:
        tr = ctx.runtime.tr(child.locale)
        await uow.send(child.telegram_id,
                       emergency_message(tr, ctx.runtime.settings.region, help_now=False),
                       purpose="safety", key_id=child.data_key_id, child_id=child.id)
        await notify_staff(ctx.runtime, uow, view)

    async def attach(message_id: str) -> None:
        await alerts.attach_message(uow, view.id, message_id)

    return Screened(severity, lambda tr: marks(tr, severity), attach)


async def help_now(ctx: AlongsideContext, child: ChildView) -> None:
    uow = ctx.uow
    view = await alerts.raise_alert(uow, child, source="help_now", severity="urgent",
                                    categories=("help_request",), ladder=ladder(ctx.runtime))
    metrics.ALERTS_RAISED.labels("urgent").inc()
    tr = ctx.runtime.tr(child.locale)
    await uow.send(child.telegram_id,
                   emergency_message(tr, ctx.runtime.settings.region, help_now=True),
                   purpose="safety", key_id=child.data_key_id, child_id=child.id)
    await notify_staff(ctx.runtime, uow, view)


async def notify_staff(runtime: Runtime, uow: UnitOfWork, view: AlertView) -> None:
    """The advocate first, then every supervisor; each in their own language."""
    readers = await people.supervisors(uow)
    advocate = view.child.advocate_id and await people.get_staff(uow, view.child.advocate_id)
    if advocate:
        readers = [advocate, *[r for r in readers if r.id != advocate.id]]
    for reader in readers:
        await uow.send(reader.telegram_id, alert_card(runtime.tr(reader.locale), view),
                       purpose="alert", staff_id=reader.id, child_id=view.child.id)


def alert_card(tr: Translator, view: AlertView) -> Outgoing:
    child = view.child
    if view.source == "help_now":
        headline = tr._("🚨 URGENT: {nickname} · {ref} pressed Help now.",
                        nickname=child.nickname, ref=child.ref)
    else:
        headline = tr._("🚨 URGENT: {nickname} · {ref} wrote something that may mean danger.",
                        nickname=child.nickname, ref=child.ref)
    lines = [headline]
    if view.categories:
        signs = ", ".join(tr._(SIGNS[c]) if c in SIGNS else c for c in view.categories)
        lines.append(tr._("Signs: {signs}", signs=signs))
    if view.level:
        lines.append(tr.n_("Reminder {n}: nobody has acknowledged this yet.",
                           "Reminder {n}: nobody has acknowledged this yet.", view.level))
    lines.append(tr._("They were given emergency numbers. Please acknowledge, then contact them."))
    return Outgoing(text="\n".join(lines), buttons=((
        Button(tr._("Acknowledge"), data=f"ack:{view.id}"),
        Button(tr._("Open"), data=f"open:{view.id}"),
    ),))


async def on_alert_button(ctx: AlongsideContext, staff: StaffView, data: str) -> None:
    action, _, alert_id = data.partition(":")
    if action not in ("ack", "open") or not alert_id:
        return
    uow = ctx.uow
    tr = ctx.runtime.tr(staff.locale)
    if action == "ack":
        view = await alerts.acknowledge(uow, staff, alert_id)
        if view is None:
            await uow.send(staff.telegram_id, Outgoing(text=tr._("That alert is not open to you.")),
                           purpose="notice", staff_id=staff.id)
            return
        metrics.ALERTS_ACKNOWLEDGED.inc()
        await uow.send(staff.telegram_id, Outgoing(text=tr._(
            "Acknowledged: {nickname} · {ref}. Others will not be reminded.",
            nickname=view.child.nickname, ref=view.child.ref)), purpose="notice",
            staff_id=staff.id)
        return
    await open_alert(ctx, staff, alert_id)


async def open_alert(ctx: AlongsideContext, staff: StaffView, alert_id: str) -> None:
    """The flagged message with the messages around it, decrypted for this reader, audited."""
    uow = ctx.uow
    tr = ctx.runtime.tr(staff.locale)
    view = await alerts.visible_alert(uow, staff, alert_id)
    if view is None:
        await uow.send(staff.telegram_id, Outgoing(text=tr._("That alert is not open to you.")),
                       purpose="notice", staff_id=staff.id)
        return
    rows = await alerts.messages_around(uow, view)
    await uow.audit(f"staff:{staff.id}", "messages.read", view.child.id, f"alert={view.id}")
    lines = [tr._("Alert for {nickname} · {ref}, {when}:", nickname=view.child.nickname,
                  ref=view.child.ref, when=tr.datetime(view.raised_at))]
    for row, body in rows:
        who = view.child.nickname if row.direction == "in" else tr._("staff")
        flag = "➡️ " if row.id == view.message_id else ""
        text = body.get("text") or f"[{row.kind}]"
        lines.append(f"{flag}{tr.time(row.created_at)} {who}: {text}")
    if not rows:
        lines.append(tr._("(no messages)"))
    await uow.send(staff.telegram_id, Outgoing(text="\n".join(lines), protect=True),
                   purpose="notice", staff_id=staff.id, key_id=view.child.data_key_id,
                   child_id=view.child.id)


async def alerts_command(update: Update, ctx: AlongsideContext) -> None:
    staff = await staff_only(update, ctx)
    if staff is None:
        return
    uow = ctx.uow
    tr = ctx.runtime.tr(staff.locale)
    views = await alerts.open_alerts(uow, staff)
    counts = await alerts.counts(uow)
    summary = tr._("Open: {open} urgent, {concern} concerns. Acknowledged, not resolved: {ack}.",
                   open=counts.get(("open", "urgent"), 0),
                   concern=counts.get(("open", "concern"), 0),
                   ack=sum(n for (s, _), n in counts.items() if s == "acknowledged"))
    if not views:
        await uow.send(staff.telegram_id, Outgoing(text=summary + "\n" + tr._("No open alerts.")),
                       purpose="notice", staff_id=staff.id)
        return
    rows = []
    lines = [summary, ""]
    for view in views:
        minutes = int((uow.now - view.raised_at).total_seconds() // 60)
        lines.append(tr.n_("{mark}{nickname} · {ref} · {status} · {n} minute ago",
                           "{mark}{nickname} · {ref} · {status} · {n} minutes ago", minutes,
                           mark=marks(tr, view.severity), nickname=view.child.nickname,
                           ref=view.child.ref, status=view.status))
        rows.append((Button(f"{view.child.ref} {tr._('Open')}", data=f"open:{view.id}"),
                     Button(tr._("Acknowledge"), data=f"ack:{view.id}")))
    await uow.send(staff.telegram_id, Outgoing(text="\n".join(lines), buttons=tuple(rows)),
                   purpose="notice", staff_id=staff.id)


async def resolve_command(update: Update, ctx: AlongsideContext) -> None:
    """/resolve REF outcome note: closes that child's newest unresolved alert."""
    staff = await staff_only(update, ctx)
    if staff is None:
        return
    uow = ctx.uow
    tr = ctx.runtime.tr(staff.locale)
    args = ctx.args or []
    if len(args) < 2:
        await uow.send(staff.telegram_id, Outgoing(text=tr._(
            "Use: /resolve REF what happened (for example: /resolve K7F spoke to her, safe)")),
            purpose="notice", staff_id=staff.id)
        return
    ref, outcome = args[0].upper(), " ".join(args[1:])
    target = next((v for v in await alerts.open_alerts(uow, staff, limit=200)
                   if v.child.ref == ref), None)
    view = target and await alerts.resolve(uow, staff, target.id, outcome)
    if not view:
        await uow.send(staff.telegram_id, Outgoing(text=tr._("That alert is not open to you.")),
                       purpose="notice", staff_id=staff.id)
        return
    await uow.send(staff.telegram_id, Outgoing(text=tr._(
        "Resolved: {nickname} · {ref}.", nickname=view.child.nickname, ref=view.child.ref)),
        purpose="notice", staff_id=staff.id)


async def sweep_once(runtime: Runtime) -> int:
    """Re-raise every due, unacknowledged urgent alert once; returns how many."""
    store = runtime.store
    steps = ladder(runtime)
    async with store.unit() as uow:
        due = await alerts.due(uow)
        for row in due:
            view = await alerts.escalate(uow, row, steps)
            await notify_staff(runtime, uow, view)
        await uow.commit()
    return len(due)


def register(app: AlongsideApp) -> None:
    app.add_handler(CommandHandler("alerts", alerts_command, filters=COMMANDS))
    app.add_handler(CommandHandler("resolve", resolve_command, filters=COMMANDS))
