"""Every read and change of a child's record goes through the gate, for every role and relation.

A refusal is the same `AccessDenied` whether the child belongs to someone else or does not exist.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import pytest_asyncio

from conversations import access, alerts, continuity, enrolment, interpreting, linking, people
from conversations.errors import AccessDenied
from conversations.journey import Stage
from conversations.people import ChildView, Role, StaffView
from conversations.store import Store, StoreConfig, UnitOfWork
from tests.conftest import postgres_database


@dataclass
class World:
    store: Store
    own: StaffView
    other: StaffView
    supervisor: StaffView
    retired: StaffView
    mine: ChildView
    theirs: ChildView
    # Holds an open window on `mine`'s conversation, and may do nothing else.
    interpreter: StaffView


pytestmark = pytest.mark.asyncio(loop_scope="module")
WINDOW = timedelta(hours=2)


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    """One world per database for the whole module: tests never commit, so none sees another."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('gate') / 'gate.db'}"
        async with _world(url) as made:
            yield made
        return
    async with postgres_database() as url, _world(url) as made:
        yield made


@contextlib.asynccontextmanager
async def _world(database_url: str) -> AsyncIterator[World]:
    store = await Store.open(
        StoreConfig(database_url, secrets.token_bytes(32), secrets.token_bytes(32))
    )
    async with store.unit() as uow:
        own = await people.add_staff(uow, telegram_id=101, name="Rosa", role=Role.ADVOCATE)
        other = await people.add_staff(uow, telegram_id=102, name="Tariq", role=Role.ADVOCATE)
        supervisor = await people.add_staff(uow, telegram_id=103, name="Sam", role=Role.SUPERVISOR)
        retired = await people.add_staff(uow, telegram_id=104, name="Old", role=Role.ADVOCATE)
        children = []
        for advocate, tg in ((own, 901), (other, 902)):
            invite = await linking.create_invite(uow, advocate, "Kid")
            children.append((await linking.link_child(uow, tg, invite.code, "en")).child)
        await enrolment.remove_staff(uow, 104)
        retired = (await people.get_staff(uow, retired.id)) or retired
        interpreter = await people.add_staff(
            uow, telegram_id=105, name="Selam", role=Role.INTERPRETER, languages=("en",)
        )
        asked = await interpreting.ask(uow, own, children[0], WINDOW)
        assert asked.window is not None
        await interpreting.accept(uow, interpreter, asked.window.id, WINDOW)
        await uow.commit()
    yield World(store, own, other, supervisor, retired, children[0], children[1], interpreter)
    await store.close()


Action = Callable[[UnitOfWork, StaffView, ChildView], Awaitable[object]]


async def _open_their_alert(uow: UnitOfWork, staff: StaffView, child: ChildView) -> object:
    """An alert of theirs, raised in this unit (never committed), opened by its id."""
    raised = await alerts.raise_alert(uow, child, source="help_now", severity="urgent")
    view = await access.access_alert_by_id(uow, staff, raised.id)
    assert view.id == raised.id
    assert view.child.id == child.id
    return view


