"""Interpreter windows as records: the repository the interpreting rules reach them through.

A window is a request an advocate made for one young person (``offered`` to the interpreters
listed), then the time one of them reads and answers (``open`` until ``ends_at``), then closed:
``ended`` early, ``expired`` at its time, or ``lapsed`` when nobody accepted in time. The
SQLAlchemy repository hangs on `store.UnitOfWork` (``uow.windows``); the in-memory one on
`fakes.FakeUnitOfWork`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Select, and_, bindparam, or_, select

from conversations.ids import new_id
from conversations.models import Base, InterpreterWindow

if TYPE_CHECKING:
    from conversations.fakes import FakeUnitOfWork
    from conversations.store import UnitOfWork

OFFERED, OPEN, ENDED, EXPIRED, LAPSED = "offered", "open", "ended", "expired", "lapsed"
CURRENT = (OFFERED, OPEN)


@dataclass(frozen=True)
class Window:
    id: str
    child_id: str
    asked_by: str
    language: str
    offered: tuple[str, ...]
    status: str
    interpreter_id: str | None
    asked_at: datetime
    ends_at: datetime
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None


class WindowRepository(Protocol):
    async def add(
        self,
        *,
        child_id: str,
        asked_by: str,
        language: str,
        offered: Sequence[str],
        lapses_at: datetime,
    ) -> Window: ...

    async def get(self, window_id: str) -> Window | None:
        """The window, locked for this unit where the store can lock it (to accept it)."""
        ...

    async def current(self, child_id: str) -> Window | None:
        """The child's offered or open window, if any (one at a time)."""
        ...

    async def held_by(self, interpreter_id: str) -> Window | None:
        """The open window this interpreter holds, if any."""
        ...

    async def due(self, now: datetime) -> list[Window]:
        """Offered or open windows whose time is up."""
        ...

    async def involving(self, interpreter_id: str) -> list[Window]:
        """The open windows this interpreter holds and the requests still offered to them."""
        ...

    async def withdraw(self, window_id: str, interpreter_id: str) -> Window:
        """The request is no longer offered to this interpreter."""
        ...

    async def open(self, window_id: str, interpreter_id: str, ends_at: datetime) -> Window: ...

    async def close(self, window_id: str, status: str, by: str) -> Window: ...


def _involves(window: Window, interpreter_id: str) -> bool:
    if window.status == OPEN:
        return window.interpreter_id == interpreter_id
    return window.status == OFFERED and interpreter_id in window.offered


def _record(row: InterpreterWindow) -> Window:
    return Window(
        id=row.id,
        child_id=row.child_id,
        asked_by=row.asked_by,
        language=row.language,
        offered=tuple(x for x in row.offered.split(",") if x),
        status=row.status,
        interpreter_id=row.interpreter_id,
        asked_at=row.asked_at,
        ends_at=row.ends_at,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        closed_by=row.closed_by,
    )


Newest = Select[InterpreterWindow]


def _newest_window(*where: object) -> Newest:
    return (
        select(InterpreterWindow)
        .where(*where)  # type: ignore[arg-type]
        .order_by(InterpreterWindow.asked_at.desc())
        .limit(1)
    )


_WINDOWS = Base.metadata.tables[InterpreterWindow.__tablename__]
# Asked with every message a young person or their advocate writes, and nearly always none: the
# id alone, built once, and without an IN list (SQLAlchemy renders one anew each time).
_CURRENT_FOR_CHILD = (
    select(_WINDOWS.c.id)
    .where(
        _WINDOWS.c.child_id == bindparam("b_value"),
        or_(_WINDOWS.c.status == OFFERED, _WINDOWS.c.status == OPEN),
    )
    .order_by(_WINDOWS.c.asked_at.desc())
    .limit(1)
)
_HELD_BY = _newest_window(
    InterpreterWindow.interpreter_id == bindparam("b_value"), InterpreterWindow.status == OPEN
)


