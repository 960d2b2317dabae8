"""The operator's settings, from the environment (a ``.env`` file may hold them)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.logs import TOKEN
from conversations import urls
from conversations.crypto import (
    INDEX_KEY_FILE,
    MASTER_KEY_FILE,
    MissingKeyError,
    load_or_create_key,
    private_dir,
)
from conversations.errors import ConfigurationError
from conversations.hours import ServiceHours
from conversations.store import StoreConfig
from safety import EscalationLadder, UnknownRegionError, load_contacts

DEFAULT_API = "https://api.telegram.org/bot"
# BotFather's tokens are the bot's id, a colon and 35 characters. Accepted: exactly what the log
# formatter masks (`bot.logs.TOKEN`), so no token the bot runs with can reach a log line whole.
TOKEN_SHAPE = TOKEN


@dataclass(frozen=True)
class Settings:
    token: str | None
    api_base_url: str = DEFAULT_API
    api_file_url: str | None = None
    database_url: str = ""
    data_dir: Path = Path("alongside-data")
    master_key_b64: str | None = None
    index_key_b64: str | None = None
    region: str = "uk"
    timezone: str = "Europe/London"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    listen: str = "127.0.0.1:8080"
    invite_lifetime: timedelta = timedelta(hours=72)
    interpreter_window: timedelta = timedelta(hours=2)
    send_rate: float = 30.0
    chat_rate: float = 1.0
    max_attempts: int = 8
    # A message that keeps failing becomes a dead letter only after its tries and this long:
    # an outage is waited out, not spent.
    give_up: timedelta = timedelta(hours=24)
    # A Telegram outage at least this long is told to supervisors once it is over.
    outage_notice: timedelta = timedelta(seconds=60)
    escalation: EscalationLadder = field(default_factory=EscalationLadder)
    unanswered: timedelta = timedelta(minutes=120)
    service_hours: ServiceHours | None = None
    stranger_relays_per_hour: int = 10
    poll_timeout: int = 30
    check_in_hour: int = 17
    check_in_answer_hours: float = 6.0
    sweep_seconds: float = 5.0
    queue_retention: timedelta = timedelta(days=30)
    retention_days: int = 365
    translate_url: str | None = None
    translate_key: str | None = None
    translate_timeout: float = 5.0
    topics: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
    ) -> Settings:
        values: dict[str, str] = {}
        dotenv = env_file or Path(".env")
        if environ is None and dotenv.exists():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        # Each name read here is in `bot.variables.VARIABLES`, so in --help, the README and
        # .env.example (a test holds it).
        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        data_dir = Path(get("ALONGSIDE_DATA_DIR") or "alongside-data")
        token = get("TELEGRAM_BOT_TOKEN")
        if token is not None and not TOKEN_SHAPE.fullmatch(token):
            raise ConfigurationError("TELEGRAM_BOT_TOKEN does not look like a BotFather token")
        database_url = urls.database_url(get("DATABASE_URL"), data_dir)
        base = get("TELEGRAM_API_BASE_URL") or DEFAULT_API
        # Everything on the safety path is parsed here, at start: a setting that cannot work
        # must stop the bot with a reason, not fail inside the first child's alert.
        region = (get("ALONGSIDE_REGION") or "uk").lower()
        try:
            load_contacts(region)
        except (UnknownRegionError, ValueError) as exc:
            raise ConfigurationError(f"ALONGSIDE_REGION: {exc}") from None
        timezone = get("ALONGSIDE_TIMEZONE") or "Europe/London"
        zone = _zone(timezone)
        escalation = get("ALONGSIDE_ESCALATION_MINUTES") or "10,30"
        try:
            ladder = EscalationLadder.parse(escalation)
        except ValueError as exc:
            raise ConfigurationError(f"ALONGSIDE_ESCALATION_MINUTES: {exc}") from None
        hours_spec = get("ALONGSIDE_SERVICE_HOURS")
        try:
            hours = ServiceHours.parse(hours_spec, zone) if hours_spec else None
        except ValueError as exc:
            raise ConfigurationError(f"ALONGSIDE_SERVICE_HOURS: {exc}") from None
        return cls(
            token=token,
            api_base_url=base,
            api_file_url=get("TELEGRAM_API_FILE_URL") or base.replace("/bot", "/file/bot", 1),
            database_url=database_url,
            data_dir=data_dir,
            master_key_b64=get("ALONGSIDE_MASTER_KEY"),
            index_key_b64=get("ALONGSIDE_INDEX_KEY"),
            region=region,
            timezone=timezone,
            webhook_url=get("ALONGSIDE_WEBHOOK_URL"),
            webhook_secret=get("ALONGSIDE_WEBHOOK_SECRET"),
            listen=get("ALONGSIDE_LISTEN") or "127.0.0.1:8080",
            invite_lifetime=timedelta(
                hours=_number(get("ALONGSIDE_INVITE_HOURS"), 72.0, "ALONGSIDE_INVITE_HOURS")
            ),
            interpreter_window=timedelta(
                hours=_whole(
                    get("ALONGSIDE_INTERPRETER_HOURS"), 2, "ALONGSIDE_INTERPRETER_HOURS", high=24
                )
            ),
            send_rate=_number(get("ALONGSIDE_SEND_RATE"), 30.0, "ALONGSIDE_SEND_RATE"),
            chat_rate=_number(get("ALONGSIDE_CHAT_RATE"), 1.0, "ALONGSIDE_CHAT_RATE"),
            max_attempts=_whole(get("ALONGSIDE_MAX_ATTEMPTS"), 8, "ALONGSIDE_MAX_ATTEMPTS"),
            give_up=timedelta(
                hours=_number(
                    get("ALONGSIDE_GIVE_UP_HOURS"), 24.0, "ALONGSIDE_GIVE_UP_HOURS", low=0.0
                )
            ),
            outage_notice=timedelta(
                seconds=_number(
                    get("ALONGSIDE_OUTAGE_NOTICE_SECONDS"),
                    60.0,
                    "ALONGSIDE_OUTAGE_NOTICE_SECONDS",
                    low=0.0,
                )
            ),
            escalation=ladder,
            unanswered=timedelta(
                minutes=_number(
                    get("ALONGSIDE_UNANSWERED_MINUTES"), 120.0, "ALONGSIDE_UNANSWERED_MINUTES"
                )
            ),
            service_hours=hours,
            stranger_relays_per_hour=_whole(
                get("ALONGSIDE_STRANGER_RELAYS_PER_HOUR"), 10, "ALONGSIDE_STRANGER_RELAYS_PER_HOUR"
            ),
            poll_timeout=_whole(get("ALONGSIDE_POLL_TIMEOUT"), 30, "ALONGSIDE_POLL_TIMEOUT"),
            check_in_hour=_whole(
                get("ALONGSIDE_CHECKIN_HOUR"), 17, "ALONGSIDE_CHECKIN_HOUR", low=0, high=23
            ),
            check_in_answer_hours=_number(
                get("ALONGSIDE_CHECKIN_ANSWER_HOURS"), 6.0, "ALONGSIDE_CHECKIN_ANSWER_HOURS"
            ),
            sweep_seconds=_number(get("ALONGSIDE_SWEEP_SECONDS"), 5.0, "ALONGSIDE_SWEEP_SECONDS"),
            queue_retention=timedelta(
                days=_number(
                    get("ALONGSIDE_QUEUE_RETENTION_DAYS"),
                    30.0,
                    "ALONGSIDE_QUEUE_RETENTION_DAYS",
                    low=3.0,
                )
            ),
            retention_days=_whole(
                get("ALONGSIDE_RETENTION_DAYS"), 365, "ALONGSIDE_RETENTION_DAYS", low=1
            ),
            translate_url=_http_url(get("ALONGSIDE_TRANSLATE_URL"), "ALONGSIDE_TRANSLATE_URL"),
            translate_key=get("ALONGSIDE_TRANSLATE_KEY"),
            translate_timeout=_number(
                get("ALONGSIDE_TRANSLATE_TIMEOUT"), 5.0, "ALONGSIDE_TRANSLATE_TIMEOUT"
            ),
            topics=_choice(get("ALONGSIDE_TOPICS"), "auto", "ALONGSIDE_TOPICS", ("auto", "off"))
            == "auto",
            extra={k: v for k, v in values.items() if k.startswith("ALONGSIDE_TEST_")},
        )

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def shown_database(self) -> str:
        """The database URL as it may be printed: any password masked."""
        return urls.shown(self.database_url)

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be printed, for error lines made of others' exception text."""
        password = urls.password_of(self.database_url)
        found = (
            self.token,
            self.master_key_b64,
            self.index_key_b64,
            self.webhook_secret,
            password,
        )
        return tuple(s for s in found if s)

    def store_config(self, *, new_store: bool = True) -> StoreConfig:
        """Keys from the environment, else from 0600 files in the data dir.

        A missing key file is made only for a `new_store` (one whose database holds no data
        key yet); beside data it is a configuration error naming the file and the database.
        """
        if self.is_sqlite:
            private_dir(self.data_dir)
        pending = self.data_dir / (MASTER_KEY_FILE + ".new")
        try:
            return StoreConfig(
                pending_master_key=None
                if self.master_key_b64 or not pending.exists()
                else load_or_create_key(None, pending, "pending master key"),
                url=self.database_url,
                master_key=load_or_create_key(
                    self.master_key_b64,
                    self.data_dir / MASTER_KEY_FILE,
                    "ALONGSIDE_MASTER_KEY",
                    create=new_store,
                ),
                index_key=load_or_create_key(
                    self.index_key_b64,
                    self.data_dir / INDEX_KEY_FILE,
                    "ALONGSIDE_INDEX_KEY",
                    create=new_store,
                ),
            )
        except MissingKeyError as exc:
            variable = (
                "ALONGSIDE_MASTER_KEY"
                if exc.path.name == MASTER_KEY_FILE
                else "ALONGSIDE_INDEX_KEY"
            )
            raise ConfigurationError(
                f"{exc.path} is missing, but the database {self.shown_database} already holds "
                f"data: put the key file back (or set {variable}); a new key would open none "
                "of it"
            ) from None


def _number(raw: str | None, default: float, name: str, *, low: float | None = None) -> float:
    """A positive number; or, with `low`, one of at least `low`."""
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None
    if low is not None:
        if not math.isfinite(value) or value < low:
            raise ConfigurationError(f"{name} must be a number of at least {low:g}, not {raw!r}")
        return value
    if not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{name} must be a number above zero, not {raw!r}")
    return value


def _whole(
    raw: str | None, default: int, name: str, *, low: int = 1, high: int | None = None
) -> int:
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from None
    if value < low or (high is not None and value > high):
        limits = f"from {low} to {high}" if high is not None else f"{low} or more"
        raise ConfigurationError(f"{name} must be {limits}, not {raw!r}")
    return value


def _http_url(raw: str | None, name: str) -> str | None:
    if raw is None:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{name} must be an http:// or https:// address")
    return raw.rstrip("/")


def _choice(raw: str | None, default: str, name: str, allowed: tuple[str, ...]) -> str:
    value = (raw or default).lower()
    if value not in allowed:
        raise ConfigurationError(f"{name} must be {' or '.join(allowed)}, not {raw!r}")
    return value


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"ALONGSIDE_TIMEZONE: {name!r} is not a time zone (e.g. Europe/London)"
        ) from None
