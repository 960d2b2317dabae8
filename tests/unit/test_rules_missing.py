"""Missing episodes and the profile: one open episode at a time, the return interview's clock
and reminders, and a profile read only by the young person's advocate and the supervisors,
released only while they are missing; every step audited."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conversations import missing, people
from conversations.access import may_read_profile, may_release_profile
from conversations.errors import AccessDenied
from conversations.fakes import FakeUnitOfWork
from conversations.people import ChildView, Role, StaffView
from safety.missing_steps import load_missing_steps
from tests.unit.conftest import enrol, linked_child

ROSA, OMAR, SAM, SELAM, STAR = (7347000 + n for n in range(1, 6))


@pytest.fixture
async def team(uow: FakeUnitOfWork) -> tuple[StaffView, StaffView, StaffView, ChildView]:
    rosa = await enrol(uow, ROSA, "Rosa")
    omar = await enrol(uow, OMAR, "Omar")
    sam = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    return rosa, omar, sam, await linked_child(uow, rosa, STAR)


async def test_one_open_episode_at_a_time_and_only_for_their_staff(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, omar, sam, child = team
    opened = await missing.open_episode(uow, rosa, child)
    assert not opened.already
    again = await missing.open_episode(uow, sam, child)
    assert again.already
    assert again.episode.id == opened.episode.id
    with pytest.raises(AccessDenied):
        await missing.open_episode(uow, omar, child)
    assert uow.actions()[-2:] == ["missing.open", "missing.already"]


async def test_im_safe_counts_once_and_only_while_missing(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, _, _, child = team
    episode = (await missing.open_episode(uow, rosa, child)).episode
    uow.advance(hours=3)
    safe = await missing.child_safe(uow, child, episode.id)
    assert safe is not None
    assert safe.safe_at == uow.now
    assert await missing.child_safe(uow, child, episode.id) is None
    other = replace(child, id="someone-else")
    assert await missing.child_safe(uow, other, episode.id) is None
    assert "missing.safe" in uow.actions()


async def test_found_starts_the_72_hour_return_interview_and_reminds_twice(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, omar, sam, child = team
    with pytest.raises(missing.NotMissing):
        await missing.found(uow, rosa, child)
    await missing.open_episode(uow, rosa, child)
    uow.advance(hours=20)
    closed = await missing.found(uow, sam, child)
    assert closed.interview_due_at == uow.now + missing.RETURN_INTERVIEW
    assert await missing.open_episode(uow, rosa, child) is not None  # a new one may open
    await missing.found(uow, rosa, child)
    how = await missing.found_how(uow, rosa, closed.id, "police")
    assert how.found_how == "police"
    with pytest.raises(AccessDenied):
        await missing.found_how(uow, omar, closed.id, "returned")

    uow.advance(hours=47)
    assert [r.episode.id for r in await missing.reminders(uow)] == []
    uow.advance(hours=2)
    first = [r for r in await missing.reminders(uow) if r.episode.id == closed.id]
    assert [r.overdue for r in first] == [False]
    assert not [r for r in await missing.reminders(uow) if r.episode.id == closed.id]
    uow.advance(hours=24)
    late = [r for r in await missing.reminders(uow) if r.episode.id == closed.id]
    assert [r.overdue for r in late] == [True]
    assert not [r for r in await missing.reminders(uow) if r.episode.id == closed.id]

    done = await missing.interview(uow, rosa, closed.id, "declined")
    assert done is not None
    assert done.interview == "declined"
    assert await missing.interview(uow, rosa, closed.id, "done") is None
    assert uow.audited[-1].detail.endswith("late=yes")


async def test_a_sweeper_stopped_past_the_deadline_sends_only_the_late_reminder(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, _, _, child = team
    await missing.open_episode(uow, rosa, child)
    await missing.found(uow, rosa, child)
    uow.advance(hours=80)
    assert [r.overdue for r in await missing.reminders(uow)] == [True]
    assert await missing.reminders(uow) == []


async def test_the_profile_is_for_the_advocate_and_supervisors_only(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, omar, sam, child = team
    selam = await people.add_staff(
        uow, telegram_id=SELAM, name="Selam", role=Role.INTERPRETER, languages=("en",)
    )
    assert may_read_profile(rosa, child)
    assert may_read_profile(sam, child)
    assert not may_read_profile(omar, child)
    assert not may_read_profile(selam, child)
    assert not may_read_profile(replace(rosa, active=False), child)
    assert not may_release_profile(rosa, child, missing=False)
    assert may_release_profile(rosa, child, missing=True)
    assert not may_release_profile(omar, child, missing=True)

    await missing.set_field(uow, rosa, child, "description", "  green coat  ")
    await missing.set_field(uow, sam, child, "places", "the station")
    kept = await missing.read_profile(uow, sam, child)
    assert kept.fields == {"description": "green coat", "places": "the station"}
    await missing.set_field(uow, rosa, child, "places", "")
    assert "places" not in (await missing.read_profile(uow, rosa, child)).fields
    for intruder in (omar, selam):
        with pytest.raises(AccessDenied):
            await missing.read_profile(uow, intruder, child)
        with pytest.raises(AccessDenied):
            await missing.set_field(uow, intruder, child, "description", "x")
    with pytest.raises(ValueError, match="shoe_size"):
        await missing.set_field(uow, rosa, child, "shoe_size", "40")
    actions = uow.actions()
    assert actions.count("profile.read") == 2
    assert actions.count("profile.refused") == 4


async def test_the_profile_is_released_only_during_an_episode(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, omar, sam, child = team
    await missing.set_field(uow, rosa, child, "description", "green coat")
    with pytest.raises(missing.NotMissing):
        await missing.release(uow, rosa, child)
    episode = (await missing.open_episode(uow, rosa, child)).episode
    kept, during = await missing.release(uow, sam, child)
    assert kept.fields["description"] == "green coat"
    assert during.id == episode.id
    with pytest.raises(AccessDenied):
        await missing.release(uow, omar, child)
    await missing.found(uow, rosa, child)
    with pytest.raises(missing.NotMissing):
        await missing.release(uow, rosa, child)
    released = [a for a in uow.audited if a.action == "profile.release"]
    assert [a.actor for a in released] == [f"staff:{sam.id}"]
    assert [a.action for a in uow.audited].count("profile.release_refused") == 2


def test_the_region_lists_the_local_steps() -> None:
    steps = load_missing_steps("uk")
    assert [s.id for s in steps][:3] == ["police", "social_worker", "profile"]
    assert steps[0].numbers == ("999", "101")
