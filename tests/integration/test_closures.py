"""Closed cases in the store, on SQLite and PostgreSQL, against the fake: the same answers; the
reason's words sealed; a moved due time refuses to load; an erasure takes the closure with it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from conversations import erasure, retention, watch
from conversations.closures import OTHER, Span
from conversations.errors import CaseClosed, TamperedError
from conversations.fakes import START, FakeUnitOfWork
from conversations.models import CaseClosure
from conversations.people import Role
from conversations.repositories import Work
from conversations.retention import Reason
from conversations.store import Store
from tests.integration import test_repositories as contract
from tests.integration.test_erasure import ADVOCATE, CHILD, SUPERVISOR, _child, _staff
from tests.integration.test_erasure import OTHER_CHILD as SECOND_CHILD
from tests.integration.test_repositories import OTHER as OTHER_CHILD
from tests.integration.test_repositories import ROSA, Backend
from tests.integration.test_repositories import _staff as _contract_staff
from tests.integration.test_store import SetClock
from tests.unit.conftest import enrol, linked_child

DAYS = 30
# The repository contract's stores: SQLite, PostgreSQL and the fake.
backend = contract.backend


async def _exercise(uow: Work, staff_id: str, child_id: str) -> list[object]:
    """The repository's answers along one close, warn and due; the same from every store."""
    staff = await uow.staff.get(staff_id)
    child = await uow.children.get(child_id)
    assert staff is not None
    assert child is not None
    closed = await retention.close_case(uow, staff, child, Reason(OTHER, "went home"), DAYS)
    got = await uow.closures.get(child_id)
    answers: list[object] = [got == closed, got.words if got else None]
    answers.append(len(await uow.closures.to_warn(uow.now)))
    answers.append(len(await uow.closures.to_warn(uow.now + timedelta(days=DAYS))))
    await uow.closures.mark(child_id, warned=True)
    answers.append(len(await uow.closures.to_warn(uow.now + timedelta(days=DAYS))))
    answers.append(len(await uow.closures.due(uow.now + timedelta(days=DAYS))))
    return answers


EXPECTED = [True, "went home", 0, 1, 0, 1]


async def test_the_store_and_the_fake_answer_alike(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        assert await _exercise(uow, advocate.id, child.id) == EXPECTED
        await uow.commit()
    fake = FakeUnitOfWork()
    rosa = await enrol(fake, ADVOCATE, "Rosa")
    star = await linked_child(fake, rosa, CHILD)
    assert await _exercise(fake, rosa.id, star.id) == EXPECTED
    async with store.unit(read_only=True) as uow:
        row = (
            await uow.session.execute(select(CaseClosure).where(CaseClosure.child_id == child.id))
        ).scalar_one_or_none()
        assert row is not None
        assert row.words_sealed is not None
        assert b"went home" not in row.words_sealed


async def test_a_due_time_moved_outside_refuses_to_load(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        await retention.close_case(uow, advocate, child, Reason(OTHER, ""), DAYS)
        await uow.commit()
    async with store.unit() as uow:
        await uow.session.execute(
            update(CaseClosure)
            .values(erase_due_at=uow.now)
            .execution_options(synchronize_session=False)
        )
        await uow.commit()
    async with store.unit(read_only=True) as uow:
        with pytest.raises(TamperedError):
            await uow.closures.due(uow.now + timedelta(days=1))


async def test_an_erasure_takes_the_closure(store: Store) -> None:
    clock = store.clock
    assert isinstance(clock, SetClock)
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        await retention.close_case(uow, advocate, child, Reason(OTHER, "words"), DAYS)
        await uow.commit()
    clock.advance(days=DAYS)
    async with store.unit() as uow:
        (due,) = await uow.closures.due(uow.now)
        assert await retention.due_action(uow, due) == retention.ERASE
        erased = await erasure.erase_expired(uow, child.id)
        assert erased is not None
        assert erased.ref == child.ref
        await uow.commit()
    async with store.unit(read_only=True) as uow:
        left = (await uow.session.execute(select(func.count()).select_from(CaseClosure))).scalar()
        assert left == 0


async def test_reopening_keeps_the_span_the_case_was_closed_for(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_contract_staff(ROSA, "Rosa"))
        ana = await uow.children.add(telegram_id=CHILD, ref="K7F", nickname="S", locale="en")
        bea = await uow.children.add(telegram_id=OTHER_CHILD, ref="M2N", nickname="M", locale="en")
        assert await uow.closures.spans(ana.id) == []
        await uow.closures.add(ana, closed_by=rosa.id, reason=OTHER, words="", erase_due_at=START)
        await uow.closures.add(bea, closed_by=rosa.id, reason=OTHER, words="", erase_due_at=START)
    async with backend.unit() as uow:
        assert await uow.closures.spans(ana.id) == [Span(START, None)]
    backend.advance(days=2)
    async with backend.unit() as uow:
        await uow.closures.reopen(ana.id)
        # Reopening what is not closed keeps nothing.
        await uow.closures.reopen(ana.id)
    async with backend.unit() as uow:
        assert await uow.closures.get(ana.id) is None
        assert await uow.closures.spans(ana.id) == [Span(START, START + timedelta(days=2))]
    backend.advance(days=1)
    async with backend.unit() as uow:
        await uow.closures.add(ana, closed_by=rosa.id, reason=OTHER, words="", erase_due_at=START)
    async with backend.unit() as uow:
        assert await uow.closures.spans(ana.id) == [
            Span(START, START + timedelta(days=2)),
            Span(START + timedelta(days=3), None),
        ]
        assert await uow.closures.spans(bea.id) == [Span(START, None)]


async def test_a_closed_case_is_never_checked_in_with_nor_placed(store: Store) -> None:
    """The sweep asks no one whose case is closed, whatever their watch says (closing pauses
    it; one left running anyhow still asks no one), and a new placement is refused."""
    clock = store.clock
    assert isinstance(clock, SetClock)
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    child = await _child(store, advocate, CHILD)
    other = await _child(store, advocate, SECOND_CHILD)
    async with store.unit() as uow:
        for watched in (child, other):
            await watch.start_watch(uow, watched.id, uow.now, "system", "linked")
        await retention.close_case(uow, advocate, child, Reason(OTHER, ""), DAYS)
        with pytest.raises(CaseClosed) as refused:
            await watch.record_placement(uow, advocate, child, uow.now)
        assert refused.value.ref == child.ref
        await uow.commit()
    clock.advance(hours=1)
    async with store.unit() as uow:
        due = await watch.due_check_ins(uow, timedelta(hours=6))
        await uow.commit()
    assert [item.child.id for item in due] == [other.id]
