"""What keeps the sandbox to practice: no real token or Bot API, this machine only, and
scripted messages that say what their scenario says they do."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.practice import TOKEN, only_the_emulator
from bot.sandbox import parse_listen
from bot.sandbox.scenarios import TIGRINYA, URGENT
from bot.sandbox.web import refusal
from bot.settings import Settings
from conversations.errors import ConfigurationError
from safety import Detector, Severity

REAL_LOOKING = "7012345678:AAHk2d9xYzExampleExampleExample12345"


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": "http://127.0.0.1:9/bot",
            "ALONGSIDE_DATA_DIR": str(tmp_path),
            **env,
        }
    )


def test_practice_runs_on_the_emulator_with_its_own_token(tmp_path: Path) -> None:
    only_the_emulator(settings(tmp_path))


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({"TELEGRAM_BOT_TOKEN": REAL_LOOKING}, "never a real one"),
        ({"TELEGRAM_API_BASE_URL": "https://api.telegram.org/bot"}, "never a real Bot API"),
        (
            {"TELEGRAM_API_FILE_URL": "https://api.telegram.org/file/bot"},
            "never a real Bot API",
        ),
        (
            {"DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5432/test"},
            "temporary embedded store",
        ),
    ],
)
def test_practice_refuses_anything_beyond_the_emulator(
    tmp_path: Path, env: dict[str, str], why: str
) -> None:
    with pytest.raises(ConfigurationError, match=why):
        only_the_emulator(settings(tmp_path, **env))


@pytest.mark.parametrize(
    ("listen", "where"),
    [
        ("127.0.0.1:8765", ("127.0.0.1", 8765)),
        ("localhost:0", ("localhost", 0)),
        ("[::1]:8080", ("::1", 8080)),
        ("127.0.0.2:80", ("127.0.0.2", 80)),
    ],
)
def test_the_page_is_served_on_this_machine(listen: str, where: tuple[str, int]) -> None:
    assert parse_listen(listen) == where


@pytest.mark.parametrize(
    "listen", ["0.0.0.0:8765", "192.168.1.5:8765", "[::]:8765", "example.org:80", "8765", ":80"]
)
def test_never_on_a_network(listen: str) -> None:
    with pytest.raises(ConfigurationError, match="--listen"):
        parse_listen(listen)


@pytest.mark.parametrize(
    ("method", "headers", "refused"),
    [
        ("GET", {"host": "127.0.0.1:8765"}, False),
        ("GET", {"host": "localhost:8765"}, False),
        ("GET", {"host": "[::1]:8765"}, False),
        # A name rebound to 127.0.0.1 by someone else's page.
        ("GET", {"host": "attacker.example:8765"}, True),
        ("GET", {}, True),
        ("POST", {"host": "127.0.0.1:8765", "content-type": "application/json"}, False),
        (
            "POST",
            {
                "host": "127.0.0.1:8765",
                "content-type": "application/json; charset=utf-8",
                "origin": "http://127.0.0.1:8765",
            },
            False,
        ),
        # What a form or a plain fetch on another site can send without asking first.
        ("POST", {"host": "127.0.0.1:8765", "content-type": "text/plain"}, True),
        ("POST", {"host": "127.0.0.1:8765"}, True),
        (
            "POST",
            {
                "host": "127.0.0.1:8765",
                "content-type": "application/json",
                "origin": "https://attacker.example",
            },
            True,
        ),
    ],
)
def test_only_this_sandboxs_page_may_act(
    method: str, headers: dict[str, str], refused: bool
) -> None:
    assert (refusal(method, headers) is not None) is refused


def test_the_scripted_messages_are_what_their_scenarios_say() -> None:
    detector = Detector.load()
    for language, text in URGENT.items():
        assert detector.scan(text, [language]).severity is Severity.URGENT, language
    assert detector.scan(TIGRINYA, ["ti"]).severity is Severity.NONE
