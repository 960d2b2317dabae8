"""The net under detection: a young person's words that no staff member has answered.

Detection decides how fast a person looks; this makes sure one does. A message from a young
person starts a clock unless one is already running; staff answering them, or marking their
message *Seen*, stops it. When the clock runs out the silence becomes a concern (an alert of
source ``unanswered``), for the advocate first and then for the supervisors, on a ladder.

Also here: the service-hours notice (told once per closure) and what an unlinked sender may
push to supervisors (a rate per sender; a supervisor may mute them).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from conversations.models import Alert, Child, Message
from conversations.people import ChildView, StaffView
from conversations.store import UnitOfWork


async def await_answer(uow: UnitOfWork, child_id: str, due_at: datetime) -> None:
    """Start the clock at this message, unless an older unanswered one already started it."""
    row = await uow.session.get(Child, child_id)
    if row is not None and row.awaiting_since is None:
        row.awaiting_since = uow.now
        row.awaiting_due_at = due_at


async def answered(uow: UnitOfWork, child_id: str, actor: str, how: str) -> bool:
    """Staff answered or marked the young person's messages seen: stop the clock and close the
    silence alerts it raised. True if anything was waiting."""
    row = await uow.session.get(Child, child_id)
    if row is None:
        return False
    waiting = row.awaiting_since is not None
    row.awaiting_since = row.awaiting_due_at = None
    silences = (
        (
            await uow.session.execute(
                select(Alert).where(
                    Alert.child_id == child_id,
                    Alert.source == "unanswered",
                    Alert.status != "resolved",
                )
            )
        )
        .scalars()
        .all()
    )
    for alert in silences:
        alert.status = "resolved"
        alert.resolved_at = uow.now
        alert.next_due_at = None
        if actor.startswith("staff:"):
            alert.resolved_by = alert.resolved_by or actor.removeprefix("staff:")
            alert.acknowledged_by = alert.acknowledged_by or alert.resolved_by
        alert.acknowledged_at = alert.acknowledged_at or uow.now
    if waiting or silences:
        await uow.audit(actor, f"messages.{how}", child_id)
    return waiting or bool(silences)


async def due_silences(uow: UnitOfWork, limit: int = 50) -> list[Child]:
    """Young people whose oldest unanswered message has waited too long, claimed."""
    query = (
        select(Child)
        .where(Child.awaiting_due_at <= uow.now)
        .order_by(Child.awaiting_due_at)
        .limit(limit)
    )
    if not uow.store.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return list((await uow.session.execute(query)).scalars().all())


def waited(row: Child, now: datetime) -> timedelta:
    return now - (row.awaiting_since or now)


async def first_word_while_closed(uow: UnitOfWork, child_id: str, opens_at: datetime) -> bool:
    """True the first time this young person writes while the service is closed until
    `opens_at`: they are told once per closure when a person will read."""
    row = await uow.session.get(Child, child_id)
    if row is None or row.closed_told_until == opens_at:
        return False
    row.closed_told_until = opens_at
    return True


async def messages_this_hour(uow: UnitOfWork, child_id: str) -> int:
    """How many messages this sender wrote in the last hour (the one being handled included)."""
    return int(
        (
            await uow.session.execute(
                select(func.count(Message.id)).where(
                    Message.child_id == child_id,
                    Message.direction == "in",
                    Message.created_at > uow.now - timedelta(hours=1),
                )
            )
        ).scalar_one()
    )


async def set_muted(uow: UnitOfWork, staff: StaffView, child: ChildView, muted: bool) -> bool:
    """Mute or unmute an unlinked sender; refused (False) for a linked young person, whose
    messages always reach their advocate."""
    if not staff.is_supervisor or not staff.active or child.advocate_id is not None:
        return False
    row = await uow.session.get(Child, child.id)
    if row is None:
        return False
    if (row.muted_at is not None) != muted:
        row.muted_at = uow.now if muted else None
        await uow.audit(f"staff:{staff.id}", "sender.mute" if muted else "sender.unmute", child.id)
    return True
