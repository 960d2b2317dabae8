"""Enrolment in the bot: a supervisor's single-use code makes whoever opens it an advocate.

A code only ever makes an advocate: supervisors are enrolled by the operator
(`alongside staff add`). Staff codes are made like a child's invite (72 bits, stored as a keyed
hash, single use) but end sooner, and wrong guesses count towards the same throttle, so the
two kinds of code cannot be told apart by guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from conversations.access import may_manage_staff
from conversations.errors import AccessDenied, InviteExpired, InviteUsed
from conversations.ids import new_id
from conversations.linking import NewInvite, new_code, record_wrong_code
from conversations.models import Child, Staff, StaffInvite
from conversations.people import (
    Role,
    StaffError,
    StaffView,
    add_staff,
    display_name,
    get_staff,
    name_taken,
)
from conversations.store import UnitOfWork

STAFF_INVITE_LIFETIME = timedelta(hours=24)
NAME_LIMIT = 64


@dataclass(frozen=True)
class Enrolled:
    staff: StaffView
    invited_by: StaffView


async def create_staff_invite(
    uow: UnitOfWork,
    supervisor: StaffView,
    name: str,
    lifetime: timedelta = STAFF_INVITE_LIFETIME,
) -> NewInvite:
    """A code that enrols one advocate, to be called `name`."""
    if not may_manage_staff(supervisor):
        raise AccessDenied("only a supervisor enrols staff")
    name = display_name(name)
    if not name or len(name) > NAME_LIMIT:
        raise StaffError("a name of 1 to 64 characters is needed")
    if await name_taken(uow, name):
        raise StaffError("another staff member is already called that")
    code = new_code()
    invite_id = new_id()
    uow.session.add(
        StaffInvite(
            id=invite_id,
            code_index=uow.index.code(code),
            created_by=supervisor.id,
            name_sealed=await uow.seal(
                uow.store.system_key_id, name, "staff_invites", "name", invite_id
            ),
            role=Role.ADVOCATE.value,
            created_at=uow.now,
            expires_at=uow.now + lifetime,
        )
    )
    await uow.audit(f"staff:{supervisor.id}", "staff.invite", invite_id)
    return NewInvite(code, uow.now + lifetime)


async def enrol_with_code(
    uow: UnitOfWork, telegram_id: int, code: str, locale: str
) -> Enrolled | None:
    """Enrol the opener of a staff code; None if `code` is no staff code (it may be a child's).

    Raises `Throttled`, `InviteUsed` or `InviteExpired` as linking does, and `StaffError` when
    the account is a young person's here (the code stays unused for whoever it was meant for).
    """
    # Locked, so two workers given the same code cannot both enrol with it.
    invite = (
        await uow.session.execute(
            select(StaffInvite)
            .where(StaffInvite.code_index == uow.index.code(code))
            .with_for_update()
        )
    ).scalar_one_or_none()
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
    name = await uow.open(invite.name_sealed, "staff_invites", "name", invite.id)
    staff = await add_staff(
        uow,
        telegram_id=telegram_id,
        name=name,
        role=Role(invite.role),
        locale=locale,
        actor=f"staff:{creator.id}",
    )
    invite.used_at = uow.now
    invite.staff_id = staff.id
    await uow.audit(f"staff:{staff.id}", "staff.enrol", staff.id, f"invite={invite.id}")
    return Enrolled(staff, creator)


async def retire_advocate(uow: UnitOfWork, supervisor: StaffView, advocate: StaffView) -> int:
    """Take an advocate off the staff; returns how many young people still keep them (then
    nothing changes: no child is left without a human)."""
    if not may_manage_staff(supervisor) or advocate.is_supervisor or advocate.id == supervisor.id:
        raise AccessDenied("a supervisor retires advocates; the operator retires supervisors")
    linked = int(
        (
            await uow.session.execute(
                select(func.count(Child.id)).where(Child.advocate_id == advocate.id)
            )
        ).scalar_one()
    )
    if linked:
        return linked
    row = await uow.session.get(Staff, advocate.id)
    if row is None or not row.active:
        raise StaffError("no active staff member is called that")
    row.active = False
    await uow.audit(f"staff:{supervisor.id}", "staff.remove", row.id)
    return 0
