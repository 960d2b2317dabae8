"""Wrong codes: how many lock an account out, for how long, and what is never held back."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import enrolment, linking
from conversations.errors import InviteExpired, InviteUnknown, InviteUsed, Throttled
from conversations.fakes import START, FakeUnitOfWork
from conversations.people import Role
from tests.unit.conftest import enrol

CHILD, OTHER = 7345000001, 7345000002


async def _guess(uow: FakeUnitOfWork, telegram_id: int = CHILD) -> None:
    with pytest.raises(InviteUnknown):
        await linking.link_child(uow, telegram_id, linking.new_code(), "en")


async def test_five_wrong_codes_in_ten_minutes_lock_the_account_out(uow: FakeUnitOfWork) -> None:
    for _ in range(linking.USER_LIMIT):
        await _guess(uow)
        uow.advance(minutes=1)
    with pytest.raises(Throttled) as refused:
        await linking.link_child(uow, CHILD, linking.new_code(), "en")
    assert refused.value.until == START + linking.USER_WINDOW
    assert await linking.throttled_until(uow, CHILD) == START + linking.USER_WINDOW
    # Each counted guess is audited; the refused one is neither counted nor audited.
    assert uow.actions() == ["invite.wrong_code"] * linking.USER_LIMIT
    assert len(uow.attempts.made) == linking.USER_LIMIT


async def test_being_refused_does_not_extend_the_lock(uow: FakeUnitOfWork) -> None:
    for _ in range(linking.USER_LIMIT):
        await _guess(uow)
    for _ in range(3):
        uow.advance(minutes=3)
        with pytest.raises(Throttled) as refused:
            await linking.record_wrong_code(uow, CHILD)
        assert refused.value.until == START + linking.USER_WINDOW
    uow.advance(minutes=1)  # 09:12: the 09:00 guesses have aged out
    assert await linking.throttled_until(uow, CHILD) is None


async def test_the_lock_ends_when_the_oldest_guess_ages_out(uow: FakeUnitOfWork) -> None:
    for minutes in (0, 1, 7, 8, 9):
        uow.now = START + timedelta(minutes=minutes)
        await _guess(uow)
    uow.now = START + timedelta(minutes=9, seconds=30)
    assert await linking.throttled_until(uow, CHILD) == START + timedelta(minutes=10)
    uow.now = START + timedelta(minutes=10)
    await _guess(uow)
    assert await linking.throttled_until(uow, CHILD) == START + timedelta(minutes=11)


async def test_four_wrong_codes_do_not_lock_and_others_are_not_held_back(
    uow: FakeUnitOfWork,
) -> None:
    for _ in range(linking.USER_LIMIT - 1):
        await _guess(uow)
    assert await linking.throttled_until(uow, CHILD) is None
    await _guess(uow)
    assert await linking.throttled_until(uow, CHILD) is not None
    assert await linking.throttled_until(uow, OTHER) is None
    await _guess(uow, OTHER)


async def test_a_right_code_works_while_locked_out(uow: FakeUnitOfWork) -> None:
    advocate = await enrol(uow, 7345000100, "Rosa")
    good = (await linking.create_invite(uow, advocate, "Star")).code
    for _ in range(linking.USER_LIMIT):
        await _guess(uow)
    linked = await linking.link_child(uow, CHILD, good, "en")
    assert linked.advocate.id == advocate.id
    assert not linked.already


async def test_used_and_expired_codes_count_as_wrong_guesses(uow: FakeUnitOfWork) -> None:
    advocate = await enrol(uow, 7345000100, "Rosa")
    used = (await linking.create_invite(uow, advocate, "Star")).code
    await linking.link_child(uow, CHILD, used, "en")
    expired = (await linking.create_invite(uow, advocate, "Moon")).code
    uow.advance(hours=73)
    for _ in range(3):
        with pytest.raises(InviteUsed):
            await linking.link_child(uow, OTHER, used, "en")
    for _ in range(2):
        with pytest.raises(InviteExpired):
            await linking.link_child(uow, OTHER, expired, "en")
    with pytest.raises(Throttled):
        await linking.link_child(uow, OTHER, used, "en")


async def test_two_hundred_wrong_codes_a_minute_from_everyone_hold_everyone_back(
    uow: FakeUnitOfWork,
) -> None:
    advocate = await enrol(uow, 7345000100, "Rosa")
    good = (await linking.create_invite(uow, advocate, "Star")).code
    for n in range(linking.GLOBAL_LIMIT):
        await _guess(uow, 7345200000 + n)
    with pytest.raises(Throttled) as refused:
        await linking.link_child(uow, CHILD, linking.new_code(), "en")
    assert refused.value.until == START + linking.GLOBAL_WINDOW
    assert len(uow.attempts.made) == linking.GLOBAL_LIMIT, "a refused guess is not stored"
    assert (await linking.link_child(uow, CHILD, good, "en")).advocate.id == advocate.id
    uow.advance(minutes=1)
    await _guess(uow, OTHER)


async def test_a_wrong_staff_code_counts_towards_the_same_limit(uow: FakeUnitOfWork) -> None:
    lead = await enrol(uow, 7345000200, "Sam", Role.SUPERVISOR)
    code = (await enrolment.create_staff_invite(uow, lead, "Maria")).code
    await enrolment.enrol_with_code(uow, 7345000300, code, "en")
    for _ in range(linking.USER_LIMIT - 1):
        await _guess(uow)
    with pytest.raises(InviteUsed):
        await enrolment.enrol_with_code(uow, CHILD, code, "en")
    with pytest.raises(Throttled):
        await enrolment.enrol_with_code(uow, CHILD, code, "en")
