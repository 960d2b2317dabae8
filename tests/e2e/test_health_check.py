"""The image's health check (`python -m bot.healthcheck`) as Docker runs it: a subprocess with
the container's environment, against a real webhook worker, a port nobody serves, and polling
mode, where there is no server to ask."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator
from tests.conftest import PATIENCE
from tests.e2e.test_webhook import enrol_supervisor, free_port, webhook_env, worker

pytestmark = pytest.mark.slow


async def _health_check(env: dict[str, str]) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.healthcheck", env=env, cwd="/"
    )
    return await asyncio.wait_for(process.wait(), 30 * PATIENCE)


async def test_healthy_while_a_webhook_worker_answers_and_not_after(
    emulator: BotApiEmulator, sqlite_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = webhook_env(emulator, sqlite_url, tmp_path / "data", port)
    # As the image sets it: every address, asked on loopback.
    env["ALONGSIDE_LISTEN"] = f"0.0.0.0:{port}"
    await enrol_supervisor(env, tmp_path)
    assert await _health_check(env) == 1, "nothing listens yet"
    async with worker(env, tmp_path):
        assert await _health_check(env) == 0
    assert await _health_check(env) == 1, "the worker stopped"


async def test_in_polling_mode_there_is_nothing_to_ask() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALONGSIDE_")}
    env["ALONGSIDE_LISTEN"] = f"127.0.0.1:{free_port()}"
    assert await _health_check(env) == 0
