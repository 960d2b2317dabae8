"""Interpreters, as use cases: ask for one, accept, read and answer inside the window, end it.

An advocate (or a supervisor) asks for an interpreter for one young person; the request is
offered to every active, reachable interpreter who speaks the young person's language and holds
no other window. The first to accept reads that conversation both ways, and answers through
the bot, until the window ends (early, by anyone of them, or at its time: looked at lazily on
every access and by the sweeper). One window per young person, and one per interpreter, at a
time. Every step is an audit row (``interpreter.*``); the gate is `access.may_interpret`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from conversations import retention
from conversations.access import DENIED, access_child_as_interpreter, may_act_for, may_interpret
from conversations.errors import AccessDenied
from conversations.people import ChildView, Role, StaffView
from conversations.repositories import Work
from conversations.topics import prune_topics
from conversations.windows import ENDED, EXPIRED, LAPSED, OFFERED, OPEN, Window

DEFAULT_WINDOW = timedelta(hours=2)


def _actor(staff: StaffView) -> str:
    return f"staff:{staff.id}"


@dataclass(frozen=True)
class Asked:
    """What asking decided: the new request and who it went to, or the child's current one."""

    window: Window | None
    offered: tuple[StaffView, ...] = ()
    # The child already has a request waiting or a window open: nothing new was made.
    already: bool = False
    # Nobody at all speaks the language (as against everyone who does being busy).
    nobody_speaks: bool = False


@dataclass(frozen=True)
class Closed:
    """A window that closed, and everyone to tell."""

    window: Window
    child: ChildView | None
    interpreter: StaffView | None
    asked_by: StaffView | None
    # Offered to, still waiting: their offers are no longer open.
    offered: tuple[StaffView, ...] = ()


@dataclass(frozen=True)
class Accepted:
    window: Window
    child: ChildView
    asked_by: StaffView | None
    # The others it was offered to: it is taken.
    others: tuple[StaffView, ...]


@dataclass(frozen=True)
class Taken:
    """Too late: another interpreter took it (`by_other`), or it closed."""

    by_other: bool = True


@dataclass(frozen=True)
class Busy:
    """This interpreter holds another window."""


def speaks(staff: StaffView, language: str) -> bool:
    return staff.active and staff.role is Role.INTERPRETER and language in staff.languages


async def _views(uow: Work, ids: tuple[str, ...]) -> tuple[StaffView, ...]:
    found = [await uow.staff.get(staff_id) for staff_id in ids]
    return tuple(s for s in found if s is not None and s.active)


async def _closed(uow: Work, window: Window, status: str, by: str) -> Closed:
    closed = await uow.windows.close(window.id, status, by)
    action = {ENDED: "interpreter.end", EXPIRED: "interpreter.expire"}.get(
        status, "interpreter.lapse"
    )
    await uow.audit(by, action, window.child_id, f"window={window.id}")
    interpreter = await uow.staff.get(window.interpreter_id) if window.interpreter_id else None
    waiting = window.offered if window.status == OFFERED else ()
    child = await uow.children.get(window.child_id)
    if child is not None:
        # Not after the window: the interpreter's topic on them goes, with what it shows.
        await prune_topics(uow, child)
    return Closed(
        closed,
        child,
        interpreter,
        await uow.staff.get(window.asked_by),
        await _views(uow, waiting),
    )


async def settle(uow: Work, window: Window | None) -> Closed | None:
    """Close `window` if its time is up (an open one expires, an offer lapses)."""
    if window is None or window.status not in (OFFERED, OPEN) or uow.now < window.ends_at:
        return None
    return await _closed(uow, window, EXPIRED if window.status == OPEN else LAPSED, "system")


async def ask(uow: Work, staff: StaffView, child: ChildView, length: timedelta) -> Asked:
    """Offer an interpreter's window on this child's conversation; an offer stands as long as
    a window would last. Raises `CaseClosed` for a closed case: nobody is to talk with them."""
    if not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    await retention.ensure_open(uow, child)
    current = await uow.windows.current(child.id)
    if current is not None and await settle(uow, current) is None:
        return Asked(current, already=True)
    speakers = [s for s in await uow.staff.active() if speaks(s, child.locale)]
    free = [s for s in speakers if not s.unreachable and await uow.windows.held_by(s.id) is None]
    if not free:
        await uow.audit(_actor(staff), "interpreter.ask", child.id, "offered=0")
        return Asked(None, nobody_speaks=not speakers)
    window = await uow.windows.add(
        child_id=child.id,
        asked_by=staff.id,
        language=child.locale,
        offered=[s.id for s in free],
        lapses_at=uow.now + length,
    )
    await uow.audit(_actor(staff), "interpreter.ask", child.id, f"window={window.id}")
    for interpreter in free:
        await uow.audit(_actor(staff), "interpreter.offer", child.id, f"to={interpreter.id}")
    return Asked(window, tuple(free))


