"""The audit log: append-only, each row chained to the one before by a keyed hash.

Every read of a child's messages or notes and every staff action is appended in the same
transaction as the action itself. `verify` walks the chain; an edited, deleted or inserted row
breaks it from that row on. The head row holds the chain's length and last hash under a keyed
MAC, so deleting the newest entries shows too. Re-anchoring an emptied head writes an
`audit.anchor` entry, so even that leaves a mark in the chain.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.crypto import audit_hash, audit_head_mac
from conversations.models import AuditEntry, AuditHead

if TYPE_CHECKING:
    from conversations.store import UnitOfWork

_LOCK_KEY = 0x41_6C_6F_6E  # a fixed PostgreSQL advisory lock id for appending to the chain
HEAD_ID = 1

log = logging.getLogger(__name__)


def _fields(entry: AuditEntry) -> dict[str, str]:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "action": entry.action,
        "subject": entry.subject,
        "detail": entry.detail,
    }


async def append(uow: UnitOfWork, actor: str, action: str, subject: str, detail: str) -> None:
    session = uow.session
    if uow.audit_tail is not None:
        # The chain's end is this transaction's own until it commits (see below).
        head, previous = uow.audit_tail
    else:
        # Writers take turns at the chain's end: the head row's lock (PostgreSQL; on SQLite the
        # unit of work holds the single writer's lock already) lasts until the commit.
        head = await _head(session, lock=not uow.store.is_sqlite)
        if head is not None and head.rows is not None:
            # The head names the chain's end, so the log itself need not be read.
            previous = head.hash or ""
        else:
            if not uow.store.is_sqlite:
                # No head row to lock (removed by hand, or not made yet): a lock of its own.
                await session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
            last = (await session.execute(
                select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
            ).scalar_one_or_none()
            previous = last or ""
            if head is None:
                # The migration made it; only someone editing the database removes it. The
                # action still happens and is still chained; `verify` reports the missing head.
                log.error("the audit head row is missing; audit verify will fail")
            else:
                existing = await count(session)
                head.rows, head.hash = 0, ""
                if existing:
                    previous = _link(uow, head, previous, actor="system", action="audit.anchor",
                                     subject="", detail=f"anchored at {existing} entries")
                    head.rows = existing + 1
    last_hash = _link(uow, head, previous, actor=actor, action=action, subject=subject,
                      detail=detail)
    uow.audit_tail = (head, last_hash)
    await session.flush()


async def _head(session: AsyncSession, *, lock: bool = False) -> AuditHead | None:
    query = select(AuditHead).where(AuditHead.id == HEAD_ID).execution_options(
        populate_existing=True)
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


def _link(uow: UnitOfWork, head: AuditHead | None, previous: str, *, actor: str, action: str,
          subject: str, detail: str) -> str:
    # Hashed as it will read back: the store returns every timestamp in UTC.
    entry = AuditEntry(at=uow.now.astimezone(UTC), actor=actor, action=action, subject=subject,
                       detail=detail[:200], prev_hash=previous)
    entry.hash = audit_hash(uow.index.audit_key, previous, _fields(entry))
    uow.session.add(entry)
    if head is not None and head.rows is not None:
        head.rows += 1
        head.hash = entry.hash
        head.mac = audit_head_mac(uow.index.audit_key, head.rows, entry.hash)
    return entry.hash


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    first_bad_id: int | None = None
    problem: str = field(default="", compare=False)
    # The last hash, for operators to record elsewhere: a copy outside the database is what
    # shows a wholesale reset.
    head: str = field(default="", compare=False)


async def verify(session: AsyncSession, key: bytes, batch: int = 5000) -> Verification:
    previous = ""
    rows = 0
    last_id = 0
    while True:
        chunk = (
            await session.execute(
                select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id)
                .limit(batch)
            )
        ).scalars().all()
        if not chunk:
            break
        for entry in chunk:
            expected = audit_hash(key, previous, _fields(entry))
            if entry.prev_hash != previous or entry.hash != expected:
                return Verification(False, rows, entry.id, "an entry was changed, removed or added")
            previous = entry.hash
            rows += 1
            last_id = entry.id
    return _check_head(await _head(session), key, rows, previous)


def _check_head(head: AuditHead | None, key: bytes, rows: int, last: str) -> Verification:
    if head is None:
        return Verification(False, rows, None, "the head row is missing")
    if head.rows is None:
        # A store whose chain nobody has written to since the head was added.
        return Verification(rows == 0, rows, None, "" if rows == 0 else "not anchored yet")
    if head.mac != audit_head_mac(key, head.rows, head.hash or ""):
        return Verification(False, rows, None, "the head row was changed")
    if head.rows != rows or head.hash != last:
        return Verification(False, rows, None,
                            f"the head says {head.rows} entries; the newest were removed"
                            if head.rows > rows else "the head does not match the chain")
    return Verification(True, rows, head=last)


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(AuditEntry.id)))).scalar_one())
