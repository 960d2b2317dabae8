"""Repositories: the rules' only way to the rows they need, and `Work`, the unit they come on.

Each repository hides its `select()`, its sealing and unsealing and its bonds behind plain
values (`ChildView`, `StaffView`, the records below), and never commits: the unit of work owns
the transaction. The SQLAlchemy ones here hang on `store.UnitOfWork` (`uow.children`,
`uow.staff`, ...); in-memory ones with a fake unit of work are in `conversations.fakes`, and
one contract suite (`tests/integration/test_repositories.py`) holds both to the same answers.

Invites are found by their code: only the SQLAlchemy repository knows it is stored as a keyed
hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import bindparam, func, select

from conversations import bonds
from conversations.ids import new_id
from conversations.models import (
    Alert,
    Child,
    CodeAttempt,
    Invite,
    Note,
    Staff,
    StaffInvite,
    Summary,
)
from conversations.people import ChildView, StaffView, child_view, staff_view

if TYPE_CHECKING:
    from conversations.closures import ClosureRepository
    from conversations.episodes import EpisodeRepository
    from conversations.outgoing import Outgoing
    from conversations.replies import ReplyRepository
    from conversations.store import UnitOfWork
    from conversations.topic_map import TopicMap
    from conversations.windows import WindowRepository


@dataclass(frozen=True)
class InviteRecord:
    """A child's invite: `advocate_id` links whoever opens it, as `nickname`."""

    id: str
    advocate_id: str
    nickname: str
    expires_at: datetime
    used_at: datetime | None
    child_id: str | None


@dataclass(frozen=True)
class StaffInviteRecord:
    """A staff code: whoever opens it becomes `role`, called `name`, vouched for by `created_by`."""

    id: str
    created_by: str
    name: str
    role: str
    expires_at: datetime
    used_at: datetime | None
    staff_id: str | None
    # An interpreter's languages; none for an advocate.
    languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class NoteRecord:
    staff_id: str
    at: datetime
    text: str


@dataclass(frozen=True)
class SummaryRecord:
    id: str
    child_id: str
    staff_id: str
    status: str


class ChildRepository(Protocol):
    async def get(self, child_id: str) -> ChildView | None: ...

    async def by_telegram(self, telegram_id: int) -> ChildView | None: ...

    async def by_ref(self, ref: str) -> ChildView | None: ...

    async def ref_taken(self, ref: str) -> bool: ...

    async def advocate_named(self, child_id: str) -> str | None:
        """The advocate the stored record names, even where its bond is broken (its view then
        names none)."""
        ...

    async def add(
        self,
        *,
        telegram_id: int,
        ref: str,
        nickname: str,
        locale: str,
        advocate_id: str | None = None,
    ) -> ChildView:
        """A new child under a data key of their own, linked from now."""
        ...

    async def link(self, child_id: str, advocate_id: str, nickname: str) -> ChildView:
        """Give the child an advocate and the nickname they know them by; reachable again."""
        ...

    async def hand_to(self, child_id: str, advocate_id: str) -> None: ...

    async def count_of(self, advocate_id: str) -> int:
        """How many children this advocate has."""
        ...


class StaffRepository(Protocol):
    async def get(self, staff_id: str) -> StaffView | None: ...

    async def by_telegram(self, telegram_id: int) -> StaffView | None:
        """Active or not: an account is enrolled once, and enrolled again on the same record."""
        ...

    async def active(self) -> list[StaffView]:
        """Active staff, in the order they were first enrolled."""
        ...

    async def add(self, staff: StaffView) -> StaffView:
        """Enrol `staff`, on their old record if `staff.id` has one (away time and enrolment
        date kept)."""
        ...

    async def deactivate(self, staff_id: str) -> None: ...


class InviteRepository(Protocol):
    async def add(
        self, *, code: str, advocate_id: str, nickname: str, expires_at: datetime
    ) -> str: ...

    async def for_code(self, code: str) -> InviteRecord | None:
        """Locked until the unit ends, so two workers given one code cannot both use it."""
        ...

    async def consume(self, invite_id: str, child_id: str) -> None: ...


class StaffInviteRepository(Protocol):
    async def add(
        self,
        *,
        code: str,
        created_by: str,
        name: str,
        role: str,
        expires_at: datetime,
        languages: tuple[str, ...] = (),
    ) -> str: ...

    async def for_code(self, code: str) -> StaffInviteRecord | None:
        """Locked until the unit ends, like a child's invite."""
        ...

    async def consume(self, invite_id: str, staff_id: str) -> None: ...


