"""An in-memory unit of work and repositories, for testing the rules in milliseconds.

`FakeUnitOfWork` is a `repositories.Work` like `store.UnitOfWork`, with nothing behind it but
dictionaries: nothing is sealed (a record holds its plain values), there are no row bonds and
no locks, `commit` only sets `committed`, and `audit` and `send` keep what they were given in
`audited` and `sent`. Its time stands still until a test moves it (`advance`). One unit holds
the state across `async with` blocks, like one database; what a unit did is not undone when it
ends without a commit, so a test of a rollback needs the real store.

The contract suite (`tests/integration/test_repositories.py`) runs the same assertions against
these and the SQLAlchemy repositories on SQLite and PostgreSQL, so the two cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from conversations.closures import FakeClosures
from conversations.episodes import FakeEpisodes
from conversations.ids import new_id
from conversations.outgoing import Outgoing
from conversations.people import ChildView, StaffView
from conversations.replies import FakeReplies
from conversations.repositories import (
    InviteRecord,
    NoteRecord,
    StaffInviteRecord,
    SummaryRecord,
)
from conversations.topic_map import FakeTopics
from conversations.windows import FakeWindows

if TYPE_CHECKING:
    from conversations.repositories import Work

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Audited:
    actor: str
    action: str
    subject: str = ""
    detail: str = ""


@dataclass(frozen=True)
class Sent:
    chat_id: int
    message: Outgoing
    purpose: str
    # The keyword arguments given besides `purpose` (child_id, staff_id, ...), as given.
    options: dict[str, Any] = field(default_factory=dict)


class FakeChildren:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_id: dict[str, ChildView] = {}

    async def get(self, child_id: str) -> ChildView | None:
        return self.by_id.get(child_id)

    async def by_telegram(self, telegram_id: int) -> ChildView | None:
        return next((c for c in self.by_id.values() if c.telegram_id == telegram_id), None)

    async def by_ref(self, ref: str) -> ChildView | None:
        return next((c for c in self.by_id.values() if c.ref == ref), None)

    async def ref_taken(self, ref: str) -> bool:
        return await self.by_ref(ref) is not None

    async def advocate_named(self, child_id: str) -> str | None:
        child = self.by_id.get(child_id)
        return None if child is None else child.advocate_id

    async def add(
        self,
        *,
        telegram_id: int,
        ref: str,
        nickname: str,
        locale: str,
        advocate_id: str | None = None,
    ) -> ChildView:
        child_id = new_id()
        child = ChildView(
            id=child_id,
            ref=ref,
            telegram_id=telegram_id,
            nickname=nickname,
            locale=locale,
            locale_chosen=False,
            advocate_id=advocate_id,
            data_key_id=f"key-{child_id}",
            stage=None,
            unreachable=False,
        )
        self.by_id[child_id] = child
        return child

    async def link(self, child_id: str, advocate_id: str, nickname: str) -> ChildView:
        child = replace(
            self.by_id[child_id], advocate_id=advocate_id, nickname=nickname, unreachable=False
        )
        self.by_id[child_id] = child
        return child

    async def hand_to(self, child_id: str, advocate_id: str) -> None:
        self.by_id[child_id] = replace(self.by_id[child_id], advocate_id=advocate_id)

    async def count_of(self, advocate_id: str) -> int:
        return sum(c.advocate_id == advocate_id for c in self.by_id.values())


class FakeStaff:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_id: dict[str, StaffView] = {}

    async def get(self, staff_id: str) -> StaffView | None:
        return self.by_id.get(staff_id)

    async def by_telegram(self, telegram_id: int) -> StaffView | None:
        return next((s for s in self.by_id.values() if s.telegram_id == telegram_id), None)

    async def active(self) -> list[StaffView]:
        # Dictionaries keep the order staff were first added, as `created_at` does.
        return [s for s in self.by_id.values() if s.active]

    async def add(self, staff: StaffView) -> StaffView:
        old = self.by_id.get(staff.id)
        kept = replace(staff, away_until=None if old is None else old.away_until)
        self.by_id[staff.id] = kept
        return kept

    async def deactivate(self, staff_id: str) -> None:
        self.by_id[staff_id] = replace(self.by_id[staff_id], active=False)


class FakeInvites:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_code: dict[str, InviteRecord] = {}

    async def add(self, *, code: str, advocate_id: str, nickname: str, expires_at: datetime) -> str:
        invite = InviteRecord(new_id(), advocate_id, nickname, expires_at, None, None)
        self.by_code[code] = invite
        return invite.id

    async def for_code(self, code: str) -> InviteRecord | None:
        return self.by_code.get(code)

    async def consume(self, invite_id: str, child_id: str) -> None:
        code = next(c for c, i in self.by_code.items() if i.id == invite_id)
        self.by_code[code] = replace(self.by_code[code], used_at=self.uow.now, child_id=child_id)


class FakeStaffInvites:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_code: dict[str, StaffInviteRecord] = {}

    async def add(
        self,
        *,
        code: str,
        created_by: str,
        name: str,
        role: str,
        expires_at: datetime,
        languages: tuple[str, ...] = (),
    ) -> str:
        invite = StaffInviteRecord(
            new_id(), created_by, name, role, expires_at, None, None, languages
        )
        self.by_code[code] = invite
        return invite.id

    async def for_code(self, code: str) -> StaffInviteRecord | None:
        return self.by_code.get(code)

    async def consume(self, invite_id: str, staff_id: str) -> None:
        code = next(c for c, i in self.by_code.items() if i.id == invite_id)
        self.by_code[code] = replace(self.by_code[code], used_at=self.uow.now, staff_id=staff_id)


class FakeCodeAttempts:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.made: list[tuple[int, datetime]] = []

    async def times_since(self, telegram_id: int, since: datetime) -> list[datetime]:
        return sorted(at for who, at in self.made if who == telegram_id and at > since)

    async def count_since(self, since: datetime) -> int:
        return sum(at > since for _, at in self.made)

    async def add(self, telegram_id: int, at: datetime) -> None:
        self.made.append((telegram_id, at))


class FakeAlerts:
    """Only what the rules ask of alerts: a test sets how many of a child's are open."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.open: dict[str, int] = {}

    async def open_count(self, child_id: str) -> int:
        return self.open.get(child_id, 0)


