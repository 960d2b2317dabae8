"""What happens next, notes, the story so far and handover, end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from bot.content import journey_content
from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs
from bot.notices import next_label
from conversations.journey import Stage
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session


async def test_stage_change_is_explained_in_vietnamese(bot: BotHarness,
                                                       emulator: BotApiEmulator) -> None:
    emu = emulator
    advocate = emu.user(2501, "Rosa")
    child = emu.user(29501, "Lan", language_code="vi")
    await bot.enrol(advocate)
    await bot.link(advocate, child, "Lotus")
    ref_line = await bot.wait_text(advocate.id, "is now linked")
    ref = (ref_line.text or "").split("·")[1].strip().split()[0].strip("\u2068\u2069")

    emu.send_text(advocate, f"/stage {ref}")
    menu = await bot.wait_text(advocate.id, "Choose the new stage")
    journey = journey_content("uk")
    en, vi = Catalogs().get("en"), Catalogs().get("vi")
    title = en._(journey.stages[Stage.REASONABLE_GROUNDS].title)
    emu.press_button(advocate, menu.message_id, inline_buttons(menu)[title])

    where = vi._(journey.stages[Stage.REASONABLE_GROUNDS].where_you_are)
    assert where != journey.stages[Stage.REASONABLE_GROUNDS].where_you_are, "translated"
    told = await bot.wait_text(child.id, where)
    assert vi._("Your advocate updated where you are now.") in (told.text or "")

    emu.send_text(child, next_label(vi))
    after = vi._(journey.stages[Stage.RECOVERY_PERIOD].title)
    explained = await bot.wait_text(child.id, vi._("Often the next step is: {title}",
                                                   title=after))
    assert vi._(journey.stages[Stage.REASONABLE_GROUNDS].what_next) in (explained.text or "")


def _cli(data: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALONGSIDE_DATA_DIR": str(data), "DATABASE_URL": database_url}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, text=True,
                          capture_output=True, timeout=60, check=False)


async def test_handover_carries_the_story_and_locks_out_the_old_advocate(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    old, new, supervisor = emu.user(2601, "Rosa"), emu.user(2602, "Tariq"), emu.user(2603, "Sam")
    child = emu.user(29601, "Ana")
    await bot.enrol(old)
    await bot.enrol(new)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(old, child, "Star")
    line = await bot.wait_text(old.id, "is now linked")
    ref = (line.text or "").split("·")[1].strip().split()[0]

    emu.send_text(old, f"/note {ref} Prefers a female interpreter; school starts Monday")
    await bot.wait_text(old.id, "Note saved")
    emu.send_text(old, f"/summary {ref} You came to the UK in May. You live with a foster family.")
    ask = await bot.wait_text(child.id, "Is it right?")
    emu.press_button(child, ask.message_id, inline_buttons(ask)["This is right"])
    await bot.wait_text(old.id, "approved the story so far")

    emu.send_text(supervisor, f"/handover {ref} Tariq")
    await bot.wait_text(new.id, "You came to the UK in May")
    await bot.wait_text(new.id, "female interpreter")
    await bot.wait_text(child.id, "From now on, Tariq is your advocate")

    emu.send_text(old, f"/notes {ref}")
    refused = await bot.wait_text(old.id, "No young person of yours has that reference")
    assert "female interpreter" not in (refused.text or "")
    emu.send_text(old, "/notes ZZZZ")
    await emu.wait_for(lambda: sum("No young person of yours" in t for t in bot.texts(old.id))
                       == 2)
    same = [t for t in bot.texts(old.id) if "No young person of yours" in t]
    assert same[0].replace(ref, "X") == same[1].replace("ZZZZ", "X"), \
        "a refusal does not reveal whether the child exists"

    await bot.stop()
    data = bot.settings.data_dir
    verified = _cli(data, database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    async with raw_session(bot.settings.database_url) as session:
        actions = (await session.execute(text("SELECT action FROM audit_log"))).scalars().all()
        assert {"note.add", "summary.approved", "child.handover", "notes.read",
                "summary.read"} <= set(actions)
        await session.execute(text(
            "UPDATE audit_log SET detail = 'edited' WHERE action = 'child.handover'"))
        await session.commit()
    broken = _cli(data, database_url, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN" in broken.stdout
