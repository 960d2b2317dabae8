"""The `alongside` command line's arguments: every command and option, each described (a test
walks them), and bad usage as one line with exit code 2."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import NoReturn

from bot.i18n import LANGUAGES, SUPPORTED
from bot.variables import settings_help

ABOUT = """The `alongside` command line.

Exit codes: 0 success, 2 usage or configuration error (one line on stderr says why), 1 anything
else. Every admin command (db, staff, keys, audit, stats, whoami) first prints, on stdout, the
data dir and the database it works on; only `db upgrade` makes a new deployment.
"""

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CODES = tuple(lang.code for lang in LANGUAGES)
# Telegram: "[user ids have] at most 52 significant bits".
MAX_TELEGRAM_ID = 2**52 - 1


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other error the command prints."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _level(raw: str) -> str:
    if raw.upper() not in LEVELS:
        raise argparse.ArgumentTypeError(f"{raw!r} is not one of {', '.join(LEVELS)}")
    return raw.upper()


def _telegram_id(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 0 < value <= MAX_TELEGRAM_ID:
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a Telegram user id (a whole number from 1 to {MAX_TELEGRAM_ID})"
        )
    return value


def _languages(raw: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(c.strip().lower() for c in raw.split(",") if c.strip()))
    unknown = [code for code in codes if code not in SUPPORTED]
    if unknown or not codes:
        what = f"{', '.join(map(repr, unknown))} not supported" if unknown else "none given"
        raise argparse.ArgumentTypeError(f"{what}; choose from {','.join(CODES)}")
    return codes


def _month(raw: str) -> date:
    from bot.statistics import parse_month

    month = parse_month(raw)
    if month is None:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a month (YYYY-MM, or a date YYYY-MM-DD)")
    return month


def parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alongside",
        description=ABOUT,
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="logs on stderr as text lines or JSON lines (default: text)",
    )
    parser.add_argument(
        "--log-level",
        type=_level,
        default="INFO",
        metavar="LEVEL",
        help=f"the least severe log level shown: {', '.join(LEVELS)} (default: INFO)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(where: argparse._SubParsersAction[_Parser], name: str, text: str) -> _Parser:
        return where.add_parser(name, help=text, description=text)

    run = command(
        sub,
        "run",
        "run the bot: polling, or webhook mode when ALONGSIDE_WEBHOOK_URL "
        "is set (settings: `alongside --help`)",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="webhook-mode processes; above 1 needs PostgreSQL (default: 1)",
    )
    command(
        sub,
        "demo",
        "a scripted conversation against the built-in Bot API emulator, in a "
        "temporary data dir; needs no settings",
    )
    sandbox = command(
        sub,
        "sandbox",
        "the real bot in a browser, for practice: three phones (a young person, their "
        "advocate, a supervisor) against the built-in emulator, in a temporary data dir; "
        "needs no settings and never reaches Telegram",
    )
    sandbox.add_argument(
        "--listen",
        default="127.0.0.1:8765",
        metavar="HOST:PORT",
        help="where the page is served, on this machine only (default: 127.0.0.1:8765)",
    )
    command(
        sub,
        "has-token",
        "exit 0 if TELEGRAM_BOT_TOKEN is set and well-formed, 1 if it is "
        "not set, 2 if it (or any setting) is wrong; `make run` uses it",
    )

    db = command(sub, "db", "the database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    command(
        db_sub,
        "upgrade",
        "make a new deployment's database, or apply the migrations to one (PostgreSQL needs "
        "this before anything else; the embedded SQLite store upgrades itself). The only "
        "command that makes a new deployment: every other one refuses where there is none",
    )

    staff = command(sub, "staff", "enrol, list and remove staff")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    add = command(staff_sub, "add", "enrol an advocate or a supervisor")
    add.add_argument(
        "--role",
        choices=["advocate", "supervisor", "interpreter"],
        required=True,
        help="advocates have young people; supervisors receive the safety alerts; "
        "interpreters read one young person's conversation for a window an advocate asks for",
    )
    add.add_argument(
        "--telegram-id",
        type=_telegram_id,
        required=True,
        metavar="N",
        help="their numeric Telegram user id (not their @username)",
    )
    add.add_argument("--name", required=True, help="how colleagues and young people see them")
    add.add_argument(
        "--languages",
        type=_languages,
        default=("en",),
        metavar="CODES",
        help=f"the languages they speak, comma-separated, of {','.join(CODES)} (default: en)",
    )
    add.add_argument(
        "--locale",
        choices=CODES,
        default="en",
        metavar="CODE",
        help="the language the bot speaks to them, one of the same (default: en)",
    )
    command(staff_sub, "list", "active staff, their role, languages and how many young people")
    remove = command(staff_sub, "remove", "remove someone who has no young people left")
    remove.add_argument(
        "--telegram-id",
        type=_telegram_id,
        required=True,
        metavar="N",
        help="their numeric Telegram user id",
    )

    keys = command(sub, "keys", "encryption keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="COMMAND")
    command(
        keys_sub,
        "rotate",
        "wrap every data key with a new master key (rows are not "
        "touched); with ALONGSIDE_MASTER_KEY the new key is printed",
    )

    audit = command(sub, "audit", "the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = command(
        audit_sub,
        "verify",
        "check the hash chain, its keyed head, the anchor file "
        "and every row's bond; exit 1 if anything is broken",
    )
    verify.add_argument(
        "--anchor",
        type=Path,
        metavar="PATH",
        help="the anchor file (default: audit.anchor in the data dir); "
        "named here, a missing one is a failure",
    )

    stats = command(
        sub,
        "stats",
        "statistics for commissioners, in whole months, with counts under 5 suppressed and "
        "nothing that identifies a young person (default: the last 12 months)",
    )
    stats.add_argument(
        "--from",
        dest="first",
        type=_month,
        metavar="DATE",
        help="first month: YYYY-MM (a date is taken as its month)",
    )
    stats.add_argument(
        "--to",
        dest="last",
        type=_month,
        metavar="DATE",
        help="last month: YYYY-MM (a date is taken as its month)",
    )
    stats.add_argument(
        "--format", choices=["text", "csv", "json"], default="text", help="(default: text)"
    )

    command(
        sub,
        "whoami",
        "until the first supervisor is enrolled (the bot does not run without one): answer "
        "/whoami sent to the bot with the sender's numeric Telegram id, in their own chat, "
        "until Ctrl-C; nothing about them is kept",
    )
    command(
        sub,
        "safety-scan",
        'JSON lines {"text", "language"} on stdin, one verdict per '
        "line on stdout; needs no settings",
    )
    return parser
