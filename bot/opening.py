"""Opening the heads of the chats' queues: a sealed row becomes a message ready for Telegram.

An alert card is rendered as the alert stands now, and a reply finds where the message it
answers shows in this chat. A head that can never be opened (its child erased as it was read,
or a damaged row) is handed back to be a dead letter.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.alerting import live_card
from bot.runtime import Runtime
from conversations import shown
from conversations.errors import ConfigurationError, SealError
from conversations.outbox import Head
from conversations.outgoing import Outgoing
from conversations.store import UnitOfWork


@dataclass
class Prepared:
    """A head of queue, read and opened, ready to hand to Telegram."""

    id: int
    chat_index: str
    chat_id: int
    message: Outgoing
    reply_to: int | None
    purpose: str
    created_at: datetime
    message_id: str | None
    child_id: str | None
    staff_id: str | None = None  # whom it is about or from, when a staff member is involved
    attempts: int = 0  # tries already counted against it


async def open_heads(
    runtime: Runtime, heads: list[Head]
) -> tuple[list[Prepared], list[tuple[int, str]]]:
    """Open a round of heads (in one read-only unit, should a key or a reply target need
    reading); also the ids of those that can never be opened, and why."""
    prepared: list[Prepared] = []
    unreadable: list[tuple[int, str]] = []
    async with runtime.store.unit(read_only=True) as uow:
        for head in heads:
            try:
                chat_id = int(await uow.open(head.chat_sealed, "outbox", "chat", head.uid))
                message = Outgoing.from_json(
                    await uow.open_json(head.payload_sealed, "outbox", "payload", head.uid)
                )
            except (SealError, ConfigurationError) as exc:
                # Its child was erased as it was read (the row is gone with the key), or it
                # was damaged: then it can never go, and supervisors hear so.
                unreadable.append((head.id, type(exc).__name__))
                continue
            if message.kind == "card" and head.alert_id is not None:
                message = await _live_card(runtime, uow, head, message)
            reply_to = (
                None
                if head.reply_to_message_id is None
                else await shown.reply_target(uow, head.chat_index, head.reply_to_message_id)
            )
            prepared.append(
                Prepared(
                    head.id,
                    head.chat_index,
                    chat_id,
                    message,
                    reply_to,
                    head.purpose,
                    head.created_at,
                    head.message_id,
                    head.child_id,
                    head.staff_id,
                    head.attempts,
                )
            )
    return prepared, unreadable


async def _live_card(runtime: Runtime, uow: UnitOfWork, head: Head, message: Outgoing) -> Outgoing:
    """An alert card rendered as the alert stands now, and where the card it replaces is
    shown in this chat (sent anew if it never arrived)."""
    assert head.alert_id is not None
    card = await live_card(runtime, uow, head.alert_id, head.staff_id)
    if card is None:
        return replace(message, kind="text", text="")
    edit = await shown.card_shown(uow, head.alert_id, head.chat_index)
    return replace(card, kind="card", extra={"edit": edit})
