"""The missing-risk watch: daily check-ins in the first days after linking or a new placement.

Most trafficked children who go missing from care do so within days of arriving. For that window
the bot asks each day how the child is, with one-tap answers. "Not good" is a concern, "I need
help" is urgent, and silence past the answer window becomes a concern for the advocate.

Closing a case stops the watch: no more check-ins, and the silence of one already asked is not
raised (nobody works a closed case); a new placement is refused until it is reopened. Reopening
it resumes the watch for what is left of the window, which runs from linking or the placement,
not from the reopening: the days of risk are the days after arriving. Once the window is over a
reopening starts nothing; a new placement (``/placed``) starts a new one. An answer asking for
someone ("not good", "I need help") opens a closed case again, as writing does (`bot.closing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from conversations import retention
from conversations.ids import new_id
from conversations.models import CaseClosure, CheckIn, Child
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
    """A new placement starts the watch again; raises `CaseClosed` for a closed case, whose
    young person is not to be contacted (nothing changes)."""
    await retention.ensure_open(uow, child)
    await start_watch(uow, child.id, first_at, f"staff:{staff.id}", "placement")


async def pause_watch(uow: UnitOfWork, child_id: str, actor: str) -> None:
    """The case is closed: no check-in is sent, and no silence raised, until it is reopened.

    The window's end is kept, for `resume_watch`."""
    row = await uow.session.get(Child, child_id)
    if row is None:
        return
    # Marked as dealt with, never raised: its answer is still recorded if it comes.
    asked = await uow.session.execute(
        update(CheckIn)
        .where(
            CheckIn.child_id == child_id,
            CheckIn.answered_at.is_(None),
            CheckIn.flagged.is_(False),
        )
        .values(flagged=True)
    )
    if row.next_check_in_at is None and not getattr(asked, "rowcount", 0):
        return
    row.next_check_in_at = None
    await uow.audit(actor, "watch.pause", child_id, "closed")


async def resume_watch(uow: UnitOfWork, child_id: str, first_at: datetime, actor: str) -> bool:
    """The case is reopened: check-ins again from `first_at`, if the window has not ended by
    then; False (and nothing changes) if it has."""
    row = await uow.session.get(Child, child_id)
    if row is None or row.watch_until is None or row.watch_until <= first_at:
        return False
    row.next_check_in_at = first_at
    await uow.audit(actor, "watch.resume", child_id, "reopened")
    return True


async def due_check_ins(
    uow: UnitOfWork, answer_window: timedelta, limit: int = 100
) -> list[DueCheckIn]:
    """Create today's check-in for every watched child whose time has come.

    The next one is a day after this one was due, so check-ins keep their hour of the day.
    """
    closed = select(CaseClosure.id).where(CaseClosure.child_id == Child.id).exists()
    query = (
        select(Child)
        # A closed case's watch is paused; one left running anyhow still asks no one.
        .where(Child.next_check_in_at <= uow.now, Child.advocate_id.is_not(None), ~closed)
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
