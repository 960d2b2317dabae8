"""Handover: who may hand a young person to whom, and what the new advocate receives."""

from __future__ import annotations

import pytest

from conversations import continuity, linking
from conversations.access import may_act_for
from conversations.errors import AccessDenied
from conversations.fakes import START, FakeUnitOfWork
from conversations.people import ChildView, Role, StaffView
from tests.unit.conftest import enrol, linked_child

ROSA, OMAR, LENA, SAM, CHILD = (7345000 + n for n in range(1, 6))


async def _team(uow: FakeUnitOfWork) -> tuple[StaffView, StaffView, StaffView, ChildView]:
    rosa = await enrol(uow, ROSA, "Rosa")
    omar = await enrol(uow, OMAR, "Omar")
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    return rosa, omar, lead, await linked_child(uow, rosa, CHILD)


async def test_the_new_advocate_receives_the_approved_story_notes_and_alerts(
    uow: FakeUnitOfWork,
) -> None:
    rosa, omar, _, child = await _team(uow)
    await continuity.add_note(uow, rosa, child, "Prefers mornings")
    uow.advance(hours=1)
    await continuity.add_note(uow, rosa, child, "Court on Friday")
    draft = await continuity.draft_summary(uow, rosa, child, "Arrived in May")
    assert await continuity.decide_summary(uow, child, draft, approve=True) == rosa.id
    uow.alerts.open[child.id] = 2
    del uow.audited[:]

    handed = await continuity.hand_over(uow, rosa, child, omar)

    assert handed.child.advocate_id == omar.id
    assert (handed.previous, handed.new) == (rosa, omar)
    assert handed.summary == "Arrived in May"
    assert [(n.author, n.text) for n in handed.notes] == [
        ("Rosa", "Prefers mornings"),
        ("Rosa", "Court on Friday"),
    ]
    assert handed.notes[0].at == START
    assert handed.open_alerts == 2
    stored = await uow.children.get(child.id)
    assert stored is not None
    assert stored.advocate_id == omar.id
    # The previous advocate loses the child; the new one acts for them.
    assert not may_act_for(rosa, stored)
    assert may_act_for(omar, stored)
    assert [(a.actor, a.action, a.detail) for a in uow.audited] == [
        (f"staff:{rosa.id}", "child.handover", f"from={rosa.id} to={omar.id}"),
        (f"staff:{omar.id}", "summary.read", "handover"),
        (f"staff:{omar.id}", "notes.read", "count=2"),
    ]


async def test_a_story_not_yet_approved_does_not_travel(uow: FakeUnitOfWork) -> None:
    rosa, omar, _, child = await _team(uow)
    await continuity.draft_summary(uow, rosa, child, "Draft only")
    refused = await continuity.draft_summary(uow, rosa, child, "Not this")
    assert await continuity.decide_summary(uow, child, refused, approve=False) == rosa.id
    handed = await continuity.hand_over(uow, rosa, child, omar)
    assert (handed.summary, handed.notes, handed.open_alerts) == (None, [], 0)
    assert "summary.read" not in uow.actions()


async def test_an_advocate_hands_over_only_their_own_young_people(uow: FakeUnitOfWork) -> None:
    rosa, omar, _, child = await _team(uow)
    lena = await enrol(uow, LENA, "Lena")
    for actor in (omar, lena):
        with pytest.raises(AccessDenied):
            await continuity.hand_over(uow, actor, child, actor)
    stored = await uow.children.get(child.id)
    assert stored is not None
    assert stored.advocate_id == rosa.id
    assert "child.handover" not in uow.actions()


async def test_a_supervisor_hands_over_anyones_young_person(uow: FakeUnitOfWork) -> None:
    rosa, omar, lead, child = await _team(uow)
    handed = await continuity.hand_over(uow, lead, child, omar)
    assert (handed.previous, handed.new, handed.child.advocate_id) == (rosa, omar, omar.id)
    assert uow.audited[-2].actor == f"staff:{lead.id}"