class SqlWindows:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def add(
        self,
        *,
        child_id: str,
        asked_by: str,
        language: str,
        offered: Sequence[str],
        lapses_at: datetime,
    ) -> Window:
        row = InterpreterWindow(
            id=new_id(),
            child_id=child_id,
            asked_by=asked_by,
            language=language,
            offered=",".join(offered),
            status=OFFERED,
            asked_at=self.uow.now,
            ends_at=lapses_at,
        )
        self.session.add(row)
        return _record(row)

    async def get(self, window_id: str) -> Window | None:
        # Locked: of two interpreters accepting at once on PostgreSQL, the second waits and
        # finds it taken.
        row = await self.session.get(InterpreterWindow, window_id, with_for_update=True)
        return None if row is None else _record(row)

    async def _first(self, statement: Newest, value: str) -> Window | None:
        row = (await self.session.execute(statement, {"b_value": value})).scalars().first()
        return None if row is None else _record(row)

    async def current(self, child_id: str) -> Window | None:
        await self.uow.flush_pending()
        found = (await self.session.execute(_CURRENT_FOR_CHILD, {"b_value": child_id})).scalar()
        if found is None:
            return None
        row = await self.session.get(InterpreterWindow, found)
        return None if row is None else _record(row)

    async def held_by(self, interpreter_id: str) -> Window | None:
        return await self._first(_HELD_BY, interpreter_id)

    async def due(self, now: datetime) -> list[Window]:
        rows = (
            await self.session.execute(
                select(InterpreterWindow).where(
                    InterpreterWindow.status.in_(CURRENT), InterpreterWindow.ends_at <= now
                )
            )
        ).scalars()
        return [_record(row) for row in rows]

    async def involving(self, interpreter_id: str) -> list[Window]:
        rows = (
            await self.session.execute(
                select(InterpreterWindow)
                .where(
                    or_(
                        and_(
                            InterpreterWindow.status == OPEN,
                            InterpreterWindow.interpreter_id == interpreter_id,
                        ),
                        and_(
                            InterpreterWindow.status == OFFERED,
                            InterpreterWindow.offered.contains(interpreter_id, autoescape=True),
                        ),
                    )
                )
                .order_by(InterpreterWindow.asked_at)
                .with_for_update()
            )
        ).scalars()
        # The offers are a list in one column: matched as text, then checked as a list.
        return [w for w in map(_record, rows) if _involves(w, interpreter_id)]

    async def withdraw(self, window_id: str, interpreter_id: str) -> Window:
        row = await self._row(window_id)
        row.offered = ",".join(x for x in row.offered.split(",") if x and x != interpreter_id)
        return _record(row)

    async def _row(self, window_id: str) -> InterpreterWindow:
        row = await self.session.get(InterpreterWindow, window_id)
        assert row is not None, "a window the unit has just read"
        return row

    async def open(self, window_id: str, interpreter_id: str, ends_at: datetime) -> Window:
        row = await self._row(window_id)
        row.status, row.interpreter_id = OPEN, interpreter_id
        row.opened_at, row.ends_at = self.uow.now, ends_at
        return _record(row)

    async def close(self, window_id: str, status: str, by: str) -> Window:
        row = await self._row(window_id)
        row.status, row.closed_at, row.closed_by = status, self.uow.now, by
        return _record(row)


class FakeWindows:
    """In memory."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_id: dict[str, Window] = {}

    async def add(
        self,
        *,
        child_id: str,
        asked_by: str,
        language: str,
        offered: Sequence[str],
        lapses_at: datetime,
    ) -> Window:
        window = Window(
            new_id(),
            child_id,
            asked_by,
            language,
            tuple(offered),
            OFFERED,
            None,
            self.uow.now,
            lapses_at,
        )
        self.by_id[window.id] = window
        return window

    async def get(self, window_id: str) -> Window | None:
        return self.by_id.get(window_id)

    def _newest(self, found: list[Window]) -> Window | None:
        return max(found, key=lambda w: w.asked_at) if found else None

    async def current(self, child_id: str) -> Window | None:
        return self._newest(
            [w for w in self.by_id.values() if w.child_id == child_id and w.status in CURRENT]
        )

    async def held_by(self, interpreter_id: str) -> Window | None:
        return self._newest(
            [
                w
                for w in self.by_id.values()
                if w.interpreter_id == interpreter_id and w.status == OPEN
            ]
        )

    async def due(self, now: datetime) -> list[Window]:
        return [w for w in self.by_id.values() if w.status in CURRENT and w.ends_at <= now]

    async def involving(self, interpreter_id: str) -> list[Window]:
        found = [w for w in self.by_id.values() if _involves(w, interpreter_id)]
        return sorted(found, key=lambda w: w.asked_at)

    async def withdraw(self, window_id: str, interpreter_id: str) -> Window:
        window = self.by_id[window_id]
        offered = tuple(x for x in window.offered if x != interpreter_id)
        self.by_id[window_id] = window = replace(window, offered=offered)
        return window

    async def open(self, window_id: str, interpreter_id: str, ends_at: datetime) -> Window:
        window = replace(
            self.by_id[window_id],
            status=OPEN,
            interpreter_id=interpreter_id,
            opened_at=self.uow.now,
            ends_at=ends_at,
        )
        self.by_id[window_id] = window
        return window

    async def close(self, window_id: str, status: str, by: str) -> Window:
        window = replace(self.by_id[window_id], status=status, closed_at=self.uow.now, closed_by=by)
        self.by_id[window_id] = window
        return window
