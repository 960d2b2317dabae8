"""Missing episodes and missing-person profiles in the repository contract: on SQLite,
PostgreSQL and the fake, the same answers (the suite's stores, `test_repositories.backend`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from conversations.episodes import Episode, Profile
from conversations.fakes import START
from conversations.ids import new_id
from tests.integration import test_repositories as contract
from tests.integration.test_repositories import CHILD, OMAR, OTHER, ROSA, Backend, _staff

# The contract suite's stores: SQLite, PostgreSQL and the fake.
backend = contract.backend


async def test_an_episode_is_opened_found_and_its_interview_falls_due(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        ana = await uow.children.add(
            telegram_id=CHILD, ref="K7F", nickname="Star", locale="en", advocate_id=rosa.id
        )
        bea = await uow.children.add(
            telegram_id=OTHER, ref="M2N", nickname="Moon", locale="en", advocate_id=rosa.id
        )
        opened = await uow.episodes.add(ana.id, rosa.id)
    assert opened == Episode(opened.id, ana.id, rosa.id, START)
    assert opened.open
    async with backend.unit() as uow:
        assert await uow.episodes.get(opened.id) == opened
        assert await uow.episodes.current(ana.id) == opened
        assert await uow.episodes.current(bea.id) is None
        assert await uow.episodes.get(new_id()) is None
        assert await uow.episodes.interviews_due(START + timedelta(days=30)) == []
        backend.advance(hours=5)
    found_at = START + timedelta(hours=5)
    due_at = found_at + timedelta(hours=72)
    async with backend.unit() as uow:
        changed = replace(
            opened,
            alert_id=new_id(),
            safe_at=START + timedelta(hours=1),
            closed_at=found_at,
            closed_by=rosa.id,
            found_how="police",
            interview_due_at=due_at,
        )
        assert await uow.episodes.update(changed) == changed
    async with backend.unit() as uow:
        assert await uow.episodes.get(opened.id) == changed
        assert not changed.open
        assert await uow.episodes.current(ana.id) is None
        # Due before the time asked about, not recorded, and reminded fewer than twice.
        assert await uow.episodes.interviews_due(due_at - timedelta(seconds=1)) == []
        assert await uow.episodes.interviews_due(due_at) == [changed]
        await uow.episodes.update(replace(changed, reminders=2))
    async with backend.unit() as uow:
        assert await uow.episodes.interviews_due(due_at + timedelta(days=1)) == []
        await uow.episodes.update(replace(changed, reminders=1, interview="done"))
    async with backend.unit() as uow:
        assert await uow.episodes.interviews_due(due_at + timedelta(days=1)) == []


async def test_the_newest_open_episode_is_current_and_due_interviews_come_oldest_first(
    backend: Backend,
) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        ana = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
        bea = await uow.children.add(telegram_id=OTHER, ref="M2N", nickname="M", locale="en")
        first = await uow.episodes.add(ana.id, rosa.id)
        other = await uow.episodes.add(bea.id, rosa.id)
        backend.advance(minutes=10)
    async with backend.unit() as uow:
        second = await uow.episodes.add(ana.id, rosa.id)
    async with backend.unit() as uow:
        assert await uow.episodes.current(ana.id) == second
        late = START + timedelta(hours=80)
        early = START + timedelta(hours=75)
        await uow.episodes.update(replace(other, closed_at=START, interview_due_at=late))
        await uow.episodes.update(replace(first, closed_at=START, interview_due_at=early))
    async with backend.unit() as uow:
        due = await uow.episodes.interviews_due(late)
        assert [e.id for e in due] == [first.id, other.id]
        assert await uow.episodes.of(ana.id) == [
            replace(first, closed_at=START, interview_due_at=early),
            second,
        ]
        assert [e.id for e in await uow.episodes.of(bea.id)] == [other.id]


async def test_a_profile_is_kept_per_young_person_and_replaced_whole(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        omar = await uow.staff.add(_staff(OMAR, "Omar"))
        ana = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
        bea = await uow.children.add(telegram_id=OTHER, ref="M2N", nickname="M", locale="en")
        assert await uow.episodes.profile(ana) == Profile()
        fields = {"description": "green coat", "places": "the station café"}
        saved = await uow.episodes.set_profile(ana, fields, rosa.id)
    assert saved == Profile(fields, START)
    async with backend.unit() as uow:
        assert await uow.episodes.profile(ana) == saved
        assert await uow.episodes.profile(bea) == Profile()
        backend.advance(minutes=3)
    async with backend.unit() as uow:
        await uow.episodes.set_profile(ana, {"people": "a cousin"}, omar.id)
    async with backend.unit() as uow:
        assert await uow.episodes.profile(ana) == Profile(
            {"people": "a cousin"}, START + timedelta(minutes=3)
        )
        assert await uow.episodes.profile(bea) == Profile()
