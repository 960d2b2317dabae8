"""Safety alerts: raised, re-raised on the escalation ladder until acknowledged, then resolved.

Deadlines live in the database (``next_due_at``), so a restart loses none, and a sweeper in any
worker acts on them; on PostgreSQL the due rows are claimed with ``SKIP LOCKED`` so each
re-alert happens once. Every change is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from conversations.access import may_act_for
from conversations.ids import new_id
from conversations.models import Alert, Child, Message
from conversations.people import ChildView, StaffView, child_view
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


async def messages_around(uow: UnitOfWork, view: AlertView, around: int = 5
                          ) -> list[tuple[Message, dict[str, Any]]]:
    """The flagged message (or the moment the alert was raised) with the messages either side,
    in order and opened; the caller audits the read."""
    pivot = view.raised_at
    if view.message_id is not None:
        flagged = await uow.session.get(Message, view.message_id)
        pivot = flagged.created_at if flagged else pivot
    # Two plain index range scans; one UNION of them measured slower on PostgreSQL.
    mine = select(Message).where(Message.child_id == view.child.id)
    before = (await uow.session.execute(
        mine.where(Message.created_at <= pivot).order_by(Message.created_at.desc())
        .limit(around + 1))).scalars().all()
    after = (await uow.session.execute(
        mine.where(Message.created_at > pivot).order_by(Message.created_at).limit(around)
    )).scalars().all()
    return [(row, await uow.open_json(row.body_sealed, "messages", "body", row.id))
            for row in [*reversed(before), *after]]


async def alert_view(uow: UnitOfWork, row: Alert, child: ChildView | None = None) -> AlertView:
    if child is None:
        child_row = await uow.session.get(Child, row.child_id)
        assert child_row is not None
        child = await child_view(uow, child_row)
    reasons = await uow.open_json(row.reasons_sealed, "alerts", "reasons", row.id)
    return AlertView(row.id, child, row.message_id, row.source, row.severity,
                     tuple(reasons.get("categories", [])), row.status, row.level, row.raised_at)


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
    """Urgent alerts climb the ladder; concerns wait in the supervisors' queue."""
    alert_id = new_id()
    due = ladder.next_due(uow.now, 0) if ladder and severity == "urgent" else None
    row = Alert(
        id=alert_id, child_id=child.id, message_id=message_id, source=source, severity=severity,
        reasons_sealed=await uow.seal_json(child.data_key_id,
                                           {"categories": list(categories), "rules": list(rules)},
                                           "alerts", "reasons", alert_id),
        status="open", level=0, next_due_at=due, raised_at=uow.now,
    )
    uow.session.add(row)
    await uow.session.flush()
    await uow.audit("system", f"alert.raise.{severity}", child.id, f"alert={alert_id} {source}")
    return await alert_view(uow, row, child)


async def attach_message(uow: UnitOfWork, alert_id: str, message_id: str) -> None:
    row = await uow.session.get(Alert, alert_id)
    if row is not None:
        row.message_id = message_id


async def _visible(uow: UnitOfWork, staff: StaffView, alert_id: str) -> Alert | None:
    row = await uow.session.get(Alert, alert_id)
    if row is None:
        return None
    child_row = await uow.session.get(Child, row.child_id)
    if child_row is None or not may_act_for(staff, await child_view(uow, child_row)):
        return None
    return row


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


async def resolve(uow: UnitOfWork, staff: StaffView, alert_id: str, outcome: str
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
        row.outcome_sealed = await uow.seal(child_row.data_key_id, outcome[:2000], "alerts",
                                            "outcome", row.id)
        await uow.audit(f"staff:{staff.id}", "alert.resolve", row.child_id, f"alert={row.id}")
    return await alert_view(uow, row)


async def due(uow: UnitOfWork, limit: int = 50) -> list[Alert]:
    """Open alerts whose next re-alert is due, claimed for this transaction."""
    query = (select(Alert).where(Alert.status == "open", Alert.next_due_at <= uow.now)
             .order_by(Alert.next_due_at).limit(limit))
    if not uow.store.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return list((await uow.session.execute(query)).scalars().all())


async def escalate(uow: UnitOfWork, row: Alert, ladder: EscalationLadder) -> AlertView:
    row.level += 1
    row.next_due_at = ladder.next_due(row.raised_at, row.level)
    await uow.audit("system", "alert.escalate", row.child_id, f"alert={row.id} level={row.level}")
    return await alert_view(uow, row)


async def open_alerts(uow: UnitOfWork, staff: StaffView, limit: int = 20) -> list[AlertView]:
    # One query for the alerts with their children, one for the keys they need.
    pairs = (await uow.session.execute(
        select(Alert, Child).join(Child, Child.id == Alert.child_id)
        .where(Alert.status != "resolved").order_by(Alert.raised_at.desc())
        .limit(200)
    )).all()
    await uow.load_keys(blob for alert, child in pairs
                        for blob in (alert.reasons_sealed, child.tg_sealed, child.nickname_sealed))
    views = []
    for row, child_row in pairs:
        child = await child_view(uow, child_row)
        if may_act_for(staff, child):
            views.append(await alert_view(uow, row, child))
        if len(views) >= limit:
            break
    return views


async def counts(uow: UnitOfWork) -> dict[tuple[str, str], int]:
    """(status, severity) → number of alerts."""
    rows = (await uow.session.execute(
        select(Alert.status, Alert.severity, func.count(Alert.id))
        .group_by(Alert.status, Alert.severity)
    )).all()
    return {(status, severity): int(n) for status, severity, n in rows}


async def visible_alert(uow: UnitOfWork, staff: StaffView, alert_id: str) -> AlertView | None:
    row = await _visible(uow, staff, alert_id)
    return None if row is None else await alert_view(uow, row)
