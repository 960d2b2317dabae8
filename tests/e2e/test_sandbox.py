"""`alongside sandbox` without a browser: its API as the page uses it, the training scenarios
played to the end, and the command as an operator runs it. (`test_sandbox_browser` drives the
page itself in Chromium.)"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox import SandboxServer
from bot.sandbox.scenarios import TIGRINYA
from tests.conftest import PATIENCE

pytestmark = pytest.mark.slow
WAIT = 60.0


@pytest.fixture
async def server() -> AsyncIterator[SandboxServer]:
    async with SandboxServer("127.0.0.1:0") as running:
        yield running


async def until(what: str, check: Callable[[], Any], timeout: float = WAIT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout * PATIENCE
    while not check():
        assert loop.time() < deadline, f"never: {what}"
        await asyncio.sleep(0.05)


async def settled(server: SandboxServer) -> dict[str, Any]:
    """The state once no scenario is loading or playing."""
    sandbox = server.sandbox
    assert sandbox is not None

    def idle() -> bool:
        return sandbox.world is not None and sandbox.loading is None and sandbox.playing is None

    await until("the scenario ends", idle)
    return sandbox.state()


def texts(state: dict[str, Any], role: str) -> list[str]:
    phone = next(p for p in state["phones"] if p["role"] == role)
    return [m["text"] for m in phone["messages"]]


async def test_the_page_and_what_its_phones_may_do(server: SandboxServer) -> None:
    sandbox = server.sandbox
    assert sandbox is not None
    first = await settled(server)
    assert first["status"]["error"] is None
    assert [p["role"] for p in first["phones"]] == ["young", "advocate", "supervisor"]
    async with httpx.AsyncClient(
        base_url=server.url, trust_env=False, timeout=10 * PATIENCE
    ) as http:
        page = await http.get("/")
        assert page.status_code == 200
        assert "Practice sandbox" in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert (await http.get("/static/sandbox.js")).status_code == 200
        assert (await http.get("/static/world.py")).status_code == 404
        # Another site: a name rebound to this machine, or a form posted from elsewhere.
        assert (await http.get("/", headers={"host": "attacker.example"})).status_code == 403
        posted = await http.post(
            "/api/clock", content=b'{"minutes": 10}', headers={"content-type": "text/plain"}
        )
        assert posted.status_code == 403

        said = await http.post("/api/phones/young/say", json={"text": "Kur takohemi?"})
        assert said.status_code == 204
        await until(
            "the relay on the advocate's phone",
            lambda: any("Kur takohemi?" in t for t in texts(sandbox.state(), "advocate")),
        )

        refusals = [
            ("/api/phones/young/press", {"message_id": 1, "data": "x"}, "no longer there"),
            ("/api/phones/young/say", {"text": "   "}, "write something"),
            ("/api/phones/young/say", {"text": "hi", "reply_to": 999}, "no longer in this"),
            ("/api/phones/young/say", {"text": "x" * 4097}, "at most 4096"),
            ("/api/phones/young/send", {"kind": "location"}, "sends only"),
            ("/api/phones/nobody/say", {"text": "hi"}, "no such phone"),
            ("/api/phones/advocate/language", {"code": "tlh"}, "not a language"),
            ("/api/clock", {"minutes": -5}, "only moves forward"),
            ("/api/clock", {"minutes": 15 * 24 * 60}, "at most 14 days"),
            ("/api/scenarios/nothing", {}, "no such scenario"),
        ]
        for path, body, why in refusals:
            answer = await http.post(path, json=body)
            assert answer.status_code == 400, path
            assert why in answer.json()["error"], path
        updates = len(sandbox.state()["phones"][0]["messages"])

        moved = await http.post("/api/clock", json={"minutes": 60})
        assert moved.status_code == 204
        now = sandbox.state()
        assert now["clock"]["ahead"] == "1 h ahead of real time"
        assert any("moves forward 1 h" in line for line in now["narration"])
        assert len(now["phones"][0]["messages"]) == updates, "the refusals sent nothing"

        sent = await http.post("/api/phones/young/send", json={"kind": "photo", "caption": "x"})
        assert sent.status_code == 204
        await until(
            "the photo relayed as a placeholder",
            lambda: any(
                m["kind"] == "photo" and m["text"].endswith("x")
                for m in sandbox.state()["phones"][1]["messages"]
            ),
        )

        async with http.stream("GET", "/api/events") as events:
            assert events.headers["content-type"].startswith("text/event-stream")
            async for line in events.aiter_lines():
                if line.startswith("data: "):
                    shown = json.loads(line.removeprefix("data: "))
                    break
        assert shown["clock"]["ahead"] == "1 h ahead of real time"


async def test_the_training_scenarios_play_to_the_end(server: SandboxServer) -> None:
    sandbox = server.sandbox
    assert sandbox is not None
    await settled(server)
    sandbox.set_language("advocate", "fr")
    cases = [
        ("tigrinya", "advocate", TIGRINYA),
        ("check-in", "advocate", "n'a pas répondu"),
        ("night", "supervisor", "Reminder 1"),
    ]
    for key, role, needle in cases:
        sandbox.load(key)
        state = await settled(server)
        assert state["status"]["error"] is None, key
        assert any(needle in text for text in texts(state, role)), (key, texts(state, role))
    young = state["phones"][0]
    assert (young["name"], young["language"]) == ("Ana", "sq"), "Selam was one scenario's"


async def test_the_command_as_an_operator_runs_it(tmp_path: Path) -> None:
    cwd, scratch = tmp_path / "cwd", tmp_path / "tmp"
    cwd.mkdir()
    scratch.mkdir()
    # Whatever the operator's configuration holds, the sandbox never reads it.
    (cwd / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=7012345678:AAHk2d9xYzExampleExampleExample12345\n"
        "DATABASE_URL=postgresql+asyncpg://nobody@127.0.0.1:9/none\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_"))
    }
    env["TMPDIR"] = str(scratch)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "sandbox",
        "--listen",
        "127.0.0.1:0",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        first = await asyncio.wait_for(process.stdout.readline(), WAIT * PATIENCE)
        assert first.startswith(b"Alongside sandbox: open http://127.0.0.1:"), first
        url = first.decode().split("open ", 1)[1].split()[0]
        async with httpx.AsyncClient(base_url=url, trust_env=False, timeout=10 * PATIENCE) as http:
            for _ in range(int(WAIT * PATIENCE * 10)):
                state = (await http.get("/api/state")).json()
                if state.get("phones") and not state["status"]["loading"]:
                    break
                await asyncio.sleep(0.1)
        assert state["bot"] == "running"
        assert state["status"]["error"] is None
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), WAIT * PATIENCE)
    assert process.returncode == 0, err.decode()
    assert "Practice only" in first.decode() + out.decode()
    assert out.decode().rstrip().endswith("Sandbox stopped: its temporary data was deleted.")
    assert [p.name for p in cwd.iterdir()] == [".env"]
    assert list(scratch.iterdir()) == [], "the temporary data dir is removed"
