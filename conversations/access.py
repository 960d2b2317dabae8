"""The one gate for "may this person see or act for this child?".

Each function answers with a bool and nothing else, so a refusal never tells whether the child
exists. One condition per line; every combination is tested.
"""

from __future__ import annotations

from conversations.people import ChildView, Role, StaffView


def may_act_for(staff: StaffView | None, child: ChildView | None) -> bool:
    """Message the child, read their conversation, write notes."""
    if staff is None or child is None:
        return False
    if not staff.active:
        return False
    if staff.role is Role.SUPERVISOR:
        return True
    return child.advocate_id == staff.id


def may_manage_staff(staff: StaffView | None) -> bool:
    return staff is not None and staff.active and staff.role is Role.SUPERVISOR


def may_erase(staff: StaffView | None) -> bool:
    """Erase a child's record for good: supervisors only, whoever the advocate is."""
    if staff is None:
        return False
    if not staff.active:
        return False
    return staff.role is Role.SUPERVISOR
