"""The `alongside` command line as an operator types it: the installed console script in real
subprocesses, each answer held to the operator contract word for word, with its exit code."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import select
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conversations import linking, people
from conversations.crypto import load_or_create_key
from conversations.store import Store, StoreConfig
from tests.conftest import PATIENCE

SCRIPT = Path(sys.executable).with_name("alongside")
ADVOCATE, CHILD = 7345128901, 7345128902
ULID = r"[0-9A-HJKMNP-TV-Z]{26}"


def where(data: Path) -> str:
    """The first line every admin command prints on stdout."""
    return (
        f"using data dir {data.resolve()}, "
        f"database sqlite+aiosqlite:///{(data / 'alongside.db').resolve()}\n"
    )


def made(data: Path) -> str:
    return f"a new store: made {data / 'master.key'} and {data / 'index.key'}\n"


def alongside(
    data: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    # As an operator's shell has it: no test-runner settings such as PYTHONUNBUFFERED.
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "ALONGSIDE_", "PYTHON"))
    }
    environ.update({"ALONGSIDE_DATA_DIR": str(data), **env})
    return subprocess.run(
        [str(SCRIPT), *args],
        env=environ,
        text=True,
        input=stdin,
        capture_output=True,
        timeout=60 * PATIENCE,
        check=False,
        cwd=data.parent,
    )


def deployed(data: Path, **env: str) -> Path:
    """A new deployment, made as the operator makes one: `alongside db upgrade`."""
    done = alongside(data, "db", "upgrade", **env)
    assert done.returncode == 0, done.stderr
    return data


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.exists(), "pip install -e . makes the `alongside` script"


async def _link_a_child(data: Path) -> None:
    """A child linked to the enrolled advocate, through the services, on the CLI's own store."""
    config = StoreConfig(
        f"sqlite+aiosqlite:///{(data / 'alongside.db').resolve()}",
        load_or_create_key(None, data / "master.key", "master"),
        load_or_create_key(None, data / "index.key", "index"),
    )
    store = await Store.open(config)
    try:
        async with store.unit() as uow:
            advocate = await people.find_staff(uow, ADVOCATE)
            assert advocate is not None
            invite = await linking.create_invite(uow, advocate, "Nightingale")
            await linking.link_child(uow, CHILD, invite.code, "en")
            await uow.commit()
    finally:
        await store.close()


