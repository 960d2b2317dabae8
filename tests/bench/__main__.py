"""`make bench`: throughput and latency, side by side in one run on this machine.

    python -m tests.bench [--quick] [--only relay,safety,workers,scale]

Sections:
  relay    `alongside run` (SQLite, polling) against the emulator, next to a bare
           python-telegram-bot echo bot on the same emulator: latency at a steady rate, and
           throughput for a burst.
  safety   scan cost per message, and urgent update → supervisor alert leaving the outbox.
  workers  polling on SQLite and PostgreSQL, 1, 2 and 4 webhook workers on PostgreSQL.
  scale    the store at 10,000 children and 1,000,000 messages (PostgreSQL).

Latency is from the emulator receiving the child's update to the emulator receiving the bot's
sendMessage for it, both on the emulator's clock. Nothing here is a test: figures are printed,
and written to bench-results/latest.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

os.environ.setdefault("PTB_TIMEDELTA", "1")

from bot.emulator import BotApiEmulator, EmulatedUser
from bot.settings import Settings
from conversations import linking, people
from conversations.people import Role
from conversations.store import Store, make_engine, upgrade
from safety.bench import bench as scan_bench
from tests.conftest import postgres_database

TOKEN = "123456:BENCH-TOKEN-alongside"
ROOT = Path(__file__).resolve().parents[2]
MARK = re.compile(r"bench (\w+) (\d+)")
SUPERVISOR = 299_999  # the safety section's supervisor: enrolled with its pairs, at base - 1
RESULTS: dict[str, object] = {}


@dataclass
class Figures:
    label: str
    sent: int
    received: int
    seconds: float
    p50_ms: float
    p99_ms: float
    # The bot process's CPU (user + system) per message delivered, where /proc shows it.
    cpu_ms: float = float("nan")

    @property
    def per_second(self) -> float:
        return self.received / self.seconds if self.seconds else 0.0

    def row(self) -> str:
        return (
            f"  {self.label:<38} {self.received:>5}/{self.sent:<5} {self.per_second:>8.1f}/s"
            f" {self.p50_ms:>9.1f} {self.p99_ms:>9.1f} {self.cpu_ms:>8.1f}"
        )


HEADER = (
    f"  {'configuration':<38} {'delivered':>11} {'throughput':>10} {'p50 ms':>9}"
    f" {'p99 ms':>9} {'CPU ms':>8}"
)


def _cpu_seconds(pid: int) -> float:
    """User and system CPU of a process so far (Linux; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _drive_measured(
    process: asyncio.subprocess.Process,
    emu: BotApiEmulator,
    senders: list[EmulatedUser],
    total: int,
    rate: float,
    label: str,
) -> Figures:
    """`_drive`, with the CPU the bot process spent on it per message delivered."""
    before = _cpu_seconds(process.pid)
    figures = await _drive(emu, senders, total, rate, label)
    if figures.received:
        figures.cpu_ms = (_cpu_seconds(process.pid) - before) * 1000 / figures.received
    return figures


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _env(emu: BotApiEmulator, url: str, data: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_"))
    }
    env.update(
        {
            # The bot runs in a temporary directory: without this it would import whatever
            # tree is installed in the environment, not the one being measured.
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "DATABASE_URL": url,
            "ALONGSIDE_DATA_DIR": str(data),
            "ALONGSIDE_POLL_TIMEOUT": "1",
            **extra,
        }
    )
    return env


async def _seed_pairs(url: str, data: Path, count: int, base: int) -> list[tuple[int, int]]:
    """`count` advocates with a linked young person each, and one supervisor (``base - 1``),
    straight through the services."""
    settings = Settings.from_env({"DATABASE_URL": url, "ALONGSIDE_DATA_DIR": str(data)})
    if not settings.is_sqlite:
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
    store = await Store.open(settings.store_config())
    pairs = []
    async with store.unit() as uow:
        # `alongside run` refuses to start with nobody to hear an alert.
        await people.add_staff(uow, telegram_id=base - 1, name="S", role=Role.SUPERVISOR)
        for i in range(count):
            advocate = await people.add_staff(
                uow, telegram_id=base + i, name=f"A{i}", role=Role.ADVOCATE
            )
            invite = await linking.create_invite(uow, advocate, f"C{i}")
            await linking.link_child(uow, base + 50_000 + i, invite.code, "en")
            pairs.append((base + i, base + 50_000 + i))
        await uow.commit()
    await store.close()
    return pairs


@asynccontextmanager
async def _process(
    *args: str, env: dict[str, str], cwd: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()


async def _drive(
    emu: BotApiEmulator,
    senders: list[EmulatedUser],
    total: int,
    rate: float,
    label: str,
    timeout: float = 120,
) -> Figures:
    """Send `total` messages at `rate`/s (0: all at once); time each until its answer."""
    sent_at: dict[int, float] = {}
    run = secrets.token_hex(3)
    started = time.time()
    for i in range(total):
        if rate:
            delay = started + i / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
        user = senders[i % len(senders)]
        sent_at[i] = emu.clock()
        emu.send_text(user, f"bench {run} {i}")
    deadline = time.time() + timeout
    answered: dict[int, float] = {}
    seen = 0
    while time.time() < deadline and len(answered) < total:
        calls = emu.calls[seen:]
        seen += len(calls)
        for call in calls:
            if call.method == "sendMessage" and call.ok:
                match = MARK.search(str(call.params.get("text", "")))
                if match and match.group(1) == run and int(match.group(2)) in sent_at:
                    answered.setdefault(int(match.group(2)), call.at)
        await asyncio.sleep(0.02)
    latencies = [(answered[i] - sent_at[i]) * 1000 for i in answered]
    elapsed = (max(answered.values()) - sent_at[0]) if answered else 0.0
    return Figures(
        label, total, len(answered), elapsed, _pct(latencies, 0.5), _pct(latencies, 0.99)
    )


async def _wait_polling(emu: BotApiEmulator) -> None:
    await emu.wait_for(lambda: emu.calls_to("getUpdates"), timeout=60)


async def relay_pair(
    emu: BotApiEmulator,
    url: str,
    work: Path,
    rate: float,
    total: int,
    burst: int,
    label: str,
    **extra: str,
) -> list[Figures]:
    data = work / f"data-{secrets.token_hex(3)}"
    pairs = await _seed_pairs(url, data, 50, 100_000 + secrets.randbelow(10**6))
    children = [emu.user(c, f"C{c}") for _, c in pairs]
    for a, _ in pairs:
        emu.user(a, f"A{a}")
    figures = []
    async with _process("-m", "bot.cli", "run", env=_env(emu, url, data, **extra), cwd=work) as bot:
        await _wait_polling(emu)
        figures.append(
            await _drive_measured(bot, emu, children, total, rate, f"{label} at {rate:g}/s")
        )
        figures.append(
            await _drive_measured(bot, emu, children, burst, 0, f"{label} burst of {burst}")
        )
    return figures


async def echo_pair(
    emu: BotApiEmulator, work: Path, rate: float, total: int, burst: int
) -> list[Figures]:
    users = [emu.user(900_000 + i, f"E{i}") for i in range(50)]
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "PYTHONPATH": str(ROOT),
    }
    figures = []
    async with _process("-m", "tests.bench.echo_bot", env=env, cwd=work) as echo:
        await _wait_polling(emu)
        figures.append(
            await _drive_measured(echo, emu, users, total, rate, f"PTB echo bot at {rate:g}/s")
        )
        figures.append(
            await _drive_measured(echo, emu, users, burst, 0, f"PTB echo bot burst of {burst}")
        )
    return figures


async def section_relay(quick: bool) -> None:
    total, burst = (150, 200) if quick else (1500, 1000)
    print("\n## Relay: alongside run (SQLite, polling) next to a bare PTB echo bot\n")
    print(HEADER)
    rows: list[Figures] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with BotApiEmulator(token=TOKEN) as emu:
            rows += await echo_pair(emu, work, 50, total, burst)
        async with BotApiEmulator(token=TOKEN) as emu:
            url = f"sqlite+aiosqlite:///{work / 'relay.db'}"
            rows += await relay_pair(
                emu, url, work, 25, total // 2, burst, "alongside, default limits (30/s)"
            )
        async with BotApiEmulator(token=TOKEN) as emu:
            url = f"sqlite+aiosqlite:///{work / 'relay2.db'}"
            # Telegram's limits (30/s; 1/s per chat, and 50/s from 50 chats is exactly 1/s
            # each) would measure Telegram, not the bot: this run lifts both, as the echo bot
            # has neither.
            rows += await relay_pair(
                emu,
                url,
                work,
                50,
                total,
                burst,
                "alongside, limits lifted",
                ALONGSIDE_SEND_RATE="1000",
                ALONGSIDE_CHAT_RATE="1000",
            )
    for figure in rows:
        print(figure.row())
    echo_burst = rows[1].per_second
    ours = rows[-1].per_second
    print(
        f"\n  throughput ratio alongside/echo (bursts, limits lifted): "
        f"{ours / echo_burst if echo_burst else float('nan'):.2f}"
    )
    print(
        f"  CPU per message alongside/echo at {rows[0].label.rsplit(' ', 1)[1]}: "
        f"{rows[4].cpu_ms / rows[0].cpu_ms if rows[0].cpu_ms else float('nan'):.1f}"
    )
    RESULTS["relay"] = [asdict(f) | {"per_second": f.per_second} for f in rows]


async def section_safety(quick: bool) -> None:
    print("\n## Safety\n")
    scan = scan_bench(2000 if quick else 20000)
    print(
        f"  scan cost per message, all lexicons loaded: median {scan['median_us']:.1f} µs, "
        f"p99 {scan['p99_us']:.1f} µs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with BotApiEmulator(token=TOKEN) as emu:
            url = f"sqlite+aiosqlite:///{work / 'safety.db'}"
            data = work / "data"
            count = 10 if quick else 40
            # One young person per alert: more urgent messages from one sender join their open
            # alert (its card is edited) instead of paging again.
            pairs = await _seed_pairs(url, data, count, SUPERVISOR + 1)
            emu.user(SUPERVISOR, "Sam")  # enrolled with the pairs
            children = [emu.user(c, f"C{c}") for _, c in pairs]
            for a, _ in pairs:
                emu.user(a, f"A{a}")
            async with _process(
                "-m", "bot.cli", "run", env=_env(emu, url, data, ALONGSIDE_CHAT_RATE="50"), cwd=work
            ):
                await _wait_polling(emu)
                latencies = []
                for i in range(count):
                    before = len(emu.sent_to(SUPERVISOR))
                    t0 = emu.clock()
                    emu.send_text(children[i % len(children)], "i want to die")
                    await emu.wait_for(
                        lambda b=before: len(emu.sent_to(SUPERVISOR)) > b, timeout=30
                    )
                    alert = next(
                        c
                        for c in reversed(emu.calls)
                        if c.method == "sendMessage"
                        and str(c.params.get("chat_id")) == str(SUPERVISOR)
                    )
                    latencies.append((alert.at - t0) * 1000)
                    await asyncio.sleep(1.1)  # the supervisor's chat is paced at 1/s
    print(
        f"  urgent update → supervisor alert sent: p50 {_pct(latencies, 0.5):.1f} ms, "
        f"p99 {_pct(latencies, 0.99):.1f} ms ({len(latencies)} alerts)"
    )
    RESULTS["safety"] = {"scan": scan, "alert_ms": latencies}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _ready(port: int) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("worker never became ready")


async def webhook_run(workers: int, total: int, work: Path, chats: int = 50) -> Figures:
    async with BotApiEmulator(token=TOKEN) as emu, postgres_database() as url:
        data = work / f"wh-{workers}-{chats}"
        pairs = await _seed_pairs(url, data, chats, 500_000)
        children = [emu.user(c, f"C{c}") for _, c in pairs]
        for a, _ in pairs:
            emu.user(a, f"A{a}")
        ports = [_free_port() for _ in range(workers)]
        async with _all(
            [
                _process(
                    "-m",
                    "bot.cli",
                    "run",
                    cwd=work,
                    env=_env(
                        emu,
                        url,
                        data,
                        ALONGSIDE_SEND_RATE="1000",
                        ALONGSIDE_WEBHOOK_URL=f"http://127.0.0.1:{port}/tg",
                        ALONGSIDE_WEBHOOK_SECRET="bench-secret-0123456789abcdef-0123",
                        ALONGSIDE_LISTEN=f"127.0.0.1:{port}",
                    ),
                )
                for port in ports
            ]
        ):
            for port in ports:
                await _ready(port)
            emu.set_webhook_targets([f"http://127.0.0.1:{p}/tg" for p in ports])
            return await _drive(emu, children, total, 0, f"{workers} webhook worker(s), PostgreSQL")


@asynccontextmanager
async def _all(managers: list[object]) -> AsyncIterator[None]:
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:
        for manager in managers:
            await stack.enter_async_context(manager)  # type: ignore[arg-type]
        yield


async def section_workers(quick: bool) -> None:
    total = 200 if quick else 1000
    # With 50 chats, Telegram's per-chat limit (about 1/s) paces every compliant deployment the
    # same; with one message per chat it does not bind, and the handling capacity shows.
    for chats in (50, total):
        await _workers_table(total, chats)


async def _workers_table(total: int, chats: int) -> None:
    print(f"\n## Deployments: a burst of {total} child messages from {chats} chats\n")
    print(HEADER)
    rows: list[Figures] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        async with BotApiEmulator(token=TOKEN) as emu:
            users = [emu.user(900_000 + i, f"E{i}") for i in range(chats)]
            env = {
                **os.environ,
                "TELEGRAM_BOT_TOKEN": emu.token,
                "TELEGRAM_API_BASE_URL": emu.base_url,
                "PYTHONPATH": str(ROOT),
            }
            async with _process("-m", "tests.bench.echo_bot", env=env, cwd=work) as echo:
                await _wait_polling(emu)
                rows.append(await _drive_measured(echo, emu, users, total, 0, "PTB echo bot"))
        for name, url_factory in (("SQLite", None), ("PostgreSQL", postgres_database)):
            async with BotApiEmulator(token=TOKEN) as emu:
                if url_factory is None:
                    figure = await _polling(
                        emu, f"sqlite+aiosqlite:///{work / 'p.db'}", work, total, name, chats
                    )
                else:
                    async with url_factory() as url:
                        figure = await _polling(emu, url, work, total, name, chats)
                rows.append(figure)
        for workers in (1, 2, 4):
            rows.append(await webhook_run(workers, total, work, chats))
    for figure in rows:
        print(figure.row())
    tables = RESULTS.setdefault("workers", {})
    assert isinstance(tables, dict)
    tables[f"{chats} chats"] = [asdict(f) | {"per_second": f.per_second} for f in rows]


async def _polling(
    emu: BotApiEmulator, url: str, work: Path, total: int, name: str, chats: int = 50
) -> Figures:
    data = work / f"poll-{name}"
    pairs = await _seed_pairs(url, data, chats, 700_000)
    children = [emu.user(c, f"C{c}") for _, c in pairs]
    for a, _ in pairs:
        emu.user(a, f"A{a}")
    async with _process(
        "-m", "bot.cli", "run", cwd=work, env=_env(emu, url, data, ALONGSIDE_SEND_RATE="1000")
    ) as bot:
        await _wait_polling(emu)
        return await _drive_measured(bot, emu, children, total, 0, f"polling, {name}")


async def section_scale(quick: bool) -> None:
    from tests.bench.scale import run as scale_run

    children, messages = (1000, 50_000) if quick else (10_000, 1_000_000)
    print(f"\n## The store at scale: {children:,} children, {messages:,} messages (PostgreSQL)\n")
    async with postgres_database() as url:
        RESULTS["scale"] = await scale_run(url, children, messages)


SECTIONS = {
    "relay": section_relay,
    "safety": section_safety,
    "workers": section_workers,
    "scale": section_scale,
}


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench")
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--only", default=",".join(SECTIONS))
    args = parser.parse_args(argv)
    print(
        f"# Alongside benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
        f"{' (quick)' if args.quick else ''}"
    )
    started = time.time()
    for name in args.only.split(","):
        await SECTIONS[name.strip()](args.quick)
    print(f"\n(took {time.time() - started:.0f} s)")
    out = Path("bench-results")
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(RESULTS, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
