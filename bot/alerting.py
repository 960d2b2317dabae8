"""Safety in the bot: answer at once, alert humans until one acknowledges.

``conversations.relaying`` decides what a screened message or a *Help now* tap raises; this
module renders what that triggers.

An urgent message or a *Help now* tap gives the child, within the same update, a calm answer
with the region's emergency contacts, and queues alerts (with *Acknowledge* and *Open* buttons)
for their advocate and every supervisor. Concerns mark the relay and wait in ``/alerts``.
The sweeper re-raises unacknowledged urgent alerts on the escalation ladder.
"""

from __future__ import annotations

import logging
import re

from bot import metrics
from bot.i18n import N_, Translator
from bot.runtime import AlongsideContext, Runtime
from conversations import alerts, attention, people, relaying
from conversations.alerts import AlertView, Raised
from conversations.outgoing import Button, Outgoing
from conversations.people import ChildView, StaffView
from conversations.relaying import Rules
from conversations.store import UnitOfWork
from safety import EscalationLadder, Severity, load_contacts

log = logging.getLogger(__name__)

# Short, child-facing names for the region's contacts; none names what the child went through.
CONTACT_LINES = {
    "childline": N_("Childline, free, any time: {number}"),
    "modern_slavery_helpline": N_("Helpline with interpreters, any time: {number}"),
    "missing_people": N_(
        "If you think of leaving, or do not know where to go: call or text {number}"
    ),
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
    "unanswered": N_("waiting for an answer"),
    "missing": N_("missing"),
}


def emergency_message(
    tr: Translator, region: str, *, help_now: bool, told: bool = True
) -> Outgoing:
    """The answer to danger: the region's numbers, and "a person has been told" only when an
    alert to at least one person is committed with this answer."""
    contacts = load_contacts(region)
    emergency = contacts.emergency.number
    if not told:
        first = tr._("I could not reach a person here yet. Please call one of these numbers now.")
    elif help_now:
        first = tr._("You pressed Help now. A person has been told and will contact you soon.")
    else:
        first = tr._("Thank you for telling me. A person has been told and will contact you soon.")
    lines = [first, "", tr._("If you are in danger now, call {number}.", number=emergency)]
    silent = next((c for c in contacts.contacts if c.id == "emergency_silent"), None)
    if silent is not None:
        digits = re.findall(r"\d+", silent.number)
        if len(digits) == 2:
            lines.append(
                tr._(
                    "If you cannot speak, call {number} and press {code} when asked.",
                    number=digits[0],
                    code=digits[1],
                )
            )
    lines.append("")
    lines += contact_lines(tr, region)
    lines += ["", tr._("This is not your fault.")]
    return Outgoing(text="\n".join(lines))


def closed_notice(tr: Translator, opens: str, region: str) -> Outgoing:
    """Outside service hours: when a person will read, and the numbers that answer now."""
    lines = [
        tr._("Your message is saved. A person will read it from {when}.", when=opens),
        "",
        tr._(
            "If you are in danger now, call {number}.",
            number=load_contacts(region).emergency.number,
        ),
        tr._("If you need to talk before then:"),
        *contact_lines(tr, region),
    ]
    return Outgoing(text="\n".join(lines))


def contact_lines(tr: Translator, region: str) -> list[str]:
    """The region's 24/7 numbers, each in a short line that names nothing a child went
    through."""
    return [
        tr._(CONTACT_LINES[c.id], number=c.number)
        if c.id in CONTACT_LINES
        else f"{c.name}: {c.number}"
        for c in load_contacts(region).contacts
        if c.id not in SKIPPED
    ]


def marks(tr: Translator, severity: str) -> str:
    if severity == Severity.URGENT.value:
        return tr._("🚨 URGENT · ")
    if severity == Severity.CONCERN.value:
        return tr._("⚠️ Concern · ")
    return ""


def ladder(runtime: Runtime) -> EscalationLadder:
    return runtime.settings.escalation


def rules(runtime: Runtime) -> Rules:
    """The settings the relaying use cases follow."""
    settings = runtime.settings
    return Rules(
        ladder=settings.escalation,
        unanswered=settings.unanswered,
        hours=settings.service_hours,
        stranger_relays_per_hour=settings.stranger_relays_per_hour,
    )


