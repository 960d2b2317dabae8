"""Invites and staff codes: new, used, expired and revoked, on the in-memory unit of work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from conversations import enrolment, linking
from conversations.errors import AccessDenied, InviteExpired, InviteUnknown, InviteUsed
from conversations.fakes import START, FakeUnitOfWork
from conversations.people import Role, StaffError
from tests.unit.conftest import enrol, linked_child

ROSA, OMAR, SAM, CHILD, OTHER, NEWCOMER = (7345000 + n for n in range(1, 7))


# A child's invite --------------------------------------------------------------------------


async def test_a_new_invite_links_the_child_to_its_advocate(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    made = await linking.create_invite(uow, rosa, "  Star\u200b  · Moon ")
    assert made.expires_at == START + linking.INVITE_LIFETIME
    assert len(made.code) == linking.CODE_LENGTH
    assert linking.looks_like_code(made.code)
    linked = await linking.link_child(uow, CHILD, made.code, "sq")
    assert not linked.already
    assert linked.advocate == rosa
    child = linked.child
    assert (child.telegram_id, child.advocate_id, child.locale) == (CHILD, rosa.id, "sq")
    assert child.nickname == "Star - Moon", "cleaned as names are"
    assert await uow.children.by_telegram(CHILD) == child
    invite = await uow.invites.for_code(made.code)
    assert invite is not None
    assert (invite.used_at, invite.child_id) == (START, child.id)
    assert uow.actions() == ["staff.add", "invite.create", "child.link"]
    assert uow.audited[-1].detail == f"advocate={rosa.id}"


async def test_a_used_invite_links_no_one_else_and_counts_as_a_wrong_guess(
    uow: FakeUnitOfWork,
) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    code = (await linking.create_invite(uow, rosa, "Star")).code
    await linking.link_child(uow, CHILD, code, "en")
    with pytest.raises(InviteUsed):
        await linking.link_child(uow, OTHER, code, "en")
    assert await uow.children.by_telegram(OTHER) is None
    assert await uow.attempts.times_since(OTHER, START - timedelta(1)) == [START]


async def test_the_child_who_used_a_code_may_open_it_again(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    code = (await linking.create_invite(uow, rosa, "Star")).code
    first = await linking.link_child(uow, CHILD, code, "en")
    for _ in range(linking.USER_LIMIT + 1):
        again = await linking.link_child(uow, CHILD, code, "en")
        assert again.already
        assert (again.child, again.advocate) == (first.child, rosa)
    assert uow.attempts.made == []


async def test_an_invite_expires_after_72_hours(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    stale = (await linking.create_invite(uow, rosa, "Star")).code
    fresh = (await linking.create_invite(uow, rosa, "Moon")).code
    uow.advance(hours=72, seconds=-1)
    assert not (await linking.link_child(uow, CHILD, fresh, "en")).already
    uow.advance(seconds=1)
    with pytest.raises(InviteExpired):
        await linking.link_child(uow, OTHER, stale, "en")
    assert await uow.children.by_telegram(OTHER) is None
    assert len(uow.attempts.made) == 1


async def test_an_invite_of_an_advocate_who_left_is_revoked(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    code = (await linking.create_invite(uow, rosa, "Star")).code
    await uow.staff.deactivate(rosa.id)
    with pytest.raises(InviteExpired):
        await linking.link_child(uow, CHILD, code, "en")
    assert await uow.children.by_telegram(CHILD) is None
    # Not a guess: the code was real.
    assert uow.attempts.made == []


async def test_an_unknown_code_links_no_one_and_is_counted(uow: FakeUnitOfWork) -> None:
    await enrol(uow, ROSA, "Rosa")
    with pytest.raises(InviteUnknown):
        await linking.link_child(uow, CHILD, linking.new_code(), "en")
    assert await uow.children.by_telegram(CHILD) is None
    assert uow.attempts.made == [(CHILD, START)]
    assert uow.actions()[-1] == "invite.wrong_code"


async def test_a_linked_child_keeps_their_advocate_and_the_code_stays_unused(
    uow: FakeUnitOfWork,
) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    omar = await enrol(uow, OMAR, "Omar")
    first = await linked_child(uow, rosa, CHILD)
    code = (await linking.create_invite(uow, omar, "Someone")).code
    again = await linking.link_child(uow, CHILD, code, "en")
    assert again.already
    assert (again.advocate, again.child.nickname) == (rosa, first.nickname)
    other = await linking.link_child(uow, OTHER, code, "en")
    assert (other.already, other.advocate) == (False, omar)


async def test_someone_who_asked_for_help_unlinked_is_linked_on_the_same_record(
    uow: FakeUnitOfWork,
) -> None:
    unlinked = await linking.register_unlinked(uow, CHILD, "fa")
    assert (unlinked.advocate_id, unlinked.nickname) == (None, "(not linked)")
    assert await linking.register_unlinked(uow, CHILD, "en") == unlinked, "one record"
    assert uow.actions() == ["child.unlinked_help"]
    rosa = await enrol(uow, ROSA, "Rosa")
    linked = await linked_child(uow, rosa, CHILD, "Star")
    assert (linked.id, linked.ref, linked.locale) == (unlinked.id, unlinked.ref, "fa")
    assert (linked.advocate_id, linked.nickname) == (rosa.id, "Star")


async def test_every_child_gets_their_own_reference(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    refs = {(await linked_child(uow, rosa, 7_000_000_000 + n)).ref for n in range(30)}
    assert len(refs) == 30
    assert all(3 <= len(ref) <= 8 for ref in refs)


# A staff code ------------------------------------------------------------------------------


async def test_a_staff_code_makes_one_advocate(uow: FakeUnitOfWork) -> None:
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    made = await enrolment.create_staff_invite(uow, lead, "  Lea   Roux ")
    assert made.expires_at == START + enrolment.STAFF_INVITE_LIFETIME
    enrolled = await enrolment.enrol_with_code(uow, NEWCOMER, made.code, "ro")
    assert enrolled is not None
    assert enrolled.invited_by == lead
    staff = enrolled.staff
    assert (staff.name, staff.role, staff.locale, staff.active) == (
        "Lea Roux",
        Role.ADVOCATE,
        "ro",
        True,
    )
    assert await uow.staff.by_telegram(NEWCOMER) == staff
    assert uow.actions()[-3:] == ["staff.invite", "staff.add", "staff.enrol"]
    assert uow.audited[-2].actor == f"staff:{lead.id}"
    with pytest.raises(InviteUsed):
        await enrolment.enrol_with_code(uow, OTHER, made.code, "en")


async def test_a_childs_code_is_no_staff_code(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    code = (await linking.create_invite(uow, rosa, "Star")).code
    assert await enrolment.enrol_with_code(uow, NEWCOMER, code, "en") is None
    assert uow.attempts.made == [], "left for linking to judge"


async def test_a_staff_code_ends_with_its_time_or_its_supervisor(uow: FakeUnitOfWork) -> None:
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    stale = (await enrolment.create_staff_invite(uow, lead, "Maria")).code
    orphan = (await enrolment.create_staff_invite(uow, lead, "Mira")).code
    uow.advance(hours=24, seconds=1)
    with pytest.raises(InviteExpired):
        await enrolment.enrol_with_code(uow, NEWCOMER, stale, "en")
    uow.now = START + timedelta(hours=1)
    await uow.staff.deactivate(lead.id)
    with pytest.raises(InviteExpired):
        await enrolment.enrol_with_code(uow, NEWCOMER, orphan, "en")
    assert await uow.staff.by_telegram(NEWCOMER) is None
    assert len(uow.attempts.made) == 2


async def test_only_a_supervisor_makes_staff_codes_with_a_free_name(uow: FakeUnitOfWork) -> None:
    rosa = await enrol(uow, ROSA, "Rosa")
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    with pytest.raises(AccessDenied):
        await enrolment.create_staff_invite(uow, rosa, "Maria")
    for name in ("", "   ", "x" * 65, "ROSA"):
        with pytest.raises(StaffError):
            await enrolment.create_staff_invite(uow, lead, name)
    assert uow.staff_invites.by_code == {}


async def test_a_young_persons_account_cannot_take_a_staff_code(uow: FakeUnitOfWork) -> None:
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    rosa = await enrol(uow, ROSA, "Rosa")
    await linked_child(uow, rosa, CHILD)
    code = (await enrolment.create_staff_invite(uow, lead, "Maria")).code
    with pytest.raises(StaffError):
        await enrolment.enrol_with_code(uow, CHILD, code, "en")
    invite = await uow.staff_invites.for_code(code)
    assert invite is not None
    assert invite.used_at is None, "kept for whoever it was meant for"


async def test_an_advocate_leaves_only_once_their_young_people_are_handed_over(
    uow: FakeUnitOfWork,
) -> None:
    lead = await enrol(uow, SAM, "Sam", Role.SUPERVISOR)
    rosa = await enrol(uow, ROSA, "Rosa")
    omar = await enrol(uow, OMAR, "Omar")
    child = await linked_child(uow, rosa, CHILD)
    with pytest.raises(AccessDenied):
        await enrolment.retire_advocate(uow, omar, rosa)
    with pytest.raises(AccessDenied):
        await enrolment.retire_advocate(uow, lead, lead)
    assert (await enrolment.retire_advocate(uow, lead, rosa)).keeping == 1
    assert (await uow.staff.get(rosa.id)) == rosa
    await uow.children.hand_to(child.id, omar.id)
    # A topic of Rosa's chat that Telegram would not delete at the handover, and Omar's own.
    await uow.topics.remember(rosa.id, child.id, 7)
    await uow.topics.remember(omar.id, child.id, 8)
    removal = await enrolment.retire_advocate(uow, lead, rosa)
    assert (removal.keeping, removal.closed) == (0, ())
    gone = await uow.staff.get(rosa.id)
    assert gone is not None
    assert not gone.active
    assert uow.actions()[-1] == "staff.remove"
    # Forgotten with the removal; its deletion queued for Rosa's chat, about no young person.
    assert await uow.topics.of_staff(rosa.id) == []
    assert await uow.topics.of_child(child.id) == [(omar.id, 8)]
    drops = [(s.chat_id, s.message.kind, s.message.extra, s.options) for s in uow.sent]
    assert drops == [(ROSA, "topic_drop", {"thread": 7}, {"staff_id": rosa.id})]
    with pytest.raises(StaffError):
        await enrolment.retire_advocate(uow, lead, rosa)