async def test_a_young_person_without_an_advocate_is_handed_by_a_supervisor(
    uow: FakeUnitOfWork,
) -> None:
    _, omar, lead, _ = await _team(uow)
    unlinked = await linking.register_unlinked(uow, 7345000099, "en")
    handed = await continuity.hand_over(uow, lead, unlinked, omar)
    assert handed.previous is None
    assert uow.audited[-2].detail == f"from=- to={omar.id}"


async def test_not_to_the_current_advocate_nor_to_someone_who_left(uow: FakeUnitOfWork) -> None:
    rosa, omar, lead, child = await _team(uow)
    with pytest.raises(AccessDenied):
        await continuity.hand_over(uow, lead, child, rosa)
    await uow.staff.deactivate(omar.id)
    gone = await uow.staff.get(omar.id)
    assert gone is not None
    with pytest.raises(AccessDenied):
        await continuity.hand_over(uow, rosa, child, gone)
    stored = await uow.children.get(child.id)
    assert stored is not None
    assert stored.advocate_id == rosa.id


async def test_a_child_reads_who_wrote_about_them_never_what(uow: FakeUnitOfWork) -> None:
    rosa, omar, _, child = await _team(uow)
    await continuity.add_note(uow, rosa, child, "one")
    await continuity.add_note(uow, rosa, child, "two")
    moved = (await continuity.hand_over(uow, rosa, child, omar)).child
    await continuity.add_note(uow, omar, moved, "three")
    with pytest.raises(AccessDenied):
        await continuity.add_note(uow, rosa, moved, "no longer mine")
    record = await continuity.own_record(uow, moved)
    assert (record.note_authors, record.notes, record.summary) == (["Omar", "Rosa"], 3, None)
    assert uow.actions()[-1] == "record.read"


async def test_a_child_decides_only_their_own_drafts_once(uow: FakeUnitOfWork) -> None:
    rosa, _, _, child = await _team(uow)
    other = await linked_child(uow, rosa, 7345000098, "Moon")
    draft = await continuity.draft_summary(uow, rosa, child, "Mine")
    assert await continuity.decide_summary(uow, other, draft, approve=True) is None
    assert await continuity.decide_summary(uow, child, draft, approve=True) == rosa.id
    assert await continuity.decide_summary(uow, child, draft, approve=False) is None
    assert await continuity.approved_summary(uow, child) == "Mine"
    assert await continuity.approved_summary(uow, other) is None


async def test_the_previous_advocates_topic_goes_and_a_supervisors_stays(
    uow: FakeUnitOfWork,
) -> None:
    rosa, omar, lead, child = await _team(uow)
    await uow.topics.remember(rosa.id, child.id, 7)
    await uow.topics.remember(lead.id, child.id, 8)
    await continuity.hand_over(uow, lead, child, omar)
    drops = [(s.chat_id, s.message.kind, s.message.extra) for s in uow.sent]
    assert drops == [(ROSA, "topic_drop", {"thread": 7})]
    # Kept until Telegram has deleted it: meanwhile it still refuses Rosa.
    assert await uow.topics.thread(rosa.id, child.id) == 7


async def test_a_new_nickname_renames_the_topics_that_show_them(uow: FakeUnitOfWork) -> None:
    rosa, _, lead, _ = await _team(uow)
    stranger = await linking.register_unlinked(uow, CHILD + 10, "en")
    await uow.topics.remember(lead.id, stranger.id, 9)
    code = (await linking.create_invite(uow, rosa, "Moon")).code
    linked = await linking.link_child(uow, CHILD + 10, code, "en")
    assert linked.child.nickname == "Moon"
    assert [(s.chat_id, s.message.kind, s.options) for s in uow.sent] == [
        (SAM, "topic_name", {"child_id": stranger.id, "staff_id": lead.id})
    ]
