"""Staff codes in the store, on SQLite and PostgreSQL: single use under concurrency, bounded by
their supervisor, never a way to become a supervisor."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from conversations import enrolment, linking
from conversations.errors import AccessDenied, InviteExpired, InviteUsed, Throttled
from conversations.models import Staff, StaffInvite
from conversations.people import Role, StaffError, StaffView
from conversations.store import Store
from tests.integration import test_store
from tests.integration.test_store import Opened, _enrol

SUPERVISOR, ADVOCATE, NEWCOMER, OTHER = 7345600001, 7345600002, 7345600003, 7345600004
opened = test_store.opened  # the same store fixture, on both stores


async def _code(store: Store, supervisor: StaffView, name: str = "Maria") -> str:
    async with store.unit() as uow:
        new = await enrolment.create_staff_invite(uow, supervisor, name)
        await uow.commit()
    return new.code


async def _open(store: Store, telegram_id: int, code: str) -> enrolment.Enrolled | None:
    async with store.unit() as uow:
        try:
            return await enrolment.enrol_with_code(uow, telegram_id, code, "en")
        finally:
            # Wrong guesses are kept even when the code is refused.
            await uow.commit()


async def test_one_code_enrols_one_person_even_when_opened_at_once(opened: Opened) -> None:
    store = opened.store
    lead = await _enrol(store, SUPERVISOR, "Sam", Role.SUPERVISOR)
    code = await _code(store, lead)
    outcomes = await asyncio.gather(
        *(_open(store, user, code) for user in (NEWCOMER, OTHER)), return_exceptions=True
    )
    enrolled = [o for o in outcomes if isinstance(o, enrolment.Enrolled)]
    assert len(enrolled) == 1
    assert [type(o) for o in outcomes if not isinstance(o, enrolment.Enrolled)] == [InviteUsed]
    assert enrolled[0].staff.role is Role.ADVOCATE
    assert enrolled[0].staff.name == "Maria"
    assert enrolled[0].invited_by.id == lead.id
    async with store.unit(read_only=True) as uow:
        row = (await uow.session.execute(select(StaffInvite))).scalar_one()
        assert row.staff_id == enrolled[0].staff.id
        assert b"Maria" not in row.name_sealed


async def test_only_a_supervisor_makes_codes_and_they_make_only_advocates(opened: Opened) -> None:
    store = opened.store
    advocate = await _enrol(store, ADVOCATE, "Rosa", Role.ADVOCATE)
    async with store.unit() as uow:
        with pytest.raises(AccessDenied):
            await enrolment.create_staff_invite(uow, advocate, "Someone")
    lead = await _enrol(store, SUPERVISOR, "Sam", Role.SUPERVISOR)
    async with store.unit() as uow:
        for name in ("", "   ", "x" * 65):
            with pytest.raises(StaffError):
                await enrolment.create_staff_invite(uow, lead, name)
    enrolled = await _open(store, NEWCOMER, await _code(store, lead, "  Lea   Roux "))
    assert enrolled is not None
    assert (enrolled.staff.role, enrolled.staff.name) == (Role.ADVOCATE, "Lea Roux")


async def test_a_code_ends_with_its_time_or_its_supervisor(opened: Opened) -> None:
    store = opened.store
    lead = await _enrol(store, SUPERVISOR, "Sam", Role.SUPERVISOR)
    stale = await _code(store, lead)
    opened.clock.advance(hours=24, seconds=1)
    with pytest.raises(InviteExpired):
        await _open(store, NEWCOMER, stale)
    orphan = await _code(store, lead)
    async with store.unit() as uow:
        row = await uow.session.get(Staff, lead.id)
        assert row is not None
        row.active = False
        await uow.commit()
    with pytest.raises(InviteExpired):
        await _open(store, NEWCOMER, orphan)


async def test_a_child_code_is_not_a_staff_code_and_guesses_are_throttled(opened: Opened) -> None:
    store = opened.store
    lead = await _enrol(store, SUPERVISOR, "Sam", Role.SUPERVISOR)
    advocate = await _enrol(store, ADVOCATE, "Rosa", Role.ADVOCATE)
    async with store.unit() as uow:
        child_code = (await linking.create_invite(uow, advocate, "Star")).code
        await uow.commit()
    assert await _open(store, NEWCOMER, child_code) is None
    async with store.unit() as uow:
        await linking.link_child(uow, OTHER, child_code, "en")
        await uow.commit()
    staff_code = await _code(store, lead)
    # A young person's account cannot take it; it stays for whom it was meant.
    with pytest.raises(StaffError):
        await _open(store, OTHER, staff_code)
    assert await _open(store, NEWCOMER, staff_code) is not None
    for _ in range(linking.USER_LIMIT):
        with pytest.raises(InviteUsed):
            await _open(store, 7345600099, staff_code)
    with pytest.raises(Throttled):
        await _open(store, 7345600099, staff_code)
    # Only wrong guesses are slowed: a valid staff code enrols at once.
    assert await _open(store, 7345600099, await _code(store, lead, "Maria Lopez")) is not None
