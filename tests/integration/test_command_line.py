"""The `alongside` command line as an operator runs it: real subprocesses, real exit codes."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(data: Path, *args: str, stdin: str | None = None, **env: str
        ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_"))}
    environ.update({"ALONGSIDE_DATA_DIR": str(data), **env})
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=environ, text=True,
                          input=stdin, capture_output=True, timeout=60, check=False,
                          cwd=data.parent)


def test_staff_add_list_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    added = run(data, "staff", "add", "--role", "supervisor", "--telegram-id", "555",
                "--name", "Sam Lead", "--languages", "en,sq")
    assert added.returncode == 0, added.stderr
    assert "enrolled supervisor Sam Lead" in added.stdout
    assert (data / "master.key").stat().st_mode & 0o777 == 0o600
    assert (data / "index.key").stat().st_mode & 0o777 == 0o600
    again = run(data, "staff", "add", "--role", "advocate", "--telegram-id", "555", "--name", "X")
    assert again.returncode == 2
    assert again.stderr.strip() == "alongside: that Telegram account is already enrolled"
    listed = run(data, "staff", "list")
    assert listed.returncode == 0
    assert "supervisor" in listed.stdout
    assert "Sam Lead" in listed.stdout
    assert "children=0" in listed.stdout
    removed = run(data, "staff", "remove", "--telegram-id", "555")
    assert removed.returncode == 0
    assert "no staff enrolled" in run(data, "staff", "list").stdout
    missing = run(data, "staff", "remove", "--telegram-id", "555")
    assert missing.returncode == 2


@pytest.mark.parametrize(("args", "env", "says"), [
    (("staff", "add", "--telegram-id", "5", "--name", "X"), {}, "--role"),
    (("run",), {}, "BotFather"),
    (("run", "--workers", "2"), {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP"}, "PostgreSQL"),
    (("staff", "list"), {"ALONGSIDE_MASTER_KEY": "not base64!"}, "ALONGSIDE_MASTER_KEY"),
    (("staff", "list"), {"ALONGSIDE_MASTER_KEY": base64.b64encode(b"short").decode()},
     "32 bytes"),
    (("run",), {"TELEGRAM_BOT_TOKEN": "nonsense"}, "BotFather token"),
    (("run",), {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP",
                "ALONGSIDE_WEBHOOK_URL": "https://example.org/tg"}, "ALONGSIDE_WEBHOOK_SECRET"),
    (("run",), {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP",
                "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    (("frobnicate",), {}, "invalid choice"),
])
def test_usage_and_configuration_errors_exit_2(tmp_path: Path, args: tuple[str, ...],
                                               env: dict[str, str], says: str) -> None:
    done = run(tmp_path / "data", *args, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr


def test_wrong_master_key_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "staff", "add", "--role", "advocate", "--telegram-id", "7",
               "--name", "Rosa").returncode == 0
    other = base64.b64encode(os.urandom(32)).decode()
    done = run(data, "staff", "list", ALONGSIDE_MASTER_KEY=other)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


def test_keys_rotate_keeps_everything_readable(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "staff", "add", "--role", "advocate", "--telegram-id", "7",
               "--name", "Rosa Example").returncode == 0
    old = (data / "master.key").read_bytes()
    rotated = run(data, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert (data / "master.key").read_bytes() != old
    assert not (data / "master.key.new").exists()
    assert "Rosa Example" in run(data, "staff", "list").stdout
    assert run(data, "audit", "verify").returncode == 0
    (data / "master.key").write_bytes(old)
    assert run(data, "staff", "list").returncode != 0, "the old key no longer opens anything"


def test_interrupted_rotation_is_finished_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run(data, "staff", "add", "--role", "advocate", "--telegram-id", "7",
               "--name", "Rosa Example").returncode == 0
    old = (data / "master.key").read_bytes()
    assert run(data, "keys", "rotate").returncode == 0
    # As if the rotation had committed but stopped before installing its key file.
    (data / "master.key.new").write_bytes((data / "master.key").read_bytes())
    (data / "master.key").write_bytes(old)
    listed = run(data, "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Rosa Example" in listed.stdout
    assert not (data / "master.key.new").exists()


def test_safety_scan_contract(tmp_path: Path) -> None:
    lines = "\n".join([
        json.dumps({"text": "i want to die", "language": "en"}),
        json.dumps({"text": "good morning"}),
        "not json",
        "",
    ])
    done = run(tmp_path / "data", "safety-scan", stdin=lines)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["severity"] == "urgent"
    assert "self_harm" in out[0]["categories"]
    assert out[0]["rules"]
    assert out[1] == {"severity": "none", "categories": [], "rules": []}
    assert "error" in out[2]
    assert done.returncode == 1, "a bad line makes the exit code 1"
    clean = run(tmp_path / "data", "safety-scan", stdin=json.dumps({"text": "hello"}) + "\n")
    assert clean.returncode == 0


def test_db_upgrade_and_has_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    upgraded = run(data, "db", "upgrade")
    assert upgraded.returncode == 0
    assert "up to date" in upgraded.stdout
    assert run(data, "has-token").returncode == 1
    assert run(data, "has-token", TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOP").returncode == 0
