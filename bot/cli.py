"""The `alongside` command line.

Exit codes: 0 success, 2 usage or configuration error (one line on stderr says why), 1 anything
else. Every admin command (db, staff, keys, audit) first prints, on stdout, the data dir and the
database it works on.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import NoReturn

from bot.i18n import LANGUAGES, SUPPORTED
from bot.logs import _safe, configure_logging
from bot.settings import Settings, settings_help
from conversations.errors import AlongsideError, ConfigurationError

log = logging.getLogger("alongside")

NEEDS_BOTFATHER = (
    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram and put it in the "
    "environment or .env, or try `alongside demo`"
)
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
CODES = tuple(lang.code for lang in LANGUAGES)
# Telegram: "[user ids have] at most 52 significant bits".
MAX_TELEGRAM_ID = 2**52 - 1
# Commands that need no settings: they must work whatever the environment holds.
NO_SETTINGS = ("demo", "sandbox", "safety-scan")


class UsageError(Exception):
    """Bad arguments: exit code 2 with a one-line explanation."""


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


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="alongside",
        description=__doc__,
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
        "apply the migrations (PostgreSQL needs this before anything "
        "else; the embedded SQLite store upgrades itself)",
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
        "safety-scan",
        'JSON lines {"text", "language"} on stdin, one verdict per '
        "line on stdout; needs no settings",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    configure_logging(args.log_format, args.log_level)
    settings: Settings | None = None
    try:
        if args.command in NO_SETTINGS:
            return _without_settings(args)
        settings = Settings.from_env()
        return _dispatch(args, settings)
    except (ConfigurationError, UsageError) as exc:
        _say(str(exc), settings)
        return 2
    except KeyboardInterrupt:
        return 1
    except AlongsideError as exc:
        _say(str(exc), settings)
        return 1
    except Exception as exc:
        # One line, without the statement or parameters a database error would carry.
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        _say(f"{type(exc).__name__}: {first}", settings)
        return 1


def _say(why: str, settings: Settings | None) -> None:
    """The one error line; whatever it quotes, no secret of the settings and no token."""
    for secret in settings.secrets if settings else ():
        why = why.replace(secret, "<hidden>")
    print(f"alongside: {_safe(why)}", file=sys.stderr)


def _without_settings(args: argparse.Namespace) -> int:
    if args.command == "safety-scan":
        from safety import scan_lines

        return scan_lines(sys.stdin, sys.stdout)
    if args.command == "sandbox":
        from bot.sandbox import run_sandbox

        return run_sandbox(args.listen)
    from bot.demo import run_demo

    return int(asyncio.run(run_demo()))


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    from bot import commands

    if args.command == "has-token":
        # A malformed token, or any setting that cannot work, has already exited 2.
        return 0 if settings.token else 1
    if args.command == "run":
        if not settings.token:
            raise ConfigurationError(NEEDS_BOTFATHER)
        if args.workers < 1:
            raise UsageError("--workers must be 1 or more")
        if args.workers > 1 and settings.is_sqlite:
            raise UsageError(
                "--workers above 1 needs PostgreSQL (DATABASE_URL); "
                "the embedded SQLite store serves one process"
            )
        if settings.webhook_url:
            from bot.webhook import check, run_webhook

            check(settings)
            _run(commands.require_ready(settings))
            os.environ["ALONGSIDE_LOG_FORMAT"] = args.log_format
            try:
                run_webhook(settings, args.workers)
            except SystemExit as exc:
                # Uvicorn exits 3 when the application fails to start; it has logged why.
                if exc.code:
                    raise AlongsideError(
                        "the webhook server failed to start (see the log above)"
                    ) from None
            return 0
        return _run(commands.run_bot(settings, args.workers))
    handlers: dict[tuple[str, str], Callable[[], Awaitable[int]]] = {
        ("db", "upgrade"): lambda: commands.db_upgrade(settings),
        ("staff", "add"): lambda: commands.staff_add(settings, args),
        ("staff", "list"): lambda: commands.staff_list(settings),
        ("staff", "remove"): lambda: commands.staff_remove(settings, args.telegram_id),
        ("keys", "rotate"): lambda: commands.keys_rotate(settings),
        ("audit", "verify"): lambda: commands.audit_verify(settings, args.anchor),
    }
    if args.command == "stats":
        first, last = _months(args, settings)
        handlers[("stats", "")] = lambda: commands.stats(settings, first, last, args.format)
    detail = getattr(args, f"{args.command}_command", "")
    # Said first, even if the command then fails: a command run in the wrong directory shows it.
    # Beside CSV or JSON it goes to stderr, so that stdout is the figures alone.
    machine = getattr(args, "format", "text") != "text"
    print(commands.where(settings), flush=True, file=sys.stderr if machine else sys.stdout)
    return _run(handlers[(args.command, detail)]())


def _months(args: argparse.Namespace, settings: Settings) -> tuple[date, date]:
    """--from and --to, by default the 12 months up to this one, in the deployment's zone."""
    from bot.statistics import last_months

    first, last = last_months(datetime.now(settings.zone).date())
    first, last = args.first or first, args.last or last
    if last < first:
        raise UsageError("--to is before --from")
    return first, last


def _run(work: Awaitable[int]) -> int:
    async def _main() -> int:
        return await work

    return asyncio.run(_main())


if __name__ == "__main__":
    sys.exit(main())
