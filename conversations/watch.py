"""The missing-risk watch: daily check-ins in the first days after linking or a new placement.

Most trafficked children who go missing from care do so within days of arriving. For that window
the bot asks each day how the child is, with one-tap answers. "Not good" is a concern, "I need
help" is urgent, and silence past the answer window becomes a concern for the advocate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from conversations.ids import new_id
from conversations.models import CheckIn, Child
from conversations.people import ChildView, StaffView, child_view
from conversations.store import UnitOfWork

WATCH = timedelta(days=7)
ANSWERS = ("fine", "bad", "help")


@dataclass(frozen=True)
class DueCheckIn:
    id: str
    child: ChildView


async def start_watch(
    uow: UnitOfWork, child_id: str, first_at: datetime, actor: str, reason: str
) -> None:
    row = await uow.session.get(Child, child_id)
    if row is None:
        return
    row.watch_until = uow.now + WATCH
    row.next_check_in_at = first_at
    await uow.audit(actor, "watch.start", child_id, reason)


async def record_placement(
    uow: UnitOfWork, staff: StaffView, child: ChildView, first_at: datetime
) -> None:
    await start_watch(uow, child.id, first_at, f"staff:{staff.id}", "placement")


async def due_check_ins(
    uow: UnitOfWork, answer_window: timedelta, limit: int = 100
) -> list[DueCheckIn]:
    """Create today's check-in for every watched child whose time has come.

    The next one is a day after this one was due, so check-ins keep their hour of the day.
    """
    query = (
        select(Child)
        .where(Child.next_check_in_at <= uow.now, Child.advocate_id.is_not(None))
        .order_by(Child.next_check_in_at)
        .limit(limit)
    )
    if not uow.store.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    due: list[DueCheckIn] = []
    for row in (await uow.session.execute(query)).scalars().all():
        if row.watch_until is None or row.watch_until <= uow.now or row.unreachable:
            row.next_check_in_at = None
            continue
        check_in = CheckIn(
            id=new_id(),
            child_id=row.id,
            sent_at=uow.now,
            answer_by=uow.now + answer_window,
            flagged=False,
        )
        uow.session.add(check_in)
        next_at = row.next_check_in_at
        assert next_at is not None
        while next_at <= uow.now:
            next_at += timedelta(days=1)
        row.next_check_in_at = next_at if next_at < row.watch_until else None
        due.append(DueCheckIn(check_in.id, await child_view(uow, row)))
    return due


async def silent_check_ins(uow: UnitOfWork, limit: int = 100) -> list[DueCheckIn]:
    """Check-ins nobody answered in time; each is returned once."""
    query = (
        select(CheckIn)
        .where(
            CheckIn.answered_at.is_(None), CheckIn.flagged.is_(False), CheckIn.answer_by <= uow.now
        )
        .order_by(CheckIn.answer_by)
        .limit(limit)
    )
    if not uow.store.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    silent: list[DueCheckIn] = []
    for check_in in (await uow.session.execute(query)).scalars().all():
        check_in.flagged = True
        child = await uow.session.get(Child, check_in.child_id)
        if child is not None:
            silent.append(DueCheckIn(check_in.id, await child_view(uow, child)))
    return silent


async def answer(uow: UnitOfWork, child: ChildView, check_in_id: str, reply: str) -> bool:
    """Record the child's answer; False if it is not theirs or was already answered."""
    row = await uow.session.get(CheckIn, check_in_id)
    if row is None or row.child_id != child.id or reply not in ANSWERS:
        return False
    if row.answered_at is not None:
        return False
    row.answered_at = uow.now
    row.answer = reply
    await uow.audit(f"child:{child.id}", "watch.answer", child.id, reply)
    return True
