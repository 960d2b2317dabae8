"""Erasure's preconditions: who may erase, and what must hold before they confirm."""

from __future__ import annotations

import pytest

from conversations import erasure
from conversations.access import DENIED
from conversations.errors import AccessDenied, ErasureBlocked
from conversations.fakes import FakeUnitOfWork
from conversations.people import ChildView, Role, StaffView
from tests.unit.conftest import enrol, linked_child

ROSA, SAM, UMA, CHILD = (7345000 + n for n in range(1, 5))


async def _setting(uow: FakeUnitOfWork) -> tuple[StaffView, StaffView, ChildView]:
    rosa = await enrol(uow, ROSA, "Rosa")
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    return rosa, lead, await linked_child(uow, rosa, CHILD)


async def test_a_supervisor_may_erase_a_child_with_no_open_alert(uow: FakeUnitOfWork) -> None:
    _, lead, child = await _setting(uow)
    assert await erasure.erasable(uow, lead, child.ref) == child
    assert await erasure.erasable(uow, lead, child.ref.lower()) == child
    assert uow.actions()[-1] == "child.link", "asking changes nothing and audits nothing"


async def test_no_one_else_may_erase_and_the_refusal_does_not_say_who_exists(
    uow: FakeUnitOfWork,
) -> None:
    rosa, lead, child = await _setting(uow)
    retired = await enrol(uow, UMA, "Uma", Role.SUPERVISOR)
    await uow.staff.deactivate(retired.id)
    retired = await uow.staff.get(retired.id) or retired
    answers = []
    for staff, ref in ((rosa, child.ref), (retired, child.ref), (lead, "ZZZ"), (lead, "")):
        with pytest.raises(AccessDenied) as refused:
            await erasure.erasable(uow, staff, ref)
        answers.append(str(refused.value))
    assert answers == [DENIED] * 4


async def test_an_unresolved_alert_blocks_erasure_until_it_is_resolved(
    uow: FakeUnitOfWork,
) -> None:
    _, lead, child = await _setting(uow)
    uow.alerts.open[child.id] = 2
    with pytest.raises(ErasureBlocked) as blocked:
        await erasure.erasable(uow, lead, child.ref)
    assert (blocked.value.ref, blocked.value.open_alerts) == (child.ref, 2)
    uow.alerts.open[child.id] = 0
    assert await erasure.erasable(uow, lead, child.ref) == child


async def test_an_advocate_may_not_erase_even_their_own_young_person(uow: FakeUnitOfWork) -> None:
    rosa, _, child = await _setting(uow)
    uow.alerts.open[child.id] = 1
    # Refused for who they are before anything about the child is looked at.
    with pytest.raises(AccessDenied):
        await erasure.erasable(uow, rosa, child.ref)
