"""A young person's missing episodes, missing-person profile and closed case, on SQLite and
PostgreSQL: the subject access export holds theirs and no one else's, and an erasure (by a
supervisor, or by the retention sweep) leaves no row that names them and nothing that opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.exporting import render
from bot.i18n import Catalogs
from conversations import erasure, missing, retention
from conversations.closures import ENDED
from conversations.episodes import Profile
from conversations.errors import KeyDestroyedError
from conversations.models import AuditEntry, Base, MissingProfile
from conversations.people import ChildView, Role, StaffView
from conversations.store import Store
from conversations.subject_access import export_record
from tests.integration.test_erasure import (
    ADVOCATE,
    CHILD,
    OTHER_CHILD,
    SUPERVISOR,
    _child,
    _staff,
)
from tests.integration.test_store import SetClock

DAYS = 30


async def _history(store: Store, staff: StaffView, child: ChildView, words: str) -> None:
    """A profile; an episode from missing to found, safe and interviewed; an episode still
    open; and a case closed and reopened."""
    clock = store.clock
    assert isinstance(clock, SetClock)
    async with store.unit() as uow:
        await missing.set_field(uow, staff, child, "description", f"{words} coat")
        await missing.set_field(uow, staff, child, "places", f"{words} station")
        first = (await missing.open_episode(uow, staff, child)).episode
        await uow.commit()
    clock.advance(hours=1)
    async with store.unit() as uow:
        await missing.child_safe(uow, child, first.id)
        await uow.commit()
    clock.advance(hours=2)
    async with store.unit() as uow:
        await missing.found(uow, staff, child)
        await missing.found_how(uow, staff, first.id, "police")
        await uow.commit()
    clock.advance(hours=24)
    async with store.unit() as uow:
        await missing.interview(uow, staff, first.id, "declined")
        await retention.close_case(uow, staff, child, retention.Reason(ENDED, ""), DAYS)
        await uow.commit()
    clock.advance(days=2)
    async with store.unit() as uow:
        assert await retention.reopen_case(uow, staff, child)
        await missing.open_episode(uow, staff, child)
        await uow.commit()


async def test_the_export_holds_their_episodes_profile_and_closures_and_no_one_elses(
    store: Store,
) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    ana = await _child(store, advocate, CHILD)
    bea = await _child(store, advocate, OTHER_CHILD)
    await _history(store, advocate, ana, "saffron")
    await _history(store, advocate, bea, "walnut")
    async with store.unit() as uow:
        record = await export_record(uow, supervisor, ana.ref)
        await uow.commit()
    assert [e.child_id for e in record.episodes] == [ana.id, ana.id]
    assert record.profile.fields == {"description": "saffron coat", "places": "saffron station"}
    assert len(record.reopened) == 1
    body = render(Catalogs().get("en"), record)
    assert "== Missing episodes (2) ==" in body
    assert "== Missing-person profile (2) ==" in body
    for words in (
        "Found by police",
        "said they were safe at",
        "return interview declined at",
        "missing, not yet found",
        "Description: saffron coat",
        "Places they may go: saffron station",
        ", reopened on ",
    ):
        assert words in body, words
    assert "walnut" not in body
    assert bea.ref not in body
    async with store.unit(read_only=True) as uow:
        reads = await uow.session.execute(
            select(AuditEntry.action, AuditEntry.detail).where(
                AuditEntry.action.in_(("missing.read", "profile.read")),
                AuditEntry.detail.startswith("export"),
            )
        )
        assert sorted(tuple(r) for r in reads) == [
            ("missing.read", "export count=2"),
            ("profile.read", "export count=2"),
        ]


async def _rows_naming(store: Store, child_id: str) -> dict[str, int]:
    """Every table with a child's id in it, and how many of its rows name this one."""
    found = {}
    async with store.unit(read_only=True) as uow:
        for table in Base.metadata.sorted_tables:
            if "child_id" in table.c:
                query = select(func.count()).where(table.c.child_id == child_id)
                found[table.name] = (await uow.session.execute(query)).scalar_one()
    return found


@pytest.mark.parametrize("how", ["supervisor", "retention"])
async def test_an_erasure_leaves_no_episode_profile_or_closure_of_theirs(
    store: Store, how: str
) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    ana = await _child(store, advocate, CHILD)
    bea = await _child(store, advocate, OTHER_CHILD)
    await _history(store, advocate, ana, "saffron")
    await _history(store, advocate, bea, "walnut")
    async with store.unit() as uow:
        # Found again before the case closes, as staff would.
        await missing.found(uow, advocate, ana)
        row = (
            await uow.session.execute(
                select(MissingProfile).where(MissingProfile.child_id == ana.id)
            )
        ).scalar_one()
        sealed = (row.id, row.fields_sealed)
        if how == "retention":
            await retention.close_case(uow, advocate, ana, retention.Reason(ENDED, ""), DAYS)
        await uow.commit()
    assert set((await _rows_naming(store, ana.id)).values()) != {0}
    clock = store.clock
    assert isinstance(clock, SetClock)
    clock.advance(days=DAYS)
    async with store.unit() as uow:
        if how == "retention":
            (due,) = await uow.closures.due(uow.now)
            assert await retention.due_action(uow, due) == retention.ERASE
            assert await erasure.erase_expired(uow, ana.id) is not None
        else:
            assert await erasure.erase_child(uow, supervisor, ana.id) is not None
        await uow.commit()

    left = {table: n for table, n in (await _rows_naming(store, ana.id)).items() if n}
    assert left == {}
    async with store.unit(read_only=True) as uow:
        assert await uow.episodes.of(ana.id) == []
        assert await uow.episodes.current(ana.id) is None
        assert await uow.episodes.profile(ana) == Profile()
        assert await uow.closures.get(ana.id) is None
        assert await uow.closures.spans(ana.id) == []
        assert await uow.episodes.interviews_due(uow.now + timedelta(days=400)) == []
        with pytest.raises(KeyDestroyedError):
            await uow.open_json(sealed[1], "missing_profiles", "fields", sealed[0])
        # The other young person keeps all of theirs.
        assert len(await uow.episodes.of(bea.id)) == 2
        assert (await uow.episodes.profile(bea)).fields["description"] == "walnut coat"
        assert len(await uow.closures.spans(bea.id)) == 1