class CodeAttemptRepository(Protocol):
    async def times_since(self, telegram_id: int, since: datetime) -> list[datetime]:
        """When this account guessed wrong after `since`, oldest first."""
        ...

    async def count_since(self, since: datetime) -> int:
        """Wrong guesses from everyone after `since`."""
        ...

    async def add(self, telegram_id: int, at: datetime) -> None: ...


class AlertRepository(Protocol):
    async def open_count(self, child_id: str) -> int:
        """The child's alerts that are not resolved (acknowledged ones included)."""
        ...


class NoteRepository(Protocol):
    async def add(self, child: ChildView, staff_id: str, text: str) -> None: ...

    async def of(self, child: ChildView) -> list[NoteRecord]:
        """The child's notes, oldest first."""
        ...

    async def authors(self, child_id: str) -> list[str]:
        """Who wrote each of the child's notes (one entry a note), without opening them."""
        ...


class SummaryRepository(Protocol):
    async def add_draft(self, child: ChildView, staff_id: str, text: str) -> str: ...

    async def get(self, summary_id: str) -> SummaryRecord | None: ...

    async def decide(self, summary_id: str, status: str) -> None: ...

    async def approved(self, child: ChildView) -> str | None:
        """The text of the summary the child approved last, if any."""
        ...


class Work(Protocol):
    """What the rules need of a unit of work: `store.UnitOfWork`, or `fakes.FakeUnitOfWork`."""

    now: datetime

    @property
    def children(self) -> ChildRepository: ...

    @property
    def staff(self) -> StaffRepository: ...

    @property
    def invites(self) -> InviteRepository: ...

    @property
    def staff_invites(self) -> StaffInviteRepository: ...

    @property
    def attempts(self) -> CodeAttemptRepository: ...

    @property
    def alerts(self) -> AlertRepository: ...

    @property
    def notes(self) -> NoteRepository: ...

    @property
    def summaries(self) -> SummaryRepository: ...

    @property
    def topics(self) -> TopicMap: ...

    @property
    def windows(self) -> WindowRepository: ...

    @property
    def replies(self) -> ReplyRepository: ...

    @property
    def episodes(self) -> EpisodeRepository: ...

    @property
    def closures(self) -> ClosureRepository: ...

    async def audit(self, actor: str, action: str, subject: str = "", detail: str = "") -> None: ...

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
    ) -> None: ...


# SQLAlchemy -----------------------------------------------------------------------------------

# A child's message goes to their advocate next: their row comes in the same read, and the
# unit of work's identity map has it when it is asked for.
_CHILD_BY_INDEX = (
    select(Child, Staff)
    .outerjoin(Staff, Staff.id == Child.advocate_id)
    .where(Child.tg_index == bindparam("b_index"))
)


class _Sql:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session


class SqlChildren(_Sql):
    async def get(self, child_id: str) -> ChildView | None:
        row = await self.session.get(Child, child_id)
        return None if row is None else await child_view(self.uow, row)

    async def by_telegram(self, telegram_id: int) -> ChildView | None:
        found = (
            await self.session.execute(
                _CHILD_BY_INDEX, {"b_index": self.uow.index.telegram(telegram_id)}
            )
        ).first()
        return None if found is None else await child_view(self.uow, found[0])

    async def by_ref(self, ref: str) -> ChildView | None:
        row = (
            await self.session.execute(select(Child).where(Child.ref == ref))
        ).scalar_one_or_none()
        return None if row is None else await child_view(self.uow, row)

    async def ref_taken(self, ref: str) -> bool:
        taken = (
            await self.session.execute(select(Child.id).where(Child.ref == ref))
        ).scalar_one_or_none()
        return taken is not None

    async def advocate_named(self, child_id: str) -> str | None:
        row = await self.session.get(Child, child_id)
        return None if row is None else row.advocate_id

    async def add(
        self,
        *,
        telegram_id: int,
        ref: str,
        nickname: str,
        locale: str,
        advocate_id: str | None = None,
    ) -> ChildView:
        uow = self.uow
        child_id = new_id()
        key = uow.new_child_key()
        # The key's row goes first: no relationship tells the flush the child's row needs it.
        await self.session.flush()
        row = Child(
            id=child_id,
            ref=ref,
            tg_index=uow.index.telegram(telegram_id),
            tg_sealed=await uow.seal(key, str(telegram_id), "children", "telegram", child_id),
            nickname_sealed=await uow.seal(key, nickname, "children", "nickname", child_id),
            data_key_id=key,
            advocate_id=advocate_id,
            locale=locale,
            locale_chosen=False,
            linked_at=uow.now,
        )
        self.session.add(row)
        await self.session.flush()
        return await child_view(uow, row)

    async def link(self, child_id: str, advocate_id: str, nickname: str) -> ChildView:
        row = await self._row(child_id)
        row.advocate_id = advocate_id
        row.nickname_sealed = await self.uow.seal(
            row.data_key_id, nickname, "children", "nickname", row.id
        )
        row.unreachable = False
        await self.session.flush()
        return await child_view(self.uow, row)

    async def hand_to(self, child_id: str, advocate_id: str) -> None:
        (await self._row(child_id)).advocate_id = advocate_id

    async def count_of(self, advocate_id: str) -> int:
        return int(
            (
                await self.session.execute(
                    select(func.count(Child.id)).where(Child.advocate_id == advocate_id)
                )
            ).scalar_one()
        )

    async def _row(self, child_id: str) -> Child:
        row = await self.session.get(Child, child_id)
        assert row is not None, "a child the unit has just read"
        return row


