"""A young person's words, as use cases: relay a message, correct one, press *Help now*, and a
staff member's reply and its correction.

Each decides and records in the caller's unit of work (screening, the message, the alert it
raises, who reads, what the young person is told) and returns a plain result; ``bot/`` renders
it for each reader in their own language, in the order the result lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations import alerts, attention, continuity, people, relay
from conversations.access import DENIED, may_act_for
from conversations.alerts import Raised
from conversations.errors import AccessDenied
from conversations.hours import ServiceHours
from conversations.people import ChildView, StaffView
from conversations.relay import Content
from conversations.store import UnitOfWork
from safety import EscalationLadder, ScanResult, Severity


@dataclass(frozen=True)
class Rules:
    """The deployment's settings these decisions follow."""

    ladder: EscalationLadder
    unanswered: timedelta
    hours: ServiceHours | None = None
    stranger_relays_per_hour: int = 10


def answer_due(rules: Rules, now: datetime) -> datetime:
    """When a message written now has waited too long: open time only, when hours are set."""
    if rules.hours is None:
        return now + rules.unanswered
    return rules.hours.after_open_time(now, rules.unanswered)


async def raise_alert_for(
    uow: UnitOfWork,
    child: ChildView,
    rules: Rules,
    *,
    source: str,
    severity: str,
    categories: tuple[str, ...] = (),
    reasons: tuple[str, ...] = (),
    message_id: str | None = None,
) -> Raised | None:
    """Raise an alert, or join the sender's open one; None for a muted sender, who raises
    nothing (``bot/`` still answers them with the emergency numbers)."""
    if child.muted:
        return None
    return await alerts.raise_or_join(
        uow,
        child,
        source=source,
        severity=severity,
        categories=categories,
        rules=reasons,
        ladder=rules.ladder if severity == Severity.URGENT.value else None,
        message_id=message_id,
    )


async def help_now(uow: UnitOfWork, child: ChildView, rules: Rules) -> Raised | None:
    """*Help now*: an urgent alert for their advocate and every supervisor."""
    return await raise_alert_for(
        uow, child, rules, source="help_now", severity="urgent", categories=("help_request",)
    )


@dataclass(frozen=True)
class Relayed:
    """What relaying one message decided, in the order ``bot/`` tells people of it."""

    message_id: str
    severity: str
    # The alert this message raised or joined; None if it raised none or the sender is muted.
    raised: Raised | None = None
    # Kept with the record, pushed to no one (a muted sender).
    muted: bool = False
    readers: tuple[StaffView, ...] = ()
    # Their advocate, when away: the supervisors read in their place.
    away_advocate: StaffView | None = None
    # Past the hourly limit for someone not linked: kept, not passed on; the readers are told
    # once (`tell_held`).
    held: bool = False
    tell_held: bool = False
    # The topic the young person was asked about, answered by this message.
    topic: str | None = None
    # The first word during this absence of their advocate: they are told when they are back.
    tell_away: bool = False
    # The first word while the service is closed: they are told when it opens.
    closed_until: datetime | None = None


def screened_severity(scanned: ScanResult | None) -> str:
    return Severity.NONE.value if scanned is None else scanned.severity.value


async def _raise_for_message(
    uow: UnitOfWork,
    child: ChildView,
    rules: Rules,
    scanned: ScanResult | None,
    message_id: str,
) -> Raised | None:
    if scanned is None or scanned.severity is Severity.NONE or child.muted:
        return None
    return await raise_alert_for(
        uow,
        child,
        rules,
        source="message",
        severity=scanned.severity.value,
        categories=tuple(scanned.categories),
        reasons=tuple(scanned.rules),
        message_id=message_id,
    )


