"""Which topic of a staff member's chat with the bot shows which young person.

Telegram lets a bot open topics in a private chat (Bot API 9.3); the bot keeps its own map from
(staff member, young person) to the topic's id, because Telegram tells it nothing when a topic
goes. The map only says where to show things and which young person a topic was made for:
whether the staff member may still reach them is asked of `conversations.access` every time,
so a topic left from before a handover reaches no one.

`SqlTopics` hangs on `store.UnitOfWork` (``uow.topics``), `FakeTopics` on the fake one; the
contract suite (`tests/integration/test_topic_map.py`) holds both to the same answers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import delete, or_, select

from conversations.access import DENIED, may_act_for
from conversations.errors import AccessDenied, TamperedError
from conversations.ids import new_id
from conversations.models import StaffTopic
from conversations.people import ChildView, StaffView, get_child

if TYPE_CHECKING:
    from conversations.repositories import Work
    from conversations.store import UnitOfWork

log = logging.getLogger(__name__)


class TopicMap(Protocol):
    async def thread(self, staff_id: str, child_id: str) -> int | None:
        """The topic that shows this young person to this staff member, if there is one."""
        ...

    async def child(self, staff_id: str, thread_id: int) -> str | None:
        """The young person this staff member's topic was made for, if it was ours."""
        ...

    async def remember(self, staff_id: str, child_id: str, thread_id: int) -> None:
        """This topic now shows this young person, in place of any before it."""
        ...

    async def forget(self, staff_id: str, child_id: str, thread_id: int) -> None:
        """This topic is gone; a newer one for the same young person stays."""
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
        row = await self._row(StaffTopic.staff_id == staff_id, StaffTopic.child_id == child_id)
        return None if row is None else row.thread_id

    async def child(self, staff_id: str, thread_id: int) -> str | None:
        row = await self._row(StaffTopic.staff_id == staff_id, StaffTopic.thread_id == thread_id)
        return None if row is None else row.child_id

    async def remember(self, staff_id: str, child_id: str, thread_id: int) -> None:
        await self.session.execute(
            delete(StaffTopic).where(
                StaffTopic.staff_id == staff_id,
                or_(StaffTopic.child_id == child_id, StaffTopic.thread_id == thread_id),
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

    async def forget(self, staff_id: str, child_id: str, thread_id: int) -> None:
        await self.session.execute(
            delete(StaffTopic).where(
                StaffTopic.staff_id == staff_id,
                StaffTopic.child_id == child_id,
                StaffTopic.thread_id == thread_id,
            )
        )


class FakeTopics:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], int] = {}

    async def thread(self, staff_id: str, child_id: str) -> int | None:
        return self.rows.get((staff_id, child_id))

    async def child(self, staff_id: str, thread_id: int) -> str | None:
        return next(
            (c for (s, c), t in self.rows.items() if s == staff_id and t == thread_id), None
        )

    async def remember(self, staff_id: str, child_id: str, thread_id: int) -> None:
        self.rows = {
            key: t for key, t in self.rows.items() if not (key[0] == staff_id and t == thread_id)
        }
        self.rows[(staff_id, child_id)] = thread_id

    async def forget(self, staff_id: str, child_id: str, thread_id: int) -> None:
        if self.rows.get((staff_id, child_id)) == thread_id:
            del self.rows[(staff_id, child_id)]


async def access_child_by_topic(uow: Work, staff: StaffView, thread_id: int) -> ChildView:
    """The young person a staff member's topic was made for, if they may still act for them;
    one refusal whether the topic is unknown or the young person no longer theirs."""
    child_id = await uow.topics.child(staff.id, thread_id)
    child = None if child_id is None else await get_child(uow, child_id)
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    return child
