"""The erasure service on SQLite and PostgreSQL: its edges, and what a destroyed key means."""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bot import commands
from bot.settings import Settings
from conversations import alerts, continuity, erasure, interpreting, linking, people, relay
from conversations.errors import AccessDenied, ErasureBlocked, InviteUnknown, KeyDestroyedError
from conversations.models import (
    Child,
    CodeAttempt,
    DataKey,
    InterpreterWindow,
    Invite,
    Message,
    OutboxMessage,
)
from conversations.outgoing import Outgoing
from conversations.people import ChildView, Role, StaffView
from conversations.relay import Content
from conversations.store import Store, StoreConfig, make_engine
from tests.conftest import PG_URL, _plain_dsn, postgres_database
from tests.integration.test_store import SetClock

ADVOCATE, SUPERVISOR, CHILD, OTHER_CHILD = 7345228901, 7345228903, 7345228902, 7345228904


async def _staff(store: Store, telegram_id: int, role: Role) -> StaffView:
    async with store.unit() as uow:
        view = await people.add_staff(
            uow, telegram_id=telegram_id, name=f"S{telegram_id}", role=role
        )
        await uow.commit()
    return view


async def _child(store: Store, advocate: StaffView, telegram_id: int) -> ChildView:
    async with store.unit() as uow:
        made = await linking.create_invite(uow, advocate, "Star")
        linked = await linking.link_child(uow, telegram_id, made.code, "en")
        await relay.record_from_child(uow, linked.child, Content("text", "hello"), 1)
        await continuity.add_note(uow, advocate, linked.child, "a note")
        await uow.commit()
    return linked.child


async def _messages(store: Store, child_id: str) -> int:
    async with store.unit(read_only=True) as uow:
        return int(
            (
                await uow.session.execute(
                    select(func.count(Message.id)).where(Message.child_id == child_id)
                )
            ).scalar_one()
        )