async def relay_from_child(
    uow: UnitOfWork,
    child: ChildView,
    content: Content,
    telegram_message_id: int,
    *,
    scanned: ScanResult | None,
    rules: Rules,
) -> Relayed:
    """Record a young person's message, raise the alert its words call for, and decide who
    reads it and what they are told. `scanned` is the safety scan of its words (None if it
    has none)."""
    severity = screened_severity(scanned)
    message_id = await relay.record_from_child(uow, child, content, telegram_message_id, severity)
    raised = await _raise_for_message(uow, child, rules, scanned, message_id)
    if child.muted:
        return Relayed(message_id, severity, raised, muted=True)
    topic = await continuity.take_asking(uow, child)
    readers, away_advocate = await people.readers_of(uow, child)
    if child.advocate_id is None and readers:
        over = await attention.messages_this_hour(uow, child.id) - rules.stranger_relays_per_hour
        if over > 0:
            return Relayed(
                message_id,
                severity,
                raised,
                readers=tuple(readers),
                held=True,
                tell_held=over == 1,
            )
    tell_away = away_advocate is not None and await people.first_word_of_absence(
        uow, child, away_advocate
    )
    closed_until = None
    if readers and severity != Severity.URGENT.value:
        closed_until = await _first_word_while_closed(uow, child, rules.hours)
    if readers:
        await attention.await_answer(uow, child.id, answer_due(rules, uow.now))
    return Relayed(
        message_id,
        severity,
        raised,
        readers=tuple(readers),
        away_advocate=away_advocate,
        topic=topic,
        tell_away=tell_away,
        closed_until=closed_until,
    )


async def _first_word_while_closed(
    uow: UnitOfWork, child: ChildView, hours: ServiceHours | None
) -> datetime | None:
    """Outside service hours, once per closure: when the service opens."""
    now = uow.now
    if hours is None or hours.is_open(now):
        return None
    opens = hours.next_open(now)
    return opens if await attention.first_word_while_closed(uow, child.id, opens) else None


@dataclass(frozen=True)
class Edited:
    """A correction of a message we relayed: the alert its new words raised, and who reads it
    (whoever read the message; no one is told of a correction from someone not linked)."""

    message_id: str
    severity: str
    raised: Raised | None = None
    readers: tuple[StaffView, ...] = ()


async def edit_from_child(
    uow: UnitOfWork,
    child: ChildView,
    telegram_message_id: int,
    content: Content,
    *,
    scanned: ScanResult | None,
    rules: Rules,
) -> Edited | None:
    """Keep a message's new wording and screen it; None if we never saw the message."""
    original = await relay.record_edit(uow, child, telegram_message_id, content)
    if original is None:
        return None
    severity = screened_severity(scanned)
    raised = await _raise_for_message(uow, child, rules, scanned, original)
    # Whoever read the message reads its correction (supervisors too, while the advocate is away).
    if not child.advocate_id:
        return Edited(original, severity, raised)
    readers, _ = await people.readers_of(uow, child)
    return Edited(original, severity, raised, tuple(readers))


async def reply_to_child(
    uow: UnitOfWork,
    staff: StaffView,
    child: ChildView,
    content: Content,
    *,
    answers: bool = True,
    written_as: int | None = None,
) -> str:
    """A staff member's message to a young person, recorded and audited; it answers them, so
    the clock on their waiting words stops (not an interpreter's: `answers` False). Returns
    the message's id. `written_as`: its id in the staff member's chat, for their edits."""
    message_id = await relay.record_to_child(uow, child, staff, content, written_as)
    await uow.audit(f"staff:{staff.id}", "message.send", child.id)
    if answers:
        await attention.answered(uow, child.id, f"staff:{staff.id}", "answered")
    return message_id


@dataclass(frozen=True)
class StaffEdited:
    """A staff member's correction of a message already sent to a young person."""

    message_id: str
    child: ChildView


async def edit_from_staff(
    uow: UnitOfWork, staff: StaffView, tg_message_id: int, content: Content
) -> StaffEdited | None:
    """Keep the new wording of a staff member's message to a young person; None if it was no
    such message (a command, a note) or if it is still waiting for them to choose its young
    person: then the new wording is what will go. Raises `AccessDenied`, changing nothing, if
    they may no longer act for that young person."""
    row = await relay.staff_message(uow, staff, tg_message_id)
    if row is None:
        held = await relay.rewrite_held(uow, staff, tg_message_id, content)
        if held is not None:
            await uow.audit(f"staff:{staff.id}", "message.edit_held", held)
        return None
    child = await people.get_child(uow, row.child_id)
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    await relay.rewrite(uow, child, row, content)
    await uow.audit(f"staff:{staff.id}", "message.edit", child.id)
    return StaffEdited(row.id, child)
