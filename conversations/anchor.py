"""The audit chain's end, anchored outside the database.

The head row (`conversations.audit`) shows the newest entries removed only while the head is
left alone. Someone editing the database can empty it (the next action anchors it afresh), or
put back an older copy of it, remove the entries after, and leave a chain that verifies. So each
commit that added entries also appends a line to a file in the data dir: how many entries the
chain holds, the last one's hash, when, and a MAC under the audit key. `alongside audit verify`
holds the chain to every line: at least that many entries, with that hash at that place.

Nobody without the index key can write a line that verifies, but whoever can write the file can
remove lines. Hence the daily digest (`claim_digest`): the chain's length and end, posted to
every supervisor's phone, a copy nobody on the server can take back.

Each process appends its own lines: O_APPEND and one write() a line, so lines never interleave.
Webhook workers on several machines each keep a file; lines need not be in order. No fsync: the
commit before the line is durable already, and a line lost to a power cut only leaves the
anchor behind the chain, which never raises a false alarm; an fsync would add a second disk
flush to every audited commit.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from conversations import audit
from conversations.crypto import audit_anchor_mac, private_dir
from conversations.models import AuditEntry

if TYPE_CHECKING:
    from conversations.store import UnitOfWork

ANCHOR_FILE = "audit.anchor"
DIGEST = "audit.digest"
DAY = timedelta(hours=24)

log = logging.getLogger(__name__)


class Anchor:
    """The anchor file this process appends to."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key
        self._checked_mode = False

    def record(self, rows: int, last: str, at: datetime) -> None:
        """One line for a chain of `rows` entries ending in `last`. Never raises: the commit it
        follows has happened, and only the copy outside the database falls behind."""
        when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        mac = audit_anchor_mac(self._key, rows, last, when)
        try:
            self._append(f"{rows} {last} {when} {mac}\n".encode())
        except OSError as exc:
            log.error("audit.anchor_failed", extra={"error": type(exc).__name__})

    def _append(self, line: bytes) -> None:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
        try:
            fd = os.open(self.path, flags, 0o600)
        except FileNotFoundError:
            # With a server database nothing else may have made the data dir yet.
            private_dir(self.path.parent)
            fd = os.open(self.path, flags, 0o600)
        try:
            if not self._checked_mode:
                # A file an older copy left readable is tightened, as the database is.
                if os.fstat(fd).st_mode & 0o077:
                    os.fchmod(fd, 0o600)
                self._checked_mode = True
            if os.write(fd, line) != len(line):
                raise OSError("short write to the anchor file")
        finally:
            os.close(fd)


# Verifying ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    # The most entries any line anchors (0: no line).
    rows: int = 0
    problem: str = ""
    missing: bool = False
    # The last line stops short, as a crash in the middle of writing it leaves it.
    torn: bool = False


def _parse(key: bytes, raw: bytes) -> tuple[int, str] | None:
    try:
        rows_text, last, at, mac = raw.decode("ascii").split(" ")
        rows = int(rows_text)
    except ValueError:  # UnicodeDecodeError is one
        return None
    if not hmac.compare_digest(mac, audit_anchor_mac(key, rows, last, at)):
        return None
    return rows, last


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


async def check(session: AsyncSession, key: bytes, path: Path, batch: int = 5000) -> AnchorCheck:
    """Hold the chain to every line of the anchor file at `path`.

    Every line, not only the longest: after the newest entries were removed, later actions
    grow the chain past the old length again, but not with the old hashes.
    """
    data = await asyncio.to_thread(_read, path)
    if data is None:
        return AnchorCheck(True, missing=True)
    body, _, tail = data.rpartition(b"\n")
    # Where two lines name different entries at one place, both are held to the chain.
    wanted: dict[int, str] = {}
    clashes: dict[int, set[str]] = {}
    for number, raw in enumerate(body.split(b"\n") if body else [], start=1):
        parsed = _parse(key, raw)
        if parsed is None:
            return AnchorCheck(False, problem=f"the anchor file was edited (line {number})")
        rows, last = parsed
        if wanted.setdefault(rows, last) != last:
            clashes.setdefault(rows, set()).add(last)
    if not wanted:
        return AnchorCheck(True, torn=bool(tail))
    top = max(wanted)
    wrong: tuple[int, str] | None = None
    position = last_id = 0
    while wrong is None and position < top:
        chunk = (
            await session.execute(
                select(AuditEntry.id, AuditEntry.hash)
                .where(AuditEntry.id > last_id)
                .order_by(AuditEntry.id)
                .limit(batch)
            )
        ).all()
        if not chunk:
            break
        for entry_id, entry_hash in chunk:
            position += 1
            last_id = entry_id
            expected = wanted.get(position)
            if expected is not None and expected != entry_hash:
                wrong = (position, expected)
            elif expected is not None and position in clashes:
                # Another line named a different entry here; this one matched.
                wrong = (position, min(clashes[position]))
            if wrong is not None:
                break
    chain = await audit.count(session)
    if chain < top:
        # The longest line says most: the newest entries are gone.
        wrong = (top, wanted[top])
    if wrong is None:
        return AnchorCheck(True, top, torn=bool(tail))
    rows, last = wrong
    other = "" if chain < rows else f", whose entry {rows} is another"
    return AnchorCheck(
        False,
        top,
        f"the anchor says {rows} entries ending in {last[:16]}…; "
        f"the database chain has {chain}{other}",
    )


# The daily digest --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainEnd:
    rows: int
    hash: str


async def next_digest(session: AsyncSession) -> datetime | None:
    """When the next daily digest is due: a day after the last one or, before the first, a
    day after the chain's first entry. None while the chain is empty."""
    last = (
        await session.execute(
            select(AuditEntry.at)
            .where(AuditEntry.action == DIGEST)
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is None:
        last = (
            await session.execute(select(AuditEntry.at).order_by(AuditEntry.id).limit(1))
        ).scalar_one_or_none()
    return None if last is None else last + DAY


async def claim_digest(uow: UnitOfWork) -> ChainEnd | None:
    """Append the day's `audit.digest` entry; the chain's end with it, for the caller to post
    and commit in this unit. None if a digest was made in the last day: do not commit then.

    Appending waits for the chain's lock, and each statement after it sees what other workers
    committed meanwhile (PostgreSQL's default isolation; SQLite has one writer), so two
    workers never both post.
    """
    await uow.audit("system", DIGEST)
    recent = (
        await uow.session.execute(
            select(func.count(AuditEntry.id)).where(
                AuditEntry.action == DIGEST, AuditEntry.at > uow.now - DAY
            )
        )
    ).scalar_one()
    if recent > 1 or uow.audit_tail is None:
        return None
    head, last = uow.audit_tail
    rows = getattr(head, "rows", None)
    return ChainEnd(rows if rows is not None else await audit.count(uow.session), last)
