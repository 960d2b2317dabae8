"""A young person's supported period ends when their case is closed and starts again when it is
reopened (by staff, or by their writing again): the statistics' figures on SQLite and
PostgreSQL count them only in the months their case was open in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from conversations import people, relay, relaying, retention
from conversations.closures import ENDED, Span
from conversations.people import ChildView, Role, StaffView
from conversations.relay import Content
from conversations.report import Period
from conversations.statistics import compile_statistics, population
from conversations.store import Store, UnitOfWork
from tests.integration.test_statistics import _link
from tests.integration.test_store import SetClock

LONDON = ZoneInfo("Europe/London")
MARCH, APRIL, MAY, JUNE = (date(2026, month, 1) for month in (3, 4, 5, 6))
HELLO = Content("text", "hello")


def _day(month: date, day: int) -> datetime:
    return datetime(month.year, month.month, day, 12, 0, tzinfo=UTC)


async def _at(store: Store, at: datetime, work: Callable[[UnitOfWork], Awaitable[object]]) -> None:
    clock = store.clock
    assert isinstance(clock, SetClock)
    clock.at = at
    async with store.unit() as uow:
        await work(uow)
        await uow.commit()


async def _seed(store: Store) -> tuple[StaffView, dict[str, ChildView]]:
    """Six linked and writing in March; four cases closed on 5 April, two of them after the
    young person wrote that month; staff write to all six on the 10th of every month after."""
    advocate: list[StaffView] = []

    async def enrol(uow: UnitOfWork) -> None:
        advocate.append(
            await people.add_staff(uow, telegram_id=7_510_000_001, name="Ada", role=Role.ADVOCATE)
        )

    await _at(store, _day(MARCH, 3), enrol)
    ada = advocate[0]
    young = {
        name: await _link(store, ada, 7_610_000_000 + n, "en") for n, name in enumerate("ABCDEF")
    }
    for name, child in young.items():
        await _at(store, _day(MARCH, 4), _writes(child))
        if name in "AB":
            await _at(store, _day(APRIL, 2), _writes(child))
        if name in "ABCD":
            await _at(store, _day(APRIL, 5), _closes(ada, child))
        for month in (APRIL, MAY, JUNE):
            await _at(store, _day(month, 10), _answers(ada, child))
    return ada, young


def _writes(child: ChildView) -> Callable[[UnitOfWork], Awaitable[object]]:
    return lambda uow: relay.record_from_child(uow, child, HELLO, 1)


def _answers(staff: StaffView, child: ChildView) -> Callable[[UnitOfWork], Awaitable[object]]:
    return lambda uow: relaying.reply_to_child(uow, staff, child, Content("text", "hi"))


def _closes(staff: StaffView, child: ChildView) -> Callable[[UnitOfWork], Awaitable[object]]:
    return lambda uow: retention.close_case(uow, staff, child, retention.Reason(ENDED, ""), 365)


async def test_a_closed_case_is_supported_only_while_it_was_open(store: Store) -> None:
    ada, young = await _seed(store)

    async def wrote_again(uow: UnitOfWork) -> None:
        # What the bot does with a message of a young person whose case is closed.
        assert await retention.reopen_on_contact(uow, young["A"]) is not None
        await _writes(young["A"])(uow)

    await _at(store, _day(MAY, 15), wrote_again)
    await _at(store, _day(MAY, 20), lambda uow: retention.reopen_case(uow, ada, young["C"]))

    async with store.unit(read_only=True) as uow:
        people_ = await population(uow, Period.of(MARCH, JUNE, LONDON))
        spans = await uow.closures.spans(young["C"].id)
        still = await uow.closures.spans(young["D"].id)
    assert spans == [Span(_day(APRIL, 5), _day(MAY, 20))]
    assert still == [Span(_day(APRIL, 5), None)]
    assert people_.by_month == {
        MARCH: 6,
        # A and B wrote before their cases closed; C and D only had staff write after.
        APRIL: 4,
        # A wrote again and C was reopened; B and D stayed closed.
        MAY: 4,
        # Staff wrote to all six: to A, C, E and F while their cases were open.
        JUNE: 4,
    }
    assert people_.total == 6

    # D, closed from 5 April with nothing before it that month, is in no figure after March.
    async with store.unit() as uow:
        report = await compile_statistics(uow, Period.of(APRIL, JUNE, LONDON), "operator", "test")
        await uow.commit()
    supported = report.section("supported")
    assert supported is not None
    assert supported.rows[0].cells[0].value == 5


async def test_a_case_closed_and_reopened_in_one_month_counts_in_it(store: Store) -> None:
    ada, young = await _seed(store)
    # B: reopened in June by staff, closed again the same month before staff wrote.
    await _at(store, _day(JUNE, 1), lambda uow: retention.reopen_case(uow, ada, young["B"]))
    await _at(store, _day(JUNE, 2), _closes(ada, young["B"]))
    async with store.unit(read_only=True) as uow:
        june = await population(uow, Period.of(JUNE, JUNE, LONDON))
        spans = await uow.closures.spans(young["B"].id)
    assert spans == [
        Span(_day(APRIL, 5), _day(JUNE, 1)),
        Span(_day(JUNE, 2), None),
    ]
    # E and F, open all month; B, open from the 1st to the 2nd.
    assert june.by_month == {JUNE: 3}
    assert june.total == 3