class SqlStaff(_Sql):
    async def get(self, staff_id: str) -> StaffView | None:
        row = await self.session.get(Staff, staff_id)
        return None if row is None else await staff_view(self.uow, row)

    async def by_telegram(self, telegram_id: int) -> StaffView | None:
        row = (
            await self.session.execute(
                select(Staff).where(Staff.tg_index == self.uow.index.telegram(telegram_id))
            )
        ).scalar_one_or_none()
        return None if row is None else await staff_view(self.uow, row)

    async def active(self) -> list[StaffView]:
        rows = (
            (
                await self.session.execute(
                    select(Staff).where(Staff.active.is_(True)).order_by(Staff.created_at)
                )
            )
            .scalars()
            .all()
        )
        return [await staff_view(self.uow, row) for row in rows if bonds.trusted(row)]

    async def add(self, staff: StaffView) -> StaffView:
        uow = self.uow
        existing = await self.session.get(Staff, staff.id)
        row = existing or Staff(
            id=staff.id, tg_index=uow.index.telegram(staff.telegram_id), created_at=uow.now
        )
        key = uow.store.system_key_id
        row.tg_sealed = await uow.seal(key, str(staff.telegram_id), "staff", "telegram", row.id)
        row.name_sealed = await uow.seal(key, staff.name, "staff", "name", row.id)
        row.role = staff.role.value
        row.languages = ",".join(staff.languages)
        row.locale = staff.locale
        row.active = staff.active
        row.unreachable = staff.unreachable
        if existing is None:
            self.session.add(row)
        await self.session.flush()
        return await staff_view(uow, row)

    async def deactivate(self, staff_id: str) -> None:
        row = await self.session.get(Staff, staff_id)
        assert row is not None, "a staff member the unit has just read"
        row.active = False


