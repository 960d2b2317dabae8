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


async def test_stage_change_is_explained_in_vietnamese(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
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
    title = journey.stages[Stage.REASONABLE_GROUNDS].title.render(en)
    emu.press_button(advocate, menu.message_id, inline_buttons(menu)[title])

    where = journey.stages[Stage.REASONABLE_GROUNDS].where_you_are.render(vi)
    assert where != journey.stages[Stage.REASONABLE_GROUNDS].where_you_are, "translated"
    told = await bot.wait_text(child.id, where)
    assert vi._("Your advocate updated where you are now.") in (told.text or "")

    emu.send_text(child, next_label(vi))
    after = journey.stages[Stage.RECOVERY_PERIOD].title.render(vi)
    explained = await bot.wait_text(child.id, vi._("Often the next step is: {title}", title=after))
    assert journey.stages[Stage.REASONABLE_GROUNDS].what_next.render(vi) in (explained.text or "")
    assert explained.text is not None
    assert "🧭 Chờ quyết định đầu tiên\n\nBộ Nội vụ Anh (Home Office) đang xem" in explained.text

    # The Vietnamese text a child read before content became data (less its second English gloss).
    more = inline_buttons(explained)[vi._("More about this")]
    emu.press_button(child, explained.message_id, more)
    help_line = await bot.wait_text(child.id, "🤝 ")
    assert help_line.text is not None
    assert help_line.text.endswith(
        "🤝 Người bênh vực (advocate) có thể cho em biết quyết định đó có nghĩa là gì. Nhân viên "
        "xã hội và luật sư cũng có thể giúp. Nếu việc chờ đợi làm em thấy khó chịu, "
        "hãy nói với người bênh vực. Em có thể gọi miễn phí cho Childline số 0800 1111."
    )


def test_passages_read_as_before_in_english_and_vietnamese() -> None:
    """Captured before the content moved from Python to the data file."""
    journey, catalogs = journey_content("uk"), Catalogs()
    first = journey.stages[Stage.FIRST_MEETING]
    assert first.who_can_help.render(catalogs.get("en")) == (
        "Your advocate is here for you. You can also talk to your social worker. If you are in "
        "danger now, call 999. You can call Childline for free on 0800 1111, at any time of day "
        "or night."
    )
    grounds = journey.stages[Stage.REASONABLE_GROUNDS]
    assert grounds.title.render(catalogs.get("en")) == "Waiting for the first decision"
    assert grounds.title.render(catalogs.get("vi")) == "Chờ quyết định đầu tiên"
    help_now = journey.topic("help_now")
    assert help_now is not None
    assert help_now.body.render(catalogs.get("vi")) == (
        "Nếu em đang gặp nguy hiểm ngay lúc này, hãy gọi 999. Cuộc gọi miễn phí. Nếu em muốn nói "
        "chuyện với ai đó, hãy gọi Childline số 0800 1111. Miễn phí, cả ngày lẫn đêm. Cuộc gọi "
        "không hiện trên hóa đơn điện thoại. Em cũng có thể bấm Giúp ngay trong cuộc trò "
        "chuyện này. Khi đó, một người có thể giúp em sẽ được báo ngay."
    )


def _cli(data: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALONGSIDE_DATA_DIR": str(data), "DATABASE_URL": database_url}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


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
    await emu.wait_for(lambda: sum("No young person of yours" in t for t in bot.texts(old.id)) == 2)
    same = [t for t in bot.texts(old.id) if "No young person of yours" in t]
    assert same[0].replace(ref, "X") == same[1].replace("ZZZZ", "X"), (
        "a refusal does not reveal whether the child exists"
    )

    await bot.stop()
    data = bot.settings.data_dir
    verified = _cli(data, database_url, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    async with raw_session(bot.settings.database_url) as session:
        actions = (await session.execute(text("SELECT action FROM audit_log"))).scalars().all()
        assert {
            "note.add",
            "summary.approved",
            "child.handover",
            "notes.read",
            "summary.read",
        } <= set(actions)
        await session.execute(
            text("UPDATE audit_log SET detail = 'edited' WHERE action = 'child.handover'")
        )
        await session.commit()
    broken = _cli(data, database_url, "audit", "verify")
    assert broken.returncode == 1
    assert "BROKEN" in broken.stdout
