"""`alongside demo` as an operator runs it: a real subprocess, no token, no database configured."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content import journey_content
from bot.i18n import Catalogs
from bot.notices import help_now_label, next_label
from conversations.journey import Stage
from safety import load_contacts
from tests.conftest import PATIENCE

pytestmark = pytest.mark.slow
ENTRY = re.compile(r"^\s*\d+\.\d\ds  (.{18}) (.*)$")


def entries(output: str) -> list[tuple[str, str]]:
    """The printed conversation as (who, text), continuation lines joined back to their entry."""
    found: list[tuple[str, str]] = []
    for line in output.splitlines():
        match = ENTRY.match(line)
        if match:
            found.append((match[1].strip(), match[2]))
        elif found and line.startswith(" ") and line.strip():
            who, text = found[-1]
            found[-1] = (who, f"{text}\n{line.strip()}")
    return found


def said(conversation: list[tuple[str, str]], who: str, *needles: str) -> bool:
    return any(w == who and all(n in text for n in needles) for w, text in conversation)


def test_demo_plays_the_whole_conversation_and_leaves_nothing_behind(tmp_path: Path) -> None:
    cwd, scratch = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    scratch.mkdir()
    # An operator's real configuration must be ignored: were it read, the bot could not start.
    (cwd / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=not-a-token\n"
        "DATABASE_URL=postgresql+asyncpg://nobody@127.0.0.1:9/none\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_"))
    }
    env["TMPDIR"] = str(scratch)

    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "demo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=90 * PATIENCE,
        check=False,
    )

    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    talk = entries(done.stdout)
    assert said(talk, "advocate Rosa", "/invite Star")
    assert said(talk, "bot → Ana", "Rosa"), "the welcome names the advocate"
    assert said(talk, "bot → Rosa", "Star ·", "Shqip")
    assert said(talk, "child Ana [sq]", "Përshëndetje, kur takohemi?")
    assert said(talk, "bot → Rosa", "Star ·", "Përshëndetje, kur takohemi?"), "relayed"
    assert said(talk, "bot → Ana", "Rosa", "tomorrow at 10"), "the advocate's reply arrives"
    assert said(talk, "bot → Rosa", "Moon ·", "Tiếng Việt", "em không hiểu lá thư này")
    assert said(talk, "bot → Minh", "Rosa", "photo of the letter")
    vi = Catalogs().get("vi")
    journey = journey_content("uk")
    assert said(talk, "bot → Minh", vi._("Your advocate updated where you are now."))
    assert said(talk, "child Minh [vi]", f"[{next_label(vi)}]")
    assert said(talk, "bot → Minh", journey.stages[Stage.RECOVERY_PERIOD].title.render(vi))
    # Ana presses the button as labelled in her language, and is given the emergency number.
    assert said(talk, "child Ana [sq]", f"[{help_now_label(Catalogs().get('sq'))}]")
    assert said(talk, "bot → Ana", load_contacts("uk").emergency.number)
    assert said(talk, "bot → Sam", "🚨", "Star ·", "[Acknowledge]")
    assert said(talk, "bot → Rosa", "🚨", "Star ·")
    assert said(talk, "supervisor Sam", "[Acknowledge]")
    assert said(talk, "bot → Sam", "Acknowledged: Star")
    assert [p.name for p in cwd.iterdir()] == [".env"]
    assert list(scratch.iterdir()) == [], "the temporary data dir is removed"
