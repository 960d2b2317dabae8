"""The store on SQLite and PostgreSQL: staff rules, invites, throttling, the audit chain, keys.

Every test runs against a real database (the `database_url` fixture) with real encryption; time
is a clock the test sets, so expiry and throttling windows are exact.
"""

from __future__ import annotations

import asyncio
import gc
import os
import secrets
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection

from conversations import alerts, audit, enrolment, linking, people, relay
from conversations.crypto import Keyring, audit_hash, load_or_create_key
from conversations.errors import (
    InviteExpired,
    InviteUnknown,
    InviteUsed,
    KeyDestroyedError,
    SealError,
    Throttled,
)
from conversations.models import AuditEntry, Base, Child, CodeAttempt, DataKey, Invite
from conversations.people import Role, StaffError, StaffView
from conversations.store import Store, StoreConfig, make_engine, upgrade
from tests.conftest import PATIENCE, PG_URL, raw_session

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROSALIND, SUPERVISOR, CHILD, OTHER_CHILD = 7345128901, 7345128903, 7345128902, 7345128904
OTHER_SUPERVISOR = 7345128905


class SetClock:
    """A clock that only moves when the test moves it."""

    def __init__(self, at: datetime = START) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@dataclass
class Opened:
    config: StoreConfig
    clock: SetClock
    store: Store

    async def reopen(self) -> None:
        """A restart: a new Store (engine, keyring, caches) on the same database and keys."""
        await self.store.close()
        self.store = await Store.open(self.config, self.clock)


@pytest.fixture
async def opened(database_url: str) -> AsyncIterator[Opened]:
    config = StoreConfig(database_url, secrets.token_bytes(32), secrets.token_bytes(32))
    clock = SetClock()
    made = Opened(config, clock, await Store.open(config, clock))
    yield made
    await made.store.close()


async def _enrol(
    store: Store,
    telegram_id: int = ROSALIND,
    name: str = "Rosalind Advocate",
    role: Role = Role.ADVOCATE,
) -> StaffView:
    async with store.unit() as uow:
        view = await people.add_staff(
            uow, telegram_id=telegram_id, name=name, role=role, languages=("en", "sq")
        )
        await uow.commit()
    return view


async def _invite(store: Store, advocate: StaffView, nickname: str = "Nightingale") -> str:
    async with store.unit() as uow:
        made = await linking.create_invite(uow, advocate, nickname)
        await uow.commit()
    return made.code


async def _try(store: Store, telegram_id: int, code: str) -> linking.Linked:
    """Opening a code as the bot does: the unit commits whether or not the code worked."""
    async with store.unit() as uow:
        try:
            return await linking.link_child(uow, telegram_id, code, "en")
        finally:
            await uow.commit()


# Staff -------------------------------------------------------------------------------------


async def test_names_lose_invisible_characters_and_our_separators(opened: Opened) -> None:
    async with opened.store.unit() as uow:
        staff = await people.add_staff(
            uow,
            telegram_id=7345128998,
            role=Role.ADVOCATE,
            name="\u202eRo\u200bsa\u202c · 8QT ·\nEnglish",
        )
        await uow.commit()
    assert staff.name == "Rosa - 8QT - English"
    made = await _invite(opened.store, staff, nickname="St\u2067ar\u2069 · X2Y")
    linked = await _try(opened.store, CHILD, made)
    assert linked.child.nickname == "Star - X2Y"