ACTIONS: dict[str, Action] = {
    "read notes": continuity.read_notes,
    "add note": lambda uow, s, c: continuity.add_note(uow, s, c, "n"),
    "set stage": lambda uow, s, c: continuity.set_stage(uow, s, c, Stage.COURT),
    "draft summary": lambda uow, s, c: continuity.draft_summary(uow, s, c, "story"),
    "find by reference": lambda uow, s, c: access.access_child_by_ref(uow, s, c.ref),
    "find by id": lambda uow, s, c: access.access_child_by_id(uow, s, c.id),
    # A reply to a relay of theirs whose id was never recorded: its header names them.
    "find by a reply's header": lambda uow, s, c: access.access_child_by_reply(
        uow, s, 1, f"{c.nickname} · {c.ref} · English · 10:00\nhello"
    ),
    "open an alert by id": _open_their_alert,
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize(
    ("who", "whose", "allowed"),
    [
        ("own", "mine", True),
        ("own", "theirs", False),
        ("other", "mine", False),
        ("other", "theirs", True),
        ("supervisor", "mine", True),
        ("supervisor", "theirs", True),
        ("retired", "mine", False),
        # Inside their open window on this child's conversation: still none of these.
        ("interpreter", "mine", False),
        ("interpreter", "theirs", False),
    ],
)
async def test_gate(world: World, action: str, who: str, whose: str, allowed: bool) -> None:
    staff: StaffView = getattr(world, who)
    child: ChildView = getattr(world, whose)
    async with world.store.unit() as uow:
        if allowed:
            await ACTIONS[action](uow, staff, child)
        else:
            with pytest.raises(AccessDenied) as refused:
                await ACTIONS[action](uow, staff, child)
            assert str(refused.value) == "no such young person for you"


@pytest.mark.parametrize("who", ["own", "other", "supervisor", "retired", "interpreter"])
async def test_unknown_reference_is_refused_like_another_advocates_child(
    world: World, who: str
) -> None:
    staff: StaffView = getattr(world, who)
    async with world.store.unit() as uow:
        for look_up in (
            access.access_child_by_ref(uow, staff, "ZZZZZ"),
            access.access_child_by_id(uow, staff, "0" * 26),
            access.access_child_by_reply(uow, staff, 404, "Kid · ZZZZZ · x · 10:00"),
            access.access_alert_by_id(uow, staff, "0" * 26),
        ):
            with pytest.raises(AccessDenied) as unknown:
                await look_up
            assert str(unknown.value) == "no such young person for you"


async def test_handover_rules(world: World) -> None:
    async with world.store.unit() as uow:
        with pytest.raises(AccessDenied):
            await continuity.hand_over(uow, world.other, world.mine, world.other)
        done = await continuity.hand_over(uow, world.own, world.mine, world.other)
        assert done.previous is not None
        assert done.previous.id == world.own.id
        await uow.commit()
    async with world.store.unit() as uow:
        with pytest.raises(AccessDenied):
            await continuity.read_notes(uow, world.own, done.child)
        assert await continuity.read_notes(uow, world.other, done.child) == []
        back = await continuity.hand_over(uow, world.supervisor, done.child, world.own)
        assert back.new.id == world.own.id
        await uow.commit()


async def test_reads_are_audited(world: World) -> None:
    from sqlalchemy import select

    from conversations.models import AuditEntry

    async with world.store.unit() as uow:
        await continuity.add_note(uow, world.own, world.mine, "likes football")
        notes = await continuity.read_notes(uow, world.supervisor, world.mine)
        assert "likes football" in [n.text for n in notes]
        await uow.commit()
    async with world.store.sessions() as session:
        rows = (
            await session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.subject))
        ).all()
    assert (f"staff:{world.supervisor.id}", "notes.read", world.mine.id) in rows
    assert (f"staff:{world.own.id}", "note.add", world.mine.id) in rows


@pytest.mark.parametrize("who", ["own", "other", "supervisor", "retired", "interpreter"])
@pytest.mark.parametrize("whose", ["mine", "theirs", None])
@pytest.mark.parametrize("later", [False, True])
async def test_interpreting_gate(world: World, who: str, whose: str | None, later: bool) -> None:
    """Only the interpreter, only for the child of their window, only before it ends."""
    staff: StaffView = getattr(world, who)
    child_id = getattr(world, whose).id if whose else None
    async with world.store.unit() as uow:
        if later:
            uow.now += WINDOW
        if who == "interpreter" and whose in ("mine", None) and not later:
            child, window = await access.access_child_as_interpreter(uow, staff, child_id)
            assert child.id == world.mine.id
            assert window.interpreter_id == staff.id
        else:
            with pytest.raises(AccessDenied) as refused:
                await access.access_child_as_interpreter(uow, staff, child_id)
            assert str(refused.value) == "no such young person for you"