async def test_staff_add_list_remove(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    added = alongside(
        data,
        "staff",
        "add",
        "--role",
        "advocate",
        "--telegram-id",
        str(ADVOCATE),
        "--name",
        "Rosalind Advocate",
        "--languages",
        "en, sq",
    )
    assert added.returncode == 0, added.stderr
    head = where(data) + made(data)
    assert added.stdout.startswith(head)
    assert re.fullmatch(
        rf"enrolled advocate Rosalind Advocate \({ULID}\)\n", added.stdout.removeprefix(head)
    )
    assert (data / "master.key").stat().st_mode & 0o777 == 0o600
    assert (data / "index.key").stat().st_mode & 0o777 == 0o600
    again = alongside(
        data, "staff", "add", "--role", "supervisor", "--telegram-id", str(ADVOCATE), "--name", "X"
    )
    assert again.returncode == 2
    assert again.stderr == "alongside: that Telegram account is already enrolled\n"
    staff_id = added.stdout.rsplit("(", 1)[1].rstrip(")\n")

    await _link_a_child(data)
    listed = alongside(data, "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.removeprefix(where(data)).split() == [
        staff_id,
        "advocate",
        "Rosalind",
        "Advocate",
        "languages=en,sq",
        "children=1",
    ]
    assert str(ADVOCATE) not in listed.stdout, "Telegram ids are not printed"

    refused = alongside(data, "staff", "remove", "--telegram-id", str(ADVOCATE))
    assert refused.returncode == 2
    assert refused.stderr == "alongside: they still have 1 young people; hand them over first\n"
    assert refused.stdout == where(data)

    assert "Rosalind Advocate" in alongside(data, "staff", "list").stdout


def test_staff_remove_and_an_empty_list(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    assert (
        alongside(
            data, "staff", "add", "--role", "advocate", "--telegram-id", "555", "--name", "Sam"
        ).returncode
        == 0
    )
    removed = alongside(data, "staff", "remove", "--telegram-id", "555")
    assert removed.returncode == 0, removed.stderr
    assert re.fullmatch(rf"removed Sam \({ULID}\)\n", removed.stdout.removeprefix(where(data)))
    listed = alongside(data, "staff", "list")
    assert listed.returncode == 0
    assert listed.stdout == where(data) + "no staff enrolled; add one with `alongside staff add`\n"


def test_the_last_supervisor_cannot_be_removed(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    for telegram_id, name in (("556", "Sam"), ("557", "Uma")):
        assert (
            alongside(
                data,
                "staff",
                "add",
                "--role",
                "supervisor",
                "--telegram-id",
                telegram_id,
                "--name",
                name,
            ).returncode
            == 0
        )
    assert alongside(data, "staff", "remove", "--telegram-id", "556").returncode == 0
    last = alongside(data, "staff", "remove", "--telegram-id", "557")
    assert (last.returncode, last.stdout) == (2, where(data))
    assert last.stderr == (
        "alongside: they are the last active supervisor: enrol another supervisor first\n"
    )
    assert "Uma" in alongside(data, "staff", "list").stdout


TOKEN = {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ("run",),
            {},
            "alongside: TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram "
            "and put "
            "it in the environment or .env, or try `alongside demo`",
        ),
        (
            ("run", "--workers", "2"),
            TOKEN,
            "alongside: --workers above 1 needs PostgreSQL (DATABASE_URL); the embedded SQLite "
            "store "
            "serves one process",
        ),
        (("run", "--workers", "0"), TOKEN, "alongside: --workers must be 1 or more"),
        (
            ("staff", "list"),
            {"ALONGSIDE_MASTER_KEY": "not base64!"},
            "alongside: ALONGSIDE_MASTER_KEY is not valid base64",
        ),
        (
            ("staff", "add", "--role", "advocate", "--telegram-id", "5", "--name", "X"),
            {"ALONGSIDE_MASTER_KEY": base64.b64encode(secrets.token_bytes(16)).decode()},
            "alongside: ALONGSIDE_MASTER_KEY must be 32 bytes of base64, not 16",
        ),
        (
            ("staff", "add", "--role", "advocate", "--telegram-id", "5", "--name", " "),
            {},
            "alongside: a name of 1 to 64 characters is needed",
        ),
        (
            ("staff", "remove", "--telegram-id", "5"),
            {},
            "alongside: no active staff member has that Telegram id",
        ),
        (
            ("run",),
            {"TELEGRAM_BOT_TOKEN": "nonsense"},
            "alongside: TELEGRAM_BOT_TOKEN does not look like a BotFather token",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_WEBHOOK_URL": "https://example.org/tg"},
            "alongside: ALONGSIDE_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, _ "
            "and - "
            "in webhook mode",
        ),
        *[
            (
                ("run",),
                {
                    **TOKEN,
                    "ALONGSIDE_WEBHOOK_URL": "https://example.org/tg",
                    "ALONGSIDE_WEBHOOK_SECRET": secret,
                },
                "alongside: ALONGSIDE_WEBHOOK_SECRET must be 32-256 characters of A-Z, a-z, 0-9, "
                "_ and - "
                "in webhook mode",
            )
            for secret in ("x", "a" * 31, "a" * 31 + "!", "a" * 257)
        ],
        (
            ("run",),
            {**TOKEN, "DATABASE_URL": "mysql://x"},
            "alongside: DATABASE_URL must be sqlite+aiosqlite:///... or postgresql+asyncpg://...",
        ),
        # Every setting on the safety path is read at start, not inside the first alert.
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_ESCALATION_MINUTES": "soon"},
            "alongside: ALONGSIDE_ESCALATION_MINUTES: escalation steps must be numbers of minutes, "
            "got 'soon'",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_ESCALATION_MINUTES": "0"},
            "alongside: ALONGSIDE_ESCALATION_MINUTES: escalation steps must be positive",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_ESCALATION_MINUTES": "10,abc"},
            "alongside: ALONGSIDE_ESCALATION_MINUTES: escalation steps must be numbers of minutes, "
            "got '10,abc'",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_SERVICE_HOURS": "weekdays"},
            "alongside: ALONGSIDE_SERVICE_HOURS: 'weekdays' is not like 'Mon-Fri 09:00-17:00'",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_UNANSWERED_MINUTES": "0"},
            "alongside: ALONGSIDE_UNANSWERED_MINUTES must be a number above zero, not '0'",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_TIMEZONE": "Mars/Olympus"},
            "alongside: ALONGSIDE_TIMEZONE: 'Mars/Olympus' is not a time zone (e.g. Europe/London)",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_REGION": "xx"},
            "alongside: ALONGSIDE_REGION: no emergency contacts for region 'xx'",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_CHECKIN_HOUR": "24"},
            "alongside: ALONGSIDE_CHECKIN_HOUR must be from 0 to 23, not '24'",
        ),
        (
            ("has-token",),
            {"ALONGSIDE_CHECKIN_HOUR": "25"},
            "alongside: ALONGSIDE_CHECKIN_HOUR must be from 0 to 23, not '25'",
        ),
        (
            ("has-token",),
            {"ALONGSIDE_CHECKIN_HOUR": "-1"},
            "alongside: ALONGSIDE_CHECKIN_HOUR must be from 0 to 23, not '-1'",
        ),
        # Each used to be a traceback or exit 1.
        (
            ("--log-level", "NOPE", "staff", "list"),
            {},
            "alongside: argument --log-level: 'NOPE' is not one of DEBUG, INFO, WARNING, ERROR, "
            "CRITICAL (see `alongside --help`)",
        ),
        (
            ("staff", "list"),
            {"ALONGSIDE_TIMEZONE": "Mars/Olympus"},
            "alongside: ALONGSIDE_TIMEZONE: 'Mars/Olympus' is not a time zone (e.g. Europe/London)",
        ),
        (
            ("db", "upgrade"),
            {"DATABASE_URL": "sqlite:///alongside.db"},
            "alongside: DATABASE_URL must be sqlite+aiosqlite:///... or postgresql+asyncpg://...",
        ),
        (
            ("staff", "list"),
            {"DATABASE_URL": "postgresql://postgres@127.0.0.1/test"},
            "alongside: DATABASE_URL must be sqlite+aiosqlite:///... or postgresql+asyncpg://...",
        ),
        (
            ("staff", "list"),
            {"DATABASE_URL": "postgresql+asyncpg://postgres:pw@127.0.0.1:9/none"},
            "alongside: the database postgresql+asyncpg://postgres:***@127.0.0.1:9/none cannot be "
            "reached: [Errno 111] Connect call failed ('127.0.0.1', 9)",
        ),
        (
            ("has-token",),
            {"TELEGRAM_BOT_TOKEN": "123456:ABCDEFGHIJKLMNOP"},
            "alongside: TELEGRAM_BOT_TOKEN does not look like a BotFather token",
        ),
        (
            ("run",),
            {**TOKEN, "ALONGSIDE_MAX_ATTEMPTS": "2.5"},
            "alongside: ALONGSIDE_MAX_ATTEMPTS must be a whole number, not '2.5'",
        ),
        # Nobody to hear an alert: the bot does not start.
        (
            ("run",),
            TOKEN,
            "alongside: no active supervisor: safety alerts would reach nobody. Enrol one first "
            "with "
            "`alongside staff add --role supervisor --telegram-id N --name NAME`",
        ),
    ],
)
def test_configuration_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], line: str
) -> None:
    done = alongside(deployed(tmp_path / "data"), *args, **env)
    assert done.returncode == 2
    assert done.stderr == line + "\n"
    # An admin command says where it works (and whether it made a new store) before it fails.
    assert all(
        line.startswith(("using data dir ", "a new store: made "))
        for line in done.stdout.splitlines()
    )


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ("staff", "add", "--telegram-id", "5", "--name", "X"),
            "alongside staff add: the following arguments are required: --role "
            "(see `alongside staff add --help`)",
        ),
        (
            ("staff", "add", "--role", "boss", "--telegram-id", "5", "--name", "X"),
            "alongside staff add: argument --role: invalid choice: 'boss' (choose from 'advocate', "
            "'supervisor', 'interpreter') (see `alongside staff add --help`)",
        ),
        (
            ("staff", "remove", "--telegram-id", "abc"),
            "alongside staff remove: argument --telegram-id: 'abc' is not a Telegram user id (a "
            "whole "
            "number from 1 to 4503599627370495) (see `alongside staff remove --help`)",
        ),
        # Staff as enrolled must be people the bot can speak to, in a language it has.
        (
            (
                "staff",
                "add",
                "--role",
                "advocate",
                "--telegram-id",
                "12345678901234567890123",
                "--name",
                "X",
            ),
            "alongside staff add: argument --telegram-id: '12345678901234567890123' is not a "
            "Telegram "
            "user id (a whole number from 1 to 4503599627370495) (see `alongside staff add "
            "--help`)",
        ),
        (
            ("staff", "add", "--role", "advocate", "--telegram-id", "0", "--name", "X"),
            "alongside staff add: argument --telegram-id: '0' is not a Telegram user id (a whole "
            "number from 1 to 4503599627370495) (see `alongside staff add --help`)",
        ),
        (
            (
                "staff",
                "add",
                "--role",
                "advocate",
                "--telegram-id",
                "5",
                "--name",
                "X",
                "--languages",
                "xx,zz",
            ),
            "alongside staff add: argument --languages: 'xx', 'zz' not supported; choose from "
            "en,sq,vi,ar,prs,fa,ps,ckb,ti,am,ro,fr,pl (see `alongside staff add --help`)",
        ),
        (
            (
                "staff",
                "add",
                "--role",
                "advocate",
                "--telegram-id",
                "5",
                "--name",
                "X",
                "--languages",
                " , ",
            ),
            "alongside staff add: argument --languages: none given; choose from "
            "en,sq,vi,ar,prs,fa,ps,ckb,ti,am,ro,fr,pl (see `alongside staff add --help`)",
        ),
        (
            (
                "staff",
                "add",
                "--role",
                "advocate",
                "--telegram-id",
                "5",
                "--name",
                "X",
                "--locale",
                "klingon",
            ),
            "alongside staff add: argument --locale: invalid choice: 'klingon' (choose from 'en', "
            "'sq', 'vi', 'ar', 'prs', 'fa', 'ps', 'ckb', 'ti', 'am', 'ro', 'fr', 'pl') "
            "(see `alongside staff add --help`)",
        ),
        (
            ("frobnicate",),
            "alongside: argument COMMAND: invalid choice: 'frobnicate' (choose from 'run', 'demo', "
            "'sandbox', 'has-token', 'db', 'staff', 'keys', 'audit', 'stats', 'whoami', "
            "'safety-scan') "
            "(see `alongside --help`)",
        ),
        (
            ("sandbox", "--listen", "0.0.0.0:8765"),
            "alongside: the sandbox serves only this machine: --listen takes 127.0.0.1, ::1 or "
            "localhost",
        ),
        (
            ("sandbox", "--listen", "8765"),
            "alongside: --listen must be HOST:PORT, e.g. 127.0.0.1:8765",
        ),
    ],
)
def test_bad_usage_is_one_line_and_exits_2(
    tmp_path: Path, args: tuple[str, ...], line: str
) -> None:
    done = alongside(tmp_path / "data", *args)
    assert done.returncode == 2
    assert done.stderr == line + "\n"
    assert done.stdout == ""
    assert not (tmp_path / "data").exists(), "nothing is created for a command that did not run"


