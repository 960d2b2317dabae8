"""The access gate, table-driven over every role and every relation to the child."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from conversations.access import may_act_for, may_erase, may_interpret, may_manage_staff
from conversations.people import ChildView, Role, StaffView
from conversations.windows import ENDED, EXPIRED, LAPSED, OFFERED, OPEN, Window

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _staff(staff_id: str, role: Role, *, active: bool = True) -> StaffView:
    return StaffView(
        id=staff_id,
        telegram_id=1,
        name="N",
        role=role,
        locale="en",
        languages=("en",),
        away_until=None,
        active=active,
    )


def _child(advocate_id: str | None) -> ChildView:
    return ChildView(
        id="C",
        ref="K7F",
        telegram_id=2,
        nickname="Star",
        locale="en",
        locale_chosen=False,
        advocate_id=advocate_id,
        data_key_id="k",
        stage=None,
        unreachable=False,
    )


# The person asking is always "ME"; the other advocate is "THEM".
ROLES: dict[str, StaffView | None] = {
    "advocate": _staff("ME", Role.ADVOCATE),
    "supervisor": _staff("ME", Role.SUPERVISOR),
    "inactive advocate": _staff("ME", Role.ADVOCATE, active=False),
    "inactive supervisor": _staff("ME", Role.SUPERVISOR, active=False),
    "interpreter": _staff("ME", Role.INTERPRETER),
    "inactive interpreter": _staff("ME", Role.INTERPRETER, active=False),
    "nobody": None,
}
RELATIONS: dict[str, ChildView | None] = {
    "own child": _child("ME"),
    "another advocate's child": _child("THEM"),
    "unlinked child": _child(None),
    "no child": None,
}
ALLOWED = {
    ("advocate", "own child"),
    ("supervisor", "own child"),
    ("supervisor", "another advocate's child"),
    # Supervisors answer someone who asked for help without a code.
    ("supervisor", "unlinked child"),
}


@pytest.mark.parametrize(("role", "relation"), list(itertools.product(ROLES, RELATIONS)))
def test_may_act_for(role: str, relation: str) -> None:
    assert may_act_for(ROLES[role], RELATIONS[relation]) is ((role, relation) in ALLOWED)


def test_the_table_is_exhaustive() -> None:
    assert len(ROLES) * len(RELATIONS) == 28
    assert set(itertools.product(ROLES, RELATIONS)) >= ALLOWED


@pytest.mark.parametrize("role", list(ROLES))
def test_may_manage_staff(role: str) -> None:
    assert may_manage_staff(ROLES[role]) is (role == "supervisor")


def test_an_away_advocate_still_acts_for_their_child() -> None:
    away = replace(_staff("ME", Role.ADVOCATE), away_until=datetime(2030, 1, 1, tzinfo=UTC))
    assert may_act_for(away, _child("ME"))
    assert not may_act_for(away, _child("THEM"))


@pytest.mark.parametrize("role", list(ROLES))
def test_may_erase(role: str) -> None:
    # Not even a child's own advocate: erasing is for good, so a supervisor decides.
    assert may_erase(ROLES[role]) is (role == "supervisor")


def _window(
    interpreter: str | None = "ME",
    child: str = "C",
    status: str = OPEN,
    ends_in: timedelta = timedelta(hours=1),
) -> Window:
    return Window(
        id="W",
        child_id=child,
        asked_by="THEM",
        language="ti",
        offered=("ME", "OTHER"),
        status=status,
        interpreter_id=interpreter,
        asked_at=NOW - timedelta(hours=1),
        ends_at=NOW + ends_in,
    )


# The window an interpreter would read through, every way it can be theirs or not.
WINDOWS: dict[str, Window | None] = {
    "their open window for this child": _window(),
    "their window, ending now": _window(ends_in=timedelta()),
    "their window, past its end": _window(ends_in=timedelta(seconds=-1)),
    "their window, ended early": _window(status=ENDED),
    "their window, expired": _window(status=EXPIRED),
    "an offer not yet accepted": _window(interpreter=None, status=OFFERED),
    "an offer that lapsed": _window(interpreter=None, status=LAPSED),
    "another interpreter's window": _window(interpreter="OTHER"),
    "their window for another child": _window(child="ELSEWHERE"),
    "no window": None,
}


@pytest.mark.parametrize(
    ("role", "relation", "window"), list(itertools.product(ROLES, RELATIONS, WINDOWS))
)
def test_may_interpret(role: str, relation: str, window: str) -> None:
    allowed = (role, window) == ("interpreter", "their open window for this child") and (
        RELATIONS[relation] is not None
    )
    assert may_interpret(ROLES[role], RELATIONS[relation], WINDOWS[window], NOW) is allowed


def test_an_interpreter_may_do_nothing_else() -> None:
    interpreter = ROLES["interpreter"]
    assert interpreter is not None
    for child in RELATIONS.values():
        assert not may_act_for(interpreter, child)
    assert not may_manage_staff(interpreter)
    assert not may_erase(interpreter)