async def test_erasing_twice_or_nobody_changes_nothing(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    other = await _child(store, advocate, OTHER_CHILD)

    async with store.unit() as uow:
        assert await erasure.erase_child(uow, supervisor, "0" * 26) is None
        erased = await erasure.erase_child(uow, supervisor, child.id)
        await uow.commit()
    assert erased == erasure.Erased(child.id, child.ref, advocate.id)

    async with store.unit() as uow:
        assert await erasure.erase_child(uow, supervisor, child.id) is None
        with pytest.raises(AccessDenied):
            await erasure.erasable(uow, supervisor, child.ref)
        assert await people.find_child(uow, CHILD) is None
        # The other young person is untouched and still readable.
        kept = await people.find_child(uow, OTHER_CHILD)
        assert kept == other
        assert [n.text for n in await continuity.read_notes(uow, supervisor, other)] == ["a note"]
        invite = (
            await uow.session.execute(
                select(Invite).where(Invite.advocate_id == advocate.id, Invite.child_id.is_(None))
            )
        ).scalar_one()
        assert invite.used_at is not None, "the used code still cannot link anyone"
        assert await uow.open(invite.nickname_sealed, "invites", "nickname", invite.id) == ""
    assert await _messages(store, other.id) == 1


async def test_only_an_active_supervisor_may_erase(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        with pytest.raises(AccessDenied):
            await erasure.erasable(uow, advocate, child.ref)
        with pytest.raises(AccessDenied):
            await erasure.erase_child(uow, advocate, child.id)
        with pytest.raises(AccessDenied):
            await erasure.erase_child(uow, replace(supervisor, active=False), child.id)
        assert await erasure.erasable(uow, supervisor, child.ref.lower()) == child
    assert await _messages(store, child.id) == 1


async def test_an_unresolved_alert_blocks_and_a_resolved_one_does_not(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        first = await alerts.raise_alert(uow, child, source="help_now", severity="urgent")
        second = await alerts.raise_alert(uow, child, source="message", severity="concern")
        await alerts.acknowledge(uow, supervisor, second.id)
        await uow.commit()
    async with store.unit() as uow:
        with pytest.raises(ErasureBlocked) as blocked:
            await erasure.erasable(uow, supervisor, child.ref)
        assert (blocked.value.ref, blocked.value.open_alerts) == (child.ref, 2)
        await alerts.resolve(uow, supervisor, first.id, "safe")
        with pytest.raises(ErasureBlocked) as blocked:
            await erasure.erase_child(uow, supervisor, child.id)
        assert blocked.value.open_alerts == 1, "acknowledged is not resolved"
        await alerts.resolve(uow, supervisor, second.id, "fine")
        assert await erasure.erase_child(uow, supervisor, child.id) is not None
        await uow.commit()


async def test_a_rolled_back_erasure_leaves_the_child_readable(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        assert await erasure.erase_child(uow, supervisor, child.id) is not None
        # No commit: the unit rolls back, as when a later step of the update fails.
    async with store.unit() as uow:
        assert await people.find_child(uow, CHILD) == child
        key = await uow.session.get(DataKey, child.data_key_id)
        assert key is not None
        assert key.wrapped is not None
    assert await _messages(store, child.id) == 1


async def test_leftover_ciphertext_opens_for_no_one_after_erasure(
    store: Store, config: StoreConfig
) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        row = await uow.session.get(Child, child.id)
        assert row is not None
        leftover = row.nickname_sealed
        assert await uow.open(leftover, "children", "nickname", child.id) == "Star"
        await erasure.erase_child(uow, supervisor, child.id)
        await uow.commit()
    async with store.unit() as uow:
        with pytest.raises(KeyDestroyedError):
            await uow.open(leftover, "children", "nickname", child.id)
        key = await uow.session.get(DataKey, child.data_key_id)
        assert key is not None
        assert key.wrapped is None
        assert key.destroyed_at == uow.now
    # A restarted worker, which never held the key in memory, learns from the store it is gone.
    fresh = await Store.open(config, SetClock(), migrate=False)
    try:
        async with fresh.unit() as uow:
            with pytest.raises(KeyDestroyedError):
                await uow.open(leftover, "children", "nickname", child.id)
    finally:
        await fresh.close()


async def _copies_on_disk(url: str, blob: bytes, tables: tuple[str, ...] = ("data_keys",)) -> int:
    """How many times `blob` lies in the live database files, dead rows and free space too
    (on PostgreSQL, in the pages of `tables`)."""
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        return sum(
            Path(p).read_bytes().count(blob) for p in (path, f"{path}-wal") if Path(p).exists()
        )
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            found = 0
            for table in tables:
                pages = (
                    await conn.execute(
                        text("SELECT pg_relation_size(:t) / current_setting('block_size')::int"),
                        {"t": table},
                    )
                ).scalar_one()
                for page in range(int(pages)):
                    raw = (
                        await conn.execute(
                            text("SELECT get_raw_page(:t, :page)"), {"t": table, "page": page}
                        )
                    ).scalar_one()
                    found += bytes(raw).count(blob)
            await conn.commit()
    finally:
        await engine.dispose()
    return found


async def _wrapped(store: Store, key_id: str) -> bytes:
    async with store.unit(read_only=True) as uow:
        row = await uow.session.get(DataKey, key_id)
        assert row is not None
        assert row.wrapped is not None
        return bytes(row.wrapped)


async def test_an_erased_key_leaves_no_copy_in_the_database_files(
    store: Store, config: StoreConfig
) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    wrapped = await _wrapped(store, child.data_key_id)
    assert await _copies_on_disk(config.url, wrapped) >= 1, "the probe finds it first"
    async with store.unit() as uow:
        await erasure.erase_child(uow, supervisor, child.id)
        await uow.commit()
    # The master key file opens nothing of theirs: no page, free space or WAL frame keeps it.
    assert await _copies_on_disk(config.url, wrapped) == 0


async def test_an_erasure_leaves_no_plain_trace_of_them_in_the_log_or_their_row(
    store: Store, config: StoreConfig
) -> None:
    """The log's entries about them are blanked and their row deleted: no older version of
    either keeps their id (SQLite: anywhere in the files)."""
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        await continuity.read_notes(uow, advocate, child)
        await uow.commit()
    tables = ("audit_log", "children")
    assert await _copies_on_disk(config.url, child.id.encode(), tables) >= 2
    async with store.unit() as uow:
        await erasure.erase_child(uow, supervisor, child.id)
        await uow.commit()
    assert await _copies_on_disk(config.url, child.id.encode(), tables) == 0


async def test_a_rotation_leaves_no_key_the_old_master_opens(
    config: StoreConfig, tmp_path: Path
) -> None:
    store = await Store.open(config, SetClock())
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    child = await _child(store, advocate, CHILD)
    old = [await _wrapped(store, store.system_key_id), await _wrapped(store, child.data_key_id)]
    await store.close()
    assert all([await _copies_on_disk(config.url, blob) for blob in old])
    settings = Settings.from_env(
        {
            "DATABASE_URL": config.url,
            "ALONGSIDE_DATA_DIR": str(tmp_path),
            "ALONGSIDE_MASTER_KEY": base64.b64encode(config.master_key).decode(),
            "ALONGSIDE_INDEX_KEY": base64.b64encode(config.index_key).decode(),
        }
    )
    assert await commands.keys_rotate(settings) == 0
    # What the old master key wrapped is gone from the files; only the new wrapping is there.
    assert [await _copies_on_disk(config.url, blob) for blob in old] == [0, 0]


@pytest.mark.postgres
async def test_a_rotation_beside_a_busy_server_still_leaves_no_old_key(
    tmp_path: Path,
) -> None:
    """Another database on the same server is in the middle of a write when the keys are
    rotated: VACUUM FULL's own snapshot reaches back to that transaction, so a rewrite made
    while it runs copies the superseded keys. The rotation waits for it (seen under CI load,
    where other tests write all the time)."""
    async with postgres_database() as url:
        config = StoreConfig(url, secrets.token_bytes(32), secrets.token_bytes(32))
        store = await Store.open(config, SetClock())
        advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
        child = await _child(store, advocate, CHILD)
        old = [await _wrapped(store, store.system_key_id), await _wrapped(store, child.data_key_id)]
        await store.close()
        settings = Settings.from_env(
            {
                "DATABASE_URL": url,
                "ALONGSIDE_DATA_DIR": str(tmp_path),
                "ALONGSIDE_MASTER_KEY": base64.b64encode(config.master_key).decode(),
                "ALONGSIDE_INDEX_KEY": base64.b64encode(config.index_key).decode(),
            }
        )
        elsewhere = await asyncpg.connect(_plain_dsn(PG_URL))
        try:
            writing = elsewhere.transaction()
            await writing.start()
            await elsewhere.fetchval("SELECT pg_current_xact_id()")  # it now holds an xid

            async def finish_later() -> None:
                # Longer than the second pass waits, so only waiting for it can pass.
                await asyncio.sleep(4)
                await writing.rollback()

            finishing = asyncio.create_task(finish_later())
            assert await commands.keys_rotate(settings) == 0
            await finishing
        finally:
            await elsewhere.close()
        assert [await _copies_on_disk(url, blob) for blob in old] == [0, 0]


async def test_an_erasure_leaves_no_wrong_guess_nor_link_time_of_theirs(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    for guesser in (CHILD, OTHER_CHILD):
        async with store.unit() as uow:
            with pytest.raises(InviteUnknown):
                await linking.link_child(uow, guesser, linking.new_code(), "en")
            await uow.commit()
    child = await _child(store, advocate, CHILD)
    clock = store.clock
    assert isinstance(clock, SetClock)
    clock.advance(hours=5)
    async with store.unit() as uow:
        await erasure.erase_child(uow, supervisor, child.id)
        erased_at = uow.now
        await uow.commit()
    async with store.unit(read_only=True) as uow:
        guesses = (await uow.session.execute(select(CodeAttempt.tg_index))).scalars().all()
        invite = (await uow.session.execute(select(Invite))).scalars().one()
        # Someone else's guess stays (it throttles them); theirs is gone.
        assert guesses == [uow.index.telegram(OTHER_CHILD)]
        assert (invite.child_id, invite.used_at) == (None, erased_at)


async def test_an_interpreters_open_window_goes_with_the_young_person(store: Store) -> None:
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    async with store.unit() as uow:
        interpreter = await people.add_staff(
            uow, telegram_id=7345228905, name="Selam", role=Role.INTERPRETER, languages=("en",)
        )
        asked = await interpreting.ask(uow, advocate, child, timedelta(hours=2))
        assert asked.window is not None
        await interpreting.accept(uow, interpreter, asked.window.id, timedelta(hours=2))
        await uow.commit()
    async with store.unit() as uow:
        assert await erasure.erase_child(uow, supervisor, child.id) is not None
        await uow.commit()
    async with store.unit(read_only=True) as uow:
        left = (await uow.session.execute(select(func.count(InterpreterWindow.id)))).scalar_one()
        assert left == 0
        assert await uow.windows.held_by(interpreter.id) is None


@pytest.mark.parametrize("by", ["supervisor", "retention"])
async def test_an_erasure_takes_every_queued_message_about_them(store: Store, by: str) -> None:
    """Whatever waits to be sent about them goes in the erasure's transaction: to them, to
    staff in their topic (naming them), and to staff in the chat itself (sealed under their
    key, as every notice about a young person is); what is about others, or no one, stays."""
    advocate = await _staff(store, ADVOCATE, Role.ADVOCATE)
    supervisor = await _staff(store, SUPERVISOR, Role.SUPERVISOR)
    child = await _child(store, advocate, CHILD)
    other = await _child(store, advocate, OTHER_CHILD)
    async with store.unit() as uow:
        for chat, text, about in (
            (CHILD, "to them", {"key_id": child.data_key_id, "child_id": child.id}),
            (SUPERVISOR, "in their topic", {"child_id": child.id}),
            (ADVOCATE, "Star was found", {"key_id": child.data_key_id}),
            (ADVOCATE, "Moon was found", {"key_id": other.data_key_id}),
            (ADVOCATE, "audit digest", {}),
        ):
            await uow.send(chat, Outgoing(text=text), purpose="notice", **about)
        await uow.commit()
    async with store.unit() as uow:
        if by == "supervisor":
            assert await erasure.erase_child(uow, supervisor, child.id) is not None
        else:
            assert await erasure.erase_expired(uow, child.id) is not None
        await uow.commit()
    async with store.unit(read_only=True) as uow:
        rows = (await uow.session.execute(select(OutboxMessage))).scalars().all()
        left = [
            (await uow.open_json(row.payload_sealed, "outbox", "payload", row.uid))["text"]
            for row in rows
        ]
    assert sorted(left) == ["Moon was found", "audit digest"]
