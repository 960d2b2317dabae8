"""One contract for the repositories: the SQLAlchemy ones on SQLite and PostgreSQL, and the
in-memory fakes the rules' unit tests run on, answer every question alike.

Each test writes in one unit of work, commits, and reads in the next (on the fake, the same
unit: it is its own database), so on the stores what comes back has been sealed, stored,
loaded with its bond checked and opened again.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest

from conversations.fakes import START, FakeUnitOfWork
from conversations.ids import new_id
from conversations.people import Role, StaffView
from conversations.repositories import Work
from conversations.store import Store, StoreConfig
from tests.conftest import postgres_database
from tests.integration.test_store import SetClock

ROSA, OMAR, CHILD, OTHER = 7345300001, 7345300002, 7345300003, 7345300004


@dataclass
class Backend:
    """Units of work on one kind of store, and its clock."""

    unit: Callable[[], contextlib.AbstractAsyncContextManager[Work]]
    advance: Callable[..., None]


@contextlib.asynccontextmanager
async def _sql(url: str) -> AsyncIterator[Backend]:
    clock = SetClock(START)
    store = await Store.open(
        StoreConfig(url, secrets.token_bytes(32), secrets.token_bytes(32)), clock
    )

    @contextlib.asynccontextmanager
    async def unit() -> AsyncIterator[Work]:
        async with store.unit() as uow:
            yield uow
            await uow.commit()

    try:
        yield Backend(unit, clock.advance)
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def _fake() -> AsyncIterator[Backend]:
    fake = FakeUnitOfWork(START)

    @contextlib.asynccontextmanager
    async def unit() -> AsyncIterator[Work]:
        async with fake as uow:
            yield uow
            await uow.commit()

    yield Backend(unit, fake.advance)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres), "fake"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "fake":
        async with _fake() as made:
            yield made
    elif request.param == "sqlite":
        async with _sql(f"sqlite+aiosqlite:///{tmp_path / 'alongside.db'}") as made:
            yield made
    else:
        async with postgres_database() as url, _sql(url) as made:
            yield made


def _staff(telegram_id: int, name: str, role: Role = Role.ADVOCATE) -> StaffView:
    return StaffView(
        id=new_id(),
        telegram_id=telegram_id,
        name=name,
        role=role,
        locale="en",
        languages=("en", "sq"),
        away_until=None,
        active=True,
    )


# Children ----------------------------------------------------------------------------------


async def test_a_child_is_found_by_id_telegram_account_and_reference(backend: Backend) -> None:
    async with backend.unit() as uow:
        added = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="Star", locale="fa")
    assert (added.telegram_id, added.ref, added.nickname, added.locale) == (
        CHILD,
        "K7F",
        "Star",
        "fa",
    )
    assert (added.advocate_id, added.stage, added.unreachable, added.muted) == (
        None,
        None,
        False,
        False,
    )
    assert not added.locale_chosen
    async with backend.unit() as uow:
        assert await uow.children.get(added.id) == added
        assert await uow.children.by_telegram(CHILD) == added
        assert await uow.children.by_ref("K7F") == added
        assert await uow.children.ref_taken("K7F")
        assert not await uow.children.ref_taken("K7G")
        assert await uow.children.get(new_id()) is None
        assert await uow.children.by_telegram(OTHER) is None
        assert await uow.children.by_ref("K7G") is None
        assert await uow.children.advocate_named(added.id) is None


async def test_a_child_is_linked_handed_over_and_counted(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        omar = await uow.staff.add(_staff(OMAR, "Omar"))
        first = await uow.children.add(
            telegram_id=CHILD, ref="K7F", nickname="Star", locale="en", advocate_id=rosa.id
        )
        unlinked = await uow.children.add(
            telegram_id=OTHER, ref="M2N", nickname="(not linked)", locale="en"
        )
    assert first.advocate_id == rosa.id
    async with backend.unit() as uow:
        linked = await uow.children.link(unlinked.id, omar.id, "Moon")
        assert linked == replace(unlinked, advocate_id=omar.id, nickname="Moon")
        assert (await uow.children.count_of(rosa.id), await uow.children.count_of(omar.id)) == (
            1,
            1,
        )
    async with backend.unit() as uow:
        assert await uow.children.get(unlinked.id) == linked
        await uow.children.hand_to(first.id, omar.id)
    async with backend.unit() as uow:
        moved = await uow.children.get(first.id)
        assert moved == replace(first, advocate_id=omar.id)
        assert await uow.children.advocate_named(first.id) == omar.id
        assert (await uow.children.count_of(rosa.id), await uow.children.count_of(omar.id)) == (
            0,
            2,
        )


# Staff -------------------------------------------------------------------------------------


async def test_staff_are_found_listed_in_order_and_deactivated(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        backend.advance(seconds=1)
    async with backend.unit() as uow:
        lead = await uow.staff.add(_staff(OMAR, "Sam", Role.SUPERVISOR))
    assert rosa.name == "Rosa"
    assert rosa.languages == ("en", "sq")
    async with backend.unit() as uow:
        assert await uow.staff.get(rosa.id) == rosa
        assert await uow.staff.by_telegram(OMAR) == lead
        assert await uow.staff.by_telegram(CHILD) is None
        assert await uow.staff.get(new_id()) is None
        assert await uow.staff.active() == [rosa, lead]
        await uow.staff.deactivate(rosa.id)
    async with backend.unit() as uow:
        assert await uow.staff.active() == [lead]
        assert await uow.staff.by_telegram(ROSA) == replace(rosa, active=False)


async def test_staff_enrolled_again_keep_their_record(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        await uow.staff.deactivate(rosa.id)
    back = replace(rosa, name="Rosa Back", locale="ro", languages=(), role=Role.SUPERVISOR)
    async with backend.unit() as uow:
        assert await uow.staff.add(back) == back
    async with backend.unit() as uow:
        assert await uow.staff.by_telegram(ROSA) == back
        assert await uow.staff.active() == [back]


# Codes -------------------------------------------------------------------------------------


async def test_an_invite_is_found_by_its_code_and_used_once(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        child = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
        invite_id = await uow.invites.add(
            code="code-one", advocate_id=rosa.id, nickname="Star", expires_at=START + timedelta(1)
        )
    async with backend.unit() as uow:
        found = await uow.invites.for_code("code-one")
        assert found is not None
        assert (found.id, found.advocate_id, found.nickname) == (invite_id, rosa.id, "Star")
        assert (found.expires_at, found.used_at, found.child_id) == (
            START + timedelta(1),
            None,
            None,
        )
        assert await uow.invites.for_code("code-two") is None
        backend.advance(minutes=5)
    async with backend.unit() as uow:
        await uow.invites.consume(invite_id, child.id)
    async with backend.unit() as uow:
        used = await uow.invites.for_code("code-one")
        assert used == replace(found, used_at=START + timedelta(minutes=5), child_id=child.id)


async def test_a_staff_code_is_found_by_its_code_and_used_once(backend: Backend) -> None:
    async with backend.unit() as uow:
        lead = await uow.staff.add(_staff(ROSA, "Sam", Role.SUPERVISOR))
        invite_id = await uow.staff_invites.add(
            code="staff-one",
            created_by=lead.id,
            name="Maria",
            role=Role.ADVOCATE.value,
            expires_at=START + timedelta(hours=24),
        )
    async with backend.unit() as uow:
        found = await uow.staff_invites.for_code("staff-one")
        assert found is not None
        assert (found.id, found.created_by, found.name, found.role) == (
            invite_id,
            lead.id,
            "Maria",
            "advocate",
        )
        assert (found.expires_at, found.used_at, found.staff_id) == (
            START + timedelta(hours=24),
            None,
            None,
        )
        assert await uow.staff_invites.for_code("staff-two") is None
        maria = await uow.staff.add(_staff(OMAR, "Maria"))
        await uow.staff_invites.consume(invite_id, maria.id)
    async with backend.unit() as uow:
        assert await uow.staff_invites.for_code("staff-one") == replace(
            found, used_at=START, staff_id=maria.id
        )


async def test_wrong_guesses_are_counted_per_account_and_in_all(backend: Backend) -> None:
    async with backend.unit() as uow:
        for minutes, who in ((3, CHILD), (0, CHILD), (1, OTHER), (5, CHILD), (9, OTHER)):
            await uow.attempts.add(who, START + timedelta(minutes=minutes))
    async with backend.unit() as uow:
        assert await uow.attempts.times_since(CHILD, START - timedelta(1)) == [
            START + timedelta(minutes=m) for m in (0, 3, 5)
        ]
        # Strictly after: a guess at the window's edge has aged out.
        assert await uow.attempts.times_since(CHILD, START) == [
            START + timedelta(minutes=m) for m in (3, 5)
        ]
        assert await uow.attempts.times_since(ROSA, START - timedelta(1)) == []
        assert await uow.attempts.count_since(START - timedelta(1)) == 5
        assert await uow.attempts.count_since(START + timedelta(minutes=3)) == 2


# Continuity --------------------------------------------------------------------------------


async def test_notes_come_back_in_order_with_their_authors(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        omar = await uow.staff.add(_staff(OMAR, "Omar"))
        child = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
        other = await uow.children.add(telegram_id=OTHER, ref="M2N", nickname="M", locale="en")
        await uow.notes.add(child, rosa.id, "first")
        backend.advance(minutes=1)
    async with backend.unit() as uow:
        await uow.notes.add(child, omar.id, "second")
    async with backend.unit() as uow:
        notes = await uow.notes.of(child)
        assert [(n.staff_id, n.at, n.text) for n in notes] == [
            (rosa.id, START, "first"),
            (omar.id, START + timedelta(minutes=1), "second"),
        ]
        assert sorted(await uow.notes.authors(child.id)) == sorted([rosa.id, omar.id])
        assert await uow.notes.of(other) == []
        assert await uow.notes.authors(other.id) == []


async def test_the_summary_the_child_approved_last_is_the_one_given(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        child = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
        other = await uow.children.add(telegram_id=OTHER, ref="M2N", nickname="M", locale="en")
        old = await uow.summaries.add_draft(child, rosa.id, "old story")
        new = await uow.summaries.add_draft(child, rosa.id, "new story")
        refused = await uow.summaries.add_draft(child, rosa.id, "not this")
    async with backend.unit() as uow:
        draft = await uow.summaries.get(old)
        assert draft is not None
        assert (draft.child_id, draft.staff_id, draft.status) == (child.id, rosa.id, "draft")
        assert await uow.summaries.get(new_id()) is None
        assert await uow.summaries.approved(child) is None
        await uow.summaries.decide(old, "approved")
        backend.advance(minutes=1)
    async with backend.unit() as uow:
        await uow.summaries.decide(new, "approved")
        await uow.summaries.decide(refused, "change_requested")
    async with backend.unit() as uow:
        assert await uow.summaries.approved(child) == "new story"
        assert await uow.summaries.approved(other) is None
        decided = await uow.summaries.get(refused)
        assert decided is not None
        assert decided.status == "change_requested"


async def test_a_child_with_no_alert_has_none_open(backend: Backend) -> None:
    async with backend.unit() as uow:
        child = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
    async with backend.unit() as uow:
        assert await uow.alerts.open_count(child.id) == 0


# Interpreter windows -------------------------------------------------------------------------


async def test_an_interpreter_window_is_offered_opened_and_closed(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        selam = await uow.staff.add(_staff(OMAR, "Selam", Role.INTERPRETER))
        child = await uow.children.add(
            telegram_id=CHILD, ref="K7F", nickname="Star", locale="ti", advocate_id=rosa.id
        )
        offered = await uow.windows.add(
            child_id=child.id,
            asked_by=rosa.id,
            language="ti",
            offered=[selam.id],
            lapses_at=START + timedelta(hours=2),
        )
    assert (offered.status, offered.interpreter_id, offered.offered) == (
        "offered",
        None,
        (selam.id,),
    )
    async with backend.unit() as uow:
        assert await uow.windows.get(offered.id) == offered
        assert await uow.windows.current(child.id) == offered
        assert await uow.windows.held_by(selam.id) is None
        assert await uow.windows.due(START + timedelta(hours=1)) == []
        assert await uow.windows.due(START + timedelta(hours=2)) == [offered]
        opened = await uow.windows.open(offered.id, selam.id, START + timedelta(hours=3))
    assert (opened.status, opened.interpreter_id, opened.opened_at) == ("open", selam.id, START)
    async with backend.unit() as uow:
        assert await uow.windows.held_by(selam.id) == opened
        assert await uow.windows.current(child.id) == opened
        closed = await uow.windows.close(opened.id, "ended", f"staff:{rosa.id}")
    async with backend.unit() as uow:
        assert await uow.windows.get(opened.id) == closed
        assert closed.closed_by == f"staff:{rosa.id}"
        assert await uow.windows.current(child.id) is None
        assert await uow.windows.held_by(selam.id) is None
        assert await uow.windows.due(START + timedelta(days=1)) == []
        assert await uow.replies.replied_to(ROSA, 404) is None


async def test_the_windows_an_interpreter_is_in_and_an_offer_withdrawn(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        selam = await uow.staff.add(_staff(OMAR, "Selam", Role.INTERPRETER))
        dawit = await uow.staff.add(_staff(OTHER + 1, "Dawit", Role.INTERPRETER))
        star, moon = [
            await uow.children.add(
                telegram_id=tg, ref=ref, nickname="S", locale="ti", advocate_id=rosa.id
            )
            for tg, ref in ((CHILD, "K7F"), (OTHER, "M4R"))
        ]
        held = await uow.windows.add(
            child_id=star.id,
            asked_by=rosa.id,
            language="ti",
            offered=[selam.id],
            lapses_at=START + timedelta(hours=2),
        )
        await uow.windows.open(held.id, selam.id, START + timedelta(hours=2))
    backend.advance(minutes=1)
    async with backend.unit() as uow:
        offer = await uow.windows.add(
            child_id=moon.id,
            asked_by=rosa.id,
            language="ti",
            offered=[dawit.id, selam.id],
            lapses_at=START + timedelta(hours=2),
        )
    async with backend.unit() as uow:
        found = await uow.windows.involving(selam.id)
        assert [(w.id, w.status) for w in found] == [(held.id, "open"), (offer.id, "offered")]
        assert [w.id for w in await uow.windows.involving(dawit.id)] == [offer.id]
        assert await uow.windows.involving(rosa.id) == []
        left = await uow.windows.withdraw(offer.id, selam.id)
    assert (left.status, left.offered) == ("offered", (dawit.id,))
    async with backend.unit() as uow:
        assert await uow.windows.get(offer.id) == left
        assert [w.id for w in await uow.windows.involving(selam.id)] == [held.id]
        await uow.windows.close(held.id, "ended", "operator")
    async with backend.unit() as uow:
        assert await uow.windows.involving(selam.id) == []
