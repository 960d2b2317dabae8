"""The operator is told the truth: which store a command used, a key that is missing or wrong,
a token Telegram refuses (never printed), and every setting, documented from one list."""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from bot.arguments import parser as _parser
from bot.emulator import BotApiEmulator
from bot.variables import VARIABLES, settings_table
from tests.conftest import PATIENCE, postgres_database
from tests.integration.test_command_line import SCRIPT, alongside, deployed, where

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 40


def _enrol(data: Path, **env: str) -> None:
    done = alongside(
        deployed(data, **env),
        "staff",
        "add",
        "--role",
        "supervisor",
        "--telegram-id",
        "7",
        "--name",
        "Sam",
        **env,
    )
    assert done.returncode == 0, done.stderr


# Finding 5: keys are made for a new store only, and every admin command says where it works.


@pytest.mark.parametrize("lost", ["index.key", "master.key"])
def test_a_key_file_missing_beside_data_is_refused_not_remade(tmp_path: Path, lost: str) -> None:
    data = tmp_path / "data"
    _enrol(data)
    kept = (data / lost).read_bytes()
    (data / lost).unlink()
    for args in (
        ("staff", "list"),
        ("staff", "add", "--role", "advocate", "--telegram-id", "7", "--name", "Sam"),
        ("audit", "verify"),
    ):
        done = alongside(data, *args)
        assert (done.returncode, done.stdout) == (2, where(data))
        assert done.stderr == (
            f"alongside: {data / lost} is missing, but the database sqlite+aiosqlite:///"
            f"{data.resolve()}/alongside.db already holds data: put the key file back (or set "
            f"ALONGSIDE_{lost.removesuffix('.key').upper()}_KEY); a new key would open none "
            "of it\n"
        )
        assert not (data / lost).exists(), "no new key is made beside data"
    (data / lost).write_bytes(kept)
    restored = alongside(data, "audit", "verify")
    assert restored.returncode == 0, restored.stdout + restored.stderr


