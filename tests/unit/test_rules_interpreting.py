"""Interpreters: who is offered a request, who may accept it, and what a window lets them do."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import interpreting, people
from conversations.access import access_child_as_interpreter
from conversations.errors import AccessDenied
from conversations.fakes import FakeUnitOfWork
from conversations.interpreting import Accepted, Busy, Taken
from conversations.people import ChildView, Role, StaffView
from conversations.replies import Replied
from conversations.windows import ENDED, EXPIRED, LAPSED, OPEN
from tests.unit.conftest import enrol

ROSA, OMAR, SAM, SELAM, DAWIT, AMIN, STAR, MOON = (7346000 + n for n in range(1, 9))
HOURS = timedelta(hours=2)


async def _interpreter(
    uow: FakeUnitOfWork, telegram_id: int, name: str, *languages: str
) -> StaffView:
    return await people.add_staff(
        uow, telegram_id=telegram_id, name=name, role=Role.INTERPRETER, languages=languages
    )


async def _child(uow: FakeUnitOfWork, advocate: StaffView, tg: int, locale: str) -> ChildView:
    return await uow.children.add(
        telegram_id=tg, ref=f"K{tg % 1000}", nickname="Star", locale=locale, advocate_id=advocate.id
    )


@pytest.fixture
async def team(uow: FakeUnitOfWork) -> tuple[StaffView, StaffView, StaffView, ChildView]:
    rosa = await enrol(uow, ROSA, "Rosa")
    selam = await _interpreter(uow, SELAM, "Selam", "ti", "am")
    dawit = await _interpreter(uow, DAWIT, "Dawit", "ti")
    await _interpreter(uow, AMIN, "Amin", "fa")
    return rosa, selam, dawit, await _child(uow, rosa, STAR, "ti")


async def test_a_request_goes_to_every_free_interpreter_of_the_language(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, _, _, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    assert {s.name for s in asked.offered} == {"Selam", "Dawit"}
    assert uow.actions()[-3:] == ["interpreter.ask", "interpreter.offer", "interpreter.offer"]
    # One request per young person at a time.
    again = await interpreting.ask(uow, rosa, child, HOURS)
    assert again.already
    assert again.window == asked.window


async def test_prs_is_not_fa_and_nobody_is_said_plainly(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa = team[0]
    dari = await _child(uow, rosa, MOON, "prs")
    asked = await interpreting.ask(uow, rosa, dari, HOURS)
    assert asked.window is None
    assert asked.nobody_speaks
    assert uow.audited[-1].detail == "offered=0"


async def test_only_the_advocate_or_a_supervisor_may_ask(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    _, selam, _, child = team
    omar = await enrol(uow, OMAR, "Omar")
    for stranger in (omar, selam):
        with pytest.raises(AccessDenied):
            await interpreting.ask(uow, stranger, child, HOURS)
    sam = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    assert (await interpreting.ask(uow, sam, child, HOURS)).window is not None


async def test_the_first_to_accept_gets_the_window_the_others_are_told(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, dawit, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    uow.advance(minutes=30)
    done = await interpreting.accept(uow, selam, asked.window.id, HOURS)
    assert isinstance(done, Accepted)
    assert done.window.status == OPEN
    assert done.window.ends_at == uow.now + HOURS
    assert [s.name for s in done.others] == ["Dawit"]
    assert isinstance(await interpreting.accept(uow, dawit, asked.window.id, HOURS), Taken)
    assert uow.actions()[-2:] == ["interpreter.accept", "interpreter.late"]


async def test_someone_not_offered_cannot_accept(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, _, _, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    late = await _interpreter(uow, 7346099, "Late", "ti")
    for who in (late, rosa):
        with pytest.raises(AccessDenied):
            await interpreting.accept(uow, who, asked.window.id, HOURS)


async def test_one_young_person_at_a_time(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, _, child = team
    other = await _child(uow, rosa, MOON, "am")
    first = await interpreting.ask(uow, rosa, child, HOURS)
    second = await interpreting.ask(uow, rosa, other, HOURS)
    assert first.window is not None
    assert second.window is not None
    assert isinstance(await interpreting.accept(uow, selam, first.window.id, HOURS), Accepted)
    assert isinstance(await interpreting.accept(uow, selam, second.window.id, HOURS), Busy)
    # And a busy interpreter is offered nothing new.
    third = await interpreting.ask(uow, rosa, await _child(uow, rosa, 7346098, "am"), HOURS)
    assert third.window is None
    assert not third.nobody_speaks


async def test_the_window_lets_them_read_and_answer_that_child_only_until_it_ends(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, dawit, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    await interpreting.accept(uow, selam, asked.window.id, HOURS)
    assert (await interpreting.reader_of(uow, child))[0] == selam
    # A plain message goes to the young person; a reply to the advocate's, to the advocate.
    plain = await interpreting.route(uow, selam, None)
    assert (plain.child, plain.to_staff) == (child, None)
    uow.replies.shown[(SELAM, 5)] = Replied(child.id, "M1", "out", rosa.id, "relay")
    uow.replies.shown[(SELAM, 6)] = Replied(child.id, "M2", "in", None, "relay")
    assert (await interpreting.route(uow, selam, 5)).to_staff == rosa
    assert (await interpreting.route(uow, selam, 6)).to_staff is None
    # Not another child's message, not someone else's window.
    other = await _child(uow, rosa, MOON, "ti")
    uow.replies.shown[(SELAM, 7)] = Replied(other.id, "M3", "in", None, "relay")
    with pytest.raises(AccessDenied):
        await interpreting.route(uow, selam, 7)
    with pytest.raises(AccessDenied):
        await interpreting.route(uow, dawit, None)
    # After the window: refused, and the look that found it over closed it.
    uow.advance(hours=2)
    reader, closed = await interpreting.reader_of(uow, child)
    assert reader is None
    assert closed is not None
    assert closed.window.status == EXPIRED
    with pytest.raises(AccessDenied):
        await access_child_as_interpreter(uow, selam, None)


async def test_time_up_expires_a_window_and_lapses_an_offer(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, _, child = team
    other = await _child(uow, rosa, MOON, "am")
    first = await interpreting.ask(uow, rosa, child, HOURS)
    second = await interpreting.ask(uow, rosa, other, HOURS)
    assert first.window is not None
    assert second.window is not None
    await interpreting.accept(uow, selam, first.window.id, HOURS)
    uow.advance(hours=1, minutes=59)
    assert await interpreting.due(uow) == []
    uow.advance(hours=1)
    closed = {c.window.child_id: c for c in await interpreting.due(uow)}
    assert closed[child.id].window.status == EXPIRED
    assert closed[child.id].interpreter == selam
    assert closed[other.id].window.status == LAPSED
    assert closed[other.id].interpreter is None
    assert [s.name for s in closed[other.id].offered] == ["Selam"]
    assert {"interpreter.expire", "interpreter.lapse"} <= set(uow.actions())
    assert await interpreting.due(uow) == []


async def test_the_advocate_or_the_interpreter_ends_it_early(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, dawit, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    await interpreting.accept(uow, selam, asked.window.id, HOURS)
    with pytest.raises(AccessDenied):
        await interpreting.end(uow, dawit, child)
    closed = await interpreting.end(uow, selam, child)
    assert closed is not None
    assert closed.window.status == ENDED
    assert uow.audited[-1].actor == f"staff:{selam.id}"
    assert await interpreting.end(uow, rosa, child) is None
    assert await interpreting.reader_of(uow, child) == (None, None)


async def test_refusals_are_audited(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    selam = team[1]
    assert await interpreting.refused(uow, selam, "/notes") is None
    assert (uow.audited[-1].action, uow.audited[-1].detail) == ("interpreter.refused", "/notes")


async def test_an_offer_accepted_after_it_lapsed_is_closed_not_taken(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, _, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    uow.advance(hours=2)
    late = await interpreting.accept(uow, selam, asked.window.id, HOURS)
    assert late == Taken(by_other=False)
    assert uow.actions()[-2:] == ["interpreter.lapse", "interpreter.late"]


async def test_a_correction_is_the_interpreters_only_of_what_they_were_shown_in_the_window(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, _, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    await interpreting.accept(uow, selam, asked.window.id, HOURS)
    uow.replies.shown[(SELAM, 5)] = Replied(child.id, "M1", "in", None, "relay")
    assert await interpreting.reader_of_correction(uow, child, "M1") == (selam, None)
    assert uow.audited[-1].action == "interpreter.read"
    assert uow.audited[-1].detail == "message=M1 corrected"
    # A message from before the window was never theirs to read.
    assert await interpreting.reader_of_correction(uow, child, "M0") == (None, None)
    uow.advance(hours=2)
    reader, closed = await interpreting.reader_of_correction(uow, child, "M1")
    assert reader is None
    assert closed is not None
    assert uow.actions().count("interpreter.read") == 1


async def test_the_interpreters_topic_goes_when_the_window_closes(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, _, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    await interpreting.accept(uow, selam, asked.window.id, HOURS)
    await uow.topics.remember(selam.id, child.id, 40)
    await uow.topics.remember(rosa.id, child.id, 41)
    await interpreting.end(uow, rosa, child)
    drops = [s for s in uow.sent if s.message.kind == "topic_drop"]
    assert [(s.chat_id, s.message.extra, s.options) for s in drops] == [
        (SELAM, {"thread": 40}, {"child_id": child.id, "staff_id": selam.id})
    ]


async def test_leaving_the_staff_ends_their_window_and_withdraws_their_offers(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, dawit, child = team
    other = await _child(uow, rosa, MOON, "ti")
    held = await interpreting.ask(uow, rosa, child, HOURS)
    assert held.window is not None
    await interpreting.accept(uow, selam, held.window.id, HOURS)
    offered = await interpreting.ask(uow, rosa, other, HOURS)
    assert offered.window is not None
    assert offered.window.offered == (dawit.id,), "Selam is busy"

    # Selam leaves: their window ends, by whoever removed them; no offer of theirs is left.
    await uow.staff.deactivate(selam.id)
    (closed,) = await interpreting.leave(uow, selam.id, "operator")
    assert (closed.window.status, closed.window.closed_by) == (ENDED, "operator")
    assert closed.child == child
    assert closed.interpreter is not None
    assert not closed.interpreter.active
    assert closed.asked_by == rosa
    assert (uow.audited[-1].actor, uow.audited[-1].action) == ("operator", "interpreter.end")
    assert await interpreting.reader_of(uow, child) == (None, None)
    assert await interpreting.leave(uow, selam.id, "operator") == []

    # Dawit leaves with a request offered to them alone: withdrawn, and lapsed now.
    await uow.staff.deactivate(dawit.id)
    (lapsed,) = await interpreting.leave(uow, dawit.id, f"staff:{rosa.id}")
    assert lapsed.window.status == LAPSED
    assert lapsed.window.offered == ()
    assert (lapsed.interpreter, lapsed.offered) == (None, ())
    assert uow.actions()[-2:] == ["interpreter.withdraw", "interpreter.lapse"]
    assert await uow.windows.current(other.id) is None


async def test_an_offer_withdrawn_from_one_interpreter_stays_open_for_the_others(
    uow: FakeUnitOfWork, team: tuple[StaffView, StaffView, StaffView, ChildView]
) -> None:
    rosa, selam, dawit, child = team
    asked = await interpreting.ask(uow, rosa, child, HOURS)
    assert asked.window is not None
    await uow.staff.deactivate(selam.id)
    assert await interpreting.leave(uow, selam.id, "operator") == []
    assert uow.audited[-1].detail == f"to={selam.id}"
    current = await uow.windows.current(child.id)
    assert current is not None
    assert (current.status, current.offered) == ("offered", (dawit.id,))
    accepted = await interpreting.accept(uow, dawit, asked.window.id, HOURS)
    assert isinstance(accepted, Accepted)
    assert accepted.others == ()
