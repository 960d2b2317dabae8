"""`kill -9` of `alongside run` under a steady stream, then a restart: nothing lost, in order.

The only double allowed is the one send that was in flight at the kill: Telegram has no
idempotency key, so a message it accepted just before the process died cannot be known as sent.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from conversations.people import Role
from tests.conftest import BotHarness, make_settings

pytestmark = pytest.mark.slow
MARK = re.compile(r"msg (\d{4})")


def _env(settings_env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_"))}
    env.update(settings_env)
    return env


async def _spawn(env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", env=env, cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)


async def test_kill_nine_loses_nothing(emulator: BotApiEmulator, database_url: str,
                                       tmp_path: Path) -> None:
    emu = emulator
    data = tmp_path / "data"
    settings_env = {
        "TELEGRAM_BOT_TOKEN": emu.token, "TELEGRAM_API_BASE_URL": emu.base_url,
        "TELEGRAM_API_FILE_URL": emu.base_file_url, "DATABASE_URL": database_url,
        "ALONGSIDE_DATA_DIR": str(data), "ALONGSIDE_POLL_TIMEOUT": "1",
        # Fast enough that a stream to one advocate does not queue behind the 1/s chat pace.
        "ALONGSIDE_CHAT_RATE": "500", "ALONGSIDE_SEND_RATE": "500",
    }
    setup = BotHarness(emu, make_settings(emu, database_url, data, **{
        k: v for k, v in settings_env.items() if k.startswith("ALONGSIDE_CHAT")}))
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
            return [int(m.group(1)) for s in emu.sent_to(advocate.id)
                    if (m := MARK.search(s.text or ""))]

        await emu.wait_for(lambda: set(relayed()) == set(range(total)), timeout=60,
                           description="every message relayed after the restart")
    finally:
        if bot.returncode is None:
            bot.send_signal(signal.SIGTERM)
            await asyncio.wait_for(bot.wait(), 30)
    seen = relayed()
    doubles = len(seen) - len(set(seen))
    assert doubles <= 1, f"{doubles} messages were sent twice"
    first_seen = sorted(set(seen), key=seen.index)
    assert first_seen == list(range(total)), "messages reached the advocate out of order"
    assert bot.returncode == 0, "SIGTERM ends the bot cleanly"