class FakeNotes:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.kept: dict[str, list[NoteRecord]] = {}

    async def add(self, child: ChildView, staff_id: str, text: str) -> None:
        self.kept.setdefault(child.id, []).append(NoteRecord(staff_id, self.uow.now, text))

    async def of(self, child: ChildView) -> list[NoteRecord]:
        return sorted(self.kept.get(child.id, []), key=lambda note: note.at)

    async def authors(self, child_id: str) -> list[str]:
        return [note.staff_id for note in self.kept.get(child_id, [])]


@dataclass
class _Summary:
    record: SummaryRecord
    text: str
    decided_at: datetime | None = None


class FakeSummaries:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_id: dict[str, _Summary] = {}

    async def add_draft(self, child: ChildView, staff_id: str, text: str) -> str:
        summary_id = new_id()
        self.by_id[summary_id] = _Summary(
            SummaryRecord(summary_id, child.id, staff_id, "draft"), text
        )
        return summary_id

    async def get(self, summary_id: str) -> SummaryRecord | None:
        kept = self.by_id.get(summary_id)
        return None if kept is None else kept.record

    async def decide(self, summary_id: str, status: str) -> None:
        kept = self.by_id[summary_id]
        kept.record = replace(kept.record, status=status)
        kept.decided_at = self.uow.now

    async def approved(self, child: ChildView) -> str | None:
        approved = [
            s
            for s in self.by_id.values()
            if s.record.child_id == child.id and s.record.status == "approved"
        ]
        if not approved:
            return None
        return max(approved, key=lambda s: s.decided_at or START).text


class FakeUnitOfWork:
    """A `repositories.Work` in memory: see the module docstring for what it leaves out."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now
        self.committed = False
        self.audited: list[Audited] = []
        self.sent: list[Sent] = []
        self.children = FakeChildren(self)
        self.staff = FakeStaff(self)
        self.invites = FakeInvites(self)
        self.staff_invites = FakeStaffInvites(self)
        self.attempts = FakeCodeAttempts(self)
        self.alerts = FakeAlerts(self)
        self.notes = FakeNotes(self)
        self.summaries = FakeSummaries(self)
        self.topics = FakeTopics()
        self.windows = FakeWindows(self)
        self.replies = FakeReplies()
        self.episodes = FakeEpisodes(self)
        self.closures = FakeClosures(self)

    async def __aenter__(self) -> FakeUnitOfWork:
        self.committed = False
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True

    def advance(self, **kw: float) -> None:
        """Move time on (`timedelta`'s keywords): a later unit of work."""
        self.now += timedelta(**kw)

    async def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None:
        self.audited.append(Audited(actor, action, subject, detail))

    async def send(
        self,
        chat_id: int,
        message: Outgoing,
        *,
        purpose: str,
        key_id: str | None = None,
        child_id: str | None = None,
        staff_id: str | None = None,
        message_id: str | None = None,
        reply_to_message_id: str | None = None,
        alert_id: str | None = None,
    ) -> None:
        given = {
            "key_id": key_id,
            "child_id": child_id,
            "staff_id": staff_id,
            "message_id": message_id,
            "reply_to_message_id": reply_to_message_id,
            "alert_id": alert_id,
        }
        options = {name: value for name, value in given.items() if value is not None}
        self.sent.append(Sent(chat_id, message, purpose, options))

    def actions(self) -> list[str]:
        """The audited actions, in order: what most tests check first."""
        return [entry.action for entry in self.audited]


if TYPE_CHECKING:

    def _is_work(uow: FakeUnitOfWork) -> Work:
        return uow  # mypy holds the fake to the protocol the rules are written against
