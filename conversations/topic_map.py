"""The map from (staff member, young person) to a topic of the staff member's chat.

Telegram tells a bot nothing when a topic goes, so the bot keeps its own map: which topic of
a chat shows which young person (`thread`, `child`), made (`remember`) when a message first
needs it, forgotten once Telegram has deleted it (`forget`). A topic Telegram would not delete
is retired instead (`retire`): renamed so that it names no one, it shows nothing again, but it
is still known (`ours`) so that whoever writes in it is refused rather than read as writing in
the chat itself, and it is deleted with its young person or its staff member. At most one live
topic per young person in a chat; retired ones may pile up beside it.

`SqlTopics` hangs on `store.UnitOfWork` (``uow.topics``), `FakeTopics` on the fake one; the
contract suite (`tests/integration/test_topic_map.py`) holds both to the same answers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import and_, delete, or_, select, update

from conversations.errors import TamperedError
from conversations.ids import new_id
from conversations.models import StaffTopic

if TYPE_CHECKING:
    from conversations.store import UnitOfWork

log = logging.getLogger(__name__)

LIVE = StaffTopic.retired_at.is_(None)


class TopicMap(Protocol):
    async def thread(self, staff_id: str, child_id: str) -> int | None:
        """The topic that shows this young person to this staff member, if there is one."""
        ...

    async def child(self, staff_id: str, thread_id: int) -> str | None:
        """The young person this staff member's topic shows, if it was ours and is not
        retired."""
        ...

    async def ours(self, staff_id: str, thread_id: int) -> bool:
        """Whether the bot made this topic of the staff member's chat and still knows it
        (retired or not)."""
        ...

    async def remember(self, staff_id: str, child_id: str, thread_id: int) -> None:
        """This topic now shows this young person, in place of any before it (a retired one
        stays)."""
        ...

    async def retire(self, staff_id: str, child_id: str, thread_id: int) -> None:
        """Telegram would not delete this topic: it shows them no longer, and is kept only to
        refuse whoever writes in it, and to be deleted with them."""
        ...

    async def forget(self, staff_id: str, child_id: str, thread_id: int) -> None:
        """This topic is gone; a newer one for the same young person stays."""
        ...

    async def of_child(self, child_id: str) -> list[tuple[str, int]]:
        """Every topic made for this young person, retired too: (staff member, topic) pairs."""
        ...

    async def of_staff(self, staff_id: str) -> list[tuple[str, int]]:
        """Every topic of this staff member's chat, retired too: (young person, topic) pairs."""
        ...


class SqlTopics:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def _row(self, *where: object) -> StaffTopic | None:
        try:
            return (
                await self.session.execute(select(StaffTopic).where(*where))  # type: ignore[arg-type]
            ).scalar_one_or_none()
        except TamperedError:
            # A rewritten row shows nothing and routes nothing; the next send makes a new one.
            log.warning("topics.row_refused")
            return None

    async def thread(self, staff_id: str, child_id: str) -> int | None:
        row = await self._row(
            StaffTopic.staff_id == staff_id, StaffTopic.child_id == child_id, LIVE
        )
        return None if row is None else row.thread_id

    async def child(self, staff_id: str, thread_id: int) -> str | None:
        row = await self._row(
            StaffTopic.staff_id == staff_id, StaffTopic.thread_id == thread_id, LIVE
        )
        return None if row is None else row.child_id

    async def ours(self, staff_id: str, thread_id: int) -> bool:
        # The plain id only: a row whose bond is broken is still a topic of ours to refuse.
        found = await self.session.execute(
            select(StaffTopic.id).where(
                StaffTopic.staff_id == staff_id, StaffTopic.thread_id == thread_id
            )
        )
        return found.first() is not None

    async def remember(self, staff_id: str, child_id: str, thread_id: int) -> None:
        await self.session.execute(
            delete(StaffTopic).where(
                StaffTopic.staff_id == staff_id,
                or_(
                    and_(StaffTopic.child_id == child_id, LIVE),
                    StaffTopic.thread_id == thread_id,
                ),
            )
        )
        self.session.add(
            StaffTopic(
                id=new_id(),
                staff_id=staff_id,
                child_id=child_id,
                thread_id=thread_id,
                created_at=self.uow.now,
            )
        )
        await self.session.flush()

    async def retire(self, staff_id: str, child_id: str, thread_id: int) -> None:
        await self.session.execute(
            update(StaffTopic)
            .where(
                StaffTopic.staff_id == staff_id,
                StaffTopic.child_id == child_id,
                StaffTopic.thread_id == thread_id,
                LIVE,
            )
            .values(retired_at=self.uow.now)
        )

    async def forget(self, staff_id: str, child_id: str, thread_id: int) -> None:
        await self.session.execute(
            delete(StaffTopic).where(
                StaffTopic.staff_id == staff_id,
                StaffTopic.child_id == child_id,
                StaffTopic.thread_id == thread_id,
            )
        )

    async def of_child(self, child_id: str) -> list[tuple[str, int]]:
        # Only the plain columns: a row whose bond is broken is still a topic to delete.
        rows = await self.session.execute(
            select(StaffTopic.staff_id, StaffTopic.thread_id)
            .where(StaffTopic.child_id == child_id)
            .order_by(StaffTopic.created_at)
        )
        return [(staff_id, int(thread)) for staff_id, thread in rows]

    async def of_staff(self, staff_id: str) -> list[tuple[str, int]]:
        rows = await self.session.execute(
            select(StaffTopic.child_id, StaffTopic.thread_id)
            .where(StaffTopic.staff_id == staff_id)
            .order_by(StaffTopic.created_at)
        )
        return [(child_id, int(thread)) for child_id, thread in rows]


class FakeTopics:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], int] = {}  # the live ones
        self.retired: list[tuple[str, str, int]] = []  # (staff, young person, topic)

    async def thread(self, staff_id: str, child_id: str) -> int | None:
        return self.rows.get((staff_id, child_id))

    async def child(self, staff_id: str, thread_id: int) -> str | None:
        return next(
            (c for (s, c), t in self.rows.items() if s == staff_id and t == thread_id), None
        )

    async def ours(self, staff_id: str, thread_id: int) -> bool:
        return any(s == staff_id and t == thread_id for s, _, t in self._all())

    async def remember(self, staff_id: str, child_id: str, thread_id: int) -> None:
        self.rows = {
            key: t for key, t in self.rows.items() if not (key[0] == staff_id and t == thread_id)
        }
        self.retired = [r for r in self.retired if not (r[0] == staff_id and r[2] == thread_id)]
        self.rows[(staff_id, child_id)] = thread_id

    async def retire(self, staff_id: str, child_id: str, thread_id: int) -> None:
        if self.rows.get((staff_id, child_id)) == thread_id:
            del self.rows[(staff_id, child_id)]
            self.retired.append((staff_id, child_id, thread_id))

    async def forget(self, staff_id: str, child_id: str, thread_id: int) -> None:
        if self.rows.get((staff_id, child_id)) == thread_id:
            del self.rows[(staff_id, child_id)]
        self.retired = [r for r in self.retired if r != (staff_id, child_id, thread_id)]

    def _all(self) -> list[tuple[str, str, int]]:
        return [(s, c, t) for (s, c), t in self.rows.items()] + self.retired

    async def of_child(self, child_id: str) -> list[tuple[str, int]]:
        return [(s, t) for s, c, t in self._all() if c == child_id]

    async def of_staff(self, staff_id: str) -> list[tuple[str, int]]:
        return [(c, t) for s, c, t in self._all() if s == staff_id]
