"""The `alongside` command line.

Exit codes: 0 success, 2 usage or configuration error, 1 anything else.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import NoReturn

from bot.logs import configure_logging
from bot.settings import Settings
from conversations.errors import AlongsideError, ConfigurationError

log = logging.getLogger("alongside")

NEEDS_BOTFATHER = (
    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram and put it in the "
    "environment or .env, or try `alongside demo`"
)


class UsageError(Exception):
    """Bad arguments: exit code 2 with a one-line explanation."""


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line, like every other error the command prints."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="alongside", description=__doc__)
    parser.add_argument("--log-format", choices=["text", "json"], default="text")
    parser.add_argument("--log-level", default="INFO")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (polling, or webhook when configured)")
    run.add_argument("--workers", type=int, default=1)
    sub.add_parser("demo", help="a scripted conversation against the built-in Bot API emulator")
    sub.add_parser("has-token", help="exit 0 if a Telegram token is configured")

    db = sub.add_parser("db", help="database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations")

    staff = sub.add_parser("staff", help="manage staff")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add")
    add.add_argument("--role", choices=["advocate", "supervisor"], required=True)
    add.add_argument("--telegram-id", type=int, required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--languages", default="en")
    add.add_argument("--locale", default="en")
    staff_sub.add_parser("list")
    remove = staff_sub.add_parser("remove")
    remove.add_argument("--telegram-id", type=int, required=True)

    keys = sub.add_parser("keys", help="encryption keys")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    keys_sub.add_parser("rotate", help="wrap every data key with a new master key")

    audit = sub.add_parser("audit", help="the audit log")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the hash chain and its anchor file")
    verify.add_argument("--anchor", type=Path, metavar="PATH",
                        help="the anchor file (default: audit.anchor in the data dir); "
                             "named here, a missing one is a failure")

    sub.add_parser("safety-scan", help="scan JSON lines from stdin for safety concerns")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    configure_logging(args.log_format, args.log_level)
    try:
        return _dispatch(args)
    except (ConfigurationError, UsageError) as exc:
        print(f"alongside: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 1
    except AlongsideError as exc:
        print(f"alongside: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        # One line, without the statement or parameters a database error would carry.
        first = str(exc).splitlines()[0][:200] if str(exc) else ""
        print(f"alongside: {type(exc).__name__}: {first}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    from bot import commands

    if args.command == "safety-scan":
        from safety import scan_lines

        return scan_lines(sys.stdin, sys.stdout)
    if args.command == "demo":
        from bot.demo import run_demo

        return int(asyncio.run(run_demo()))
    settings = Settings.from_env()
    if args.command == "has-token":
        return 0 if settings.token else 1
    if args.command == "run":
        if not settings.token:
            raise ConfigurationError(NEEDS_BOTFATHER)
        if args.workers < 1:
            raise UsageError("--workers must be 1 or more")
        if args.workers > 1 and settings.is_sqlite:
            raise UsageError("--workers above 1 needs PostgreSQL (DATABASE_URL); "
                             "the embedded SQLite store serves one process")
        if settings.webhook_url:
            from bot.webhook import check, run_webhook

            check(settings)
            _run(commands.require_ready(settings))
            os.environ["ALONGSIDE_LOG_FORMAT"] = args.log_format
            run_webhook(settings, args.workers)
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
    detail = getattr(args, f"{args.command}_command", "")
    return _run(handlers[(args.command, detail)]())


def _run(work: Awaitable[int]) -> int:
    async def _main() -> int:
        return await work

    return asyncio.run(_main())


if __name__ == "__main__":
    sys.exit(main())
