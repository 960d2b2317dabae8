"""Retention: a closed case's record is erased a set number of days after it was closed.

The young person's advocate (or a supervisor) closes the case with a reason; the erasure is
due ``retention_days`` later. Their advocate is warned once a week before (at once if that time
has already passed). Staff may reopen the case until it is erased. A case does not close while
its young person is missing (an episode not yet closed with /found): their going missing opens a
closed case, and one closed while they were missing (an older version allowed it) is opened
again, not erased, when its erasure falls due.

A young person whose case is closed can still write: safety first, their first message reopens
the case (their messages are relayed and screened as always, and an urgent one alerts), and the
advocate is told. An erasure that falls due while one of their alerts is open waits, as
`/erase` does: a young person in danger must not vanish; the readers are told once, and the
erasure happens at the first sweep after the alert is resolved. Every step is audited.

While a case is closed nothing starts that would contact its young person (`ensure_open`):
no check-ins, no stage or story sent to them, no interpreter. What they ask for (a message, a
check-in answered "not good" or "I need help") and their going missing open it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from conversations.access import DENIED, may_act_for
from conversations.closures import ADULT, ENDED, OTHER, Closure
from conversations.errors import AccessDenied, AlongsideError, CaseClosed
from conversations.people import ChildView, StaffView
from conversations.repositories import Work

WARN_BEFORE = timedelta(days=7)
# The words staff may give for a reason (any other words are an "other" reason, kept sealed).
REASON_WORDS = {
    ADULT: ADULT,
    "18": ADULT,
    "moved": ADULT,
    ENDED: ENDED,
    "end": ENDED,
    OTHER: OTHER,
}


class CloseRefused(AlongsideError):
    """A case that cannot be closed now: already closed, its young person missing (since
    `missing_since`), or with an alert not resolved."""

    def __init__(
        self, why: str, open_alerts: int = 0, missing_since: datetime | None = None
    ) -> None:
        super().__init__(why)
        self.why = why
        self.open_alerts = open_alerts
        self.missing_since = missing_since


@dataclass(frozen=True)
class Reason:
    code: str
    words: str


def parse_reason(text: str) -> Reason | None:
    """`adult` (turned 18 or moved on), `ended`, or anything else as `other` with its words;
    None when nothing was given (the bot then offers the reasons as buttons)."""
    text = text.strip()
    if not text:
        return None
    first, _, rest = text.partition(" ")
    code = REASON_WORDS.get(first.casefold())
    if code is None:
        return Reason(OTHER, text[:500])
    return Reason(code, rest.strip()[:500])


def erase_due(now: datetime, retention_days: int) -> datetime:
    return now + timedelta(days=retention_days)


async def check_closable(uow: Work, child: ChildView) -> None:
    """Raises `CloseRefused` when the case cannot close now: it is closed already, they are
    missing (their record is what the search and the return interview need), or an alert about
    them is not resolved."""
    if await uow.closures.get(child.id) is not None:
        raise CloseRefused("closed")
    if (episode := await uow.episodes.current(child.id)) is not None:
        raise CloseRefused("missing", missing_since=episode.opened_at)
    if open_alerts := await uow.alerts.open_count(child.id):
        raise CloseRefused("alerts", open_alerts)


async def close_case(
    uow: Work, staff: StaffView, child: ChildView, reason: Reason, retention_days: int
) -> Closure:
    """Close the case; raises `AccessDenied` for anyone but their advocate or a supervisor,
    `CloseRefused` as `check_closable`."""
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    await check_closable(uow, child)
    due = erase_due(uow.now, retention_days)
    closure = await uow.closures.add(
        child, closed_by=staff.id, reason=reason.code, words=reason.words, erase_due_at=due
    )
    await uow.audit(
        f"staff:{staff.id}",
        "case.close",
        child.id,
        f"reason={reason.code} erase_due={due.date().isoformat()}",
    )
    return closure


async def reopen_case(uow: Work, staff: StaffView, child: ChildView) -> bool:
    """Undo a close before the erasure; False if the case was not closed."""
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    if await uow.closures.get(child.id) is None:
        return False
    await uow.closures.reopen(child.id)
    await uow.audit(f"staff:{staff.id}", "case.reopen", child.id)
    return True


async def reopen_on_contact(uow: Work, child: ChildView) -> Closure | None:
    """The young person wrote while their case was closed: it is open again (the closure that
    was undone, for telling their advocate); None if it was not closed."""
    closure = await uow.closures.get(child.id)
    if closure is None:
        return None
    await uow.closures.reopen(child.id)
    await uow.audit(f"child:{child.id}", "case.reopen", child.id, "wrote")
    return closure


async def ensure_open(uow: Work, child: ChildView) -> None:
    """Raises `CaseClosed` while their case is closed: nothing that would contact them starts
    then (the check-ins of a new placement, a stage or a story sent to them, an interpreter).
    What they ask for, or their going missing, opens it again instead (`bot.closing`)."""
    if await uow.closures.get(child.id) is not None:
        raise CaseClosed(child.ref)


async def to_warn(uow: Work) -> list[Closure]:
    """Closures whose erasure is a week away or less and whose readers have not been warned:
    marked warned (so once only) and audited; the caller tells the readers."""
    due = await uow.closures.to_warn(uow.now + WARN_BEFORE)
    for closure in due:
        await uow.closures.mark(closure.child_id, warned=True)
        await uow.audit(
            "system",
            "case.erase_warned",
            closure.child_id,
            f"erase_due={closure.erase_due_at.date().isoformat()}",
        )
    return due


ERASE, HOLD_AND_TELL, HOLD, REOPENED = "erase", "hold_and_tell", "hold", "reopened"


async def due_action(uow: Work, closure: Closure) -> str:
    """What to do with a closure whose erasure is due: `ERASE`; wait for an open alert
    (`HOLD_AND_TELL` the first time, audited and marked, so the readers are told once); or,
    while they are missing, nothing more: the case is `REOPENED` now, audited, for the readers
    to be told (once: it is no longer closed)."""
    if await uow.episodes.current(closure.child_id) is not None:
        # Going missing opens a case: held instead, it would be erased at the first sweep
        # after /found, before the return interview it is kept for.
        await uow.closures.reopen(closure.child_id)
        await uow.audit("system", "case.reopen", closure.child_id, "missing")
        return REOPENED
    open_alerts = await uow.alerts.open_count(closure.child_id)
    if not open_alerts:
        return ERASE
    if closure.held_told_at is not None:
        return HOLD
    await uow.closures.mark(closure.child_id, held=True)
    await uow.audit("system", "case.erase_held", closure.child_id, f"open_alerts={open_alerts}")
    return HOLD_AND_TELL
