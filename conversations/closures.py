"""Closed cases as records: the repository the retention rules (`conversations.retention`)
reach them through.

A closure says who closed a young person's case, why, and when their record is to be erased;
the sweeper acts on it, so the deadline survives a restart. Reopening removes the closure and
keeps the span it was closed for (`Span`): the statistics count a young person as supported only
while their case was open. The SQLAlchemy repository hangs on
`store.UnitOfWork` (``uow.closures``); the in-memory one on `fakes.FakeUnitOfWork`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import bindparam, select

from conversations.ids import new_id
from conversations.models import Base, CaseClosure, ClosedSpan
from conversations.people import ChildView

if TYPE_CHECKING:
    from conversations.fakes import FakeUnitOfWork
    from conversations.store import UnitOfWork

ADULT, ENDED, OTHER = "adult", "ended", "other"
REASONS = (ADULT, ENDED, OTHER)


@dataclass(frozen=True)
class Closure:
    child_id: str
    closed_by: str
    reason: str
    closed_at: datetime
    erase_due_at: datetime
    warned_at: datetime | None = None
    held_told_at: datetime | None = None
    # The words given with the reason; opened only by `get`.
    words: str | None = None


@dataclass(frozen=True)
class Span:
    """A time the case was closed: until it was reopened, or None while it still is."""

    closed_at: datetime
    reopened_at: datetime | None


class ClosureRepository(Protocol):
    async def get(self, child_id: str) -> Closure | None:
        """The child's closure with its words opened, if their case is closed."""
        ...

    async def add(
        self, child: ChildView, *, closed_by: str, reason: str, words: str, erase_due_at: datetime
    ) -> Closure: ...

    async def reopen(self, child_id: str) -> None:
        """Remove the closure, keeping the span it was closed for."""
        ...

    async def spans(self, child_id: str) -> list[Span]:
        """Every time the case was closed, oldest first (the current closure last)."""
        ...

    async def to_warn(self, before: datetime) -> list[Closure]:
        """Closures not yet warned of whose erasure is due before `before` (locked where the
        store can, so two workers do not both warn)."""
        ...

    async def due(self, now: datetime) -> list[Closure]:
        """Closures whose erasure is due."""
        ...

    async def mark(self, child_id: str, *, warned: bool = False, held: bool = False) -> None: ...


def _record(row: CaseClosure, words: str | None = None) -> Closure:
    return Closure(
        row.child_id,
        row.closed_by,
        row.reason,
        row.closed_at,
        row.erase_due_at,
        row.warned_at,
        row.held_told_at,
        words,
    )


_CLOSURES = Base.metadata.tables[CaseClosure.__tablename__]
# Asked with every message a young person writes: built once.
_CLOSURE_OF_CHILD = select(_CLOSURES.c.id).where(_CLOSURES.c.child_id == bindparam("b_child"))


class SqlClosures:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def _row(self, child_id: str) -> CaseClosure | None:
        # Asked of every message a young person writes, and nearly always none: a plain read
        # of the id first, the row (and its bond) only when there is one.
        await self.uow.flush_pending()
        closure_id = (await self.session.execute(_CLOSURE_OF_CHILD, {"b_child": child_id})).scalar()
        return None if closure_id is None else await self.session.get(CaseClosure, closure_id)

    async def get(self, child_id: str) -> Closure | None:
        row = await self._row(child_id)
        if row is None:
            return None
        words = None
        if row.words_sealed:
            words = await self.uow.open(row.words_sealed, "case_closures", "words", row.id)
        return _record(row, words)

    async def add(
        self, child: ChildView, *, closed_by: str, reason: str, words: str, erase_due_at: datetime
    ) -> Closure:
        closure_id = new_id()
        sealed = (
            await self.uow.seal(child.data_key_id, words, "case_closures", "words", closure_id)
            if words
            else None
        )
        row = CaseClosure(
            id=closure_id,
            child_id=child.id,
            closed_by=closed_by,
            reason=reason,
            words_sealed=sealed,
            closed_at=self.uow.now,
            erase_due_at=erase_due_at,
        )
        self.session.add(row)
        return _record(row, words or None)

    async def reopen(self, child_id: str) -> None:
        row = await self._row(child_id)
        if row is not None:
            closed, now = row.closed_at, self.uow.now
            self.session.add(
                ClosedSpan(id=new_id(), child_id=child_id, closed_at=closed, reopened_at=now)
            )
            await self.session.delete(row)
            await self.session.flush()

    async def spans(self, child_id: str) -> list[Span]:
        rows = await self.session.execute(
            select(ClosedSpan.closed_at, ClosedSpan.reopened_at)
            .where(ClosedSpan.child_id == child_id)
            .order_by(ClosedSpan.closed_at, ClosedSpan.id)
        )
        found = [Span(closed, reopened) for closed, reopened in rows]
        current = await self._row(child_id)
        return found + ([Span(current.closed_at, None)] if current is not None else [])

    async def to_warn(self, before: datetime) -> list[Closure]:
        rows = (
            await self.session.execute(
                select(CaseClosure)
                .where(CaseClosure.warned_at.is_(None), CaseClosure.erase_due_at <= before)
                .with_for_update(skip_locked=True)
            )
        ).scalars()
        return [_record(row) for row in rows]

    async def due(self, now: datetime) -> list[Closure]:
        rows = (
            await self.session.execute(
                select(CaseClosure).where(CaseClosure.erase_due_at <= now).limit(50)
            )
        ).scalars()
        return [_record(row) for row in rows]

    async def mark(self, child_id: str, *, warned: bool = False, held: bool = False) -> None:
        row = await self._row(child_id)
        if row is None:
            return
        if warned:
            row.warned_at = self.uow.now
        if held:
            row.held_told_at = self.uow.now


class FakeClosures:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_child: dict[str, Closure] = {}
        self.reopened: dict[str, list[Span]] = {}

    async def get(self, child_id: str) -> Closure | None:
        return self.by_child.get(child_id)

    async def add(
        self, child: ChildView, *, closed_by: str, reason: str, words: str, erase_due_at: datetime
    ) -> Closure:
        closure = Closure(
            child.id, closed_by, reason, self.uow.now, erase_due_at, words=words or None
        )
        self.by_child[child.id] = closure
        return closure

    async def reopen(self, child_id: str) -> None:
        closure = self.by_child.pop(child_id, None)
        if closure is not None:
            kept = self.reopened.setdefault(child_id, [])
            kept.append(Span(closure.closed_at, self.uow.now))

    async def spans(self, child_id: str) -> list[Span]:
        current = self.by_child.get(child_id)
        return sorted(self.reopened.get(child_id, []), key=lambda s: s.closed_at) + (
            [Span(current.closed_at, None)] if current is not None else []
        )

    async def to_warn(self, before: datetime) -> list[Closure]:
        return [
            c for c in self.by_child.values() if c.warned_at is None and c.erase_due_at <= before
        ]

    async def due(self, now: datetime) -> list[Closure]:
        return [c for c in self.by_child.values() if c.erase_due_at <= now]

    async def mark(self, child_id: str, *, warned: bool = False, held: bool = False) -> None:
        closure = self.by_child.get(child_id)
        if closure is None:
            return
        if warned:
            closure = replace(closure, warned_at=self.uow.now)
        if held:
            closure = replace(closure, held_told_at=self.uow.now)
        self.by_child[child_id] = closure
