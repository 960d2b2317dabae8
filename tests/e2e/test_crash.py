"""`kill -9` of `alongside run` under a steady stream, then a restart: nothing lost, in order.

The only double allowed is the one send that was in flight at the kill: Telegram has no
idempotency key, so a message it accepted just before the process died cannot be known as sent.

Under load the restart is slow, not stuck: with four busy processes on two cores the new process
took 11 s to poll and 26 s to relay the rest (1.6 s and 4 s idle), and CI runs four test workers,
PostgreSQL and the emulator on two cores. So the wait ends on a stall, not a fixed deadline: it
fails when nothing moves (no message relayed, no Bot API call but polling) for `STALL` seconds,
which a lost message does and a slow machine does not, or after `LONGEST` seconds in all.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from conversations.people import Role
from tests.conftest import PATIENCE, BotHarness, make_settings

pytestmark = pytest.mark.slow
MARK = re.compile(r"msg (\d{4})")
STALL = 45.0 * PATIENCE
LONGEST = 240.0 * PATIENCE


def _env(settings_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(settings_env)
    return env


async def _spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def test_kill_nine_loses_nothing(
    emulator: BotApiEmulator, database_url: str, tmp_path: Path
) -> None:
    emu = emulator
    data = tmp_path / "data"
    settings_env = {
        "TELEGRAM_BOT_TOKEN": emu.token,
        "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_API_FILE_URL": emu.base_file_url,
        "DATABASE_URL": database_url,
        "ALONGSIDE_DATA_DIR": str(data),
        "ALONGSIDE_POLL_TIMEOUT": "1",
        # Fast enough that a stream to one advocate does not queue behind the 1/s chat pace.
        "ALONGSIDE_CHAT_RATE": "500",
        "ALONGSIDE_SEND_RATE": "500",
    }
    setup = BotHarness(
        emu,
        make_settings(
            emu,
            database_url,
            data,
            **{k: v for k, v in settings_env.items() if k.startswith("ALONGSIDE_CHAT")},
        ),
    )
    advocate = emu.user(601, "Rosa")
    child = emu.user(9601, "Ana")
    await setup.start()
    await setup.enrol(emu.user(602, "Sam"), Role.SUPERVISOR)
    await setup.enrol(advocate, Role.ADVOCATE)
    await setup.link(advocate, child)
    await setup.stop()

    env = _env(settings_env)
    bot = await _spawn(env, tmp_path)
    total = 300
    try:
        await emu.wait_for(lambda: emu.calls_to("getUpdates"), timeout=20)
        for i in range(total):
            emu.send_text(child, f"msg {i:04d}")
            await asyncio.sleep(0.005)
            if i == total // 2:
                bot.send_signal(signal.SIGKILL)
                await bot.wait()
                bot = await _spawn(env, tmp_path)

        def relayed() -> list[int]:
            return [
                int(m.group(1))
                for s in emu.sent_to(advocate.id)
                if (m := MARK.search(s.text or ""))
            ]

        await _all_relayed(emu, relayed, total, bot)
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 30 * PATIENCE)
    seen = relayed()
    doubled = sorted(n for n, count in Counter(seen).items() if count > 1)
    assert len(seen) - len(set(seen)) <= 1, f"sent more than once: {doubled}"
    first_seen = sorted(set(seen), key=seen.index)
    assert first_seen == list(range(total)), f"out of order: {_out_of_order(first_seen)}"
    assert bot.returncode == 0, "SIGTERM ends the bot cleanly"


async def _all_relayed(
    emu: BotApiEmulator,
    relayed: Callable[[], list[int]],
    total: int,
    bot: asyncio.subprocess.Process,
) -> None:
    """Until every message has reached the advocate; fails on a stall (see the docstring),
    naming the messages missing and those sent more than once."""
    loop = asyncio.get_running_loop()
    started = moved = loop.time()
    progress = (-1, -1)
    while set(seen := relayed()) != set(range(total)):
        now = loop.time()
        # Polling goes on while nothing else does: it is no sign of progress.
        calls = sum(call.method != "getUpdates" for call in emu.calls)
        if (len(seen), calls) != progress:
            progress, moved = (len(seen), calls), now
        if now - moved > STALL or now - started > LONGEST:
            missing = sorted(set(range(total)) - set(seen))
            doubled = sorted(n for n, count in Counter(seen).items() if count > 1)
            state = "running" if bot.returncode is None else f"exited {bot.returncode}"
            raise AssertionError(
                f"not every message relayed: {len(missing)} missing {missing}, sent more than "
                f"once {doubled}; nothing moved for {now - moved:.0f} s, {now - started:.0f} s "
                f"in all; the restarted bot is {state}; last calls: "
                f"{[(c.method, c.ok) for c in emu.calls[-5:]]}"
            )
        await asyncio.sleep(0.05)


def _out_of_order(first_seen: list[int]) -> list[int]:
    """The messages that arrived after a later one."""
    return [n for i, n in enumerate(first_seen) if i and n < first_seen[i - 1]]
