"""The operator's settings as documented: `alongside --help`, the README's table and
`.env.example` are all made from `VARIABLES` (tests hold each to it, and `bot.settings` reads
exactly these names)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    """One setting as the operator sets it; `--help` and the README are made from these."""

    name: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(
        "TELEGRAM_BOT_TOKEN",
        "unset: `make run` plays the demo",
        "the bot's token from @BotFather: its id, a colon, then 20 or more of A-Z, a-z, "
        "0-9, `_` and `-`; never printed, not even when Telegram refuses it",
    ),
    Variable(
        "TELEGRAM_API_BASE_URL",
        "`https://api.telegram.org/bot`",
        "Bot API base (a self-hosted Bot API server, or the emulator)",
    ),
    Variable(
        "TELEGRAM_API_FILE_URL",
        "the base with `/bot` made `/file/bot`",
        "where files sent to the bot are downloaded from",
    ),
    Variable(
        "DATABASE_URL",
        "`sqlite+aiosqlite:///<data dir>/alongside.db`",
        "SQLAlchemy async URL; PostgreSQL as `postgresql+asyncpg://USER:PASSWORD@HOST/DB` "
        "(needs `alongside db upgrade` first)",
    ),
    Variable(
        "ALONGSIDE_DATA_DIR",
        "`./alongside-data`",
        "the key files, the audit anchor file and the embedded store (kept 0700)",
    ),
    Variable(
        "ALONGSIDE_MASTER_KEY",
        "`master.key` in the data dir",
        "base64 of 32 random bytes; wraps every data key. The file (0600) is made only for "
        "a new store: beside a database with data a missing one is an error",
    ),
    Variable(
        "ALONGSIDE_INDEX_KEY",
        "`index.key` in the data dir",
        "base64 of 32 bytes; keys the blind index, the audit chain and the row bonds; never "
        "rotated; made, like the master key, only for a new store",
    ),
    Variable("ALONGSIDE_REGION", "`uk`", "emergency contacts and journey content"),
    Variable(
        "ALONGSIDE_TIMEZONE",
        "`Europe/London`",
        "the deployment's time zone: how times are shown, service and check-in hours",
    ),
    Variable(
        "ALONGSIDE_WEBHOOK_URL",
        "unset: polling",
        "webhook mode: the public https:// URL Telegram posts updates to",
    ),
    Variable(
        "ALONGSIDE_WEBHOOK_SECRET",
        "unset",
        "needed in webhook mode: 32-256 characters of A-Z, a-z, 0-9, `_` and `-`",
    ),
    Variable("ALONGSIDE_LISTEN", "`127.0.0.1:8080`", "webhook mode: the HOST:PORT to serve on"),
    Variable(
        "ALONGSIDE_ESCALATION_MINUTES",
        "`10,30`",
        "re-alert an unacknowledged urgent alert after 10 minutes, then every 30",
    ),
    Variable(
        "ALONGSIDE_UNANSWERED_MINUTES",
        "`120`",
        "a young person's message nobody has answered or marked Seen for this long (open "
        "time only, when service hours are set) becomes a concern for their advocate, then "
        "for the supervisors",
    ),
    Variable(
        "ALONGSIDE_SERVICE_HOURS",
        "unset: always",
        "when people read, in the deployment's time zone, e.g. `Mon-Fri 09:00-17:00; Sat "
        "10:00-12:00`; outside them a young person's first message is told when a person "
        "will read it and which numbers answer now",
    ),
    Variable(
        "ALONGSIDE_STRANGER_RELAYS_PER_HOUR",
        "`10`",
        "how many messages someone not linked to an advocate (who pressed Help now or typed "
        "danger) can push to the supervisors in an hour; the rest are kept",
    ),
    Variable("ALONGSIDE_INVITE_HOURS", "`72`", "how long an invite code works"),
    Variable(
        "ALONGSIDE_INTERPRETER_HOURS",
        "`2`",
        "how long (1-24 whole hours) an interpreter reads and answers a young person's "
        "conversation once they accept; an offer nobody accepts lapses after as long",
    ),
    Variable(
        "ALONGSIDE_CHECKIN_HOUR",
        "`17`",
        "the hour (0-23, local) of the daily check-in during a young person's first week",
    ),
    Variable(
        "ALONGSIDE_CHECKIN_ANSWER_HOURS",
        "`6`",
        "how long an answer to a check-in may take before silence is a concern",
    ),
    Variable("ALONGSIDE_SEND_RATE", "`30`", "messages per second overall (Telegram's limit)"),
    Variable("ALONGSIDE_CHAT_RATE", "`1`", "messages per second to one chat (Telegram's limit)"),
    Variable(
        "ALONGSIDE_MAX_ATTEMPTS",
        "`8`",
        "tries before a message that keeps failing may become a dead letter",
    ),
    Variable(
        "ALONGSIDE_GIVE_UP_HOURS",
        "`24`",
        "a message becomes a dead letter only after its tries and this long (0 or more "
        "hours): an outage is waited out, not spent",
    ),
    Variable(
        "ALONGSIDE_OUTAGE_NOTICE_SECONDS",
        "`60`",
        "a Telegram outage at least this long (0 or more seconds) is told to the "
        "supervisors once it is over",
    ),
    Variable(
        "ALONGSIDE_POLL_TIMEOUT",
        "`30`",
        "polling: seconds each getUpdates call waits for new updates",
    ),
    Variable(
        "ALONGSIDE_SWEEP_SECONDS",
        "`5`",
        "how often deadlines (escalations, unanswered messages, check-ins) are looked at",
    ),
    Variable(
        "ALONGSIDE_TOPICS",
        "`auto`",
        "`auto`: where the bot has topic mode (BotFather) each young person gets their own "
        "topic in a staff member's chat, and a message written there goes to them; `off`: "
        "one chat, with headers and replies, as when topics fail",
    ),
    Variable(
        "ALONGSIDE_QUEUE_RETENTION_DAYS",
        "`30`",
        "handled updates and sent or dead messages are deleted after this many days (3 or "
        "more): a reply to a relayed message finds its young person by the message's row",
    ),
    Variable(
        "ALONGSIDE_RETENTION_DAYS",
        "`365`",
        "a young person's record is erased this many whole days (1 or more) after their case "
        "is closed with /close; their advocate is warned a week before, and the privacy notice "
        "they read says how long",
    ),
    Variable(
        "ALONGSIDE_TRANSLATE_URL",
        "unset: no machine translation",
        "a self-hosted translation server speaking the LibreTranslate API (`http://` or "
        "`https://`); each relayed message and reply then carries a translation into its "
        "reader's language. The text of every message is sent there: use only a server that "
        "the charity runs and that keeps nothing",
    ),
    Variable(
        "ALONGSIDE_TRANSLATE_KEY",
        "unset",
        "the translation server's `api_key`, if it asks for one; never printed",
    ),
    Variable(
        "ALONGSIDE_TRANSLATE_TIMEOUT",
        "`5`",
        "seconds to wait for one translation; a slower one is tried again later, and the "
        "original never waits for it",
    ),
)


def settings_help(width: int = 100) -> str:
    """Every setting for `alongside --help`, one entry each: name, default, what it does."""
    lines = [
        "settings (environment variables; a .env file in the working directory may hold them):"
    ]
    for var in VARIABLES:
        lines.append(f"  {var.name}  (default: {var.default.replace('`', '')})")
        lines += textwrap.wrap(
            var.meaning.replace("`", ""), width, initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    return "\n".join(lines)


def settings_table() -> str:
    """The same, as the README's table (a test holds the README to it)."""
    rows = ["| variable | default | meaning |", "| --- | --- | --- |"]
    rows += [f"| `{v.name}` | {v.default} | {v.meaning} |" for v in VARIABLES]
    return "\n".join(rows)


