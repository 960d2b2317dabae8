"""The conversation between a child and their advocate: what arrives, what goes, and routing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import insert, select

from conversations import bonds
from conversations.ids import new_id
from conversations.models import Base, Child, Message, PendingSend
from conversations.people import ChildView, StaffView
from conversations.store import UnitOfWork

LAST_SEEN_GRAIN = timedelta(minutes=1)
# Every message either way is one of these: written as a plain row, with its bond.
_RECORD = insert(Base.metadata.tables[Message.__tablename__])


@dataclass(frozen=True)
class Content:
    """A message's content, whichever way it goes. ``kind`` is "text" or a media kind."""

    kind: str
    text: str = ""
    file_id: str | None = None
    file_name: str | None = None

    def to_json(self) -> dict[str, str]:
        data = {"kind": self.kind, "text": self.text}
        if self.file_id:
            data["file_id"] = self.file_id
        if self.file_name:
            data["file_name"] = self.file_name
        return data

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Content:
        return cls(data["kind"], data.get("text", ""), data.get("file_id"), data.get("file_name"))


async def record_from_child(
    uow: UnitOfWork, child: ChildView, content: Content, tg_message_id: int, severity: str = "none"
) -> str:
    message_id = new_id()
    await _record(
        uow,
        id=message_id,
        child_id=child.id,
        direction="in",
        kind=content.kind,
        staff_id=None,
        body_sealed=await uow.seal_json(
            child.data_key_id, content.to_json(), "messages", "body", message_id
        ),
        tg_message_id=tg_message_id,
        severity=severity,
        created_at=uow.now,
    )
    row = await uow.session.get(Child, child.id)
    # To the minute: a child writing several lines in a row costs one write, not one each.
    if row is not None and (
        row.last_seen_at is None or uow.now - row.last_seen_at >= LAST_SEEN_GRAIN
    ):
        row.last_seen_at = uow.now
    return message_id


async def _newest(uow: UnitOfWork, *where: object) -> Message | None:
    # Telegram numbers restart if the bot is replaced: the newest message with this number.
    return (
        (
            await uow.session.execute(
                select(Message)
                .where(*where)  # type: ignore[arg-type]
                .order_by(Message.created_at.desc())
                .limit(1)
            )
        )
        .scalars()
        .first()
    )


async def record_edit(
    uow: UnitOfWork, child: ChildView, tg_message_id: int, content: Content
) -> str | None:
    """Keep the new wording; returns the edited message's id, or None if we never saw it."""
    row = await _newest(
        uow,
        Message.child_id == child.id,
        Message.direction == "in",
        Message.tg_message_id == tg_message_id,
    )
    if row is None:
        return None
    await rewrite(uow, child, row, content)
    return row.id


async def staff_message(uow: UnitOfWork, staff: StaffView, tg_message_id: int) -> Message | None:
    """A staff member's message to a young person, by its id in their own chat."""
    return await _newest(
        uow,
        Message.staff_id == staff.id,
        Message.direction == "out",
        Message.author_tg_message_id == tg_message_id,
    )


async def rewrite(uow: UnitOfWork, child: ChildView, row: Message, content: Content) -> None:
    """A message's new wording, sealed as the old one was; the old wording is not kept."""
    row.body_sealed = await uow.seal_json(
        child.data_key_id, content.to_json(), "messages", "body", row.id
    )
    row.edited_at = uow.now


async def record_to_child(
    uow: UnitOfWork,
    child: ChildView,
    staff: StaffView,
    content: Content,
    written_as: int | None = None,
) -> str:
    """A staff member's message to a young person; `written_as` is its id in their own chat,
    by which an edit of it is found."""
    message_id = new_id()
    await _record(
        uow,
        id=message_id,
        child_id=child.id,
        direction="out",
        kind=content.kind,
        staff_id=staff.id,
        body_sealed=await uow.seal_json(
            child.data_key_id, content.to_json(), "messages", "body", message_id
        ),
        author_tg_message_id=written_as,
        created_at=uow.now,
    )
    return message_id


async def _record(uow: UnitOfWork, **row: object) -> None:
    await uow.insert(_RECORD, [bonds.bonded(uow.index, Message, row)])


@dataclass(frozen=True)
class Held:
    """A staff member's message waiting for them to say which young person it is for, and its
    id in their own chat."""

    content: Content
    written_as: int | None


async def hold_for_choice(
    uow: UnitOfWork, staff: StaffView, content: Content, written_as: int | None = None
) -> str:
    pending_id = new_id()
    body: dict[str, str] = content.to_json()
    if written_as is not None:
        body["written_as"] = str(written_as)
    uow.session.add(
        PendingSend(
            id=pending_id,
            staff_id=staff.id,
            created_at=uow.now,
            body_sealed=await uow.seal_json(
                uow.store.system_key_id, body, "pending_sends", "body", pending_id
            ),
            written_as=written_as,
        )
    )
    return pending_id


async def rewrite_held(
    uow: UnitOfWork, staff: StaffView, written_as: int, content: Content
) -> str | None:
    """A held message's new wording, edited before its young person was chosen: the one that
    will go. Returns its id, or None if no message of theirs waits under that id."""
    row = (
        (
            await uow.session.execute(
                select(PendingSend)
                .where(PendingSend.staff_id == staff.id, PendingSend.written_as == written_as)
                .order_by(PendingSend.created_at.desc())
                .limit(1)
            )
        )
        .scalars()
        .first()
    )
    if row is None:
        return None
    body: dict[str, str] = {**content.to_json(), "written_as": str(written_as)}
    row.body_sealed = await uow.seal_json(
        uow.store.system_key_id, body, "pending_sends", "body", row.id
    )
    return row.id


async def take_pending(uow: UnitOfWork, staff: StaffView, pending_id: str) -> Held | None:
    row = await uow.session.get(PendingSend, pending_id)
    if row is None or row.staff_id != staff.id:
        return None
    body = await uow.open_json(row.body_sealed, "pending_sends", "body", row.id)
    await uow.session.delete(row)
    written_as = body.get("written_as")
    return Held(Content.from_json(body), int(written_as) if written_as else None)


async def mark_unreachable(uow: UnitOfWork, child_id: str) -> bool:
    """Returns True the first time, so the advocate is told once."""
    row = await uow.session.get(Child, child_id)
    if row is None or row.unreachable:
        return False
    row.unreachable = True
    await uow.audit("system", "child.unreachable", child_id)
    return True


async def mark_reachable(uow: UnitOfWork, child_id: str) -> None:
    row = await uow.session.get(Child, child_id)
    if row is not None and row.unreachable:
        row.unreachable = False
        await uow.audit("system", "child.reachable", child_id)
