"""`alongside whoami` over the real command line against the emulator: before the first
supervisor, it answers /whoami in the sender's chat and language, prints no id, keeps nothing and
leaves every other update for the bot. When Telegram fails mid-poll it waits and tries again
(those tests call it in this process, against the emulator's faults)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from bot.basics import your_id
from bot.commands import db_upgrade
from bot.emulator import BotApiEmulator, Fault
from bot.i18n import Catalogs
from bot.settings import Settings
from bot.whoami import ENROLLED, TELEGRAM_BACK, TELEGRAM_TROUBLE, UNCONFIRMED, answer_whoami
from tests.conftest import PATIENCE
from tests.integration.test_command_line import SCRIPT, alongside, deployed, made, where

pytestmark = pytest.mark.slow


def _env(emu: BotApiEmulator, data: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_", "PYTHON"))
    }
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": emu.token,
            "TELEGRAM_API_BASE_URL": emu.base_url,
            "TELEGRAM_API_FILE_URL": emu.base_file_url,
            "ALONGSIDE_DATA_DIR": str(data),
            "ALONGSIDE_POLL_TIMEOUT": "1",
        }
    )
    return env


async def _whoami(emu: BotApiEmulator, data: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        str(SCRIPT),
        "whoami",
        env=_env(emu, data),
        cwd=data.parent,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(process: asyncio.subprocess.Process) -> tuple[str, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 30 * PATIENCE)
    return out.decode(), err.decode()


def _answer(telegram_id: int, locale: str) -> str:
    return your_id(Catalogs().get(locale), telegram_id, stranger=True).text


async def test_whoami_answers_each_asker_and_leaves_the_rest_for_the_bot(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emu, data = emulator, deployed(tmp_path / "data")
    sam = emu.user(7310001, "Sam", language_code="sq")
    stranger = emu.user(7310002, "Ana")
    rosa = emu.user(7310003, "Rosa")
    emu.send_text(sam, "/whoami")
    hello = emu.send_text(stranger, "hello")
    process = await _whoami(emu, data)
    try:
        await emu.wait_for(lambda: emu.sent_to(sam.id), timeout=30 * PATIENCE)
        emu.send_text(rosa, f"/whoami@{emu.bot_user['username']}")
        await emu.wait_for(lambda: emu.sent_to(rosa.id), timeout=30 * PATIENCE)
    finally:
        out, err = await _stop(process)
    assert process.returncode == 0, err
    assert [m.text for m in emu.sent_to(sam.id)] == [_answer(sam.id, "sq")]
    assert [m.text for m in emu.sent_to(rosa.id)] == [_answer(rosa.id, "en")]
    assert emu.sent_to(stranger.id) == [], "only /whoami is answered"
    assert out == where(data) + made(data) + (
        f"send /whoami to @{emu.bot_user['username']} from the Telegram account of each person "
        "to enrol: the answer goes to their own chat. Ctrl-C to stop\n"
        "answered /whoami (1 so far)\n"
        "answered /whoami (2 so far)\n"
    )
    assert str(sam.id) not in out + err, "no Telegram id on the operator's screen"
    # Another update was pending all along: nothing was confirmed, so the bot still gets it.
    pending = [u.get("message", {}).get("message_id") for u in emu.pending_updates()]
    assert hello["message_id"] in pending
    assert sorted(p.name for p in data.iterdir()) == [
        "alongside.db",
        "index.key",
        "master.key",
    ], "nothing of the askers is kept; the keys are the deployment's own"


async def test_answered_whoami_are_confirmed_when_they_are_all_that_is_pending(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    emu, data = emulator, deployed(tmp_path / "data")
    sam = emu.user(7310011, "Sam")
    emu.send_text(sam, "/whoami please")
    process = await _whoami(emu, data)
    try:
        await emu.wait_for(lambda: emu.sent_to(sam.id), timeout=30 * PATIENCE)
    finally:
        _, err = await _stop(process)
    assert process.returncode == 0, err
    assert emu.pending_updates() == [], "the bot will not answer it a second time"


async def test_once_a_supervisor_is_enrolled_the_bot_answers_instead(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    data = deployed(tmp_path / "data")
    enrolled = alongside(
        data, "staff", "add", "--role", "supervisor", "--telegram-id", "7", "--name", "Sam"
    )
    assert enrolled.returncode == 0, enrolled.stderr
    process = await _whoami(emulator, data)
    out, err = await asyncio.wait_for(process.communicate(), 60 * PATIENCE)
    assert process.returncode == 2
    assert out.decode() == where(data)
    assert err.decode() == f"alongside: {ENROLLED}\n"
    assert emulator.calls_to("getUpdates") == [], "the running bot's updates are not touched"


async def _deployed_here(emu: BotApiEmulator, data: Path) -> Settings:
    """A new deployment made by this process's code, as `alongside db upgrade` makes one."""
    settings = Settings.from_env(_env(emu, data))
    assert await db_upgrade(settings) == 0
    return settings


