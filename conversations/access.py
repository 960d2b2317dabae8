"""The one gate for "may this person see or act for this child?".

The `may_*` functions answer with a bool and nothing else; the `access_*` functions look a
child (or one of their alerts) up and return it, or raise one `AccessDenied` whether it does
not exist or is not theirs, so a refusal never tells which. One condition per line; every
combination is tested.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from conversations import alerts
from conversations.errors import AccessDenied
from conversations.models import Alert, OutboxMessage
from conversations.people import ChildView, Role, StaffView, find_child_by_ref, get_child
from conversations.repositories import Work
from conversations.store import UnitOfWork
from conversations.windows import OPEN, Window

DENIED = "no such young person for you"


def may_act_for(staff: StaffView | None, child: ChildView | None) -> bool:
    """Message the child, read their conversation, write notes."""
    if staff is None or child is None:
        return False
    if not staff.active:
        return False
    if staff.role is Role.SUPERVISOR:
        return True
    if staff.role is not Role.ADVOCATE:
        return False
    return child.advocate_id == staff.id


def may_see_statistics(staff: StaffView | None) -> bool:
    """The service's figures, with nothing that identifies a young person: supervisors."""
    if staff is None:
        return False
    if not staff.active:
        return False
    return staff.role is Role.SUPERVISOR


def may_interpret(
    staff: StaffView | None, child: ChildView | None, window: Window | None, now: datetime
) -> bool:
    """Read this child's conversation and answer through the bot, as their interpreter: only
    inside the open window for this child that this interpreter accepted, and never notes,
    story or anything else (no other `may_*` lets an interpreter in)."""
    if staff is None or child is None or window is None:
        return False
    if not staff.active:
        return False
    if staff.role is not Role.INTERPRETER:
        return False
    if window.status != OPEN:
        return False
    if window.interpreter_id != staff.id:
        return False
    if window.child_id != child.id:
        return False
    return now < window.ends_at


async def access_child_as_interpreter(
    uow: Work, staff: StaffView, child_id: str | None
) -> tuple[ChildView, Window]:
    """The child whose conversation this interpreter may read now, and the window that lets
    them; `child_id` is the child a message they answer belongs to (None: the window's own)."""
    window = await uow.windows.held_by(staff.id)
    wanted = child_id if child_id is not None else window.child_id if window else None
    child = await uow.children.get(wanted) if wanted else None
    if not may_interpret(staff, child, window, uow.now):
        raise AccessDenied(DENIED)
    assert child is not None
    assert window is not None
    return child, window


def may_read_profile(staff: StaffView | None, child: ChildView | None) -> bool:
    """Read or change a young person's missing-person profile: their own advocate and the
    supervisors, never an interpreter (whose window is the conversation alone): exactly who
    may act for them."""
    return may_act_for(staff, child)


def may_release_profile(staff: StaffView | None, child: ChildView | None, missing: bool) -> bool:
    """Hand the profile to the police: whoever may read it, and only while the young person is
    missing (an episode is open)."""
    if not missing:
        return False
    return may_read_profile(staff, child)


def may_manage_staff(staff: StaffView | None) -> bool:
    return staff is not None and staff.active and staff.role is Role.SUPERVISOR


def may_erase(staff: StaffView | None) -> bool:
    """Erase a child's record for good: supervisors only, whoever the advocate is."""
    if staff is None:
        return False
    if not staff.active:
        return False
    return staff.role is Role.SUPERVISOR


def may_export(staff: StaffView | None) -> bool:
    """Export a young person's whole record (subject access): supervisors only."""
    if staff is None:
        return False
    if not staff.active:
        return False
    return staff.role is Role.SUPERVISOR


async def access_child_by_ref(uow: UnitOfWork, staff: StaffView, ref: str) -> ChildView:
    """The child with this reference, if this staff member may act for them."""
    child = await find_child_by_ref(uow, ref) if ref else None
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    return child


async def access_child_by_id(uow: UnitOfWork, staff: StaffView, child_id: str) -> ChildView:
    """The child with this id (from a button), if this staff member may act for them."""
    child = await get_child(uow, child_id)
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    return child


async def access_alert_by_id(uow: UnitOfWork, staff: StaffView, alert_id: str) -> alerts.AlertView:
    """The alert with this id (from a button), if this staff member may act for its child."""
    row = await uow.session.get(Alert, alert_id)
    child = await get_child(uow, row.child_id) if row is not None else None
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert row is not None
    return await alerts.alert_view(uow, row, child)


async def access_child_by_reply(
    uow: UnitOfWork, staff: StaffView, tg_message_id: int, quoted: str | None = None
) -> ChildView:
    """The child whose relayed message the staff member replied to, if they may answer them.

    `quoted` is the text of the message replied to, when the bot wrote it (Telegram says who
    did). A send whose fate was unknown (its answer lost, the process killed before the mark)
    may show twice, and one copy's id was never recorded: its header still names the child.
    """
    child_id = (
        (
            await uow.session.execute(
                select(OutboxMessage.child_id).where(
                    OutboxMessage.chat_index == uow.index.telegram(staff.telegram_id),
                    OutboxMessage.tg_message_id == tg_message_id,
                )
            )
        )
        .scalars()
        .first()
    )
    child = (
        await get_child(uow, child_id)
        if child_id is not None
        else await _child_in_header(uow, staff, quoted)
        if quoted
        else None
    )
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    assert child is not None
    return child


_REF = re.compile(r"[BCDFGHJKLMNPQRSTVWXZ2-9]{3,8}")
_ISOLATES = "\u2066\u2067\u2068\u2069"


async def _child_in_header(uow: UnitOfWork, staff: StaffView, quoted: str) -> ChildView | None:
    """The child a relay header names (its first line: nickname, reference, ... in whatever
    order the reader's language puts them), if this staff member may act for them."""
    line = quoted.split("\n", 1)[0]
    parts = [part.strip(_ISOLATES + " :") for part in line.split("·")]
    for part in parts:
        if not _REF.fullmatch(part):
            continue
        child = await find_child_by_ref(uow, part)
        if (
            child is not None
            and may_act_for(staff, child)
            and any(child.nickname in other for other in parts if other != part)
        ):
            return child
    return None
