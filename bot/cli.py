"""The `alongside` command line: settings read, the command run, errors as one line.

Exit codes: 0 success, 2 usage or configuration error (one line on stderr says why), 1 anything
else. Every admin command first prints, on stdout, the data dir and the database it works on
(`bot.deployment`); the arguments are in `bot.arguments`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime

from bot.arguments import parser as _parser
from bot.logs import _safe, configure_logging
from bot.settings import Settings
from conversations.errors import AlongsideError, ConfigurationError

log = logging.getLogger("alongside")

NEEDS_BOTFATHER = (
    "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather in Telegram and put it in the "
    "environment or .env, or try `alongside demo`"
)
# Commands that need no settings: they must work whatever the environment holds.
NO_SETTINGS = ("demo", "sandbox", "safety-scan")


class UsageError(Exception):
    """Bad arguments: exit code 2 with a one-line explanation."""


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
    from bot.deployment import where

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
    if args.command == "whoami":
        from bot.whoami import answer_whoami

        if not settings.token:
            raise ConfigurationError(NEEDS_BOTFATHER)
        handlers[("whoami", "")] = lambda: answer_whoami(settings)
    detail = getattr(args, f"{args.command}_command", "")
    # Said first, even if the command then fails: a command run in the wrong directory shows it.
    # Beside CSV or JSON it goes to stderr, so that stdout is the figures alone.
    machine = getattr(args, "format", "text") != "text"
    print(where(settings), flush=True, file=sys.stderr if machine else sys.stdout)
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