# Not settings of the bot: what compose.yaml itself reads from .env (a test holds compose.yaml's
# `${...}` to these and VARIABLES).
COMPOSE_VARIABLES: tuple[Variable, ...] = (
    Variable(
        "POSTGRES_PASSWORD",
        "none: `docker compose` stops without it",
        "compose.yaml only: the password of its own PostgreSQL, from which it also makes "
        "DATABASE_URL; letters and digits only (it goes into a URL), e.g. `openssl rand -hex 32`",
    ),
)

ENV_EXAMPLE_HEAD = """\
# Alongside's settings: copy this file to .env, then uncomment and fill in what you need.
# A line left commented keeps its default. .env holds the token and keys: never commit it
# (git and the container image both leave it out).
# Made from bot/variables.py by `make env-example`; a test holds this file to it.
# Under compose.yaml, the image and compose.yaml set ALONGSIDE_DATA_DIR (/data),
# ALONGSIDE_LISTEN (0.0.0.0:8080) and DATABASE_URL (its own PostgreSQL) themselves.
"""


def env_example(width: int = 100) -> str:
    """`.env.example`: every setting, then what compose.yaml reads, each commented out."""

    def block(var: Variable) -> list[str]:
        lines = textwrap.wrap(
            var.meaning.replace("`", ""), width, initial_indent="# ", subsequent_indent="# "
        )
        lines.append(f"# default: {var.default.replace('`', '')}")
        return [*lines, f"# {var.name}=", ""]

    lines = [ENV_EXAMPLE_HEAD]
    for var in VARIABLES:
        lines += block(var)
    lines.append("# --- for compose.yaml ---\n")
    for var in COMPOSE_VARIABLES:
        lines += block(var)
    return "\n".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    print(env_example(), end="")