async def help_now(ctx: AlongsideContext, child: ChildView) -> None:
    raised = await relaying.help_now(ctx.uow, child, rules(ctx.runtime))
    await answer_alert(ctx, child, raised, source="help_now", severity="urgent")


async def answer_alert(
    ctx: AlongsideContext, child: ChildView, raised: Raised | None, *, source: str, severity: str
) -> None:
    """Tell staff of an alert raised or joined and, if urgent, answer the sender with the
    emergency numbers. A muted sender (`raised` is None) is answered and alerts no one."""
    await tell_of_alert(ctx.runtime, ctx.uow, child, raised, source=source, severity=severity)


async def tell_of_alert(
    runtime: Runtime,
    uow: UnitOfWork,
    child: ChildView,
    raised: Raised | None,
    *,
    source: str,
    severity: str,
) -> None:
    """`answer_alert` outside an update's handling (a translation found the words)."""
    told = 0
    if raised is not None:
        if raised.new:
            metrics.ALERTS_RAISED.labels(severity).inc()
        if severity != Severity.URGENT.value:
            return
        told = (
            await notify_staff(runtime, uow, raised.view)
            if raised.new
            else await update_cards(runtime, uow, raised.view)
        )
        if raised.answered_recently:
            # They have the numbers on their screen from moments ago: one answer, not a flood.
            return
    tr = runtime.tr(child.locale)
    await uow.send(
        child.telegram_id,
        emergency_message(
            tr, runtime.settings.region, help_now=source == "help_now", told=told > 0
        ),
        purpose="safety",
        key_id=child.data_key_id,
        child_id=child.id,
    )


async def readers_for(uow: UnitOfWork, view: AlertView) -> list[StaffView]:
    """Who hears of an alert: the advocate first, then every supervisor; a silence (concern)
    goes to the advocate alone first, unless they are away, and to everyone once it climbs."""
    supervisors = await people.supervisors(uow)
    advocate = view.child.advocate_id and await people.get_staff(uow, view.child.advocate_id)
    readers: list[StaffView] = []
    if advocate and advocate.active:
        readers.append(advocate)
        alone = view.source == "unanswered" and view.level == 0
        if alone and not people.is_away(advocate, uow.now) and not advocate.unreachable:
            return readers
    readers += [s for s in supervisors if not readers or s.id != readers[0].id]
    return [r for r in readers if not r.unreachable]


async def notify_staff(runtime: Runtime, uow: UnitOfWork, view: AlertView) -> int:
    """Queue the alert's card to each reader, in their own language; returns how many."""
    readers = await readers_for(uow, view)
    for reader in readers:
        await uow.send(
            reader.telegram_id,
            alert_card(runtime.tr(reader.locale), view),
            purpose="alert",
            staff_id=reader.id,
            child_id=view.child.id,
            alert_id=view.id,
        )
    if not readers:
        metrics.ALERTS_UNHEARD.inc()
        log.critical("alert.nobody_to_tell", extra={"alert_id": view.id})
    return len(readers)


async def update_cards(runtime: Runtime, uow: UnitOfWork, view: AlertView) -> int:
    """Bring every card of this alert up to date (rendered when it is sent, so one pending
    update per card holder is enough); returns how many people hold one."""
    holders = await alerts.card_holders(uow, view.id)
    for staff_id in holders:
        staff = await people.get_staff(uow, staff_id)
        if staff is None or not staff.active or holders[staff_id]:
            continue
        await uow.send(
            staff.telegram_id,
            Outgoing(kind="card", extra={"alert": view.id}),
            purpose="card",
            staff_id=staff.id,
            child_id=view.child.id,
            alert_id=view.id,
        )
    return len(holders) or len(await readers_for(uow, view))