async def test_staff_add_and_list(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    sam = await _enrol(opened.store, SUPERVISOR, "Sam Supervisor", Role.SUPERVISOR)
    assert rosalind.name == "Rosalind Advocate"
    assert rosalind.telegram_id == ROSALIND
    assert rosalind.languages == ("en", "sq")
    assert rosalind.role is Role.ADVOCATE
    assert sam.is_supervisor
    async with opened.store.unit() as uow:
        listed = await people.list_staff(uow)
        assert [(s.name, n) for s, n in listed] == [("Rosalind Advocate", 0), ("Sam Supervisor", 0)]
        assert await people.find_staff(uow, ROSALIND) == rosalind
        assert [s.id for s in await people.supervisors(uow)] == [sam.id]


@pytest.mark.parametrize(
    ("telegram_id", "name", "says"),
    [
        (ROSALIND, "Someone Else", "already enrolled"),
        (7345128999, "   ", "1 to 64 characters"),
        (7345128999, "x" * 65, "1 to 64 characters"),
        (0, "Zero", "positive"),
        (-5, "Negative", "positive"),
        # Two staff members must not look alike, whatever the case or the invisible characters.
        (7345128999, "ROSALIND ADVOCATE", "already called that"),
        (7345128999, "Rosa\u200blind\u202e Advocate", "already called that"),
        (7345128999, "\u200b\u2066\u2069", "1 to 64 characters"),
    ],
)
async def test_staff_add_refuses(opened: Opened, telegram_id: int, name: str, says: str) -> None:
    await _enrol(opened.store)
    async with opened.store.unit() as uow:
        with pytest.raises(StaffError, match=says):
            await people.add_staff(uow, telegram_id=telegram_id, name=name, role=Role.ADVOCATE)
        await uow.commit()
    async with opened.store.unit() as uow:
        assert len(await people.list_staff(uow)) == 1


async def test_a_childs_account_cannot_become_staff(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    await _try(opened.store, CHILD, await _invite(opened.store, rosalind))
    async with opened.store.unit() as uow:
        with pytest.raises(StaffError, match="young person"):
            await people.add_staff(uow, telegram_id=CHILD, name="Sneaky", role=Role.SUPERVISOR)


async def test_staff_remove_waits_for_their_children(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    await _enrol(opened.store, SUPERVISOR, "Sam Supervisor", Role.SUPERVISOR)
    await _enrol(opened.store, OTHER_SUPERVISOR, "Uma Supervisor", Role.SUPERVISOR)
    await _try(opened.store, CHILD, await _invite(opened.store, rosalind))
    async with opened.store.unit() as uow:
        assert ("Rosalind Advocate", 1) in [(s.name, n) for s, n in await people.list_staff(uow)]
        with pytest.raises(StaffError, match="still have 1"):
            await enrolment.remove_staff(uow, ROSALIND)
        removed = await enrolment.remove_staff(uow, SUPERVISOR)
        assert not removed.staff.active
        await uow.commit()
    async with opened.store.unit() as uow:
        assert await people.find_staff(uow, SUPERVISOR) is None
        assert await people.find_staff(uow, ROSALIND) is not None
        assert [s.name for s, _ in await people.list_staff(uow)] == [
            "Rosalind Advocate",
            "Uma Supervisor",
        ]
        with pytest.raises(StaffError, match="no active staff"):
            await enrolment.remove_staff(uow, SUPERVISOR)
        with pytest.raises(StaffError, match="last active supervisor"):
            await enrolment.remove_staff(uow, OTHER_SUPERVISOR)
        with pytest.raises(StaffError, match="no active staff"):
            await enrolment.remove_staff(uow, 7345128999)


async def test_removed_staff_can_be_enrolled_again(opened: Opened) -> None:
    first = await _enrol(opened.store, SUPERVISOR, "Sam Supervisor", Role.SUPERVISOR)
    await _enrol(opened.store, OTHER_SUPERVISOR, "Uma Supervisor", Role.SUPERVISOR)
    async with opened.store.unit() as uow:
        await enrolment.remove_staff(uow, SUPERVISOR)
        await uow.commit()
    again = await _enrol(opened.store, SUPERVISOR, "Sam Returned", Role.ADVOCATE)
    assert again.id == first.id, "one row per Telegram account"
    assert again.active
    assert again.name == "Sam Returned"
    assert again.role is Role.ADVOCATE


# Invites -----------------------------------------------------------------------------------


async def test_an_invite_links_once(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    assert len(code) == linking.CODE_LENGTH
    assert linking.looks_like_code(code)
    linked = await _try(opened.store, CHILD, code)
    assert not linked.already
    assert linked.advocate.id == rosalind.id
    assert linked.child.nickname == "Nightingale"
    assert linked.child.telegram_id == CHILD
    assert linked.child.advocate_id == rosalind.id
    with pytest.raises(InviteUsed):
        await _try(opened.store, OTHER_CHILD, code)
    async with opened.store.unit() as uow:
        assert await people.find_child(uow, OTHER_CHILD) is None
        assert [c.id for c in await people.children_of(uow, rosalind.id)] == [linked.child.id]
        row = (await uow.session.execute(select(Invite))).scalar_one()
        assert row.used_at == START
        assert row.child_id == linked.child.id


async def test_opening_your_own_code_again_is_not_a_wrong_guess(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    first = await _try(opened.store, CHILD, code)
    for _ in range(linking.USER_LIMIT + 1):
        again = await _try(opened.store, CHILD, code)
        assert again.already
        assert again.child.id == first.child.id
        assert again.advocate.id == rosalind.id
    async with opened.store.unit() as uow:
        assert await linking.throttled_until(uow, CHILD) is None


async def test_a_linked_child_opening_another_code_stays_with_their_advocate(
    opened: Opened,
) -> None:
    rosalind = await _enrol(opened.store)
    other = await _enrol(opened.store, 7345128905, "Other Advocate")
    first = await _try(opened.store, CHILD, await _invite(opened.store, rosalind))
    second_code = await _invite(opened.store, other, "Someone else")
    again = await _try(opened.store, CHILD, second_code)
    assert again.already
    assert again.advocate.id == rosalind.id
    assert again.child.nickname == first.child.nickname
    # The code is kept for the child it was meant for.
    assert not (await _try(opened.store, OTHER_CHILD, second_code)).already


async def test_the_same_code_used_at_once_links_one_child(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    first = opened.store.unit()
    await first.__aenter__()
    try:
        await linking.link_child(first, CHILD, code, "en")

        async def second() -> linking.Linked:
            return await _try(opened.store, OTHER_CHILD, code)

        racing = asyncio.create_task(second())
        # Let the second attempt get as far as it can while the first is uncommitted.
        await asyncio.sleep(0.5)
        await first.commit()
    finally:
        await first.__aexit__(None, None, None)
    with pytest.raises(InviteUsed):
        await racing
    async with opened.store.unit() as uow:
        assert (await uow.session.execute(select(func.count(Child.id)))).scalar_one() == 1


async def test_listing_children_after_a_restart_unwraps_their_keys_in_one_query(
    opened: Opened,
) -> None:
    rosalind = await _enrol(opened.store)
    names = [f"Kid {i}" for i in range(6)]
    for i, name in enumerate(names):
        await _try(opened.store, 7_000_000_000 + i, await _invite(opened.store, rosalind, name))
    await opened.reopen()
    key_queries: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "FROM data_keys" in statement:
            key_queries.append(statement)

    sync = opened.store.engine.sync_engine
    event.listen(sync, "before_cursor_execute", count)
    try:
        async with opened.store.unit() as uow:
            listed = await people.children_of(uow, rosalind.id)
        async with opened.store.unit() as uow:
            again = await people.children_of(uow, rosalind.id)
    finally:
        event.remove(sync, "before_cursor_execute", count)
    assert [c.nickname for c in listed] == names
    assert [c.telegram_id for c in again] == [7_000_000_000 + i for i in range(6)]
    assert len(key_queries) == 1, key_queries


async def test_a_row_read_once_in_a_unit_is_not_read_again(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    await _try(opened.store, 7_100_000_000, await _invite(opened.store, rosalind, "Kid"))
    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().startswith("SELECT") and "FROM children" in statement:
            reads.append(statement)

    sync = opened.store.engine.sync_engine
    event.listen(sync, "before_cursor_execute", count)
    try:
        async with opened.store.unit() as uow:
            found = await people.find_child(uow, 7_100_000_000)
            assert found is not None
            gc.collect()
            again = await people.get_child(uow, found.id)
    finally:
        event.remove(sync, "before_cursor_execute", count)
    assert again == found
    assert len(reads) == 1, reads


async def test_who_wrote_is_one_read_with_the_advocate_their_message_goes_to(
    opened: Opened,
) -> None:
    rosalind = await _enrol(opened.store)
    await _enrol(opened.store, SUPERVISOR, "Sam Supervisor", Role.SUPERVISOR)
    await _enrol(opened.store, OTHER_SUPERVISOR, "Uma Supervisor", Role.SUPERVISOR)
    await _try(opened.store, CHILD, await _invite(opened.store, rosalind))
    async with opened.store.unit() as uow:
        await enrolment.remove_staff(uow, OTHER_SUPERVISOR)
        await uow.commit()
    reads: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().startswith("SELECT"):
            reads.append(statement)

    sync = opened.store.engine.sync_engine
    event.listen(sync, "before_cursor_execute", count)
    try:
        for telegram_id in (ROSALIND, SUPERVISOR, CHILD, OTHER_SUPERVISOR, OTHER_CHILD):
            async with opened.store.unit() as uow:
                found = await people.find_sender(uow, telegram_id)
                staff = await people.find_staff(uow, telegram_id)
                child = await people.find_child(uow, telegram_id)
                assert found == (staff or child), telegram_id
        reads.clear()
        async with opened.store.unit() as uow:
            child = await people.find_sender(uow, CHILD)
            assert isinstance(child, people.ChildView)
            readers, away = await people.readers_of(uow, child)
    finally:
        event.remove(sync, "before_cursor_execute", count)
    assert [r.id for r in readers] == [rosalind.id]
    assert away is None
    assert len(reads) == 1, reads


async def test_an_alert_opens_with_the_messages_either_side(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    child = (await _try(opened.store, 7_200_000_000, await _invite(opened.store, rosalind))).child
    ids: list[str] = []
    for i in range(12):
        opened.clock.advance(minutes=1)
        async with opened.store.unit() as uow:
            ids.append(
                await relay.record_from_child(uow, child, relay.Content("text", f"m{i}"), 100 + i)
            )
            await uow.commit()
    async with opened.store.unit() as uow:
        flagged = await alerts.raise_alert(
            uow, child, source="message", severity="concern", message_id=ids[6]
        )
        around = await alerts.messages_around(uow, flagged)
    # An alert of no message (a check-in), raised between the third and the fourth message.
    opened.clock.at = START + timedelta(minutes=3, seconds=30)
    async with opened.store.unit() as uow:
        silent = await alerts.raise_alert(uow, child, source="check_in", severity="concern")
        quiet = await alerts.messages_around(uow, silent)
    assert [body["text"] for _, body in around] == [f"m{i}" for i in range(1, 12)]
    assert [body["text"] for _, body in quiet] == [f"m{i}" for i in range(0, 8)]


async def test_an_expired_invite_does_not_link(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    opened.clock.advance(hours=72)
    with pytest.raises(InviteExpired):
        await _try(opened.store, CHILD, code)
    async with opened.store.unit() as uow:
        assert await people.find_child(uow, CHILD) is None


async def test_an_invite_works_until_it_expires(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    opened.clock.advance(hours=72, seconds=-1)
    assert not (await _try(opened.store, CHILD, code)).already


async def test_an_invite_from_removed_staff_does_not_link(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    async with opened.store.unit() as uow:
        await enrolment.remove_staff(uow, ROSALIND)
        await uow.commit()
    with pytest.raises(InviteExpired):
        await _try(opened.store, CHILD, code)


async def test_an_unknown_code_does_not_link_and_is_counted(opened: Opened) -> None:
    await _enrol(opened.store)
    with pytest.raises(InviteUnknown):
        await _try(opened.store, CHILD, linking.new_code())
    async with opened.store.unit() as uow:
        assert await people.find_child(uow, CHILD) is None
        attempts = (await uow.session.execute(select(CodeAttempt))).scalars().all()
        assert len(attempts) == 1
        assert attempts[0].tg_index == uow.index.telegram(CHILD)
        assert attempts[0].at == START


async def test_codes_are_stored_only_as_a_keyed_hash(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    code = await _invite(opened.store, rosalind)
    async with opened.store.unit() as uow:
        row = (await uow.session.execute(select(Invite))).scalar_one()
        assert row.code_index == uow.index.code(code)
        assert code not in row.code_index
        assert b"Nightingale" not in row.nickname_sealed


# Throttling --------------------------------------------------------------------------------


async def test_wrong_codes_are_throttled_per_user_across_a_restart(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    good = await _invite(opened.store, rosalind)
    for _ in range(linking.USER_LIMIT):
        with pytest.raises(InviteUnknown):
            await _try(opened.store, CHILD, linking.new_code())
        opened.clock.advance(minutes=1)
    # Five wrong codes at 09:00..09:04; now 09:05: a sixth wrong guess waits.
    with pytest.raises(Throttled) as first:
        await _try(opened.store, CHILD, linking.new_code())
    assert first.value.until == START + linking.USER_WINDOW
    # Someone else is not held back by this child's guesses.
    with pytest.raises(InviteUnknown):
        await _try(opened.store, OTHER_CHILD, linking.new_code())

    await opened.reopen()
    opened.clock.at = START + linking.USER_WINDOW - timedelta(seconds=1)
    with pytest.raises(Throttled) as still:
        await _try(opened.store, CHILD, linking.new_code())
    assert still.value.until == START + linking.USER_WINDOW, "being refused does not extend it"
    # Only wrong guesses are slowed: the right code works at once.
    linked = await _try(opened.store, CHILD, good)
    assert linked.advocate.id == rosalind.id


async def test_throttled_until_is_when_the_oldest_guess_ages_out(opened: Opened) -> None:
    await _enrol(opened.store)
    for minutes in (0, 1, 7, 8, 9):
        opened.clock.at = START + timedelta(minutes=minutes)
        with pytest.raises(InviteUnknown):
            await _try(opened.store, CHILD, linking.new_code())
    opened.clock.at = START + timedelta(minutes=9, seconds=30)
    with pytest.raises(Throttled) as refused:
        await _try(opened.store, CHILD, linking.new_code())
    assert refused.value.until == START + timedelta(minutes=10)
    # At 10:00 the 09:00 guess has aged out: one more try is allowed, and counted.
    opened.clock.at = START + timedelta(minutes=10)
    with pytest.raises(InviteUnknown):
        await _try(opened.store, CHILD, linking.new_code())
    with pytest.raises(Throttled) as again:
        await _try(opened.store, CHILD, linking.new_code())
    assert again.value.until == START + timedelta(minutes=11)


async def test_used_and_expired_codes_count_as_wrong(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    used = await _invite(opened.store, rosalind)
    await _try(opened.store, CHILD, used)
    expired = await _invite(opened.store, rosalind)
    opened.clock.advance(hours=73)
    for _ in range(3):
        with pytest.raises(InviteUsed):
            await _try(opened.store, OTHER_CHILD, used)
    for _ in range(2):
        with pytest.raises(InviteExpired):
            await _try(opened.store, OTHER_CHILD, expired)
    with pytest.raises(Throttled):
        await _try(opened.store, OTHER_CHILD, used)


async def test_wrong_codes_from_everyone_are_throttled_globally(opened: Opened) -> None:
    rosalind = await _enrol(opened.store)
    good = await _invite(opened.store, rosalind)
    async with opened.store.unit() as uow:
        # Many people, each under their own limit: together they reach the global one.
        for n in range(linking.GLOBAL_LIMIT):
            with pytest.raises(InviteUnknown):
                await linking.link_child(uow, 7345200000 + n, linking.new_code(), "en")
        await uow.commit()
    with pytest.raises(Throttled) as refused:
        await _try(opened.store, CHILD, linking.new_code())
    assert START < refused.value.until <= START + linking.GLOBAL_WINDOW
    await opened.reopen()
    with pytest.raises(Throttled):
        await _try(opened.store, CHILD, linking.new_code())
    async with opened.store.unit() as uow:
        attempts = await uow.session.scalar(select(func.count()).select_from(CodeAttempt))
    assert attempts == linking.GLOBAL_LIMIT, "a refused guess is not stored"
    # Only wrong guesses are slowed: a young person with a real code is linked at once.
    assert (await _try(opened.store, CHILD, good)).advocate.id == rosalind.id
    opened.clock.advance(minutes=1)
    with pytest.raises(InviteUnknown):
        await _try(opened.store, OTHER_CHILD, linking.new_code())


# The audit chain ---------------------------------------------------------------------------


async def _busy_history(opened: Opened) -> int:
    """Several audited actions; returns how many audit rows they wrote."""
    rosalind = await _enrol(opened.store)
    await _enrol(opened.store, SUPERVISOR, "Sam Supervisor", Role.SUPERVISOR)
    await _enrol(opened.store, OTHER_SUPERVISOR, "Uma Supervisor", Role.SUPERVISOR)
    await _try(opened.store, CHILD, await _invite(opened.store, rosalind))
    with pytest.raises(InviteUnknown):
        await _try(opened.store, OTHER_CHILD, linking.new_code())
    async with opened.store.unit() as uow:
        await enrolment.remove_staff(uow, SUPERVISOR)
        await uow.commit()
    async with opened.store.sessions() as session:
        return await audit.count(session)


async def _verify(opened: Opened) -> audit.Verification:
    async with opened.store.sessions() as session:
        return await audit.verify(session, opened.store.index.audit_key)


async def _audit_ids(opened: Opened) -> list[int]:
    async with opened.store.sessions() as session:
        return list(
            (await session.execute(select(AuditEntry.id).order_by(AuditEntry.id))).scalars()
        )


async def test_the_audit_chain_verifies(opened: Opened) -> None:
    rows = await _busy_history(opened)
    assert rows >= 6
    result = await _verify(opened)
    assert result == audit.Verification(True, rows)
    async with opened.store.sessions() as session:
        actions = list(
            (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars()
        )
    assert actions == [
        "store.upgrade",
        "staff.add",
        "staff.add",
        "staff.add",
        "invite.create",
        "child.link",
        "invite.wrong_code",
        "staff.remove",
    ]
    # A restart reads the same chain with the same key.
    await opened.reopen()
    assert (await _verify(opened)).ok


async def test_several_entries_in_one_unit_chain_like_single_ones(opened: Opened) -> None:
    async with opened.store.unit() as uow:
        for i in range(3):
            await uow.audit("system", "test.many", "", f"n={i}")
        await uow.commit()
        # The same unit after its commit starts again from what is in the database.
        await uow.audit("system", "test.after_commit")
        await uow.commit()
    async with opened.store.unit() as uow:
        await uow.audit("system", "test.single")
        await uow.commit()
    # Five, after the one a new store starts with: its upgrade, recorded.
    assert await _verify(opened) == audit.Verification(True, 6)


async def test_the_audit_chain_verifies_whatever_zone_the_clock_reports(opened: Opened) -> None:
    opened.clock.at = START.astimezone(timezone(timedelta(hours=-5)))
    rows = await _busy_history(opened)
    assert await _verify(opened) == audit.Verification(True, rows)


async def test_the_audit_chain_verifies_in_small_batches(opened: Opened) -> None:
    rows = await _busy_history(opened)
    async with opened.store.sessions() as session:
        assert await audit.verify(
            session, opened.store.index.audit_key, batch=2
        ) == audit.Verification(True, rows)


@pytest.mark.parametrize("column", ["detail", "actor", "action", "subject"])
async def test_an_edited_audit_row_breaks_the_chain(opened: Opened, column: str) -> None:
    await _busy_history(opened)
    ids = await _audit_ids(opened)
    target = ids[2]
    async with opened.store.sessions() as session:
        await session.execute(
            text(f"UPDATE audit_log SET {column} = 'tampered' WHERE id = :id"), {"id": target}
        )
        await session.commit()
    assert await _verify(opened) == audit.Verification(False, 2, target)


async def test_a_moved_timestamp_breaks_the_chain(opened: Opened) -> None:
    await _busy_history(opened)
    ids = await _audit_ids(opened)
    async with opened.store.sessions() as session:
        row = await session.get(AuditEntry, ids[3])
        assert row is not None
        row.at = row.at - timedelta(days=1)
        await session.commit()
    assert await _verify(opened) == audit.Verification(False, 3, ids[3])


async def test_a_deleted_audit_row_breaks_the_chain(opened: Opened) -> None:
    await _busy_history(opened)
    ids = await _audit_ids(opened)
    async with opened.store.sessions() as session:
        await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
        await session.commit()
    assert await _verify(opened) == audit.Verification(False, 1, ids[2])


async def test_deleting_the_newest_audit_entries_shows(opened: Opened) -> None:
    rows = await _busy_history(opened)
    ids = await _audit_ids(opened)
    async with opened.store.sessions() as session:
        await session.execute(text("DELETE FROM audit_log WHERE id >= :id"), {"id": ids[-2]})
        await session.commit()
    result = await _verify(opened)
    assert not result.ok
    assert result.rows == rows - 2
    assert result.problem == f"the head says {rows} entries; the newest were removed"


async def test_moving_the_head_back_without_the_key_shows(opened: Opened) -> None:
    await _busy_history(opened)
    ids = await _audit_ids(opened)
    async with opened.store.sessions() as session:
        last = (
            await session.execute(select(AuditEntry.hash).where(AuditEntry.id == ids[-2]))
        ).scalar_one()
        await session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[-1]})
        await session.execute(
            text("UPDATE audit_head SET rows = rows - 1, hash = :hash"), {"hash": last}
        )
        await session.commit()
    result = await _verify(opened)
    assert (result.ok, result.problem) == (False, "the head row was changed")


async def test_a_deleted_head_row_shows_and_does_not_stop_the_work(opened: Opened) -> None:
    rows = await _busy_history(opened)
    async with opened.store.sessions() as session:
        await session.execute(text("DELETE FROM audit_head"))
        await session.commit()
    await _enrol(opened.store, SUPERVISOR + 100, "Another Supervisor", Role.SUPERVISOR)
    result = await _verify(opened)
    assert (result.ok, result.rows, result.problem) == (False, rows + 1, "the head row is missing")


async def test_an_emptied_head_is_anchored_with_an_entry_that_says_so(opened: Opened) -> None:
    # As a store upgraded from before the head existed: entries, and a head not anchored.
    rows = await _busy_history(opened)
    async with opened.store.sessions() as session:
        await session.execute(text("UPDATE audit_head SET rows = NULL, hash = NULL, mac = NULL"))
        await session.commit()
    result = await _verify(opened)
    assert (result.ok, result.problem) == (False, "not anchored yet")
    await _enrol(opened.store, SUPERVISOR + 100, "Another Supervisor", Role.SUPERVISOR)
    result = await _verify(opened)
    assert result == audit.Verification(True, rows + 2)
    async with opened.store.sessions() as session:
        anchors = (
            (
                await session.execute(
                    select(AuditEntry.detail).where(AuditEntry.action == "audit.anchor")
                )
            )
            .scalars()
            .all()
        )
    assert anchors == [f"anchored at {rows} entries"]


async def test_a_new_store_verifies_with_only_its_upgrade_recorded(opened: Opened) -> None:
    assert await _verify(opened) == audit.Verification(True, 1)
    await opened.reopen()
    assert await _verify(opened) == audit.Verification(True, 1)


async def test_a_chain_rehashed_without_the_key_does_not_verify(opened: Opened) -> None:
    await _busy_history(opened)
    # Someone with the database but not the index key rewrites history and rehashes it.
    forged_key = secrets.token_bytes(32)
    async with opened.store.sessions() as session:
        entries = (await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars()
        previous = ""
        for entry in entries:
            if entry.action == "staff.remove":
                entry.detail = "nothing happened"
            entry.prev_hash = previous
            fields = {
                "at": entry.at.isoformat(),
                "actor": entry.actor,
                "action": entry.action,
                "subject": entry.subject,
                "detail": entry.detail,
            }
            entry.hash = audit_hash(forged_key, previous, fields)
            previous = entry.hash
        await session.commit()
    result = await _verify(opened)
    assert not result.ok
    assert result.rows == 0


async def test_concurrent_writers_keep_one_chain(opened: Opened) -> None:
    async def enrol(n: int) -> None:
        async with opened.store.unit() as uow:
            await people.add_staff(
                uow, telegram_id=7345300000 + n, name=f"Staff {n}", role=Role.ADVOCATE
            )
            await uow.commit()

    await asyncio.gather(*(enrol(n) for n in range(12)))
    assert await _verify(opened) == audit.Verification(True, 1 + 12)


# Keys --------------------------------------------------------------------------------------


def _cli(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_"))
    }
    environ["ALONGSIDE_DATA_DIR"] = str(data)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=environ,
        text=True,
        capture_output=True,
        timeout=60 * PATIENCE,
        check=False,
        cwd=data.parent,
    )


def _config(data: Path) -> StoreConfig:
    return StoreConfig(
        f"sqlite+aiosqlite:///{(data / 'alongside.db').resolve()}",
        load_or_create_key(None, data / "master.key", "ALONGSIDE_MASTER_KEY"),
        load_or_create_key(None, data / "index.key", "ALONGSIDE_INDEX_KEY"),
    )


async def test_keys_rotate_keeps_data_readable_and_retires_the_old_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    before = _config(data)
    store = await Store.open(before)
    try:
        rosalind = await _enrol(store)
        linked = await _try(store, CHILD, await _invite(store, rosalind))
    finally:
        await store.close()

    rotated = _cli(data, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    after = _config(data)
    assert after.master_key != before.master_key
    assert after.index_key == before.index_key, "the index key is not rotated with the master"

    store = await Store.open(after)
    try:
        async with store.unit() as uow:
            assert (await people.find_staff(uow, ROSALIND)) == rosalind
            child = await people.find_child(uow, CHILD)
            assert child is not None
            assert child.nickname == "Nightingale"
            assert child.id == linked.child.id
            masters = set((await uow.session.execute(select(DataKey.master_id))).scalars())
            assert masters == {store.keyring.master_id}
    finally:
        await store.close()

    # The old master key no longer unwraps any data key.
    async with raw_session(before.url) as session:
        rows = (await session.execute(select(DataKey))).scalars().all()
    assert len(rows) == 2
    for row in rows:
        assert row.wrapped is not None
        with pytest.raises(SealError):
            Keyring(before.master_key).unwrap(row.id, row.wrapped)
        Keyring(after.master_key).unwrap(row.id, row.wrapped)
    verified = _cli(data, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout


async def test_a_destroyed_child_key_stays_destroyed_through_a_rotation(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = await Store.open(_config(data))
    try:
        rosalind = await _enrol(store)
        linked = await _try(store, CHILD, await _invite(store, rosalind))
        async with store.sessions() as session:
            # Crypto-shredding: the child's data key goes; their rows stay, unreadable.
            await session.execute(
                text("UPDATE data_keys SET wrapped = NULL WHERE id = :id"),
                {"id": linked.child.data_key_id},
            )
            await session.commit()
    finally:
        await store.close()
    assert _cli(data, "keys", "rotate").returncode == 0
    store = await Store.open(_config(data))
    try:
        async with store.unit() as uow:
            assert (await people.find_staff(uow, ROSALIND)) is not None
            with pytest.raises(KeyDestroyedError):
                await people.find_child(uow, CHILD)
            wrapped = await uow.session.get(DataKey, linked.child.data_key_id)
            assert wrapped is not None
            assert wrapped.wrapped is None
    finally:
        await store.close()


async def _connections_to(database_url: str, path: Path) -> int:
    """Connections this process holds to the database: file handles, or server sessions."""
    if database_url.startswith("sqlite"):
        fds = Path("/proc/self/fd")
        return sum(
            1
            for fd in fds.iterdir()
            if os.path.realpath(fd) in {str(path), f"{path}-wal", f"{path}-shm"}
        )
    async with raw_session(PG_URL) as session:
        return int(
            (
                await session.execute(
                    text("SELECT count(*) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": database_url.rsplit("/", 1)[1]},
                )
            ).scalar_one()
        )


async def test_a_store_that_cannot_open_lets_go_of_the_database(
    database_url: str, tmp_path: Path
) -> None:
    index_key = secrets.token_bytes(32)
    store = await Store.open(StoreConfig(database_url, secrets.token_bytes(32), index_key))
    await store.close()
    path = (tmp_path / "alongside.db").resolve()
    assert await _connections_to(database_url, path) == 0
    with pytest.raises(SealError) as refused:
        await Store.open(StoreConfig(database_url, secrets.token_bytes(32), index_key))
    left = await _connections_to(database_url, path)
    # Whatever was left is collected here, so its complaints belong to this test and no other.
    del refused
    gc.collect()
    # A refused start (wrong master key) must not leave a connection open behind it.
    assert left == 0


# Migrations ----------------------------------------------------------------------------------


async def test_the_migrations_build_the_tables_the_models_describe(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await upgrade(engine)

        def differences(conn: Connection) -> list[object]:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as conn:
            assert await conn.run_sync(differences) == []
    finally:
        await engine.dispose()
