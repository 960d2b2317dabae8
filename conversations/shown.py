"""Where our messages and the young person's show in a chat, from the outbox's sent rows: the
message a reply answers, the alert card to bring up to date, and what "Clear chat" may delete.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from conversations.models import Message as StoredMessage
from conversations.models import OutboxMessage
from conversations.store import Store, UnitOfWork

DELETE_WINDOW = timedelta(hours=47, minutes=50)
# Ids one "Clear chat" asks Telegram to delete at most (100 a call): two days of a busy chat.
CLEAR_LIMIT = 2000


async def reply_target(uow: UnitOfWork, chat_index: str, reply_to: str) -> int | None:
    """Where the message we answer was shown in this chat, if anywhere."""
    shown = (
        (
            await uow.session.execute(
                select(OutboxMessage.tg_message_id)
                .where(
                    OutboxMessage.message_id == reply_to,
                    OutboxMessage.chat_index == chat_index,
                    OutboxMessage.tg_message_id.is_not(None),
                )
                .order_by(OutboxMessage.id)
            )
        )
        .scalars()
        .first()
    )
    if shown is not None:
        return int(shown)
    own = await uow.session.get(StoredMessage, reply_to)
    return None if own is None or own.direction != "in" else own.tg_message_id


async def card_shown(uow: UnitOfWork, alert_id: str, chat_index: str) -> int | None:
    """Where this chat shows the latest card of an alert (None if it never arrived)."""
    return (
        (
            await uow.session.execute(
                select(OutboxMessage.tg_message_id)
                .where(
                    OutboxMessage.alert_id == alert_id,
                    OutboxMessage.chat_index == chat_index,
                    OutboxMessage.tg_message_id.is_not(None),
                )
                .order_by(OutboxMessage.id.desc())
            )
        )
        .scalars()
        .first()
    )


async def deletable(store: Store, chat_index: str, child_id: str | None) -> list[int]:
    """Every message in this chat, either side's, Telegram still lets a bot delete (48
    hours)."""
    since = store.clock.now() - DELETE_WINDOW
    async with store.sessions() as session:
        ours = (
            (
                await session.execute(
                    select(OutboxMessage.tg_message_id).where(
                        OutboxMessage.chat_index == chat_index,
                        OutboxMessage.status == "sent",
                        OutboxMessage.sent_at > since,
                        OutboxMessage.tg_message_id.is_not(None),
                    )
                )
            )
            .scalars()
            .all()
        )
        theirs: list[int | None] = []
        if child_id is not None:
            theirs = list(
                (
                    await session.execute(
                        select(StoredMessage.tg_message_id).where(
                            StoredMessage.child_id == child_id,
                            StoredMessage.direction == "in",
                            StoredMessage.created_at > since,
                            StoredMessage.tg_message_id.is_not(None),
                        )
                    )
                )
                .scalars()
                .all()
            )
    known = {int(i) for i in [*ours, *theirs] if i is not None}
    if not known:
        return []
    # A private chat numbers both sides' messages one after another, so everything between
    # the first we know of and the last is this chat's too: the young person's button
    # presses, commands and codes, which are never stored. The one just before the first
    # is theirs when it was what we answered; any that cannot go are skipped by Telegram.
    first, last = min(known), max(known)
    return list(range(max(first - 1, 1, last - CLEAR_LIMIT + 1), last + 1))