def test_every_admin_command_says_first_where_it_works(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _enrol(data)
    for args in (
        ("db", "upgrade"),
        ("staff", "list"),
        ("keys", "rotate"),
        ("audit", "verify"),
        ("staff", "add", "--role", "advocate", "--telegram-id", "8", "--name", "Rosa"),
        ("staff", "remove", "--telegram-id", "8"),
    ):
        done = alongside(data, *args)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(where(data)), args


def test_audit_verify_tells_a_wrong_index_key_from_tampering(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _enrol(data)
    other = base64.b64encode(secrets.token_bytes(32)).decode()
    done = alongside(data, "audit", "verify", ALONGSIDE_INDEX_KEY=other)
    assert (done.returncode, done.stdout) == (2, where(data))
    assert done.stderr == (
        "alongside: the index key does not match this database (wrong "
        "ALONGSIDE_INDEX_KEY?): not one audit entry verifies under it, nor "
        "the chain's head\n"
    )
    (data / "index.key").write_text(other + "\n")
    done = alongside(data, "audit", "verify")
    assert done.returncode == 2
    assert done.stderr.startswith(
        "alongside: the index key does not match this database (wrong index.key?)"
    )


async def _sql(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_postgres_needs_its_schema_and_its_keys_and_hides_its_password(
    tmp_path: Path,
) -> None:
    async with postgres_database() as migrated:
        # As a new server database is: no schema yet.
        await _sql(migrated, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
        url = make_url(migrated).set(password="sekrit-pw")
        env = {"DATABASE_URL": url.render_as_string(hide_password=False)}
        shown = url.render_as_string(hide_password=True)
        assert "postgres:***@" in shown
        here, elsewhere = tmp_path / "here", tmp_path / "elsewhere"

        def said(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
            done = alongside(data, *args, **env)
            assert "sekrit-pw" not in done.stdout + done.stderr
            assert done.stdout.startswith(f"using data dir {data.resolve()}, database {shown}\n")
            return done

        behind = said(here, "staff", "list")
        assert (behind.returncode, behind.stderr) == (
            2,
            "alongside: the database schema is not current: run `alongside db upgrade`\n",
        )
        assert said(here, "db", "upgrade").returncode == 0
        added = said(
            here, "staff", "add", "--role", "supervisor", "--telegram-id", "7", "--name", "Sam"
        )
        assert added.returncode == 0, added.stderr
        assert "a new store: made" in added.stdout
        # The same database from another directory: no keys there, and none are made.
        lost = said(elsewhere, "staff", "list")
        assert lost.returncode == 2
        assert lost.stderr == (
            f"alongside: {elsewhere / 'master.key'} is missing, but the database {shown} "
            "already holds data: put the key file back (or set ALONGSIDE_MASTER_KEY); a new key "
            "would open none of it\n"
        )
        assert not elsewhere.exists() or not any(elsewhere.iterdir())


# Finding 7: every configuration error is one line and exit 2.


def test_a_data_dir_with_brackets_and_quotes_works(tmp_path: Path) -> None:
    data = tmp_path / "data (copy) it's, 100%"
    added = alongside(
        deployed(data),
        "staff",
        "add",
        "--role",
        "advocate",
        "--telegram-id",
        "7",
        "--name",
        "Rosa Example",
    )
    assert added.returncode == 0, added.stderr
    listed = alongside(data, "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Rosa Example" in listed.stdout
    assert (data / "alongside.db").exists()


def test_a_check_in_hour_of_midnight_is_taken(tmp_path: Path) -> None:
    done = alongside(tmp_path / "data", "has-token", ALONGSIDE_CHECKIN_HOUR="0")
    assert (done.returncode, done.stderr) == (1, "")


# Finding 6 and 7: Telegram refusing the token, or out of reach, is one line without the token.


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("log_format", "webhook", "reachable"),
    [("text", False, True), ("json", True, True), ("json", False, False), ("text", True, False)],
)
async def test_telegram_refusing_or_unreachable_is_one_line_without_the_token(
    tmp_path: Path, emulator: BotApiEmulator, log_format: str, webhook: bool, reachable: bool
) -> None:
    data = tmp_path / "data"
    _enrol(data)
    secret = secrets.token_urlsafe(26)
    base = emulator.base_url if reachable else f"http://127.0.0.1:{_closed_port()}/bot"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_", "PYTHON"))
    }
    env.update(
        {
            "ALONGSIDE_DATA_DIR": str(data),
            "TELEGRAM_BOT_TOKEN": f"987654321:{secret}",
            "TELEGRAM_API_BASE_URL": base,
        }
    )
    if webhook:
        env.update(
            {
                "ALONGSIDE_WEBHOOK_URL": "https://example.org/tg",
                "ALONGSIDE_WEBHOOK_SECRET": SECRET,
                "ALONGSIDE_LISTEN": f"127.0.0.1:{_closed_port()}",
            }
        )
    # The emulator answers from this event loop: the command runs beside it, not blocking it.
    process = await asyncio.create_subprocess_exec(
        str(SCRIPT),
        "--log-format",
        log_format,
        "run",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60 * PATIENCE)
    stdout, stderr = out.decode(), err.decode()
    assert secret not in stdout + stderr
    assert process.returncode == 2, stderr
    assert stdout == ""
    assert stderr == (
        f"alongside: the Bot API at {base} refused TELEGRAM_BOT_TOKEN (check it with "
        "@BotFather, and TELEGRAM_API_BASE_URL)\n"
        if reachable
        else f"alongside: Telegram could not be reached at {base}\n"
    )


# Finding 8: `make run` with a malformed token stops with the reason; no demo.


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_with_a_malformed_token_stops_instead_of_playing_the_demo(tmp_path: Path) -> None:
    venv = Path(sys.executable).parent.parent
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_", "MAKE"))
    }
    env.update(
        {"ALONGSIDE_DATA_DIR": str(tmp_path / "data"), "TELEGRAM_BOT_TOKEN": "123456:not a token"}
    )
    # -o: take the installed virtualenv as it is; never reinstall from a test.
    done = subprocess.run(
        ["make", "-s", "-C", str(ROOT), f"VENV={venv}", "-o", f"{venv}/bin/.installed", "run"],
        env=env,
        text=True,
        capture_output=True,
        timeout=60 * PATIENCE,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == "", "the demo did not play"
    assert done.stderr.splitlines()[0] == (
        "alongside: TELEGRAM_BOT_TOKEN does not look like a BotFather token"
    )
    assert "not a token" not in done.stderr
    assert not (tmp_path / "data").exists()


# Finding 12: every option and every setting is described, from one list.


def _names_read_by_settings() -> set[str]:
    source = (ROOT / "bot" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'get\("([A-Z][A-Z0-9_]+)"\)', source))


def test_every_setting_is_in_the_help_and_the_readme(tmp_path: Path) -> None:
    documented = [v.name for v in VARIABLES]
    assert len(documented) == len(set(documented))
    assert _names_read_by_settings() == set(documented), "read but undocumented, or stale"
    shown = alongside(tmp_path / "data", "--help")
    assert shown.returncode == 0
    for var in VARIABLES:
        assert f"\n  {var.name}  (default: {var.default.replace('`', '')})\n" in shown.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert settings_table() in readme, "README's Configuration table: print settings_table()"
    for name in ("--locale", "has-token", "--log-level", "--log-format"):
        assert name in readme


def test_every_command_and_option_is_described(tmp_path: Path) -> None:
    def walk(parser: argparse.ArgumentParser, name: str) -> list[str]:
        missing = [
            f"{name} {a.option_strings or a.dest}"
            for a in parser._actions
            if not a.help and not isinstance(a, argparse._SubParsersAction)
        ]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    if not child.description:
                        missing.append(f"{name} {sub}")
                    missing += walk(child, f"{name} {sub}")
        return missing

    assert walk(_parser(), "alongside") == []
    shown = alongside(tmp_path / "data", "staff", "add", "--help")
    assert shown.returncode == 0
    assert "their numeric Telegram user id" in shown.stdout