class SqlInvites(_Sql):
    async def add(self, *, code: str, advocate_id: str, nickname: str, expires_at: datetime) -> str:
        uow = self.uow
        invite_id = new_id()
        self.session.add(
            Invite(
                id=invite_id,
                code_index=uow.index.code(code),
                advocate_id=advocate_id,
                nickname_sealed=await uow.seal(
                    uow.store.system_key_id, nickname, "invites", "nickname", invite_id
                ),
                created_at=uow.now,
                expires_at=expires_at,
            )
        )
        return invite_id

    async def for_code(self, code: str) -> InviteRecord | None:
        row = (
            await self.session.execute(
                select(Invite)
                .where(Invite.code_index == self.uow.index.code(code))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return InviteRecord(
            id=row.id,
            advocate_id=row.advocate_id,
            nickname=await self.uow.open(row.nickname_sealed, "invites", "nickname", row.id),
            expires_at=row.expires_at,
            used_at=row.used_at,
            child_id=row.child_id,
        )

    async def consume(self, invite_id: str, child_id: str) -> None:
        row = await self.session.get(Invite, invite_id)
        assert row is not None, "an invite the unit has just read"
        row.used_at = self.uow.now
        row.child_id = child_id


class SqlStaffInvites(_Sql):
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
        uow = self.uow
        invite_id = new_id()
        self.session.add(
            StaffInvite(
                id=invite_id,
                code_index=uow.index.code(code),
                created_by=created_by,
                name_sealed=await uow.seal(
                    uow.store.system_key_id, name, "staff_invites", "name", invite_id
                ),
                role=role,
                languages=",".join(languages),
                created_at=uow.now,
                expires_at=expires_at,
            )
        )
        return invite_id

    async def for_code(self, code: str) -> StaffInviteRecord | None:
        row = (
            await self.session.execute(
                select(StaffInvite)
                .where(StaffInvite.code_index == self.uow.index.code(code))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        return StaffInviteRecord(
            id=row.id,
            created_by=row.created_by,
            name=await self.uow.open(row.name_sealed, "staff_invites", "name", row.id),
            role=row.role,
            expires_at=row.expires_at,
            used_at=row.used_at,
            staff_id=row.staff_id,
            languages=tuple(x for x in row.languages.split(",") if x),
        )

    async def consume(self, invite_id: str, staff_id: str) -> None:
        row = await self.session.get(StaffInvite, invite_id)
        assert row is not None, "a staff code the unit has just read"
        row.used_at = self.uow.now
        row.staff_id = staff_id


class SqlCodeAttempts(_Sql):
    async def times_since(self, telegram_id: int, since: datetime) -> list[datetime]:
        tg_index = self.uow.index.telegram(telegram_id)
        return list(
            (
                await self.session.execute(
                    select(CodeAttempt.at)
                    .where(CodeAttempt.tg_index == tg_index, CodeAttempt.at > since)
                    .order_by(CodeAttempt.at)
                )
            )
            .scalars()
            .all()
        )

    async def count_since(self, since: datetime) -> int:
        return int(
            (
                await self.session.execute(
                    select(func.count(CodeAttempt.id)).where(CodeAttempt.at > since)
                )
            ).scalar_one()
        )

    async def add(self, telegram_id: int, at: datetime) -> None:
        self.session.add(CodeAttempt(tg_index=self.uow.index.telegram(telegram_id), at=at))


class SqlAlerts(_Sql):
    async def open_count(self, child_id: str) -> int:
        return int(
            (
                await self.session.execute(
                    select(func.count(Alert.id)).where(
                        Alert.child_id == child_id, Alert.status != "resolved"
                    )
                )
            ).scalar_one()
        )


class SqlNotes(_Sql):
    async def add(self, child: ChildView, staff_id: str, text: str) -> None:
        note_id = new_id()
        self.session.add(
            Note(
                id=note_id,
                child_id=child.id,
                staff_id=staff_id,
                created_at=self.uow.now,
                body_sealed=await self.uow.seal(child.data_key_id, text, "notes", "body", note_id),
            )
        )

    async def of(self, child: ChildView) -> list[NoteRecord]:
        rows = (
            (
                await self.session.execute(
                    select(Note).where(Note.child_id == child.id).order_by(Note.created_at)
                )
            )
            .scalars()
            .all()
        )
        return [
            NoteRecord(
                row.staff_id,
                row.created_at,
                await self.uow.open(row.body_sealed, "notes", "body", row.id),
            )
            for row in rows
        ]

    async def authors(self, child_id: str) -> list[str]:
        return list(
            (await self.session.execute(select(Note.staff_id).where(Note.child_id == child_id)))
            .scalars()
            .all()
        )


class SqlSummaries(_Sql):
    async def add_draft(self, child: ChildView, staff_id: str, text: str) -> str:
        summary_id = new_id()
        self.session.add(
            Summary(
                id=summary_id,
                child_id=child.id,
                staff_id=staff_id,
                status="draft",
                created_at=self.uow.now,
                body_sealed=await self.uow.seal(
                    child.data_key_id, text, "summaries", "body", summary_id
                ),
            )
        )
        return summary_id

    async def get(self, summary_id: str) -> SummaryRecord | None:
        row = await self.session.get(Summary, summary_id)
        return (
            None if row is None else SummaryRecord(row.id, row.child_id, row.staff_id, row.status)
        )

    async def decide(self, summary_id: str, status: str) -> None:
        row = await self.session.get(Summary, summary_id)
        assert row is not None, "a summary the unit has just read"
        row.status = status
        row.decided_at = self.uow.now

    async def approved(self, child: ChildView) -> str | None:
        row = (
            await self.session.execute(
                select(Summary)
                .where(Summary.child_id == child.id, Summary.status == "approved")
                .order_by(Summary.decided_at.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return (
            None
            if row is None
            else await self.uow.open(row.body_sealed, "summaries", "body", row.id)
        )
