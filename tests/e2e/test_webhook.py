"""Webhook mode with real HTTP: secret checks, refusals, health, and three workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.emulator import BotApiEmulator
from conversations.models import InboxUpdate
from conversations.people import Role
from tests.conftest import BotHarness, make_settings, postgres_database, raw_session

pytestmark = pytest.mark.slow
SECRET = "s3cret-webhook_token-0123456789abcdef"
MARK = re.compile(r"(\w+) says (\d{3})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_env(emu: BotApiEmulator, database_url: str, data: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update({
        "TELEGRAM_BOT_TOKEN": emu.token, "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_API_FILE_URL": emu.base_file_url, "DATABASE_URL": database_url,
        "ALONGSIDE_DATA_DIR": str(data), "ALONGSIDE_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
        "ALONGSIDE_WEBHOOK_SECRET": SECRET, "ALONGSIDE_LISTEN": f"127.0.0.1:{port}",
        "ALONGSIDE_CHAT_RATE": "200", "ALONGSIDE_SEND_RATE": "500",
    })
    return env


async def enrol_supervisor(env: dict[str, str], cwd: Path) -> None:
    """`alongside run` refuses to start with nobody to hear an alert: the operator enrols one."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "staff", "add", "--role", "supervisor", "--telegram-id",
        "3999", "--name", "Sam", env=env, cwd=cwd, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL)
    assert await process.wait() == 0


@asynccontextmanager
async def worker(env: dict[str, str], cwd: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    base = env["ALONGSIDE_WEBHOOK_URL"].rsplit("/", 1)[0]
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{base}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("worker never became ready")
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


async def _is_leader(port: int) -> bool:
    async with httpx.AsyncClient() as client:
        for _ in range(50):
            text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            if "alongside_dispatcher_leader 1.0" in text:
                return True
            await asyncio.sleep(0.1)
    return False


async def _inbox_count(url: str) -> int:
    async with raw_session(url) as session:
        return int((await session.execute(select(func.count(InboxUpdate.update_id)))).scalar_one())


async def test_refusals_store_nothing(emulator: BotApiEmulator, sqlite_url: str,
                                      tmp_path: Path) -> None:
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    await enrol_supervisor(env, tmp_path)
    async with worker(env, tmp_path), httpx.AsyncClient(timeout=30) as client:
        url = f"http://127.0.0.1:{port}/tg"
        update = {"update_id": 77, "message": {"message_id": 1, "date": 0,
                                               "chat": {"id": 5, "type": "private"},
                                               "text": "hi"}}
        header = "X-Telegram-Bot-Api-Secret-Token"
        assert (await client.post(url, json=update)).status_code == 403
        assert (await client.post(url, json=update, headers={header: "wrong"})).status_code == 403
        assert (await client.post(url, content=b"{not json",
                                  headers={header: SECRET})).status_code == 400
        assert (await client.post(url, json=[1, 2], headers={header: SECRET})).status_code == 400
        huge = b'{"update_id": 78, "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        assert (await client.post(url, content=huge, headers={header: SECRET})).status_code == 400
        assert await _inbox_count(sqlite_url) == 0
        assert (await client.post(url, json=update, headers={header: SECRET})).status_code == 200
        assert await _inbox_count(sqlite_url) == 1
        assert (await client.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert "alongside_updates_received_total 1.0" in metrics
        assert "alongside_outbox_pending" in metrics


async def test_workers_option_serves_and_stops_cleanly(emulator: BotApiEmulator,
                                                       tmp_path: Path) -> None:
    """`alongside run --workers 2`: Uvicorn's worker processes share the port and the inbox."""
    async with postgres_database() as url:
        port = free_port()
        env = webhook_env(emulator, url, tmp_path / "data", port)
        await enrol_supervisor(env, tmp_path)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--workers", "2", env=env, cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(300):
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code \
                                == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            strangers = [emulator.user(38000 + i, f"S{i}") for i in range(6)]
            for user in strangers:
                emulator.send_text(user, "hello?")
            await emulator.wait_for(lambda: all(emulator.sent_to(u.id) for u in strangers),
                                    timeout=30)
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30) == 0


async def test_three_workers_kill_one_nothing_lost_or_doubled(emulator: BotApiEmulator,
                                                              tmp_path: Path) -> None:
    emu = emulator
    async with postgres_database() as url:
        data = tmp_path / "data"
        setup = BotHarness(emu, make_settings(emu, url, data))
        advocates = [emu.user(3100 + i, f"Adv{i}") for i in range(3)]
        children = [emu.user(39100 + i, f"Kid{i}") for i in range(3)]
        await setup.start()
        await setup.enrol(emu.user(3199, "Sam"), Role.SUPERVISOR)
        for advocate, child in zip(advocates, children, strict=True):
            await setup.enrol(advocate, Role.ADVOCATE)
            await setup.link(advocate, child, child.first_name)
        await setup.stop()

        ports = [free_port() for _ in range(3)]
        envs = [webhook_env(emu, url, data, port) for port in ports]
        async with worker(envs[0], tmp_path) as w0, worker(envs[1], tmp_path) as w1, \
                worker(envs[2], tmp_path) as w2:
            # Kill one that is not sending: the sender's own kill is the polling crash test's
            # (where the one send in flight may go twice); here every message goes exactly once.
            leaders = [await _is_leader(port) for port in ports]
            victim = next(w for w, lead in zip((w0, w1, w2), leaders, strict=True) if not lead)
            emu.set_webhook_targets([f"http://127.0.0.1:{p}/tg" for p in ports])
            emu.redeliver_every = 7
            total = 60
            for i in range(total):
                for child in children:
                    emu.send_text(child, f"{child.first_name} says {i:03d}")
                await asyncio.sleep(0.01)
                if i == total // 3:
                    victim.send_signal(signal.SIGKILL)
                    await victim.wait()

            def relayed(advocate_id: int) -> list[int]:
                return [int(m.group(2)) for s in emu.sent_to(advocate_id)
                        if (m := MARK.search(s.text or ""))]

            await emu.wait_for(
                lambda: all(len(relayed(a.id)) >= total for a in advocates), timeout=90,
                description="every message relayed by the surviving workers")
            await asyncio.sleep(1)
            for advocate in advocates:
                got = relayed(advocate.id)
                assert got == list(range(total)), f"exactly once, in order per chat: {got}"
