"""The database away while the bot runs: every loop waits, says so once, and carries on when it
is back; a loop that dies of an error nobody expected ends the process with exit code 1.

Webhook mode under an outage is in tests/e2e/test_webhook.py (real Uvicorn workers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.dispatcher import LEADER_LOCK
from bot.emulator import BotApiEmulator, EmulatedUser, Fault
from conversations.people import Role
from tests.conftest import PATIENCE, BotHarness, make_settings, postgres_database
from tests.e2e.outages import proxied, refuse_writes

MARK = re.compile(r"note (\d)")
# The session holding the sender's lock (a bigint key below 2**32: its low half is `objid`).
LEADER = """SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database
            WHERE l.locktype = 'advisory' AND l.objid = $1 AND l.objsubid = 1
            AND l.granted AND d.datname = $2"""


async def _linked(bot: BotHarness, emu: BotApiEmulator) -> tuple[EmulatedUser, EmulatedUser]:
    advocate, child = emu.user(7301, "Rosa"), emu.user(97301, "Ana")
    await bot.enrol(emu.user(7302, "Sam"), Role.SUPERVISOR)
    await bot.enrol(advocate, Role.ADVOCATE)
    await bot.link(advocate, child)
    return advocate, child


def _said(caplog: pytest.LogCaptureFixture, event: str) -> int:
    return sum(record.msg == event for record in caplog.records)


async def test_a_polling_bot_waits_out_a_database_outage(
    harness_factory: Callable[..., BotHarness],
    database_url: str,
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL refusing connections (SQLite: a full disk) for 4 s while a young person
    writes: the bot neither exits nor loses anything, says so once, and relays it all, in
    order, once the database is back, without a restart."""
    caplog.set_level(logging.INFO)
    emu = emulator
    async with contextlib.AsyncExitStack() as stack:
        proxy = None
        url = database_url
        if not database_url.startswith("sqlite"):
            proxy, url = await stack.enter_async_context(proxied(database_url))
        bot = harness_factory(url)
        await bot.start()
        advocate, child = await _linked(bot, emu)
        running = bot.running
        assert running is not None

        def relayed() -> list[int]:
            return [
                int(m.group(1))
                for s in emu.sent_to(advocate.id)
                if (m := MARK.search(s.text or ""))
            ]

        with contextlib.ExitStack() as outage:
            if proxy is not None:
                await proxy.down()
            else:
                outage.enter_context(refuse_writes(running.runtime.store.engine.sync_engine))
            for i in range(3):
                emu.send_text(child, f"note {i}")
            await asyncio.sleep(4)
            assert running.alive, "every loop still running"
            assert relayed() == []
        if proxy is not None:
            await proxy.up()
        await emu.wait_for(
            lambda: relayed() == [0, 1, 2],
            timeout=40,
            description="everything relayed once the database is back",
        )
        assert running.alive
        await bot.stop()
    assert _said(caplog, "store.unavailable") == 1
    assert _said(caplog, "store.available") == 1
    assert _said(caplog, "bot.loop_crashed") == 0


@pytest.mark.postgres
async def test_a_sender_whose_connection_dies_lets_the_lead_go_and_takes_it_again(
    harness_factory: Callable[..., BotHarness],
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server ends the sending worker's session (and with it the lock that makes it the only
    sender): it stops sending, takes the lock again like any worker would, and sends on."""
    caplog.set_level(logging.INFO)
    emu = emulator
    async with postgres_database() as url:
        bot = harness_factory(url)
        await bot.start()
        advocate, child = await _linked(bot, emu)
        name = make_url(url).database
        admin = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            before = await admin.fetchval(LEADER, LEADER_LOCK, name)
            assert before is not None
            await admin.execute("SELECT pg_terminate_backend($1)", before)
            for _ in range(100):
                after = await admin.fetchval(LEADER, LEADER_LOCK, name)
                if after not in (None, before):
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("nobody holds the sender's lock: who is sending?")
        finally:
            await admin.close()
        emu.send_text(child, "note 7")
        await bot.wait_text(advocate.id, "note 7", timeout=20)
        assert _said(caplog, "outbox.lead_lost") == 1
        await bot.stop()


@pytest.mark.postgres
async def test_a_bot_started_while_the_database_drops_packets_waits_for_it(
    harness_factory: Callable[..., BotHarness],
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A server that answers nothing when the bot starts (a network dropping packets): the
    connection attempt gives up after 10 s, not asyncpg's 60, and the bot waits, saying so once,
    instead of exiting (a service manager restarting it in a tight loop gives up). Once the
    server answers, it starts and relays what was written meanwhile."""
    caplog.set_level(logging.INFO)
    emu = emulator
    async with postgres_database() as url, proxied(url) as (proxy, via):
        setup = harness_factory(via)
        await setup.start()
        advocate, child = await _linked(setup, emu)
        await setup.stop()
        proxy.stall()
        bot = harness_factory(via)
        starting = asyncio.create_task(bot.start(timeout=120))
        emu.send_text(child, "note 4")
        started = asyncio.get_running_loop().time()
        while not _said(caplog, "store.unavailable"):
            await asyncio.sleep(0.1)
            if starting.done():
                starting.result()
            assert asyncio.get_running_loop().time() - started < 40, "no store.unavailable"
        waited = asyncio.get_running_loop().time() - started
        assert 8 < waited < 40, f"gave up on the connection after {waited:.1f} s"
        await asyncio.sleep(2)
        assert not starting.done(), "the bot waits; it neither exits nor starts"
        proxy.flow()
        await starting
        await bot.wait_text(advocate.id, "note 4", timeout=30)
        await bot.stop()
    unavailable = [r for r in caplog.records if r.msg == "store.unavailable"]
    assert [r.__dict__.get("loop") for r in unavailable] == ["start"]
    assert _said(caplog, "store.available") == 1


async def test_a_loop_that_dies_ends_the_process_with_exit_code_1(
    emulator: BotApiEmulator,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    """Telegram answering getUpdates with something that is not JSON is nothing the poller
    expects: it dies, and takes `alongside run` down with it, saying so, with exit code 1 (it
    used to end with 0, which a service manager reads as a stop on purpose)."""
    emu = emulator
    data = tmp_path / "data"
    setup = BotHarness(emu, make_settings(emu, sqlite_url, data))
    await setup.start()
    await setup.enrol(emu.user(7302, "Sam"), Role.SUPERVISOR)
    await setup.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "DATABASE_URL": sqlite_url,
            "ALONGSIDE_DATA_DIR": str(data),
            "ALONGSIDE_POLL_TIMEOUT": "1",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await emu.wait_for(lambda: emu.calls_to("getUpdates"), timeout=30)
        emu.add_fault(Fault(kind="not_json", method="getUpdates", count=None))
        _, stderr = await asyncio.wait_for(process.communicate(), 30 * PATIENCE)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGKILL)
            await process.wait()
    assert process.returncode == 1
    assert b"bot.loop_crashed" in stderr
    assert b"a loop of the bot stopped" in stderr
