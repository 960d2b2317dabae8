"""A deployment is made on purpose, once: `alongside db upgrade`. Run anywhere else, every
command says where it looked and that nothing is there, and makes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_command_line import TOKEN, alongside, deployed, where

NOTHING_HERE = (
    "alongside: no deployment here: {db} does not exist. Run this where the bot runs (its "
    "working directory, or its ALONGSIDE_DATA_DIR), or make a new deployment here with "
    "`alongside db upgrade`\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ("staff", "add", "--role", "supervisor", "--telegram-id", "7", "--name", "Sam"),
        ("staff", "list"),
        ("staff", "remove", "--telegram-id", "7"),
        ("keys", "rotate"),
        ("audit", "verify"),
        ("stats",),
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_an_admin_command_where_no_deployment_is_refuses_and_makes_nothing(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    data = tmp_path / "data"
    done = alongside(data, *args)
    assert (done.returncode, done.stdout) == (2, where(data))
    assert done.stderr == NOTHING_HERE.format(db=(data / "alongside.db").resolve())
    assert not data.exists(), "no data dir, no keys, no database"


def test_whoami_where_no_deployment_is_refuses_too(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = alongside(data, "whoami", **TOKEN)
    assert (done.returncode, done.stdout) == (2, where(data))
    assert done.stderr == NOTHING_HERE.format(db=(data / "alongside.db").resolve())
    assert not data.exists()


def test_the_bot_does_not_start_a_deployment_either(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = alongside(data, "run", **TOKEN)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == NOTHING_HERE.format(db=(data / "alongside.db").resolve())
    assert not data.exists()


def test_with_machine_output_the_refusal_keeps_stdout_empty(tmp_path: Path) -> None:
    data = tmp_path / "data"
    done = alongside(data, "stats", "--format", "csv")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == where(data) + NOTHING_HERE.format(db=(data / "alongside.db").resolve())


def test_db_upgrade_makes_the_deployment_the_next_command_uses(tmp_path: Path) -> None:
    data = deployed(tmp_path / "data")
    assert sorted(p.name for p in data.iterdir()) == ["alongside.db"], "keys come with data"
    added = alongside(
        data, "staff", "add", "--role", "supervisor", "--telegram-id", "7", "--name", "Sam"
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(
        where(data) + f"a new store: made {data / 'master.key'} and {data / 'index.key'}\n"
    )
    # The same command from a directory beside it: refused, the real deployment untouched.
    home = tmp_path / "home"
    home.mkdir()
    elsewhere = alongside(home / "alongside-data", "staff", "list")
    assert elsewhere.returncode == 2
    assert "no deployment here" in elsewhere.stderr
    assert list(home.iterdir()) == []
    assert "Sam" in alongside(data, "staff", "list").stdout
