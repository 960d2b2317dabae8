"""Joining and leaving the staff: a supervisor's single-use code makes whoever opens it an
advocate; the operator or a supervisor takes someone off the staff.

A code makes an advocate, or an interpreter for the languages it names: supervisors are
enrolled by the operator (`alongside staff add`). Staff codes are made like a child's invite
(72 bits, stored as a keyed hash, single use) but end sooner, and wrong guesses count towards
the same throttle, so the two kinds of code cannot be told apart by guessing.

Whoever takes someone off the staff (the operator with `alongside staff remove`, a supervisor
with /unenrol) does it through one action, `take_off_staff`: the topics of their chat go with
them, as a handover takes a topic from the advocate who handed over, and so do an interpreter's
windows (`interpreting.leave`), which the caller tells everyone concerned of, as of any window
that ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from conversations import interpreting
from conversations.access import may_manage_staff
from conversations.errors import AccessDenied, InviteExpired, InviteUsed
from conversations.interpreting import Closed
from conversations.linking import NewInvite, new_code, record_wrong_code
from conversations.models import Child, Staff
from conversations.people import (
    Role,
    StaffError,
    StaffView,
    active_supervisors,
    add_staff,
    display_name,
    get_staff,
    name_taken,
    staff_view,
)
from conversations.repositories import Work
from conversations.store import UnitOfWork
from conversations.topics import drop_staff_topics

STAFF_INVITE_LIFETIME = timedelta(hours=24)
NAME_LIMIT = 64


@dataclass(frozen=True)
class Removal:
    """What taking someone off the staff did: nothing, while `keeping` young people still keep
    them; otherwise their windows that closed with it (`closed`), for everyone to hear."""

    staff: StaffView
    keeping: int = 0
    closed: tuple[Closed, ...] = ()


@dataclass(frozen=True)
class Enrolled:
    staff: StaffView
    invited_by: StaffView


async def create_staff_invite(
    uow: Work,
    supervisor: StaffView,
    name: str,
    lifetime: timedelta = STAFF_INVITE_LIFETIME,
    *,
    role: Role = Role.ADVOCATE,
    languages: tuple[str, ...] = (),
) -> NewInvite:
    """A code that enrols one advocate (or an interpreter for `languages`), called `name`."""
    if not may_manage_staff(supervisor):
        raise AccessDenied("only a supervisor enrols staff")
    if role is Role.SUPERVISOR:
        raise AccessDenied("supervisors are enrolled by the operator")
    if role is Role.INTERPRETER and not languages:
        raise StaffError("an interpreter needs their languages")
    name = display_name(name)
    if not name or len(name) > NAME_LIMIT:
        raise StaffError("a name of 1 to 64 characters is needed")
    if await name_taken(uow, name):
        raise StaffError("another staff member is already called that")
    code = new_code()
    invite_id = await uow.staff_invites.add(
        code=code,
        created_by=supervisor.id,
        name=name,
        role=role.value,
        expires_at=uow.now + lifetime,
        languages=languages if role is Role.INTERPRETER else (),
    )
    await uow.audit(f"staff:{supervisor.id}", "staff.invite", invite_id)
    return NewInvite(code, uow.now + lifetime)


async def enrol_with_code(uow: Work, telegram_id: int, code: str, locale: str) -> Enrolled | None:
    """Enrol the opener of a staff code; None if `code` is no staff code (it may be a child's).

    Raises `Throttled`, `InviteUsed` or `InviteExpired` as linking does, and `StaffError` when
    the account is a young person's here (the code stays unused for whoever it was meant for).
    """
    invite = await uow.staff_invites.for_code(code)
    if invite is None:
        return None
    if invite.used_at is not None:
        await record_wrong_code(uow, telegram_id)
        raise InviteUsed(code)
    creator = await get_staff(uow, invite.created_by)
    if invite.expires_at <= uow.now or creator is None or not may_manage_staff(creator):
        # A code outlives neither its time nor the supervisor who vouched for it.
        await record_wrong_code(uow, telegram_id)
        raise InviteExpired(code)
    staff = await add_staff(
        uow,
        telegram_id=telegram_id,
        name=invite.name,
        role=Role(invite.role),
        languages=invite.languages,
        locale=locale,
        actor=f"staff:{creator.id}",
    )
    await uow.staff_invites.consume(invite.id, staff.id)
    await uow.audit(f"staff:{staff.id}", "staff.enrol", staff.id, f"invite={invite.id}")
    return Enrolled(staff, creator)


async def retire_advocate(uow: Work, supervisor: StaffView, advocate: StaffView) -> Removal:
    """Take an advocate (or an interpreter) off the staff; nothing changes while young people
    still keep them (`keeping`): no child is left without a human."""
    if not may_manage_staff(supervisor) or advocate.is_supervisor or advocate.id == supervisor.id:
        raise AccessDenied("a supervisor retires advocates; the operator retires supervisors")
    linked = await uow.children.count_of(advocate.id)
    if linked:
        return Removal(advocate, keeping=linked)
    current = await uow.staff.get(advocate.id)
    if current is None or not current.active:
        raise StaffError("no active staff member is called that")
    closed = await take_off_staff(uow, current.id, f"staff:{supervisor.id}")
    return Removal(current, closed=closed)


async def remove_staff(uow: UnitOfWork, telegram_id: int, actor: str = "operator") -> Removal:
    """Deactivate; refused while children depend on them, so no child is left without a human."""
    row = (
        await uow.session.execute(
            select(Staff).where(
                Staff.tg_index == uow.index.telegram(telegram_id), Staff.active.is_(True)
            )
        )
    ).scalar_one_or_none()
    if row is None:
        raise StaffError("no active staff member has that Telegram id")
    linked = (
        await uow.session.execute(select(func.count(Child.id)).where(Child.advocate_id == row.id))
    ).scalar_one()
    if linked:
        raise StaffError(f"they still have {linked} young people; hand them over first")
    if row.role == Role.SUPERVISOR.value and await active_supervisors(uow) <= 1:
        # Every safety alert goes to the supervisors: with none, nobody would hear one.
        raise StaffError("they are the last active supervisor: enrol another supervisor first")
    closed = await take_off_staff(uow, row.id, actor)
    return Removal(await staff_view(uow, row), closed=closed)


async def take_off_staff(uow: Work, staff_id: str, actor: str) -> tuple[Closed, ...]:
    """They are no longer on the staff: nothing lets them in, each topic of their chat is
    forgotten now and deleted (with what it shows) through the outbox, and each window of
    theirs ends or is withdrawn from them, all in this transaction; returns the windows that
    closed, for the caller to tell everyone concerned."""
    await uow.staff.deactivate(staff_id)
    # Before the windows: their topics go with the removal, not again with each window.
    await drop_staff_topics(uow, staff_id)
    await uow.audit(actor, "staff.remove", staff_id)
    return tuple(await interpreting.leave(uow, staff_id, actor))
