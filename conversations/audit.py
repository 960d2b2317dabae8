"""The audit log: append-only, each row chained to the one before by a keyed hash.

Every read of a child's messages or notes and every staff action is appended in the same
transaction as the action itself. `verify` walks the chain; an edited, deleted or inserted row
breaks it from that row on. The head row holds the chain's length and last hash under a keyed
MAC, so deleting the newest entries shows too. Re-anchoring an emptied head writes an
`audit.anchor` entry, so even that leaves a mark in the chain.

The chain links each entry's *digest* (a keyed hash of its fields), not the fields themselves.
Erasing a young person blanks every entry about them (`redact`): the digest stays, so the chain
still verifies, and the erasure's own entry says how many were blanked, so `verify` notices an
entry blanked by anyone else. What stays is that an erasure happened, by whom and when.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from conversations.crypto import audit_digest, audit_hash, audit_head_mac, audit_link
from conversations.models import AuditEntry, AuditHead

if TYPE_CHECKING:
    from conversations.store import UnitOfWork

_LOCK_KEY = 0x41_6C_6F_6E  # a fixed PostgreSQL advisory lock id for appending to the chain
HEAD_ID = 1
# What a blanked entry says; the erasure entry's detail counts them.
REDACTED = "redacted"
ERASED = "child.erased"

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
            last = (
                await session.execute(
                    select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
                )
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
                    previous = _link(
                        uow,
                        head,
                        previous,
                        actor="system",
                        action="audit.anchor",
                        subject="",
                        detail=f"anchored at {existing} entries",
                    )
                    head.rows = existing + 1
    last_hash = _link(
        uow, head, previous, actor=actor, action=action, subject=subject, detail=detail
    )
    uow.audit_tail = (head, last_hash)
    await session.flush()


async def _head(session: AsyncSession, *, lock: bool = False) -> AuditHead | None:
    query = (
        select(AuditHead).where(AuditHead.id == HEAD_ID).execution_options(populate_existing=True)
    )
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()


def _link(
    uow: UnitOfWork,
    head: AuditHead | None,
    previous: str,
    *,
    actor: str,
    action: str,
    subject: str,
    detail: str,
) -> str:
    # Hashed as it will read back: the store returns every timestamp in UTC.
    entry = AuditEntry(
        at=uow.now.astimezone(UTC),
        actor=actor,
        action=action,
        subject=subject,
        detail=detail[:200],
        prev_hash=previous,
    )
    entry.digest = audit_digest(uow.index.audit_key, _fields(entry))
    entry.hash = audit_link(uow.index.audit_key, previous, entry.digest)
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


def _expected(key: bytes, previous: str, entry: AuditEntry) -> str | None:
    """The hash this entry must have; None if its fields do not match its digest."""
    if entry.digest is None:
        # Written before digests: the fields are chained as they are, and cannot be blanked.
        return audit_hash(key, previous, _fields(entry))
    if entry.action != REDACTED and entry.digest != audit_digest(key, _fields(entry)):
        return None
    return audit_link(key, previous, entry.digest)


async def verify(session: AsyncSession, key: bytes, batch: int = 5000) -> Verification:
    previous = ""
    rows = blanked = owned = 0
    last_id = 0
    while True:
        chunk = (
            (
                await session.execute(
                    select(AuditEntry)
                    .where(AuditEntry.id > last_id)
                    .order_by(AuditEntry.id)
                    .limit(batch)
                )
            )
            .scalars()
            .all()
        )
        if not chunk:
            break
        for entry in chunk:
            if entry.prev_hash != previous or entry.hash != _expected(key, previous, entry):
                return Verification(False, rows, entry.id, "an entry was changed, removed or added")
            if entry.action == REDACTED:
                if entry.digest is None:
                    return Verification(False, rows, entry.id, "an entry was blanked")
                blanked += 1
            elif entry.action == ERASED:
                owned += _blanked_by(entry.detail)
            previous = entry.hash
            rows += 1
            last_id = entry.id
    if blanked != owned:
        return Verification(
            False, rows, None, f"{blanked} entries are blanked; erasures account for {owned}"
        )
    return _check_head(await _head(session), key, rows, previous)


def _blanked_by(detail: str) -> int:
    _, _, count = detail.partition("redacted=")
    return int(count) if count.isdigit() else 0


async def redact(uow: UnitOfWork, child_id: str) -> int:
    """Blank every entry about this young person; how many. The erasure's entry must say so."""
    about = or_(
        AuditEntry.subject == child_id,
        AuditEntry.actor == f"child:{child_id}",
        AuditEntry.detail.contains(child_id),
    )
    blank = {
        "actor": "",
        "action": REDACTED,
        "subject": "",
        "detail": "",
        "at": uow.now.astimezone(UTC),
    }
    result = await uow.session.execute(
        update(AuditEntry)
        .where(about, AuditEntry.digest.is_not(None))
        .values(**blank)
        .execution_options(synchronize_session=False)
    )
    # Entries from before digests cannot be blanked without breaking the chain; after the
    # store's upgrade re-links them there are none.
    stuck = (
        await uow.session.execute(
            select(func.count(AuditEntry.id)).where(about, AuditEntry.digest.is_(None))
        )
    ).scalar_one()
    if stuck:
        log.error("audit.not_blanked", extra={"count": stuck})
    return int(getattr(result, "rowcount", 0) or 0)


