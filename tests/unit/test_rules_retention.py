"""Retention: who may close a case, when its record is due to go, the warning a week before
(once), reopening by staff or by the young person writing, an open alert holding the erasure
back, and a missing young person's case staying open."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import missing, retention
from conversations.closures import ADULT, ENDED, OTHER
from conversations.errors import AccessDenied
from conversations.fakes import FakeUnitOfWork
from conversations.people import Role
from conversations.retention import CloseRefused, Reason, parse_reason
from tests.unit.conftest import enrol, linked_child

ROSA, OMAR, SUE, STAR = 8120001, 8120002, 8120003, 8120004
DAYS = 365


def test_reasons_as_words() -> None:
    assert parse_reason("") is None
    assert parse_reason("adult") == Reason(ADULT, "")
    assert parse_reason("18 moved to college") == Reason(ADULT, "moved to college")
    assert parse_reason("Ended") == Reason(ENDED, "")
    assert parse_reason("went home to family") == Reason(OTHER, "went home to family")


async def test_their_advocate_or_a_supervisor_closes_and_no_one_else(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    omar = await enrol(uow, OMAR, "Omar")
    sue = await enrol(uow, SUE, "Sue", Role.SUPERVISOR)
    child = await linked_child(uow, rosa, STAR)
    with pytest.raises(AccessDenied):
        await retention.close_case(uow, omar, child, Reason(ENDED, ""), DAYS)
    closure = await retention.close_case(uow, rosa, child, Reason(OTHER, "went home"), DAYS)
    assert closure.erase_due_at == uow.now + timedelta(days=DAYS)
    assert (await uow.closures.get(child.id)) == closure
    assert uow.audited[-1].action == "case.close"
    assert uow.audited[-1].detail.startswith("reason=other erase_due=")
    # The words stay out of the log.
    assert "went home" not in uow.audited[-1].detail
    with pytest.raises(CloseRefused):
        await retention.close_case(uow, sue, child, Reason(ENDED, ""), DAYS)
    assert await retention.reopen_case(uow, sue, child)
    assert await uow.closures.get(child.id) is None
    assert not await retention.reopen_case(uow, sue, child)
    assert uow.actions().count("case.reopen") == 1


async def test_an_open_alert_refuses_a_close(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    uow.alerts.open[child.id] = 2
    with pytest.raises(CloseRefused) as refused:
        await retention.close_case(uow, rosa, child, Reason(ENDED, ""), DAYS)
    assert refused.value.open_alerts == 2
    assert await uow.closures.get(child.id) is None


async def test_a_case_stays_open_while_they_are_missing(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    opened = await missing.open_episode(uow, rosa, child)
    uow.advance(hours=3)
    audited = len(uow.audited)
    # Its alert resolved or not, the case does not close until they are found.
    for open_alerts in (1, 0):
        uow.alerts.open[child.id] = open_alerts
        with pytest.raises(CloseRefused) as refused:
            await retention.close_case(uow, rosa, child, Reason(ENDED, ""), DAYS)
        assert (refused.value.why, refused.value.missing_since) == (
            "missing",
            opened.episode.opened_at,
        )
    assert await uow.closures.get(child.id) is None
    assert len(uow.audited) == audited, "nothing changed"
    await missing.found(uow, rosa, child)
    await retention.check_closable(uow, child)
    await retention.close_case(uow, rosa, child, Reason(ENDED, ""), DAYS)
    assert await uow.closures.get(child.id) is not None


async def test_a_case_closed_while_missing_is_opened_again_when_due(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    await retention.close_case(uow, rosa, child, Reason(ENDED, ""), DAYS)
    # As an older version let happen: the episode's alert resolved, then the case closed.
    await uow.episodes.add(child.id, rosa.id)
    uow.advance(days=DAYS)
    (closure,) = await uow.closures.due(uow.now)
    assert await retention.due_action(uow, closure) == retention.REOPENED
    assert await uow.closures.get(child.id) is None
    assert await uow.closures.due(uow.now) == []
    assert (uow.audited[-1].actor, uow.audited[-1].action, uow.audited[-1].detail) == (
        "system",
        "case.reopen",
        "missing",
    )


async def test_warned_once_a_week_before_then_due(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    await retention.close_case(uow, rosa, child, Reason(ENDED, ""), DAYS)
    uow.advance(days=DAYS - 8)
    assert await retention.to_warn(uow) == []
    uow.advance(days=1, minutes=1)
    warned = await retention.to_warn(uow)
    assert [c.child_id for c in warned] == [child.id]
    assert await retention.to_warn(uow) == []
    assert uow.actions().count("case.erase_warned") == 1
    assert await uow.closures.due(uow.now) == []
    uow.advance(days=7)
    due = await uow.closures.due(uow.now)
    assert [c.child_id for c in due] == [child.id]
    assert await retention.due_action(uow, due[0]) == retention.ERASE


async def test_a_short_retention_warns_at_once(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    await retention.close_case(uow, rosa, child, Reason(ENDED, ""), 3)
    assert [c.child_id for c in await retention.to_warn(uow)] == [child.id]


async def test_an_open_alert_holds_the_erasure_and_is_told_once(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    await retention.close_case(uow, rosa, child, Reason(ENDED, ""), DAYS)
    uow.advance(days=DAYS)
    uow.alerts.open[child.id] = 1
    (closure,) = await uow.closures.due(uow.now)
    assert await retention.due_action(uow, closure) == retention.HOLD_AND_TELL
    (closure,) = await uow.closures.due(uow.now)
    assert await retention.due_action(uow, closure) == retention.HOLD
    assert uow.actions().count("case.erase_held") == 1
    uow.alerts.open[child.id] = 0
    assert await retention.due_action(uow, closure) == retention.ERASE


async def test_writing_again_reopens_the_case(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    child = await linked_child(uow, rosa, STAR)
    assert await retention.reopen_on_contact(uow, child) is None
    await retention.close_case(uow, rosa, child, Reason(ADULT, ""), DAYS)
    reopened = await retention.reopen_on_contact(uow, child)
    assert reopened is not None
    assert reopened.reason == ADULT
    assert await uow.closures.get(child.id) is None
    assert uow.audited[-1].actor == f"child:{child.id}"
    assert uow.audited[-1].action == "case.reopen"