def alert_card(tr: Translator, view: AlertView, acknowledged_by: str | None = None) -> Outgoing:
    child = view.child
    if view.source == "help_now":
        headline = tr._(
            "🚨 URGENT: {nickname} · {ref} pressed Help now.",
            nickname=child.nickname,
            ref=child.ref,
        )
    elif view.source == "missing":
        headline = tr._(
            "🚨 URGENT: {nickname} · {ref} is missing.", nickname=child.nickname, ref=child.ref
        )
    elif view.source == "unanswered":
        headline = tr._(
            "⚠️ {nickname} · {ref} wrote, and nobody has answered or marked it seen yet.",
            nickname=child.nickname,
            ref=child.ref,
        )
    else:
        headline = tr._(
            "🚨 URGENT: {nickname} · {ref} wrote something that may mean danger.",
            nickname=child.nickname,
            ref=child.ref,
        )
    lines = [headline]
    if view.categories and view.source != "unanswered":
        signs = ", ".join(tr._(SIGNS[c]) if c in SIGNS else c for c in view.categories)
        lines.append(tr._("Signs: {signs}", signs=signs))
    if view.joined:
        lines.append(
            tr.n_(
                "Since then: {n} more time, the latest at {time}.",
                "Since then: {n} more times, the latest at {time}.",
                view.joined,
                time=tr.time(view.last_at or view.raised_at),
            )
        )
    if view.level:
        lines.append(
            tr.n_(
                "Reminder {n}: nobody has acknowledged this yet.",
                "Reminder {n}: nobody has acknowledged this yet.",
                view.level,
            )
        )
    if view.source == "unanswered":
        lines.append(tr._("Please answer them, or press Seen once someone has."))
        buttons = (
            Button(tr._("Seen"), data=f"seen:{child.id}"),
            Button(tr._("Open"), data=f"open:{view.id}"),
        )
        return Outgoing(text="\n".join(lines), buttons=(buttons,))
    if acknowledged_by is not None:
        lines.append(tr._("Acknowledged by {name}.", name=acknowledged_by))
    elif view.source == "missing":
        lines.append(tr._("Please acknowledge, then follow the steps for a missing young person."))
    else:
        lines.append(
            tr._("They were given emergency numbers. Please acknowledge, then contact them.")
        )
    rows: list[tuple[Button, ...]] = [
        (
            Button(tr._("Acknowledge"), data=f"ack:{view.id}"),
            Button(tr._("Open"), data=f"open:{view.id}"),
        )
    ]
    if child.advocate_id is None:
        # Not linked: anyone can press Help now, so supervisors can stop hearing an account.
        rows.append((Button(tr._("Mute this sender"), data=f"mute:{child.id}"),))
    return Outgoing(text="\n".join(lines), buttons=tuple(rows))


async def live_card(
    runtime: Runtime, uow: UnitOfWork, alert_id: str, staff_id: str | None
) -> Outgoing | None:
    """An alert's card as it stands now, for its reader (None if either is gone)."""
    view = await alerts.view_by_id(uow, alert_id)
    staff = staff_id and await people.get_staff(uow, staff_id)
    if view is None or not staff:
        return None
    by = view.acknowledged_by and await people.get_staff(uow, view.acknowledged_by)
    return alert_card(runtime.tr(staff.locale), view, by.name if by else None)


async def sweep_once(runtime: Runtime) -> int:
    """Re-raise every due, unacknowledged alert once, and turn every silence that has waited
    too long into a concern; returns how many."""
    store = runtime.store
    steps = ladder(runtime)
    async with store.unit() as uow:
        due = await alerts.due(uow)
        for row in due:
            view = await alerts.escalate(
                uow, row, silence_ladder(runtime) if row.source == "unanswered" else steps
            )
            await notify_staff(runtime, uow, view)
        silent = await attention.due_silences(uow)
        for child_row in silent:
            child_row.awaiting_due_at = None
            child = await people.child_view(uow, child_row)
            if child.muted:
                continue
            view = await alerts.raise_alert(
                uow,
                child,
                source="unanswered",
                severity="concern",
                categories=("unanswered",),
                ladder=silence_ladder(runtime),
            )
            metrics.ALERTS_RAISED.labels("concern").inc()
            await notify_staff(runtime, uow, view)
        await uow.commit()
    return len(due) + len(silent)


def silence_ladder(runtime: Runtime) -> EscalationLadder:
    """A silence climbs from the advocate to the supervisors after as long again, and reminds
    them at that pace until someone answers."""
    step = runtime.settings.unanswered
    return EscalationLadder((step,))
