"""Playing the demo: the bot against the emulator in a temporary directory, step by step."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from bot.demo.steps import STEPS, Step
from bot.demo.transcript import Transcript
from bot.demo.world import Demo
from bot.emulator import BotApiEmulator
from bot.practice import (
    BOT_USERNAME,
    TOKEN,
    PracticeFailed,
    bot_on,
    cast,
    practice_settings,
    quiet_logs,
)
from conversations.store import MovableClock


async def play(demo: Demo, steps: tuple[Step, ...] = STEPS) -> None:
    for step in steps:
        demo.transcript.heading(step.title)
        try:
            await step.run(demo)
        except PracticeFailed as exc:
            raise PracticeFailed(f"step “{step.title}” did not happen: {exc}") from None


async def run_demo(out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with quiet_logs() as missing, tempfile.TemporaryDirectory(prefix="alongside-demo-") as tmp:
        async with BotApiEmulator(token=TOKEN, bot_username=BOT_USERNAME) as emu:
            print(
                f"Alongside demo: the real bot against the built-in Bot API emulator on "
                f"127.0.0.1:{emu.port}.\nIts data lives in a temporary directory, deleted at "
                "the end. Nothing here reaches Telegram.",
                file=out,
                flush=True,
            )
            try:
                await _run(emu, Path(tmp) / "data", out)
            except PracticeFailed as exc:
                print(f"\nalongside demo: {exc}", file=sys.stderr, flush=True)
                return 1
        note = missing.summary()
    print(f"\n{note}" if note else "", file=out)
    print("Demo finished: the bot stopped and its temporary data was deleted.", file=out)
    return 0


async def _run(emu: BotApiEmulator, data_dir: Path, out: TextIO) -> None:
    clock = MovableClock()
    async with bot_on(practice_settings(emu, data_dir), clock) as (task, running):
        transcript = Transcript(emu, out)
        demo = Demo(emu, running, task, transcript, cast(emu), clock)
        for actor in (demo.supervisor, demo.advocate, demo.child, demo.second_child):
            transcript.names[actor.user.id] = actor.name
        follower = asyncio.create_task(transcript.follow())
        try:
            await play(demo)
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
            transcript.flush()
