"""`alongside demo`: the real bot, a scripted conversation, printed as it happens.

The bot runs unchanged against the built-in Bot API emulator, with its own SQLite store and keys
in a temporary directory that is removed afterwards. Settings are built in code
(`bot.practice`), never from the environment or ``.env``, so the demo cannot reach a real
database or a real Telegram token.

The script is a list of steps (``STEPS``, in `steps`), each waiting for what the bot does
(`world`) while the transcript prints the conversation (`transcript`); `running` plays them. The
sandbox (`bot.sandbox`) plays the same steps on its phones.
"""

from __future__ import annotations

from bot.demo.running import play, run_demo
from bot.demo.steps import STEPS, Step
from bot.demo.transcript import Transcript, buttons, render
from bot.demo.world import Demo, containing, with_buttons

__all__ = [
    "STEPS",
    "Demo",
    "Step",
    "Transcript",
    "buttons",
    "containing",
    "play",
    "render",
    "run_demo",
    "with_buttons",
]
