"""The inbox: updates as they came, kept until handled once.

Named operations over `InboxUpdate` rows: `accept` a batch (duplicates ignored, one
transaction), `next_offset`, the `pending` ones, `claim` one to handle, `mark_done` in the
handler's own transaction, and `failed` (a counted try; after the last, a dead letter).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from conversations.models import WIPED, InboxUpdate
from conversations.store import Store, UnitOfWork

MAX_ATTEMPTS = 3
SETTLE = timedelta(seconds=2)
GAP_WINDOW = 64
PENDING_BATCH = 200


@dataclass(frozen=True)
class Incoming:
    """An update as Telegram gave it, and the private chat it belongs to (if any)."""

    update_id: int
    chat_id: int | None
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Failure:
    """A failed try: whether it was the last (the update is a dead letter), and what it said."""

    final: bool
    payload: bytes


def _pending_query(with_payload: bool) -> Select[*tuple[Any, ...]]:
    columns = [InboxUpdate.update_id, *([InboxUpdate.payload_sealed] if with_payload else [])]
    return (
        select(*columns)
        .where(InboxUpdate.status == "pending")
        .order_by(InboxUpdate.update_id)
        .limit(PENDING_BATCH)
    )


# Built once: the same statements for every update.
PENDING = _pending_query(with_payload=True)
PENDING_IDS = _pending_query(with_payload=False)
_INBOX = cast(Table, InboxUpdate.__table__)
MARK_DONE = (
    update(_INBOX)
    .where(_INBOX.c.update_id == bindparam("b_id"))
    .values(status="done", processed_at=bindparam("b_at"), payload_sealed=WIPED)
)
# Executed with one set of parameters per update, these are compiled once and still sent as one
# multi-row INSERT; `.values(rows)` built a new statement for every batch, compiled each time.
ACCEPT = {
    dialect: insert(_INBOX)
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(_INBOX.c.update_id)
    for dialect, insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert))
}


async def accept(
    uow: UnitOfWork, updates: Iterable[Incoming], *, handling: int | None = None
) -> dict[int, bytes]:
    """Add updates not seen before (in `uow`, which the caller commits); the new ones, sealed
    (of a repeated id, the copy the insert kept).

    `handling` is an update the caller handles in this same transaction: its row goes in
    already done, without what it said, as `mark_done` would leave it (if its handling fails,
    the row goes with the rest of the transaction). Commit with `commit_handled`.
    """
    store = uow.store
    rows = []
    sealed: list[tuple[int, bytes]] = []
    for incoming in updates:
        update_id = incoming.update_id
        done = update_id == handling
        payload = (
            WIPED
            if done
            else await uow.seal_json(
                store.system_key_id, incoming.raw, "inbox", "payload", str(update_id)
            )
        )
        sealed.append((update_id, payload))
        rows.append(
            {
                "update_id": update_id,
                "payload_sealed": payload,
                "chat_index": None
                if incoming.chat_id is None
                else uow.index.telegram(incoming.chat_id),
                "status": "done" if done else "pending",
                "attempts": 0,
                "received_at": uow.now,
                "processed_at": uow.now if done else None,
            }
        )
    if not rows:
        return {}
    inserted = set(
        (await uow.session.execute(ACCEPT["sqlite" if store.is_sqlite else "postgresql"], rows))
        .scalars()
        .all()
    )
    first: dict[int, bytes] = {}
    for update_id, payload in sealed:
        if update_id in inserted:
            first.setdefault(update_id, payload)
    return first


async def next_offset(store: Store) -> int | None:
    """The ``getUpdates`` offset past every update already committed."""
    async with store.sessions() as session:
        last = (await session.execute(select(func.max(InboxUpdate.update_id)))).scalar()
    return None if last is None else int(last) + 1


async def pending(store: Store) -> list[tuple[int, bytes | None]]:
    """The oldest pending updates. On SQLite one process handles them all, so each comes
    with its payload and is not read again; PostgreSQL workers claim each row anew."""
    if store.is_sqlite:
        # Under the writer's lock, so no update is between its commit and `fresh` (accept).
        async with store.unit() as uow:
            rows = (await uow.session.execute(PENDING)).all()
        return [(int(update_id), payload) for update_id, payload in rows]
    async with store.sessions() as session:
        ids = (await session.execute(PENDING_IDS)).scalars().all()
    return [(int(update_id), None) for update_id in ids]


async def claim(uow: UnitOfWork, update_id: int) -> bytes | None:
    """The update's sealed payload, if it is still pending and this worker may handle it now.

    With several workers (PostgreSQL) a row is claimed with ``SKIP LOCKED``, and its chat
    with a transaction-scoped advisory lock; an update waits while an earlier one of the
    same chat is still pending, so each chat is handled in order. Telegram numbers updates
    one after another, and deliveries to several workers can overtake each other: an
    update whose predecessor has not arrived yet waits for it, up to `SETTLE`.
    """
    if uow.store.is_sqlite:
        row = await uow.session.get(InboxUpdate, update_id)
        return row.payload_sealed if row is not None and row.status == "pending" else None
    row = (
        await uow.session.execute(
            select(InboxUpdate)
            .where(InboxUpdate.update_id == update_id, InboxUpdate.status == "pending")
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if row is None:
        return None
    if row.received_at > uow.now - SETTLE and await gap_before(uow, update_id):
        return None
    if row.chat_index is None:
        return row.payload_sealed
    locked = (
        await uow.session.execute(
            select(func.pg_try_advisory_xact_lock(func.hashtext(row.chat_index)))
        )
    ).scalar()
    if not locked:
        return None
    earlier = (
        await uow.session.execute(
            select(InboxUpdate.update_id)
            .where(
                InboxUpdate.chat_index == row.chat_index,
                InboxUpdate.status == "pending",
                InboxUpdate.update_id < update_id,
            )
            .limit(1)
        )
    ).scalar_one_or_none()
    return None if earlier is not None else row.payload_sealed


async def gap_before(uow: UnitOfWork, update_id: int) -> bool:
    """Whether an update shortly before this one has not arrived yet."""
    first = (await uow.session.execute(select(func.min(InboxUpdate.update_id)))).scalar()
    low = max(update_id - GAP_WINDOW, int(first if first is not None else update_id))
    present = (
        await uow.session.execute(
            select(func.count(InboxUpdate.update_id)).where(
                InboxUpdate.update_id >= low, InboxUpdate.update_id < update_id
            )
        )
    ).scalar_one()
    return int(present) < update_id - low


async def mark_done(uow: UnitOfWork, update_id: int) -> str | None:
    """Commit the update as handled, with what its handlers wrote; the error's name if the
    store refused a value they wrote (a failed try, never a stop of the queue)."""
    # Its id stays (for duplicates), not what it said: the conversation is kept under the
    # child's key, and this copy would outlive an erasure of it.
    try:
        await uow.session.execute(MARK_DONE, {"b_id": update_id, "b_at": uow.now})
    except SQLAlchemyError as exc:
        return type(exc).__name__
    return await commit_handled(uow)


async def commit_handled(uow: UnitOfWork) -> str | None:
    """Commit an update's unit, its row already done; the error's name if the store refused
    a value its handlers wrote."""
    try:
        await uow.commit()
    except SQLAlchemyError as exc:
        return type(exc).__name__
    return None


async def failed(
    store: Store, update_id: int, error: str, *, max_attempts: int = MAX_ATTEMPTS
) -> Failure | None:
    """Count a failed try (its effects were rolled back); after the last, keep the update as
    a dead letter with its reason. None if the update is gone."""
    async with store.unit() as uow:
        row = await uow.session.get(InboxUpdate, update_id)
        if row is None:
            return None
        row.attempts += 1
        row.error = error[:120]
        final = row.attempts >= max_attempts
        if final:
            row.status = "failed"
            row.processed_at = uow.now
            await uow.audit("system", "inbox.failed", str(update_id), error[:100])
        payload = row.payload_sealed
        await uow.commit()
    return Failure(final, payload)