def _failed(emu: BotApiEmulator, method: str) -> int:
    return sum(1 for call in emu.calls_to(method) if call.fault is not None)


async def test_whoami_waits_out_telegram_failing_and_answers_once_it_is_back(
    emulator: BotApiEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu, settings = emulator, await _deployed_here(emulator, tmp_path / "data")
    sam = emu.user(7310021, "Sam", language_code="sq")
    stop = asyncio.Event()
    whoami = asyncio.create_task(answer_whoami(settings, stop))
    try:
        await emu.wait_for(lambda: emu.calls_to("getUpdates") or whoami.done(), 30 * PATIENCE)
        # A dropped connection, then a Bot API server in trouble, for the next polls; then the
        # first answer fails too.
        emu.add_fault(Fault("drop", method="getUpdates", count=1))
        emu.add_fault(Fault("500", method="getUpdates", status=502, count=1))
        emu.add_fault(Fault("500", method="sendMessage", status=503, count=1))
        await emu.wait_for(lambda: _failed(emu, "getUpdates") == 2 or whoami.done(), 30 * PATIENCE)
        emu.send_text(sam, "/whoami")
        await emu.wait_for(lambda: emu.sent_to(sam.id) or whoami.done(), 30 * PATIENCE)
        assert not whoami.done(), "still answering"
    finally:
        stop.set()
        code = await asyncio.wait_for(whoami, 30 * PATIENCE)
    assert code == 0
    assert _failed(emu, "sendMessage") == 1
    assert [m.text for m in emu.sent_to(sam.id)] == [_answer(sam.id, "sq")], "answered once"
    assert emu.pending_updates() == [], "and confirmed, as ever"
    out, err = capsys.readouterr()
    assert "answered /whoami (1 so far)\n" in out
    assert err.count(f"{TELEGRAM_TROUBLE}\n") == 2, "told once per outage, not once a try"
    assert err.count(f"{TELEGRAM_BACK}\n") == 2
    assert str(sam.id) not in out + err


async def test_whoami_stops_at_once_while_telegram_is_away(
    emulator: BotApiEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    emu, settings = emulator, await _deployed_here(emulator, tmp_path / "data")
    sam = emu.user(7310031, "Sam")
    emu.send_text(sam, "/whoami")
    # The answer takes its time; meanwhile Telegram goes away for good, so the answered /whoami
    # cannot be confirmed.
    emu.add_fault(Fault("slow", method="sendMessage", delay=PATIENCE))
    stop = asyncio.Event()
    whoami = asyncio.create_task(answer_whoami(settings, stop))
    try:
        await emu.wait_for(lambda: emu.calls_to("getUpdates") or whoami.done(), 30 * PATIENCE)
        emu.add_fault(Fault("500", method="getUpdates", status=502, count=None))
        await emu.wait_for(lambda: _failed(emu, "getUpdates") >= 2 or whoami.done(), 30 * PATIENCE)
        assert not whoami.done(), "still waiting for Telegram"
    finally:
        started = asyncio.get_running_loop().time()
        stop.set()
        code = await asyncio.wait_for(whoami, 30 * PATIENCE)
    assert asyncio.get_running_loop().time() - started < 1.0 * PATIENCE, "not after the pause"
    assert code == 0
    assert [m.text for m in emu.sent_to(sam.id)] == [_answer(sam.id, "en")]
    _, err = capsys.readouterr()
    assert err.endswith(f"{TELEGRAM_TROUBLE}\n{UNCONFIRMED}\n"), err
    assert [u["message"]["from"]["id"] for u in emu.pending_updates()] == [sam.id]