async def accept(
    uow: Work, interpreter: StaffView, window_id: str, length: timedelta
) -> Accepted | Taken | Busy:
    """The first interpreter offered it who accepts gets the window, from now for `length`."""
    window = await uow.windows.get(window_id)
    if (
        window is None
        or interpreter.id not in window.offered
        or not speaks(interpreter, window.language)
    ):
        raise AccessDenied(DENIED)
    await settle(uow, window)
    window = await uow.windows.get(window_id)
    assert window is not None
    if window.status != OFFERED:
        await uow.audit(_actor(interpreter), "interpreter.late", window.child_id)
        return Taken(by_other=window.status == OPEN)
    if await uow.windows.held_by(interpreter.id) is not None:
        await uow.audit(_actor(interpreter), "interpreter.busy", window.child_id)
        return Busy()
    child = await uow.children.get(window.child_id)
    if child is None:
        raise AccessDenied(DENIED)
    opened = await uow.windows.open(window.id, interpreter.id, uow.now + length)
    await uow.audit(
        _actor(interpreter),
        "interpreter.accept",
        child.id,
        f"window={window.id} until={opened.ends_at.isoformat(timespec='minutes')}",
    )
    others = tuple(s for s in await _views(uow, window.offered) if s.id != interpreter.id)
    return Accepted(opened, child, await uow.staff.get(window.asked_by), others)


async def end(uow: Work, staff: StaffView, child: ChildView) -> Closed | None:
    """End the child's window (or withdraw the request) now: by whoever may act for the
    child, or the interpreter holding it. None if there was none."""
    window = await uow.windows.current(child.id)
    if window is None:
        if not may_act_for(staff, child):
            raise AccessDenied(DENIED)
        return None
    if not (may_act_for(staff, child) or may_interpret(staff, child, window, uow.now)):
        raise AccessDenied(DENIED)
    return await settle(uow, window) or await _closed(uow, window, ENDED, _actor(staff))


async def leave(uow: Work, interpreter_id: str, actor: str) -> list[Closed]:
    """They are leaving the staff (`enrolment.take_off_staff`): every window they hold ends
    now, so no young person goes on believing they read the chat; each request still offered
    to them is withdrawn from them, and lapses now if no one it went to is left to take it."""
    closed: list[Closed] = []
    for window in await uow.windows.involving(interpreter_id):
        if window.status == OPEN:
            closed.append(await settle(uow, window) or await _closed(uow, window, ENDED, actor))
            continue
        left = await uow.windows.withdraw(window.id, interpreter_id)
        await uow.audit(actor, "interpreter.withdraw", left.child_id, f"to={interpreter_id}")
        if not await _views(uow, left.offered):
            closed.append(await settle(uow, left) or await _closed(uow, left, LAPSED, actor))
    return closed


async def due(uow: Work) -> list[Closed]:
    """Every window and offer whose time is up, closed: for the sweeper."""
    return [closed for w in await uow.windows.due(uow.now) if (closed := await settle(uow, w))]


async def reader_of(uow: Work, child: ChildView) -> tuple[StaffView | None, Closed | None]:
    """The interpreter reading this child's conversation now, if any; and the window that
    just expired, if that is what this look found."""
    window = await uow.windows.current(child.id)
    closed = await settle(uow, window)
    if closed is not None or window is None or window.interpreter_id is None:
        return None, closed
    interpreter = await uow.staff.get(window.interpreter_id)
    if not may_interpret(interpreter, child, window, uow.now):
        return None, None
    return interpreter, None


async def read(uow: Work, interpreter: StaffView, child: ChildView, message_id: str) -> None:
    """An interpreter was shown one message of the conversation."""
    await uow.audit(_actor(interpreter), "interpreter.read", child.id, f"message={message_id}")


async def reader_of_correction(
    uow: Work, child: ChildView, message_id: str
) -> tuple[StaffView | None, Closed | None]:
    """The interpreter reading this child's conversation now, if they were shown this message:
    its correction is theirs to read too (audited as a read); and the window that just
    expired, if that is what this look found. After the window, no one."""
    interpreter, closed = await reader_of(uow, child)
    if interpreter is None or not await uow.replies.was_shown(interpreter.telegram_id, message_id):
        return None, closed
    await uow.audit(
        _actor(interpreter), "interpreter.read", child.id, f"message={message_id} corrected"
    )
    return interpreter, None


async def refused(uow: Work, interpreter: StaffView, what: str) -> Closed | None:
    """An interpreter tried what is not theirs (a command, or a conversation not open to
    them): audited; their own window, if its time is up, closes now."""
    await uow.audit(_actor(interpreter), "interpreter.refused", "", what[:150])
    window = await uow.windows.held_by(interpreter.id)
    return await settle(uow, window)


@dataclass(frozen=True)
class Route:
    """Where an interpreter's message goes: the young person, or a staff member about them."""

    child: ChildView
    window: Window
    to_staff: StaffView | None = None


async def route(uow: Work, interpreter: StaffView, replied: int | None) -> Route:
    """Where the message an interpreter wrote goes: a reply to a young person's message (or a
    plain message) to the young person; a reply to a staff member's, to that staff member.
    Raises `AccessDenied` outside an open window of theirs."""
    shown = (
        await uow.replies.replied_to(interpreter.telegram_id, replied)
        if replied is not None
        else None
    )
    if replied is not None and (shown is None or shown.child_id is None):
        raise AccessDenied(DENIED)
    child, window = await access_child_as_interpreter(
        uow, interpreter, shown.child_id if shown else None
    )
    if shown is None or shown.direction != "out" or shown.author_id is None:
        return Route(child, window)
    if shown.author_id == interpreter.id:
        return Route(child, window)  # their own answer: a reply to it goes on to the young person
    staff = await uow.staff.get(shown.author_id)
    if staff is None or not may_act_for(staff, child):
        raise AccessDenied(DENIED)
    return Route(child, window, staff)


async def answered(uow: Work, interpreter: StaffView, route: Route) -> None:
    to = f"staff:{route.to_staff.id}" if route.to_staff else "child"
    await uow.audit(_actor(interpreter), "interpreter.answer", route.child.id, f"to={to}")
