"""What our messages in a chat showed, as records: the repository that says whose
conversation (and which of its messages) a message in someone's chat showed, so that a reply
to it is routed by what it answers, and whether a message of the conversation was shown in a
chat at all, so that its correction goes only where the original went.

Read from the outbox's rows and the conversation's messages. The interpreting rules
(`conversations.interpreting`) and the staff's reply handlers ask it. The SQLAlchemy
repository hangs on `store.UnitOfWork` (``uow.replies``); the in-memory one on
`fakes.FakeUnitOfWork`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from conversations.models import Message, OutboxMessage

if TYPE_CHECKING:
    from conversations.store import UnitOfWork


@dataclass(frozen=True)
class Replied:
    """What a message in someone's chat showed: whose conversation, which stored message (its
    direction and the staff member who wrote it), and why it was sent."""

    child_id: str | None
    message_id: str | None
    direction: str | None
    author_id: str | None
    purpose: str


class ReplyRepository(Protocol):
    async def replied_to(self, chat_id: int, tg_message_id: int) -> Replied | None:
        """What the message `tg_message_id` in chat `chat_id` showed, if we sent it."""
        ...

    async def was_shown(self, chat_id: int, message_id: str) -> bool:
        """Whether the conversation's message `message_id` was sent to chat `chat_id` (or is
        on its way there)."""
        ...


class SqlReplies:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

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


class FakeReplies:
    """In memory; `shown` is what tests say each (chat, message id) showed."""

    def __init__(self) -> None:
        self.shown: dict[tuple[int, int], Replied] = {}

    async def replied_to(self, chat_id: int, tg_message_id: int) -> Replied | None:
        return self.shown.get((chat_id, tg_message_id))

    async def was_shown(self, chat_id: int, message_id: str) -> bool:
        return any(
            chat == chat_id and shown.message_id == message_id
            for (chat, _), shown in self.shown.items()
        )
