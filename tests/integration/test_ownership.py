"""Who owns what, on SQLite and PostgreSQL: rewritten by hand, it refuses to load.

The attacker here can write to the database but holds no key file: they change the plain
columns that say whose a row is, then the real code reads as the advocate, the young person or
`audit verify` would.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from conversations import audit, bonds, continuity, erasure, linking, people, relay
from conversations.crypto import BlindIndex, audit_hash, audit_head_mac
from conversations.errors import AccessDenied, TamperedError
from conversations.journey import Stage
from conversations.models import AuditEntry, AuditHead, Child, Note, PendingSend, StageChange
from conversations.people import ChildView, Role, StaffView
from conversations.relay import Content
from conversations.store import Store, StoreConfig
from conversations.upgrades import MARK
from tests.integration.test_store import SetClock

ROSA, SAM, SUPERVISOR, ANA, MINH = 7345330001, 7345330002, 7345330003, 7345330101, 7345330102


async def _staff(store: Store, telegram_id: int, role: Role = Role.ADVOCATE) -> StaffView:
    async with store.unit() as uow:
        view = await people.add_staff(
            uow, telegram_id=telegram_id, name=f"S{telegram_id}", role=role
        )
        await uow.commit()
    return view


async def _child(store: Store, advocate: StaffView, telegram_id: int, note: str) -> ChildView:
    async with store.unit() as uow:
        made = await linking.create_invite(uow, advocate, "Star")
        linked = await linking.link_child(uow, telegram_id, made.code, "en")
        await relay.record_from_child(uow, linked.child, Content("text", "hello"), 1)
        await continuity.add_note(uow, advocate, linked.child, note)
        await continuity.set_stage(uow, advocate, linked.child, Stage.POLICE_INTERVIEW)
        await uow.commit()
    return linked.child


async def _raw(store: Store, sql: str, **params: object) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(text(sql), params)


async def _broken(store: Store) -> list[bonds.Broken]:
    async with store.sessions() as session:
        return await bonds.broken(session, store.index)


async def test_a_child_moved_to_another_advocate_shows_them_nothing(store: Store) -> None:
    rosa, sam = await _staff(store, ROSA), await _staff(store, SAM)
    boss = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    ana = await _child(store, rosa, ANA, "ana is scared of the man at the car wash")
    assert await _broken(store) == []

    await _raw(
        store, "UPDATE children SET advocate_id = :sam WHERE id = :ana", sam=sam.id, ana=ana.id
    )
    async with store.unit() as uow:
        # The child is left to the supervisors: neither advocate may act for them now.
        for advocate in (sam, rosa):
            with pytest.raises(AccessDenied):
                await continuity.child_for(uow, advocate, ana.ref)
        assert await people.children_of(uow, sam.id) == []
        child = await continuity.child_for(uow, boss, ana.ref)
        assert child.advocate_id is None
        readers, _ = await people.readers_of(uow, child)
        assert {r.id for r in readers} == {boss.id}
    assert await _broken(store) == [bonds.Broken("children", ana.id)]
    # Putting it back is all it takes: nothing else was harmed.
    await _raw(
        store, "UPDATE children SET advocate_id = :rosa WHERE id = :ana", rosa=rosa.id, ana=ana.id
    )
    async with store.unit() as uow:
        child = await continuity.child_for(uow, rosa, ana.ref)
        notes = await continuity.read_notes(uow, rosa, child)
    assert [n.text for n in notes] == ["ana is scared of the man at the car wash"]


async def test_an_older_copy_of_a_child_put_back_is_seen(store: Store) -> None:
    """A bond cannot tell an older copy from the current row; the audit chain can."""
    rosa, sam = await _staff(store, ROSA), await _staff(store, SAM)
    ana = await _child(store, rosa, ANA, "note")
    async with store.engine.connect() as conn:
        old_advocate, old_bond = (
            await conn.execute(
                text("SELECT advocate_id, bond FROM children WHERE id = :ana"), {"ana": ana.id}
            )
        ).one()
    async with store.unit() as uow:
        await continuity.hand_over(uow, rosa, ana, sam)
        await uow.commit()
    assert await _broken(store) == []
    await _raw(
        store,
        "UPDATE children SET advocate_id = :rosa, bond = :bond WHERE id = :ana",
        rosa=old_advocate,
        bond=old_bond,
        ana=ana.id,
    )
    assert await _broken(store) == [bonds.Broken("children", ana.id)]


async def test_one_childs_story_moved_to_another_is_refused(store: Store) -> None:
    rosa = await _staff(store, ROSA)
    ana = await _child(store, rosa, ANA, "note a")
    minh = await _child(store, rosa, MINH, "note m")
    async with store.unit() as uow:
        draft = await continuity.draft_summary(uow, rosa, ana, "ana's story so far")
        await continuity.decide_summary(uow, ana, draft, approve=True)
        await uow.commit()

    await _raw(store, "UPDATE summaries SET child_id = :minh", minh=minh.id)
    await _raw(
        store, "UPDATE notes SET child_id = :minh WHERE child_id = :ana", minh=minh.id, ana=ana.id
    )
    async with store.unit() as uow:
        with pytest.raises(TamperedError):
            await continuity.own_record(uow, minh)
    async with store.unit() as uow:
        with pytest.raises(TamperedError):
            await continuity.read_notes(uow, rosa, minh)
    assert {b.table for b in await _broken(store)} == {"summaries", "notes"}


async def test_messages_either_way_are_bonded_and_one_moved_is_refused(store: Store) -> None:
    rosa = await _staff(store, ROSA)
    ana = await _child(store, rosa, ANA, "note a")
    minh = await _child(store, rosa, MINH, "note m")
    async with store.unit() as uow:
        answer = await relay.record_to_child(uow, ana, rosa, Content("text", "see you at 3"), 7)
        await uow.commit()
    assert await _broken(store) == []
    async with store.unit() as uow:
        assert (await relay.staff_message(uow, rosa, 7)) is not None

    await _raw(
        store, "UPDATE messages SET child_id = :minh WHERE id = :id", minh=minh.id, id=answer
    )
    async with store.unit() as uow:
        with pytest.raises(TamperedError):
            await relay.staff_message(uow, rosa, 7)
    assert await _broken(store) == [bonds.Broken("messages", answer)]


async def test_an_advocate_who_makes_themselves_supervisor_is_not_one(store: Store) -> None:
    rosa, sam = await _staff(store, ROSA), await _staff(store, SAM, Role.SUPERVISOR)
    await _raw(store, "UPDATE staff SET role = 'supervisor' WHERE id = :rosa", rosa=rosa.id)
    async with store.unit() as uow:
        with pytest.raises(TamperedError):
            await people.find_staff(uow, ROSA)
    # Nor does taking over a colleague's Telegram index make anyone that colleague.
    await _raw(store, "UPDATE staff SET role = 'advocate' WHERE id = :rosa", rosa=rosa.id)
    await _raw(store, "UPDATE staff SET tg_index = 'x' WHERE id = :rosa", rosa=rosa.id)
    await _raw(
        store,
        "UPDATE staff SET tg_index = :index WHERE id = :sam",
        index=store.index.telegram(ROSA),
        sam=sam.id,
    )
    async with store.unit() as uow:
        with pytest.raises(TamperedError):
            await people.find_staff(uow, ROSA)
    assert {b.row_id for b in await _broken(store)} == {rosa.id, sam.id}


async def test_the_stage_is_sealed_and_out_of_the_log(store: Store) -> None:
    rosa = await _staff(store, ROSA)
    ana = await _child(store, rosa, ANA, "note")
    async with store.unit(read_only=True) as uow:
        child = await people.get_child(uow, ana.id)
        history = await continuity.stage_history(uow, ana)
    assert child is not None
    assert child.stage == Stage.POLICE_INTERVIEW.value
    assert [stage for stage, _ in history] == [Stage.POLICE_INTERVIEW.value]
    async with store.engine.connect() as conn:
        plain = (
            await conn.execute(
                text("SELECT stage FROM children UNION ALL SELECT stage FROM stage_changes")
            )
        ).all()
        sealed = (await conn.execute(text("SELECT stage_sealed FROM children"))).scalars().all()
        logged = (await conn.execute(text("SELECT detail FROM audit_log"))).scalars().all()
    assert plain == [(None,), (None,)]
    assert all(b"police" not in bytes(blob) for blob in sealed)
    assert not any("police" in detail for detail in logged)


async def test_erasure_blanks_every_log_entry_about_them_and_verify_still_holds(
    store: Store,
) -> None:
    rosa, boss = await _staff(store, ROSA), await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    ana = await _child(store, rosa, ANA, "note a")
    minh = await _child(store, rosa, MINH, "note m")
    async with store.unit() as uow:
        await continuity.read_notes(uow, rosa, ana)
        await relay.hold_for_choice(uow, rosa, Content("text", "for ana, not yet sent"))
        await uow.commit()

    async def about(child_id: str) -> int:
        async with store.sessions() as session:
            return int(
                (
                    await session.execute(
                        select(func.count(AuditEntry.id)).where(
                            (AuditEntry.subject == child_id)
                            | AuditEntry.actor.contains(child_id)
                            | AuditEntry.detail.contains(child_id)
                        )
                    )
                ).scalar_one()
            )

    before = await about(ana.id)
    assert before >= 4  # linked, a note, a stage, the notes read
    async with store.unit() as uow:
        await erasure.erase_child(uow, boss, ana.id)
        await uow.commit()
    assert await about(ana.id) == 0
    assert await about(minh.id) > 0
    async with store.sessions() as session:
        result = await audit.verify(session, store.index.audit_key)
        erased = (
            await session.execute(select(AuditEntry).where(AuditEntry.action == audit.ERASED))
        ).scalar_one()
        pending = (await session.execute(select(func.count(PendingSend.id)))).scalar_one()
    assert result.ok, result.problem
    assert (erased.actor, erased.subject, erased.detail) == (
        f"staff:{boss.id}",
        "",
        f"redacted={before}",
    )
    assert pending == 0, "the advocate's unsent message may have been for them"

    # Blanking any other entry by hand is seen: erasures account for every blank.
    await _raw(
        store,
        "UPDATE audit_log SET action = 'redacted', actor = '', subject = '', "
        "detail = '' WHERE subject = :minh",
        minh=minh.id,
    )
    async with store.sessions() as session:
        tampered = await audit.verify(session, store.index.audit_key)
    assert not tampered.ok
    assert "blanked" in tampered.problem


async def _make_legacy(store: Store, index_key: bytes) -> None:
    """Turn this store back into what an older version left: no bonds, the stage in plain
    text, and an audit chain linked through its fields, with no upgrade recorded."""
    await _raw(store, f"DELETE FROM audit_log WHERE action = '{MARK}'")
    for table in ("staff", "children", "invites", "messages", "notes", "stage_changes"):
        await _raw(store, f"UPDATE {table} SET bond = NULL")
    await _raw(store, "UPDATE children SET stage = 'court', stage_sealed = NULL")
    await _raw(store, "UPDATE stage_changes SET stage = 'court', stage_sealed = NULL")
    key = BlindIndex(index_key).audit_key
    async with store.sessions() as session:
        entries = (
            (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars().all()
        )
        previous = ""
        for entry in entries:
            entry.prev_hash, entry.digest = previous, None
            entry.hash = audit_hash(key, previous, audit._fields(entry))
            previous = entry.hash
        head = await session.get(AuditHead, audit.HEAD_ID)
        assert head is not None
        head.rows, head.hash = len(entries), previous
        head.mac = audit_head_mac(key, len(entries), previous)
        await session.commit()


async def test_an_older_store_is_upgraded_once_with_the_keys(config: StoreConfig) -> None:
    store = await Store.open(config, SetClock())
    try:
        rosa, boss = await _staff(store, ROSA), await _staff(store, SUPERVISOR, Role.SUPERVISOR)
        ana = await _child(store, rosa, ANA, "note a")
        await _make_legacy(store, config.index_key)
        async with store.sessions() as session:
            legacy = await audit.verify(session, store.index.audit_key)
        assert legacy.ok, "the older chain verifies as it is"
    finally:
        await store.close()

    for _ in range(2):  # a second start finds the upgrade done
        store = await Store.open(config, SetClock())
        async with store.sessions() as session:
            marks = (
                await session.execute(
                    select(func.count(AuditEntry.id)).where(AuditEntry.action == MARK)
                )
            ).scalar_one()
            linked = (
                await session.execute(
                    select(func.count(AuditEntry.id)).where(AuditEntry.digest.is_(None))
                )
            ).scalar_one()
            plain = (
                await session.execute(
                    select(func.count(Child.id)).where(Child.stage_legacy.is_not(None))
                )
            ).scalar_one()
            changes = (
                await session.execute(
                    select(func.count(StageChange.id)).where(StageChange.stage_legacy.is_not(None))
                )
            ).scalar_one()
            verified = await audit.verify(session, store.index.audit_key)
        assert (marks, linked, plain, changes) == (1, 0, 0, 0)
        assert verified.ok, verified.problem
        assert await _broken(store) == []
        if _:
            break
        await store.close()
    try:
        async with store.unit() as uow:
            child = await people.get_child(uow, ana.id)
            notes = await continuity.read_notes(uow, rosa, ana)
            assert child is not None
            assert child.stage == "court"
            assert [n.text for n in notes] == ["note a"]
            # Entries from before the upgrade can be blanked like any other.
            await erasure.erase_child(uow, boss, ana.id)
            await uow.commit()
        async with store.sessions() as session:
            assert (await audit.verify(session, store.index.audit_key)).ok
            left = (
                await session.execute(
                    select(func.count(AuditEntry.id)).where(AuditEntry.subject == ana.id)
                )
            ).scalar_one()
        assert left == 0
    finally:
        await store.close()


async def test_rows_edited_while_bonds_were_missing_are_not_bonded_twice(
    config: StoreConfig,
) -> None:
    """Once the upgrade is recorded, a bond removed by hand is never filled in again."""
    store = await Store.open(config, SetClock())
    try:
        rosa, sam = await _staff(store, ROSA), await _staff(store, SAM)
        ana = await _child(store, rosa, ANA, "note")
        await _raw(store, "UPDATE children SET bond = NULL, advocate_id = :sam", sam=sam.id)
    finally:
        await store.close()
    store = await Store.open(config, SetClock())
    try:
        assert await _broken(store) == [bonds.Broken("children", ana.id)]
        async with store.unit() as uow:
            with pytest.raises(AccessDenied):
                await continuity.child_for(uow, sam, ana.ref)
            notes = (await uow.session.execute(select(func.count(Note.id)))).scalar_one()
        assert notes == 1
    finally:
        await store.close()
