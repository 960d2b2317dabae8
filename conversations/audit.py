"""The audit log: append-only, each row chained to the one before by a keyed hash.

Every read of a child's messages or notes and every staff action is appended in the same
transaction as the action itself. `verify` walks the chain; an edited, deleted or inserted row
breaks it from that row on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.crypto import audit_hash
from conversations.models import AuditEntry

if TYPE_CHECKING:
    from conversations.store import UnitOfWork

_LOCK_KEY = 0x41_6C_6F_6E  # a fixed PostgreSQL advisory lock id for appending to the chain


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
    if not uow.store.is_sqlite:
        # Writers take turns at the chain's end; the lock ends with the transaction.
        await session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY)))
    last = (
        await session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    ).scalar_one_or_none()
    previous = last or ""
    # Hashed as it will read back: the store returns every timestamp in UTC.
    entry = AuditEntry(at=uow.now.astimezone(UTC), actor=actor, action=action, subject=subject,
                       detail=detail[:200], prev_hash=previous)
    entry.hash = audit_hash(uow.index.audit_key, previous, _fields(entry))
    session.add(entry)
    await session.flush()


@dataclass(frozen=True)
class Verification:
    ok: bool
    rows: int
    first_bad_id: int | None = None


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
            return Verification(True, rows)
        for entry in chunk:
            expected = audit_hash(key, previous, _fields(entry))
            if entry.prev_hash != previous or entry.hash != expected:
                return Verification(False, rows, entry.id)
            previous = entry.hash
            rows += 1
            last_id = entry.id


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(AuditEntry.id)))).scalar_one())
