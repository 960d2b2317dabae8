"""Safety alerts: raised, re-raised on the escalation ladder until acknowledged, then resolved.

Deadlines live in the database (``next_due_at``), so a restart loses none, and a sweeper in any
worker acts on them; on PostgreSQL the due rows are claimed with ``SKIP LOCKED`` so each
re-alert happens once. Every change is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select

# Modules, not names: the gate (`access`) builds alert views, and alerts ask the gate.
from conversations import access
from conversations.errors import AccessDenied
from conversations.ids import new_id
from conversations.models import Alert, Child, Message, OutboxMessage
from conversations.people import ChildView, Role, StaffView, child_view
from conversations.store import UnitOfWork
from safety import EscalationLadder


@dataclass(frozen=True)
class AlertView:
    id: str
    child: ChildView
    message_id: str | None
    source: str
    severity: str
    categories: tuple[str, ...]
    status: str
    level: int
    raised_at: datetime
    joined: int = 0
    last_at: datetime | None = None
    acknowledged_by: str | None = None


async def messages_around(
    uow: UnitOfWork, view: AlertView, around: int = 5
) -> list[tuple[Message, dict[str, Any]]]:
    """The flagged message (or the moment the alert was raised) with the messages either side,
    in order and opened; the caller audits the read."""
    pivot = view.raised_at
    if view.message_id is not None:
        flagged = await uow.session.get(Message, view.message_id)
        pivot = flagged.created_at if flagged else pivot
    # Two plain index range scans; one UNION of them measured slower on PostgreSQL.
    mine = select(Message).where(Message.child_id == view.child.id)
    before = (
        (
            await uow.session.execute(
                mine.where(Message.created_at <= pivot)
                .order_by(Message.created_at.desc())
                .limit(around + 1)
            )
        )
        .scalars()
        .all()
    )
    after = (
        (
            await uow.session.execute(
                mine.where(Message.created_at > pivot).order_by(Message.created_at).limit(around)
            )
        )
        .scalars()
        .all()
    )
    return [
        (row, await uow.open_json(row.body_sealed, "messages", "body", row.id))
        for row in [*reversed(before), *after]
    ]


async def alert_view(uow: UnitOfWork, row: Alert, child: ChildView | None = None) -> AlertView:
    if child is None:
        child_row = await uow.session.get(Child, row.child_id)
        assert child_row is not None
        child = await child_view(uow, child_row)
    reasons = await uow.open_json(row.reasons_sealed, "alerts", "reasons", row.id)
    return AlertView(
        row.id,
        child,
        row.message_id,
        row.source,
        row.severity,
        tuple(reasons.get("categories", [])),
        row.status,
        row.level,
        row.raised_at,
        row.joined,
        row.last_at,
        row.acknowledged_by,
    )


async def raise_alert(
    uow: UnitOfWork,
    child: ChildView,
    *,
    source: str,
    severity: str,
    categories: tuple[str, ...] = (),
    rules: tuple[str, ...] = (),
    message_id: str | None = None,
    ladder: EscalationLadder | None = None,
) -> AlertView:
    """An alert given a ladder climbs it until acknowledged (urgent ones, silences); others
    wait in the supervisors' queue."""
    alert_id = new_id()
    due = ladder.next_due(uow.now, 0) if ladder else None
    row = Alert(
        id=alert_id,
        child_id=child.id,
        message_id=message_id,
        source=source,
        severity=severity,
        reasons_sealed=await uow.seal_json(
            child.data_key_id,
            {"categories": list(categories), "rules": list(rules)},
            "alerts",
            "reasons",
            alert_id,
        ),
        status="open",
        level=0,
        next_due_at=due,
        raised_at=uow.now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await uow.audit("system", f"alert.raise.{severity}", child.id, f"alert={alert_id} {source}")
    return await alert_view(uow, row, child)


# Sources whose alerts keep their own deadline and are never joined by another.
_OWN_LADDER = ("unanswered", "check_in", "missing")
# An unlinked sender who has raised this many alerts in an hour joins the newest from then on,
# whatever its state: one account cannot keep every supervisor's phone ringing.
UNLINKED_ALERTS_PER_HOUR = 3
# A sender answered with emergency numbers this recently is not answered again for each press.
REPEAT_ANSWER = timedelta(minutes=1)


@dataclass(frozen=True)
class Raised:
    """An alert raised (its cards go out) or joined (its cards are brought up to date)."""

    view: AlertView
    new: bool
    # The sender was given the emergency numbers less than a minute ago for this alert.
    answered_recently: bool = False


async def raise_or_join(
    uow: UnitOfWork,
    child: ChildView,
    *,
    source: str,
    severity: str,
    categories: tuple[str, ...] = (),
    rules: tuple[str, ...] = (),
    ladder: EscalationLadder | None = None,
    message_id: str | None = None,
) -> Raised:
    """One open alert per sender: more presses or flagged messages join it, never a new alarm
    each. A new alert points at `message_id`, the message that raised it."""
    row = await _joinable(uow, child, severity)
    if row is None:
        view = await raise_alert(
            uow,
            child,
            source=source,
            severity=severity,
            categories=categories,
            rules=rules,
            message_id=message_id,
            ladder=ladder,
        )
        return Raised(view, new=True)
    previous = row.last_at or row.raised_at
    row.joined += 1
    row.last_at = uow.now
    reasons = await uow.open_json(row.reasons_sealed, "alerts", "reasons", row.id)
    merged = {
        "categories": sorted({*reasons.get("categories", []), *categories}),
        "rules": sorted({*reasons.get("rules", []), *rules}),
    }
    if merged != reasons:
        row.reasons_sealed = await uow.seal_json(
            child.data_key_id, merged, "alerts", "reasons", row.id
        )
    await uow.audit("system", "alert.join", child.id, f"alert={row.id} {source}")
    return Raised(
        await alert_view(uow, row, child),
        new=False,
        answered_recently=uow.now - previous < REPEAT_ANSWER,
    )


async def _joinable(uow: UnitOfWork, child: ChildView, severity: str) -> Alert | None:
    mine = (
        select(Alert)
        .where(Alert.child_id == child.id, Alert.source.not_in(_OWN_LADDER))
        .order_by(Alert.raised_at.desc())
        .limit(1)
    )
    row = (
        await uow.session.execute(mine.where(Alert.status == "open", Alert.severity == severity))
    ).scalar_one_or_none()
    if row is not None or child.advocate_id is not None:
        return row
    recent = int(
        (
            await uow.session.execute(
                select(func.count(Alert.id)).where(
                    Alert.child_id == child.id, Alert.raised_at > uow.now - timedelta(hours=1)
                )
            )
        ).scalar_one()
    )
    if recent < UNLINKED_ALERTS_PER_HOUR:
        return None
    return (await uow.session.execute(mine.where(Alert.status != "resolved"))).scalar_one_or_none()


async def card_holders(uow: UnitOfWork, alert_id: str) -> dict[str, bool]:
    """Staff who were sent this alert's card, each with whether an update of it is queued."""
    rows = (
        await uow.session.execute(
            select(OutboxMessage.staff_id, OutboxMessage.purpose, OutboxMessage.status).where(
                OutboxMessage.alert_id == alert_id, OutboxMessage.staff_id.is_not(None)
            )
        )
    ).all()
    holders: dict[str, bool] = {}
    for staff_id, purpose, status in rows:
        pending = purpose == "card" and status == "pending"
        holders[str(staff_id)] = holders.get(str(staff_id), False) or pending
    return holders


async def _visible(uow: UnitOfWork, staff: StaffView, alert_id: str) -> Alert | None:
    try:
        view = await access.access_alert_by_id(uow, staff, alert_id)
    except AccessDenied:
        return None
    return await uow.session.get(Alert, view.id)


async def acknowledge(uow: UnitOfWork, staff: StaffView, alert_id: str) -> AlertView | None:
    """None if they may not see it; an alert already acknowledged stays as it was."""
    row = await _visible(uow, staff, alert_id)
    if row is None:
        return None
    if row.status == "open":
        row.status = "acknowledged"
        row.acknowledged_at = uow.now
        row.acknowledged_by = staff.id
        row.next_due_at = None
        await uow.audit(f"staff:{staff.id}", "alert.acknowledge", row.child_id, f"alert={row.id}")
    return await alert_view(uow, row)


async def resolve(
    uow: UnitOfWork, staff: StaffView, alert_id: str, outcome: str
) -> AlertView | None:
    row = await _visible(uow, staff, alert_id)
    if row is None:
        return None
    child_row = await uow.session.get(Child, row.child_id)
    assert child_row is not None
    if row.status != "resolved":
        if row.acknowledged_at is None:
            row.acknowledged_at = uow.now
            row.acknowledged_by = staff.id
        row.status = "resolved"
        row.resolved_at = uow.now
        row.resolved_by = staff.id
        row.next_due_at = None
        row.outcome_sealed = await uow.seal(
            child_row.data_key_id, outcome[:2000], "alerts", "outcome", row.id
        )
        await uow.audit(f"staff:{staff.id}", "alert.resolve", row.child_id, f"alert={row.id}")
    return await alert_view(uow, row)


async def due(uow: UnitOfWork, limit: int = 50) -> list[Alert]:
    """Open alerts whose next re-alert is due, claimed for this transaction."""
    query = (
        select(Alert)
        .where(Alert.status == "open", Alert.next_due_at <= uow.now)
        .order_by(Alert.next_due_at)
        .limit(limit)
    )
    if not uow.store.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return list((await uow.session.execute(query)).scalars().all())


async def escalate(uow: UnitOfWork, row: Alert, ladder: EscalationLadder) -> AlertView:
    """One reminder, however late: a sweeper that was stopped for hours sends the next one,
    not every one it missed (which would bury everything else queued for the same people)."""
    row.level += 1
    row.next_due_at = ladder.next_due(row.raised_at, row.level)
    while row.next_due_at is not None and row.next_due_at <= uow.now:
        row.level += 1
        row.next_due_at = ladder.next_due(row.raised_at, row.level)
    await uow.audit("system", "alert.escalate", row.child_id, f"alert={row.id} level={row.level}")
    return await alert_view(uow, row)


@dataclass(frozen=True)
class OpenPage:
    """One page of the unresolved alerts a staff member may see, urgent and oldest first."""

    views: list[AlertView]
    total: int
    offset: int


def _unresolved_of(staff: StaffView) -> Any:
    query = (
        select(Alert, Child)
        .join(Child, Child.id == Alert.child_id)
        .where(Alert.status != "resolved")
    )
    if staff.role is not Role.SUPERVISOR:
        query = query.where(Child.advocate_id == staff.id)
    return query


async def open_alerts(
    uow: UnitOfWork, staff: StaffView, offset: int = 0, limit: int = 10
) -> OpenPage:
    """Every unresolved alert this person may act on, paged: urgent first, then oldest first,
    so none falls off the end however many arrive after it."""
    if not staff.active:
        return OpenPage([], 0, 0)
    query = _unresolved_of(staff)
    total = int(
        (await uow.session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    )
    offset = max(0, min(offset, max(total - 1, 0)))
    pairs = (
        await uow.session.execute(
            query.order_by(
                case((Alert.severity == "urgent", 0), else_=1), Alert.raised_at, Alert.id
            )
            .offset(offset)
            .limit(limit)
        )
    ).all()
    # One query for the alerts with their children, one for the keys they need.
    await uow.load_keys(
        blob
        for alert, child in pairs
        for blob in (alert.reasons_sealed, child.tg_sealed, child.nickname_sealed)
    )
    views = []
    for row, child_row in pairs:
        child = await child_view(uow, child_row)
        if access.may_act_for(staff, child):
            views.append(await alert_view(uow, row, child))
    return OpenPage(views, total, offset)


async def unresolved_for(uow: UnitOfWork, staff: StaffView, ref: str) -> AlertView | None:
    """The newest unresolved alert of the child with this reference, if this person may act."""
    pair = (
        await uow.session.execute(
            _unresolved_of(staff)
            .where(Child.ref == ref.upper())
            .order_by(Alert.raised_at.desc())
            .limit(1)
        )
    ).first()
    if pair is None:
        return None
    child = await child_view(uow, pair[1])
    return await alert_view(uow, pair[0], child) if access.may_act_for(staff, child) else None


@dataclass(frozen=True)
class AlertCounts:
    """Unresolved alerts a staff member may see, by status and severity, and how old."""

    by_status: dict[tuple[str, str], int]
    older_than_hour: int
    older_than_day: int


async def counts(uow: UnitOfWork, staff: StaffView) -> AlertCounts:
    query = _unresolved_of(staff).subquery()
    now = uow.now
    rows = (
        await uow.session.execute(
            select(
                query.c.status,
                query.c.severity,
                func.count(),
                func.sum(case((query.c.raised_at < now - timedelta(hours=1), 1), else_=0)),
                func.sum(case((query.c.raised_at < now - timedelta(days=1), 1), else_=0)),
            ).group_by(query.c.status, query.c.severity)
        )
    ).all()
    return AlertCounts(
        {(status, severity): int(n) for status, severity, n, _, _ in rows},
        sum(int(hour or 0) for *_, hour, _ in rows),
        sum(int(day or 0) for *_, day in rows),
    )


async def view_by_id(uow: UnitOfWork, alert_id: str) -> AlertView | None:
    """For rendering what the system already decided to show (a card kept up to date)."""
    row = await uow.session.get(Alert, alert_id)
    return None if row is None else await alert_view(uow, row)


async def visible_alert(uow: UnitOfWork, staff: StaffView, alert_id: str) -> AlertView | None:
    """`access.access_alert_by_id`, None for a refusal."""
    try:
        return await access.access_alert_by_id(uow, staff, alert_id)
    except AccessDenied:
        return None