async def relink(session: AsyncSession, key: bytes, batch: int = 5000) -> int:
    """Give every entry a digest and link the chain through the digests; how many entries.

    Once, on upgrade, and only over a chain that verifies: re-linking a broken chain would
    make its breaks disappear.
    """
    previous = ""
    rows = last_id = 0
    while True:
        chunk = (
            await session.execute(
                select(
                    AuditEntry.id,
                    AuditEntry.at,
                    AuditEntry.actor,
                    AuditEntry.action,
                    AuditEntry.subject,
                    AuditEntry.detail,
                    AuditEntry.digest,
                )
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()
        if not chunk:
            break
        changes = []
        for row in chunk:
            digest = row.digest or audit_digest(
                key,
                {
                    "at": row.at.isoformat(),
                    "actor": row.actor,
                    "action": row.action,
                    "subject": row.subject,
                    "detail": row.detail,
                },
            )
            link = audit_link(key, previous, digest)
            changes.append({"b_id": row.id, "prev_hash": previous, "hash": link, "digest": digest})
            previous = link
            last_id = row.id
        # Each entry's new hash is unlike any old one, so the unique columns never clash.
        for change in changes:
            await session.execute(
                update(AuditEntry)
                .where(AuditEntry.id == change.pop("b_id"))
                .values(**change)
                .execution_options(synchronize_session=False)
            )
        rows += len(chunk)
    head = await _head(session, lock=True)
    if head is not None:
        head.rows, head.hash = (rows, previous) if rows else (None, None)
        head.mac = audit_head_mac(key, rows, previous) if rows else None
    await session.flush()
    return rows


def _check_head(head: AuditHead | None, key: bytes, rows: int, last: str) -> Verification:
    if head is None:
        return Verification(False, rows, None, "the head row is missing")
    if head.rows is None:
        # A store whose chain nobody has written to since the head was added.
        return Verification(rows == 0, rows, None, "" if rows == 0 else "not anchored yet")
    if head.mac != audit_head_mac(key, head.rows, head.hash or ""):
        return Verification(False, rows, None, "the head row was changed")
    if head.rows != rows or head.hash != last:
        return Verification(
            False,
            rows,
            None,
            f"the head says {head.rows} entries; the newest were removed"
            if head.rows > rows
            else "the head does not match the chain",
        )
    return Verification(True, rows, head=last)


async def count(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count(AuditEntry.id)))).scalar_one())
