"""Missing episodes and missing-person profiles as records: the repository the rules in
`conversations.missing` reach them through.

An episode is open from ``/missing`` until ``/found`` closes it; a return interview is then due.
A profile is one sealed set of fields per young person. The SQLAlchemy repository hangs on
`store.UnitOfWork` (``uow.episodes``); the in-memory one on `fakes.FakeUnitOfWork`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import select

from conversations.ids import new_id
from conversations.models import MissingEpisode, MissingProfile
from conversations.people import ChildView

if TYPE_CHECKING:
    from conversations.fakes import FakeUnitOfWork
    from conversations.store import UnitOfWork


@dataclass(frozen=True)
class Episode:
    id: str
    child_id: str
    opened_by: str
    opened_at: datetime
    alert_id: str | None = None
    safe_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    found_how: str | None = None
    interview_due_at: datetime | None = None
    interview_at: datetime | None = None
    interview: str | None = None
    reminders: int = 0

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Profile:
    """The fields kept (by name), and when they were last changed; empty if none yet."""

    fields: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None


class EpisodeRepository(Protocol):
    async def add(self, child_id: str, opened_by: str) -> Episode: ...

    async def get(self, episode_id: str) -> Episode | None: ...

    async def current(self, child_id: str) -> Episode | None:
        """The child's open episode, if any (one at a time)."""
        ...

    async def of(self, child_id: str) -> list[Episode]:
        """Every episode of the child, oldest first (for their subject access export)."""
        ...

    async def update(self, episode: Episode) -> Episode:
        """Write back every field of an episode that `replace` changed."""
        ...

    async def interviews_due(self, before: datetime) -> list[Episode]:
        """Closed episodes whose interview is not recorded and falls due before `before`."""
        ...

    async def profile(self, child: ChildView) -> Profile: ...

    async def set_profile(self, child: ChildView, fields: dict[str, str], by: str) -> Profile: ...


_FIELDS = (
    "alert_id",
    "safe_at",
    "closed_at",
    "closed_by",
    "found_how",
    "interview_due_at",
    "interview_at",
    "interview",
    "reminders",
)


def _record(row: MissingEpisode) -> Episode:
    return Episode(
        row.id,
        row.child_id,
        row.opened_by,
        row.opened_at,
        **{name: getattr(row, name) for name in _FIELDS},
    )


class SqlEpisodes:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.session = uow.session

    async def add(self, child_id: str, opened_by: str) -> Episode:
        row = MissingEpisode(
            id=new_id(),
            child_id=child_id,
            opened_by=opened_by,
            opened_at=self.uow.now,
            reminders=0,
        )
        self.session.add(row)
        await self.session.flush()
        return _record(row)

    async def get(self, episode_id: str) -> Episode | None:
        row = await self.session.get(MissingEpisode, episode_id, with_for_update=True)
        return None if row is None else _record(row)

    async def current(self, child_id: str) -> Episode | None:
        row = (
            (
                await self.session.execute(
                    select(MissingEpisode)
                    .where(MissingEpisode.child_id == child_id, MissingEpisode.closed_at.is_(None))
                    .order_by(MissingEpisode.opened_at.desc())
                    .limit(1)
                )
            )
            .scalars()
            .first()
        )
        return None if row is None else _record(row)

    async def of(self, child_id: str) -> list[Episode]:
        rows = (
            await self.session.execute(
                select(MissingEpisode)
                .where(MissingEpisode.child_id == child_id)
                .order_by(MissingEpisode.opened_at, MissingEpisode.id)
            )
        ).scalars()
        return [_record(row) for row in rows]

    async def update(self, episode: Episode) -> Episode:
        row = await self.session.get(MissingEpisode, episode.id)
        assert row is not None
        for name in _FIELDS:
            setattr(row, name, getattr(episode, name))
        return _record(row)

    async def interviews_due(self, before: datetime) -> list[Episode]:
        rows = (
            await self.session.execute(
                select(MissingEpisode)
                .where(
                    MissingEpisode.interview_due_at <= before,
                    MissingEpisode.interview.is_(None),
                    MissingEpisode.reminders < 2,
                )
                .order_by(MissingEpisode.interview_due_at)
                .limit(50)
            )
        ).scalars()
        return [_record(row) for row in rows]

    async def _profile_row(self, child_id: str) -> MissingProfile | None:
        return (
            (
                await self.session.execute(
                    select(MissingProfile).where(MissingProfile.child_id == child_id)
                )
            )
            .scalars()
            .first()
        )

    async def profile(self, child: ChildView) -> Profile:
        row = await self._profile_row(child.id)
        if row is None:
            return Profile()
        fields = await self.uow.open_json(row.fields_sealed, "missing_profiles", "fields", row.id)
        return Profile(dict(fields), row.updated_at)

    async def set_profile(self, child: ChildView, fields: dict[str, str], by: str) -> Profile:
        row = await self._profile_row(child.id)
        if row is None:
            row = MissingProfile(id=new_id(), child_id=child.id)
            self.session.add(row)
        row.fields_sealed = await self.uow.seal_json(
            child.data_key_id, fields, "missing_profiles", "fields", row.id
        )
        row.updated_at, row.updated_by = self.uow.now, by
        return Profile(dict(fields), row.updated_at)


class FakeEpisodes:
    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.by_id: dict[str, Episode] = {}
        self.profiles: dict[str, Profile] = {}

    async def add(self, child_id: str, opened_by: str) -> Episode:
        episode = Episode(new_id(), child_id, opened_by, self.uow.now)
        self.by_id[episode.id] = episode
        return episode

    async def get(self, episode_id: str) -> Episode | None:
        return self.by_id.get(episode_id)

    async def current(self, child_id: str) -> Episode | None:
        found = [e for e in self.by_id.values() if e.child_id == child_id and e.open]
        return max(found, key=lambda e: e.opened_at) if found else None

    async def of(self, child_id: str) -> list[Episode]:
        mine = (e for e in self.by_id.values() if e.child_id == child_id)
        return sorted(mine, key=lambda e: (e.opened_at, e.id))

    async def update(self, episode: Episode) -> Episode:
        self.by_id[episode.id] = replace(episode)
        return episode

    async def interviews_due(self, before: datetime) -> list[Episode]:
        return sorted(
            (
                e
                for e in self.by_id.values()
                if e.interview_due_at is not None
                and e.interview_due_at <= before
                and e.interview is None
                and e.reminders < 2
            ),
            key=lambda e: e.interview_due_at or e.opened_at,
        )

    async def profile(self, child: ChildView) -> Profile:
        return self.profiles.get(child.id, Profile())

    async def set_profile(self, child: ChildView, fields: dict[str, str], by: str) -> Profile:
        self.profiles[child.id] = Profile(dict(fields), self.uow.now)
        return self.profiles[child.id]
