"""Webhook mode with real HTTP: secret checks, refusals, health, slow and idle clients, a guesser
held back, and three workers on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.emulator import BotApiEmulator
from bot.webhook_guard import Limits, WrongSecrets
from conversations.models import InboxUpdate
from conversations.people import Role
from tests.conftest import PATIENCE, BotHarness, make_settings, postgres_database, raw_session
from tests.e2e.outages import REFUSE_WRITES_WHILE, proxied

pytestmark = pytest.mark.slow
SECRET = "s3cret-webhook_token-0123456789abcdef"
MARK = re.compile(r"(\w+) says (\d{3})")
HEADER = "X-Telegram-Bot-Api-Secret-Token"
UPDATE = {
    "update_id": 77,
    "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "hi"},
}
# `alongside run` with limits a test chooses, and optionally fewer open files.
GUARDED = """
import json, resource, sys
limits, open_files = json.loads(sys.argv[1]), int(sys.argv[2])
if open_files:
    resource.setrlimit(resource.RLIMIT_NOFILE,
                       (open_files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from bot.logs import configure_logging
from bot.settings import Settings
from bot.webhook import Limits, run_webhook
configure_logging()
run_webhook(Settings.from_env(), 1, limits=Limits(**limits))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def webhook_env(emu: BotApiEmulator, database_url: str, data: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "DATABASE_URL": database_url,
            "ALONGSIDE_DATA_DIR": str(data),
            "ALONGSIDE_WEBHOOK_URL": f"http://127.0.0.1:{port}/tg",
            "ALONGSIDE_WEBHOOK_SECRET": SECRET,
            "ALONGSIDE_LISTEN": f"127.0.0.1:{port}",
            "ALONGSIDE_CHAT_RATE": "200",
            "ALONGSIDE_SEND_RATE": "500",
        }
    )
    return env


async def enrol_supervisor(env: dict[str, str], cwd: Path) -> None:
    """`alongside run` refuses to start with nobody to hear an alert: the operator makes the
    deployment and enrols one."""
    for args in (
        ("db", "upgrade"),
        ("staff", "add", "--role", "supervisor", "--telegram-id", "3999", "--name", "Sam"),
    ):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert await process.wait() == 0, args


def guarded(open_files: int = 0, **limits: float) -> tuple[str, ...]:
    return ("-c", GUARDED, json.dumps(limits), str(open_files))


@asynccontextmanager
async def worker(
    env: dict[str, str],
    cwd: Path,
    argv: Sequence[str] = ("-m", "bot.cli", "run"),
    log: Path | None = None,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`alongside run` in webhook mode, once it says it is ready; its log in `log` if given."""
    with open(log or os.devnull, "wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            *argv,
            env=env,
            cwd=cwd,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )
    base = env["ALONGSIDE_WEBHOOK_URL"].rsplit("/", 1)[0]
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(int(300 * PATIENCE)):
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
            await asyncio.wait_for(process.wait(), 30 * PATIENCE)


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


async def _hang_up(
    port: int, *, start: bytes = b"", drip: bytes = b"", every: float = 0.05, within: float = 3
) -> tuple[float, bytes]:
    """Connect, send `start`, then `drip` a byte every `every` s: how long until the server hung
    up, and what it said first (fails if it has not hung up within `within` s)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    said = asyncio.ensure_future(reader.read())
    started = time.monotonic()
    try:
        writer.write(start)
        for byte in drip:
            if said.done() or time.monotonic() - started > within:
                break
            with suppress(ConnectionError):
                writer.write(bytes([byte]))
                await writer.drain()
            await asyncio.wait({said}, timeout=every)
        await asyncio.wait({said}, timeout=max(within - (time.monotonic() - started), 0))
        assert said.done(), f"still connected after {within} s"
        return time.monotonic() - started, b"" if said.exception() else said.result()
    finally:
        said.cancel()
        writer.close()


def _refused(metrics: str, reason: str) -> float:
    found = re.search(rf'alongside_webhook_refused_total{{reason="{reason}"}} (\S+)', metrics)
    return float(found.group(1)) if found else 0.0


async def test_refusals_store_nothing(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    await enrol_supervisor(env, tmp_path)
    async with worker(env, tmp_path), httpx.AsyncClient(timeout=30) as client:
        url = f"http://127.0.0.1:{port}/tg"
        assert (await client.post(url, json=UPDATE)).status_code == 403
        assert (await client.post(url, json=UPDATE, headers={HEADER: "wrong"})).status_code == 403
        assert (
            await client.post(url, content=b"{not json", headers={HEADER: SECRET})
        ).status_code == 400
        assert (await client.post(url, json=[1, 2], headers={HEADER: SECRET})).status_code == 400
        huge = b'{"update_id": 78, "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
        assert (await client.post(url, content=huge, headers={HEADER: SECRET})).status_code == 400
        assert await _inbox_count(sqlite_url) == 0
        assert (await client.post(url, json=UPDATE, headers={HEADER: SECRET})).status_code == 200
        assert await _inbox_count(sqlite_url) == 1
        assert (await client.get(f"http://127.0.0.1:{port}/healthz")).text == "ok"
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert "alongside_updates_received_total 1.0" in metrics
        assert "alongside_outbox_pending" in metrics


async def test_a_silent_connection_is_closed(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    await enrol_supervisor(env, tmp_path)
    async with worker(env, tmp_path, guarded(head_timeout=0.5)), httpx.AsyncClient() as client:
        waited, said = await _hang_up(port)
        assert said == b""
        assert 0.4 < waited < 2
        metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        assert _refused(metrics, "slow_client") == 1


async def test_a_slow_drip_is_cut_off(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    """Slowloris: a head sent a byte at a time, on a new connection or a kept-alive one, is cut
    off when its deadline falls, however busy it looks; a stalled body gets 408."""
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    await enrol_supervisor(env, tmp_path)
    head = b"POST /tg HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 1000
    async with worker(env, tmp_path, guarded(head_timeout=0.5, body_timeout=0.5)):
        waited, said = await _hang_up(port, drip=head)
        assert said == b""
        assert waited < 2
        waited, said = await _hang_up(
            port, start=b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", drip=head
        )
        assert said.startswith(b"HTTP/1.1 200 ")
        assert waited < 2
        stalled = (
            f"POST /tg HTTP/1.1\r\nHost: x\r\n{HEADER}: {SECRET}\r\nContent-Length: 100\r\n\r\n{{"
        ).encode()
        waited, said = await _hang_up(port, start=stalled)
        assert said.startswith(b"HTTP/1.1 408 ")
        assert waited < 2


async def test_deliveries_get_through_a_crowd_of_idle_connections(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    """With 256 open files, 400 idle connections would take every descriptor (and each would
    be held for its whole 10 s): the oldest idle ones make room for new ones instead."""
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    await enrol_supervisor(env, tmp_path)
    idle: list[asyncio.StreamWriter] = []
    async with (
        worker(env, tmp_path, guarded(open_files=256)),
        httpx.AsyncClient(timeout=5) as client,
    ):
        try:
            for _ in range(400):
                idle.append((await asyncio.open_connection("127.0.0.1", port))[1])
            answer = await client.post(
                f"http://127.0.0.1:{port}/tg", json=UPDATE, headers={HEADER: SECRET}
            )
            assert answer.status_code == 200
            assert await _inbox_count(sqlite_url) == 1
            metrics = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            assert _refused(metrics, "crowded") >= 400 - 64, "all but a quarter of 256 closed"
        finally:
            for writer in idle:
                writer.close()


async def test_a_secret_guesser_is_held_back_and_counted(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    """Past 20 wrong secrets from one address: 429 without a comparison, right secret or not,
    while Telegram's deliveries from another address keep arriving."""
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    await enrol_supervisor(env, tmp_path)
    url = f"http://127.0.0.1:{port}/tg"
    guesser = httpx.AsyncClient(
        timeout=10, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    )
    async with worker(env, tmp_path), guesser, httpx.AsyncClient(timeout=10) as telegram:
        guesses = [
            guesser.post(url, json=UPDATE, headers={HEADER: f"guess-{i}"}) for i in range(100)
        ]
        deliveries = [
            telegram.post(url, json={**UPDATE, "update_id": 100 + i}, headers={HEADER: SECRET})
            for i in range(5)
        ]
        answers = await asyncio.gather(*guesses, *deliveries)
        statuses = [a.status_code for a in answers]
        assert statuses[:100].count(403) == 20
        assert statuses[:100].count(429) == 80
        assert statuses[100:] == [200] * 5
        assert await _inbox_count(sqlite_url) == 5
        throttled = await guesser.post(url, json=UPDATE, headers={HEADER: SECRET})
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 60
        metrics = (await telegram.get(f"http://127.0.0.1:{port}/metrics")).text
        assert _refused(metrics, "wrong_secret") == 20
        assert _refused(metrics, "throttled") == 81


def test_wrong_secrets_are_forgotten_after_their_window() -> None:
    now = [0.0]
    limiter = WrongSecrets(Limits(wrong_secrets=3, window=60, clients=2), clock=lambda: now[0])
    assert [limiter.wrong("a") for _ in range(3)] == [1, 2, 3]
    assert limiter.wait("a") == 60
    assert limiter.wait("b") == 0
    now[0] = 59.5
    assert limiter.wait("a") == 0.5
    now[0] = 60
    assert limiter.wait("a") == 0
    assert limiter.wrong("a") == 1


def test_wrong_secrets_remember_a_bounded_number_of_addresses() -> None:
    limiter = WrongSecrets(Limits(wrong_secrets=1, clients=2), clock=lambda: 0.0)
    for address in ("a", "b", "c"):
        limiter.wrong(address)
    assert limiter.wait("a") == 0, "the oldest address is forgotten to make room"
    assert limiter.wait("b") > 0
    assert limiter.wait("c") > 0


async def test_workers_option_serves_and_stops_cleanly(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    """`alongside run --workers 2`: Uvicorn's worker processes share the port and the inbox."""
    async with postgres_database() as url:
        port = free_port()
        env = webhook_env(emulator, url, tmp_path / "data", port)
        await enrol_supervisor(env, tmp_path)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--workers",
            "2",
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient() as client:
                for _ in range(int(300 * PATIENCE)):
                    try:
                        if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
            strangers = [emulator.user(38000 + i, f"S{i}") for i in range(6)]
            for user in strangers:
                emulator.send_text(user, "hello?")
            # Two worker processes start beside each other: on a loaded machine that is slow.
            await emulator.wait_for(
                lambda: all(emulator.sent_to(u.id) for u in strangers), timeout=90
            )
        finally:
            process.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(process.wait(), 30 * PATIENCE) == 0


async def test_three_workers_kill_one_nothing_lost_or_doubled(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
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
        async with (
            worker(envs[0], tmp_path) as w0,
            worker(envs[1], tmp_path) as w1,
            worker(envs[2], tmp_path) as w2,
        ):
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
                return [
                    int(m.group(2))
                    for s in emu.sent_to(advocate_id)
                    if (m := MARK.search(s.text or ""))
                ]

            await emu.wait_for(
                lambda: all(len(relayed(a.id)) >= total for a in advocates),
                timeout=90,
                description="every message relayed by the surviving workers",
            )
            await asyncio.sleep(1)
            for advocate in advocates:
                got = relayed(advocate.id)
                assert got == list(range(total)), f"exactly once, in order per chat: {got}"


async def _ready(port: int) -> int:
    async with httpx.AsyncClient(timeout=10) as client:
        return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code


async def test_workers_wait_out_a_database_outage(emulator: BotApiEmulator, tmp_path: Path) -> None:
    """PostgreSQL refusing connections for 4 s behind two workers: both say not ready, every
    delivery gets 503 (nothing unstored is acknowledged, so Telegram delivers it again), each
    logs the outage once, and once the database is back everything is handled and sent by the
    same processes, without a restart."""
    emu = emulator
    async with postgres_database() as url, proxied(url) as (proxy, through_proxy):
        data = tmp_path / "data"
        setup = BotHarness(emu, make_settings(emu, url, data))
        advocate, child = emu.user(3301, "Adv"), emu.user(39301, "Kid")
        await setup.start()
        await setup.enrol(emu.user(3399, "Sam"), Role.SUPERVISOR)
        await setup.enrol(advocate, Role.ADVOCATE)
        await setup.link(advocate, child, "Kid")
        await setup.stop()

        ports = [free_port() for _ in range(2)]
        envs = [webhook_env(emu, through_proxy, data, port) for port in ports]
        logs = [tmp_path / f"worker{i}.log" for i in range(2)]
        async with (
            worker(envs[0], tmp_path, log=logs[0]) as w0,
            worker(envs[1], tmp_path, log=logs[1]) as w1,
        ):
            emu.set_webhook_targets([f"http://127.0.0.1:{p}/tg" for p in ports])
            await proxy.down()
            for i in range(3):
                emu.send_text(child, f"Kid says {i:03d}")
            await asyncio.sleep(4)
            assert [await _ready(port) for port in ports] == [503, 503]
            async with httpx.AsyncClient() as client:
                metrics = (await client.get(f"http://127.0.0.1:{ports[0]}/metrics")).text
            assert "alongside_store_unavailable 1.0" in metrics
            refused = {d.error for d in emu.deliveries}
            assert refused == {"Wrong response from the webhook: 503 Service Unavailable"}
            assert len(emu.pending_updates()) == 3, "none acknowledged"

            await proxy.up()

            def relayed() -> list[int]:
                return [
                    int(m.group(2))
                    for s in emu.sent_to(advocate.id)
                    if (m := MARK.search(s.text or ""))
                ]

            await emu.wait_for(
                lambda: relayed() == [0, 1, 2],
                timeout=40,
                description="everything relayed once the database is back",
            )
            assert [await _ready(port) for port in ports] == [200, 200]
            assert (w0.returncode, w1.returncode) == (None, None), "the same processes"
    for log in logs:
        text = log.read_text()
        assert text.count("store.unavailable") == 1, text
        assert text.count("store.available") == 1, text
        assert "bot.loop_crashed" not in text


async def test_a_webhook_worker_waits_out_a_full_disk_and_dies_loudly(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    """SQLite refusing every write (a full disk): deliveries get 503 and /readyz says 503;
    once writes work again all is handled without a restart. Then a loop meets an error nobody
    expected: the process does not stay up answering for a bot that handles nothing, it exits
    with code 1."""
    emu = emulator
    data = tmp_path / "data"
    setup = BotHarness(emu, make_settings(emu, sqlite_url, data))
    advocate, child = emu.user(3401, "Adv"), emu.user(39401, "Kid")
    await setup.start()
    await setup.enrol(emu.user(3499, "Sam"), Role.SUPERVISOR)
    await setup.enrol(advocate, Role.ADVOCATE)
    await setup.link(advocate, child, "Kid")
    await setup.stop()

    port = free_port()
    env = webhook_env(emu, sqlite_url, data, port)
    flag, log = tmp_path / "disk-full", tmp_path / "worker.log"
    argv = ("-c", REFUSE_WRITES_WHILE, str(flag), "run")
    async with worker(env, tmp_path, argv, log=log) as process:

        def relayed() -> list[int]:
            return [
                int(m.group(2))
                for s in emu.sent_to(advocate.id)
                if (m := MARK.search(s.text or ""))
            ]

        flag.touch()
        for i in range(3):
            emu.send_text(child, f"Kid says {i:03d}")
        await emu.wait_for(lambda: len(emu.deliveries) >= 3, timeout=10)
        assert {d.error for d in emu.deliveries} == {
            "Wrong response from the webhook: 503 Service Unavailable"
        }
        assert await _ready(port) == 503
        await asyncio.sleep(2)
        assert len(emu.pending_updates()) == 3, "none acknowledged"
        flag.unlink()
        await emu.wait_for(
            lambda: relayed() == [0, 1, 2],
            timeout=40,
            description="everything relayed once writes work again",
        )
        assert await _ready(port) == 200
        assert process.returncode is None

        Path(f"{flag}.crash").touch()
        emu.send_text(child, "Kid says 003")
        assert await asyncio.wait_for(process.wait(), 30 * PATIENCE) == 1
    text = log.read_text()
    assert text.count("store.unavailable") == 1, text
    assert text.count("store.available") == 1, text
    assert "bot.loop_crashed" in text
    assert relayed() == [0, 1, 2]


async def test_metrics_add_up_across_workers(emulator: BotApiEmulator, tmp_path: Path) -> None:
    """Two workers share the deliveries; the totals on /metrics are read from the store, so
    each worker gives the same ones, not its own share."""
    emu = emulator
    async with postgres_database() as url:
        ports = [free_port() for _ in range(2)]
        envs = [webhook_env(emu, url, tmp_path / "data", port) for port in ports]
        await enrol_supervisor(envs[0], tmp_path)
        async with (
            worker(envs[0], tmp_path),
            worker(envs[1], tmp_path),
            httpx.AsyncClient() as client,
        ):
            emu.set_webhook_targets([f"http://127.0.0.1:{p}/tg" for p in ports])
            strangers = [emu.user(38100 + i, f"S{i}") for i in range(7)]
            for user in strangers:
                emu.send_text(user, "hello?")
            await emu.wait_for(lambda: all(emu.sent_to(u.id) for u in strangers), timeout=30)
            assert {d.target for d in emu.deliveries} == {
                f"http://127.0.0.1:{p}/tg" for p in ports
            }, "both workers took deliveries"
            for _ in range(20):  # until the last "sent" marks have committed
                await asyncio.sleep(0.5)
                seen = [(await client.get(f"http://127.0.0.1:{p}/metrics")).text for p in ports]
                totals = [_globals(text) for text in seen]
                if totals[0] == totals[1]:
                    break
    assert totals[0] == totals[1]
    assert totals[0]["alongside_updates_received_total"] == 7
    assert totals[0]["alongside_updates_processed_total"] == 7
    assert sum(v for k, v in totals[0].items() if k.startswith("alongside_messages_sent")) >= 7


def _globals(metrics: str) -> dict[str, float]:
    """The totals and depths read from the store, by sample (name and labels)."""
    names = (
        "alongside_updates_received_total",
        "alongside_updates_processed_total",
        "alongside_updates_failed_total",
        "alongside_messages_sent_total",
        "alongside_dead_letters_total",
        "alongside_inbox_pending",
        "alongside_outbox_pending",
        "alongside_outbox_dead",
    )
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith(names)
    }
