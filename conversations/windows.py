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

from sqlalchemy import Select, bindparam, or_, select

from conversations.ids import new_id
from conversations.models import Base, InterpreterWindow, Message, OutboxMessage

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


@dataclass(frozen=True)
class Replied:
    """What a message in someone's chat showed: whose conversation, which stored message (its
    direction and the staff member who wrote it), and why it was sent."""

    child_id: str | None
    message_id: str | None
    direction: str | None
    author_id: str | None
    purpose: str


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

    async def open(self, window_id: str, interpreter_id: str, ends_at: datetime) -> Window: ...

    async def close(self, window_id: str, status: str, by: str) -> Window: ...

    async def replied_to(self, chat_id: int, tg_message_id: int) -> Replied | None:
        """What the message `tg_message_id` in chat `chat_id` showed, if we sent it."""
        ...

    async def was_shown(self, chat_id: int, message_id: str) -> bool:
        """Whether the conversation's message `message_id` was sent to chat `chat_id` (or is
        on its way there)."""
        ...


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

    async def replied_to(self, chat_id: int, tg_message_id: int) -> Replied | None:
        shown = (
            await self.session.execute(
                select(
                    OutboxMessage.child_id, OutboxMessage.message_id, OutboxMessage.purpose
                ).where(
                    OutboxMessage.chat_index == self.uow.index.telegram(chat_id),
                    OutboxMessage.tg_message_id == tg_message_id,
                )
            )
        ).first()
        if shown is None:
            return None
        child_id, message_id, purpose = shown
        stored = await self.session.get(Message, message_id) if message_id else None
        return Replied(
            child_id,
            message_id,
            stored.direction if stored is not None else None,
            stored.staff_id if stored is not None else None,
            purpose,
        )

    async def was_shown(self, chat_id: int, message_id: str) -> bool:
        found = await self.session.execute(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.chat_index == self.uow.index.telegram(chat_id),
                OutboxMessage.message_id == message_id,
                OutboxMessage.status != "dead",
            )
            .limit(1)
        )
        return found.first() is not None


class FakeWindows:
    """In memory; `shown` is what tests say each (chat, message id) showed."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_id: dict[str, Window] = {}
        self.shown: dict[tuple[int, int], Replied] = {}

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

    async def replied_to(self, chat_id: int, tg_message_id: int) -> Replied | None:
        return self.shown.get((chat_id, tg_message_id))

    async def was_shown(self, chat_id: int, message_id: str) -> bool:
        return any(
            chat == chat_id and shown.message_id == message_id
            for (chat, _), shown in self.shown.items()
        )
