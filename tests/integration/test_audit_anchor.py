"""The audit chain's end anchored outside the database, and the daily digest's once-a-day claim.

Each manipulation here is one the chain and its head alone let pass (`audit.verify` says so
first); the anchor file is what catches it. Real stores on SQLite and PostgreSQL, a clock the
test sets, and the `alongside` script for what an operator reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.app import open_store
from bot.settings import Settings
from conversations import anchor, audit
from conversations.anchor import Anchor, AnchorCheck
from conversations.models import AuditEntry, AuditHead
from conversations.store import Store, StoreConfig
from tests.conftest import PATIENCE

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCRIPT = Path(sys.executable).with_name("alongside")


class SetClock:
    def __init__(self) -> None:
        self.at = START

    def now(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


@dataclass
class Anchored:
    store: Store
    clock: SetClock
    path: Path
    config: StoreConfig | None = None


@contextlib.asynccontextmanager
async def _anchored(url: str, tmp_path: Path) -> AsyncIterator[Anchored]:
    config = StoreConfig(url, secrets.token_bytes(32), secrets.token_bytes(32))
    clock = SetClock()
    store = await Store.open(config, clock)
    path = tmp_path / "anchor" / anchor.ANCHOR_FILE
    store.anchor = Anchor(path, store.index.audit_key)
    try:
        yield Anchored(store, clock, path, config)
    finally:
        await store.close()


@pytest.fixture
async def anchored(database_url: str, tmp_path: Path) -> AsyncIterator[Anchored]:
    async with _anchored(database_url, tmp_path) as made:
        yield made


@pytest.fixture
async def on_sqlite(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Anchored]:
    """For what concerns the file alone: the same on either database."""
    async with _anchored(sqlite_url, tmp_path) as made:
        yield made


async def _act(made: Anchored, times: int = 1) -> None:
    """Audited actions, one unit each, a minute apart."""
    for n in range(times):
        made.clock.advance(minutes=1)
        async with made.store.unit() as uow:
            await uow.audit("system", "test.action", "", f"n={n}")
            await uow.commit()


async def _chain_alone(made: Anchored) -> audit.Verification:
    async with made.store.sessions() as session:
        return await audit.verify(session, made.store.index.audit_key)


async def _with_anchor(made: Anchored) -> AnchorCheck:
    async with made.store.sessions() as session:
        return await anchor.check(session, made.store.index.audit_key, made.path)


async def _sql(made: Anchored, *statements: tuple[str, dict[str, object]]) -> None:
    async with made.store.sessions() as session:
        for statement, values in statements:
            await session.execute(text(statement), values)
        await session.commit()


async def _ids(made: Anchored) -> list[int]:
    async with made.store.sessions() as session:
        return list(
            (await session.execute(select(AuditEntry.id).order_by(AuditEntry.id))).scalars()
        )


async def test_each_audited_commit_appends_one_private_keyed_line(anchored: Anchored) -> None:
    await _act(anchored, 3)
    async with anchored.store.unit() as uow:
        await uow.audit("system", "test.one")
        await uow.audit("system", "test.two")
        await uow.commit()
    async with anchored.store.unit() as uow:  # nothing audited: no line
        await uow.commit()
    lines = anchored.path.read_text().splitlines()
    assert len(lines) == 4
    assert stat.S_IMODE(anchored.path.stat().st_mode) == 0o600
    async with anchored.store.sessions() as session:
        rows = await audit.count(session)
    count, last, at, mac = lines[-1].split(" ")
    assert (int(count), at) == (rows, "2026-03-02T09:03:00Z")
    assert last == (await _chain_alone(anchored)).head
    assert len(mac) == 64
    assert await _with_anchor(anchored) == AnchorCheck(True, rows)


async def test_removing_the_newest_entries_and_emptying_the_head_is_caught(
    anchored: Anchored,
) -> None:
    await _act(anchored, 6)
    rows = (await _chain_alone(anchored)).rows
    ids = await _ids(anchored)
    await _sql(
        anchored,
        ("DELETE FROM audit_log WHERE id >= :id", {"id": ids[-3]}),
        ("UPDATE audit_head SET rows = NULL, hash = NULL, mac = NULL", {}),
    )
    await _act(anchored)  # re-anchors the head: `audit.anchor`, then the action
    chain = await _chain_alone(anchored)
    assert chain == audit.Verification(True, rows - 1), "the chain and its head alone pass"
    found = await _with_anchor(anchored)
    assert (found.ok, found.rows) == (False, rows)
    assert found.problem.startswith(f"the anchor says {rows} entries ending in ")
    assert found.problem.endswith(f"…; the database chain has {rows - 1}")

    # Later actions grow the chain past the old length again, but not with the old hashes:
    # every line is held to the chain, and the first place they part is named.
    await _act(anchored, 3)
    assert (await _chain_alone(anchored)).ok
    found = await _with_anchor(anchored)
    assert not found.ok
    assert found.problem.startswith(f"the anchor says {rows - 2} entries ending in ")
    assert found.problem.endswith(
        f"the database chain has {rows + 2}, whose entry {rows - 2} is another"
    )


async def test_an_older_head_put_back_is_caught(anchored: Anchored) -> None:
    await _act(anchored, 3)
    async with anchored.store.sessions() as session:
        head = await session.get(AuditHead, audit.HEAD_ID)
        assert head is not None
        saved = {"rows": head.rows, "hash": head.hash, "mac": head.mac}
    await _act(anchored, 2)
    ids = await _ids(anchored)
    await _sql(
        anchored,
        ("DELETE FROM audit_log WHERE id > :id", {"id": ids[int(saved["rows"]) - 1]}),
        ("UPDATE audit_head SET rows = :rows, hash = :hash, mac = :mac", saved),
    )
    assert await _chain_alone(anchored) == audit.Verification(True, int(saved["rows"]))
    found = await _with_anchor(anchored)
    assert not found.ok
    assert found.problem.endswith(f"the database chain has {saved['rows']}")


@pytest.mark.parametrize("edit", ["count", "hash", "forged", "blank"])
async def test_an_edited_anchor_line_is_caught(on_sqlite: Anchored, edit: str) -> None:
    await _act(on_sqlite, 3)
    lines = on_sqlite.path.read_text().splitlines()
    count, last, at, mac = lines[1].split(" ")
    if edit == "count":
        lines[1] = f"{int(count) - 1} {last} {at} {mac}"
    elif edit == "hash":
        lines[1] = f"{count} {'0' * 64} {at} {mac}"
    elif edit == "forged":
        # Well formed, keyed with a key that is not the index key.
        Anchor(on_sqlite.path, secrets.token_bytes(32)).record(1, last, START)
        lines = on_sqlite.path.read_text().splitlines()
    else:
        lines[1] = ""
    on_sqlite.path.write_text("\n".join(lines) + "\n")
    found = await _with_anchor(on_sqlite)
    line = 4 if edit == "forged" else 2
    assert (found.ok, found.problem) == (False, f"the anchor file was edited (line {line})")


async def test_lines_out_of_order_and_a_torn_last_line_pass(on_sqlite: Anchored) -> None:
    await _act(on_sqlite, 4)
    lines = on_sqlite.path.read_bytes().splitlines(keepends=True)
    # Several workers append as they commit; a crash may cut the last line short.
    on_sqlite.path.write_bytes(b"".join(reversed(lines)) + lines[-1][:30])
    rows = (await _chain_alone(on_sqlite)).rows
    assert await _with_anchor(on_sqlite) == AnchorCheck(True, rows, torn=True)


async def test_a_missing_anchor_file_says_so(on_sqlite: Anchored) -> None:
    await _act(on_sqlite)
    on_sqlite.path.unlink()
    assert await _with_anchor(on_sqlite) == AnchorCheck(True, missing=True)


async def test_an_anchor_that_cannot_be_written_does_not_undo_the_commit(
    on_sqlite: Anchored, caplog: pytest.LogCaptureFixture
) -> None:
    on_sqlite.path.mkdir(parents=True)  # a directory where the file should be
    await _act(on_sqlite)
    assert (await _chain_alone(on_sqlite)).ok
    assert "audit.anchor_failed" in [r.msg for r in caplog.records]


# The daily digest's claim ------------------------------------------------------------------


async def test_one_digest_a_day_however_many_workers_ask(anchored: Anchored) -> None:
    await _act(anchored, 2)
    postgres = not anchored.store.is_sqlite
    # A second worker: its own store on PostgreSQL; on SQLite the bot is one process.
    assert anchored.config is not None
    other = await Store.open(anchored.config, anchored.clock) if postgres else anchored.store
    try:
        async with anchored.store.sessions() as session:
            first_due = await anchor.next_digest(session)
            first = (
                await session.execute(select(AuditEntry.at).order_by(AuditEntry.id).limit(1))
            ).scalar_one()
        assert first_due == first + timedelta(days=1), "a day after the chain's first entry"

        async def claim(store: Store) -> anchor.ChainEnd | None:
            async with store.unit() as uow:
                end = await anchor.claim_digest(uow)
                if end is not None:
                    await uow.commit()
                return end

        anchored.clock.advance(hours=25)
        results = await asyncio.gather(*(claim(s) for s in (anchored.store, other) * 3))
        claimed = [r for r in results if r is not None]
        assert len(claimed) == 1
        chain = await _chain_alone(anchored)
        assert chain.ok
        assert claimed[0] == anchor.ChainEnd(chain.rows, chain.head)

        anchored.clock.advance(hours=23)
        assert await claim(other) is None, "not twice in a day"
        anchored.clock.advance(hours=1, seconds=1)
        assert await claim(other) is not None
        assert (await _with_anchor(anchored)).ok
    finally:
        if other is not anchored.store:
            await other.close()


# What the operator reads -------------------------------------------------------------------


def _verify(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_", "PYTHON"))
    }
    environ["ALONGSIDE_DATA_DIR"] = str(data)
    return subprocess.run(
        [str(SCRIPT), "audit", "verify", *args],
        env=environ,
        text=True,
        capture_output=True,
        timeout=60 * PATIENCE,
        check=False,
        cwd=data.parent,
    )


async def test_audit_verify_reports_the_anchor(tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = await open_store(Settings.from_env({"ALONGSIDE_DATA_DIR": str(data)}))
    try:
        made = Anchored(store, SetClock(), data / anchor.ANCHOR_FILE)
        await _act(made, 4)
        chain = await _chain_alone(made)
        rows, head = chain.rows, chain.head
    finally:
        await store.close()
    intact = _verify(data)
    assert (intact.returncode, intact.stderr) == (0, "")
    first, _, said = intact.stdout.partition("\n")
    assert first.startswith(f"using data dir {data.resolve()}, ")
    assert said == (
        f"audit log intact: {rows} entries, ending at {head}; anchored at {rows} entries\n"
    )

    aside = tmp_path / "kept.anchor"
    (data / anchor.ANCHOR_FILE).rename(aside)
    elsewhere = _verify(data)
    assert elsewhere.returncode == 0
    assert elsewhere.stdout.splitlines()[2] == (
        f"warning: no anchor file at {data / anchor.ANCHOR_FILE}: the chain's end is not "
        "checked against it"
    )
    named = _verify(data, "--anchor", str(data / anchor.ANCHOR_FILE))
    assert (named.returncode, named.stdout.partition("\n")[2]) == (
        1,
        f"audit log BROKEN: the anchor file {data / anchor.ANCHOR_FILE} is missing\n",
    )

    store = await open_store(Settings.from_env({"ALONGSIDE_DATA_DIR": str(data)}))
    try:
        made = Anchored(store, SetClock(), aside)
        ids = await _ids(made)
        await _sql(
            made,
            ("DELETE FROM audit_log WHERE id = :id", {"id": ids[-1]}),
            ("UPDATE audit_head SET rows = NULL, hash = NULL, mac = NULL", {}),
        )
    finally:
        await store.close()
    broken = _verify(data, "--anchor", str(aside))
    assert broken.returncode == 1
    assert broken.stdout.partition("\n")[2].startswith(
        "audit log BROKEN: not anchored yet (entries that verify: "
        f"{rows - 1})\naudit log BROKEN: the anchor says {rows} entries ending in {head[:16]}…; "
        f"the database chain has {rows - 1}\n"
    )