def test_safety_scan_writes_one_json_line_per_input(tmp_path: Path) -> None:
    inputs = [
        {"text": "i want to die", "language": "en"},
        {"text": "dua të vdes", "language": "sq"},
        {"text": "see you at football practice"},
        {"text": "", "language": ""},
    ]
    done = alongside(
        tmp_path / "data",
        "safety-scan",
        stdin="".join(json.dumps(i, ensure_ascii=False) + "\n" for i in inputs),
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == len(inputs)
    out = [json.loads(line) for line in lines]
    assert all(set(o) == {"severity", "categories", "rules", "score", "reasons"} for o in out)
    assert [o["severity"] for o in out] == ["urgent", "urgent", "none", "none"]
    assert "self_harm" in out[1]["categories"]
    # Albanian rules or language-agnostic concept rules, never another language's words.
    assert all(r.startswith(("sq.", "en.", "concept.")) for r in out[1]["rules"])
    assert out[0]["score"] > out[2]["score"]
    assert any(reason.startswith("model ") for reason in out[0]["reasons"])
    assert not (tmp_path / "data").exists(), "scanning needs no store"


def test_safety_scan_answers_each_line_as_it_arrives(tmp_path: Path) -> None:
    # A caller may keep the scanner open and zip lines with answers: each answer must not wait
    # for more input.
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ALONGSIDE_", "PYTHON"))}
    environ["ALONGSIDE_DATA_DIR"] = str(tmp_path / "data")
    with subprocess.Popen(
        [str(SCRIPT), "safety-scan"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=environ,
        text=True,
    ) as scanner:
        assert scanner.stdin is not None
        assert scanner.stdout is not None
        try:
            for text, severity in (("i want to die", "urgent"), ("hello", "none")):
                scanner.stdin.write(json.dumps({"text": text}) + "\n")
                scanner.stdin.flush()
                ready, _, _ = select.select([scanner.stdout], [], [], 20 * PATIENCE)
                assert ready, "no answer while the input stays open"
                assert json.loads(scanner.stdout.readline())["severity"] == severity
        finally:
            scanner.stdin.close()
            scanner.wait(timeout=20 * PATIENCE)
    assert scanner.returncode == 0


def test_wrong_master_key_is_refused(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    assert (
        alongside(
            data, "staff", "add", "--role", "advocate", "--telegram-id", "7", "--name", "Rosa"
        ).returncode
        == 0
    )
    other = base64.b64encode(os.urandom(32)).decode()
    done = alongside(data, "staff", "list", ALONGSIDE_MASTER_KEY=other)
    assert (done.returncode, done.stdout) == (2, where(data))
    assert done.stderr == (
        "alongside: the master key in ALONGSIDE_MASTER_KEY does not open this "
        f"database's keys (sqlite+aiosqlite:///{data.resolve()}/alongside.db)\n"
    )
    (data / "master.key").write_text(other + "\n")
    done = alongside(data, "staff", "list")
    assert (done.returncode, done.stdout) == (2, where(data))
    assert done.stderr == (
        f"alongside: the master key in {data / 'master.key'} does not open "
        f"this database's keys (sqlite+aiosqlite:///{data.resolve()}/"
        "alongside.db)\n"
    )


def test_keys_rotate_keeps_everything_readable(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    assert (
        alongside(
            data,
            "staff",
            "add",
            "--role",
            "advocate",
            "--telegram-id",
            "7",
            "--name",
            "Rosa Example",
        ).returncode
        == 0
    )
    old = (data / "master.key").read_bytes()
    rotated = alongside(data, "keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert (data / "master.key").read_bytes() != old
    assert not (data / "master.key.new").exists()
    assert "Rosa Example" in alongside(data, "staff", "list").stdout
    assert alongside(data, "audit", "verify").returncode == 0
    (data / "master.key").write_bytes(old)
    assert alongside(data, "staff", "list").returncode != 0, "the old key no longer opens anything"


def test_interrupted_rotation_is_finished_at_the_next_start(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    assert (
        alongside(
            data,
            "staff",
            "add",
            "--role",
            "advocate",
            "--telegram-id",
            "7",
            "--name",
            "Rosa Example",
        ).returncode
        == 0
    )
    old = (data / "master.key").read_bytes()
    assert alongside(data, "keys", "rotate").returncode == 0
    # As if the rotation had committed but stopped before installing its key file.
    (data / "master.key.new").write_bytes((data / "master.key").read_bytes())
    (data / "master.key").write_bytes(old)
    listed = alongside(data, "staff", "list")
    assert listed.returncode == 0, listed.stderr
    assert "Rosa Example" in listed.stdout
    assert not (data / "master.key.new").exists()


def test_safety_scan_contract(tmp_path: Path) -> None:
    lines = "\n".join(
        [
            json.dumps({"text": "i want to die", "language": "en"}),
            json.dumps({"text": "good morning"}),
            "not json",
            "",
        ]
    )
    done = alongside(tmp_path / "data", "safety-scan", stdin=lines)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(out) == 3
    assert out[0]["severity"] == "urgent"
    assert "self_harm" in out[0]["categories"]
    assert out[0]["rules"]
    assert {k: out[1][k] for k in ("severity", "categories", "rules", "reasons")} == {
        "severity": "none",
        "categories": [],
        "rules": [],
        "reasons": [],
    }
    assert 0 <= out[1]["score"] < 0.5
    assert "error" in out[2]
    assert done.returncode == 1, "a bad line makes the exit code 1"
    clean = alongside(tmp_path / "data", "safety-scan", stdin=json.dumps({"text": "hello"}) + "\n")
    assert clean.returncode == 0


def test_safety_scan_refuses_a_line_over_a_megabyte_without_holding_it(tmp_path: Path) -> None:
    huge = json.dumps({"text": "a" * (3 << 20)})
    lines = huge + "\n" + json.dumps({"text": "good morning"}) + "\n"
    done = alongside(tmp_path / "data", "safety-scan", stdin=lines)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    assert out[0] == {"error": "line 1: longer than 1048576 characters"}
    assert out[1]["severity"] == "none"
    assert done.returncode == 1


def test_db_upgrade_and_has_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    upgraded = alongside(data, "db", "upgrade")
    assert upgraded.returncode == 0
    assert upgraded.stdout == (
        where(data)
        + f"a new deployment: made {(data / 'alongside.db').resolve()}\n"
        + "database is up to date\n"
    )
    again = alongside(data, "db", "upgrade")
    assert again.stdout == where(data) + "database is up to date\n"
    assert alongside(data, "has-token").returncode == 1
    assert alongside(data, "has-token", **TOKEN).returncode == 0
    # `make run` plays the demo only without a token: a malformed one is an error (exit 2).
    malformed = alongside(data, "has-token", TELEGRAM_BOT_TOKEN="123456:ABCDEFGHIJKLMNOP")
    assert (malformed.returncode, malformed.stdout) == (2, "")
    assert malformed.stderr == (
        "alongside: TELEGRAM_BOT_TOKEN does not look like a BotFather token\n"
    )


def test_audit_verify_names_the_end_and_sees_removed_entries(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    for n, name in ((7, "Rosa Example"), (8, "Sam Example")):
        assert (
            alongside(
                data, "staff", "add", "--role", "advocate", "--telegram-id", str(n), "--name", name
            ).returncode
            == 0
        )
    intact = alongside(data, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    # The two additions, after the upgrade a new store records first.
    shown = re.fullmatch(
        r"audit log intact: 3 entries, ending at ([0-9a-f]{64}); "
        r"anchored at 3 entries\n",
        intact.stdout.removeprefix(where(data)),
    )
    assert shown is not None, intact.stdout
    head = shown[1]
    with sqlite3.connect(data / "alongside.db") as db:
        db.execute("DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)")
    broken = alongside(data, "audit", "verify")
    assert broken.returncode == 1
    assert broken.stdout == where(data) + (
        "audit log BROKEN: the head says 3 entries; the newest were removed "
        "(entries that verify: 2)\n"
        f"audit log BROKEN: the anchor says 3 entries ending in {head[:16]}…; the database "
        "chain has 2\n"
    )


def test_audit_verify_lists_rows_whose_owner_was_rewritten(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    for n, name in ((7, "Rosa Example"), (8, "Sam Example")):
        assert (
            alongside(
                data, "staff", "add", "--role", "advocate", "--telegram-id", str(n), "--name", name
            ).returncode
            == 0
        )
    with sqlite3.connect(data / "alongside.db") as db:
        rosa = db.execute("SELECT id FROM staff ORDER BY created_at LIMIT 1").fetchone()[0]
        db.execute("UPDATE staff SET role = 'supervisor' WHERE id = ?", (rosa,))
    broken = alongside(data, "audit", "verify")
    assert broken.returncode == 1
    assert broken.stdout.endswith(
        f"records BROKEN: 1 row's owner or role was changed outside Alongside: staff {rosa}\n"
    )


def test_the_data_dir_and_database_are_private_whatever_the_umask(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old = os.umask(0o022)  # a default shell's, without the unit file's UMask
    try:
        deployed(data)
        done = alongside(
            data, "staff", "add", "--role", "supervisor", "--telegram-id", "7", "--name", "Sam"
        )
    finally:
        os.umask(old)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {"alongside.db", "master.key", "index.key"}
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
    # A database an older run left readable is tightened when it is next opened.
    (data / "alongside.db").chmod(0o644)
    data.chmod(0o755)
    assert alongside(data, "staff", "list").returncode == 0
    assert stat.S_IMODE((data / "alongside.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
