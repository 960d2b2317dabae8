"""The operator's settings, from the environment (a ``.env`` file may hold them)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from dotenv import dotenv_values

from conversations.crypto import INDEX_KEY_FILE, MASTER_KEY_FILE, load_or_create_key
from conversations.errors import ConfigurationError
from conversations.store import StoreConfig

DEFAULT_API = "https://api.telegram.org/bot"
TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")


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
    send_rate: float = 30.0
    chat_rate: float = 1.0
    max_attempts: int = 8
    escalation: str = "10,30"
    poll_timeout: int = 30
    check_in_hour: int = 17
    check_in_answer_hours: float = 6.0
    sweep_seconds: float = 5.0
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, env_file: Path | None = None
                 ) -> Settings:
        values: dict[str, str] = {}
        dotenv = env_file or Path(".env")
        if environ is None and dotenv.exists():
            values.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str) -> str | None:
            value = values.get(name, "").strip()
            return value or None

        data_dir = Path(get("ALONGSIDE_DATA_DIR") or "alongside-data")
        token = get("TELEGRAM_BOT_TOKEN")
        if token is not None and not TOKEN_SHAPE.match(token):
            raise ConfigurationError("TELEGRAM_BOT_TOKEN does not look like a BotFather token")
        base = get("TELEGRAM_API_BASE_URL") or DEFAULT_API
        return cls(
            token=token,
            api_base_url=base,
            api_file_url=get("TELEGRAM_API_FILE_URL") or base.replace("/bot", "/file/bot", 1),
            database_url=get("DATABASE_URL")
            or f"sqlite+aiosqlite:///{(data_dir / 'alongside.db').resolve()}",
            data_dir=data_dir,
            master_key_b64=get("ALONGSIDE_MASTER_KEY"),
            index_key_b64=get("ALONGSIDE_INDEX_KEY"),
            region=(get("ALONGSIDE_REGION") or "uk").lower(),
            timezone=get("ALONGSIDE_TIMEZONE") or "Europe/London",
            webhook_url=get("ALONGSIDE_WEBHOOK_URL"),
            webhook_secret=get("ALONGSIDE_WEBHOOK_SECRET"),
            listen=get("ALONGSIDE_LISTEN") or "127.0.0.1:8080",
            invite_lifetime=timedelta(hours=_number(get("ALONGSIDE_INVITE_HOURS"), 72.0,
                                                    "ALONGSIDE_INVITE_HOURS")),
            send_rate=_number(get("ALONGSIDE_SEND_RATE"), 30.0, "ALONGSIDE_SEND_RATE"),
            chat_rate=_number(get("ALONGSIDE_CHAT_RATE"), 1.0, "ALONGSIDE_CHAT_RATE"),
            max_attempts=int(_number(get("ALONGSIDE_MAX_ATTEMPTS"), 8, "ALONGSIDE_MAX_ATTEMPTS")),
            escalation=get("ALONGSIDE_ESCALATION_MINUTES") or "10,30",
            poll_timeout=int(_number(get("ALONGSIDE_POLL_TIMEOUT"), 30, "ALONGSIDE_POLL_TIMEOUT")),
            check_in_hour=int(_number(get("ALONGSIDE_CHECKIN_HOUR"), 17,
                                      "ALONGSIDE_CHECKIN_HOUR")) % 24,
            check_in_answer_hours=_number(get("ALONGSIDE_CHECKIN_ANSWER_HOURS"), 6.0,
                                          "ALONGSIDE_CHECKIN_ANSWER_HOURS"),
            sweep_seconds=_number(get("ALONGSIDE_SWEEP_SECONDS"), 5.0, "ALONGSIDE_SWEEP_SECONDS"),
            extra={k: v for k, v in values.items() if k.startswith("ALONGSIDE_TEST_")},
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def store_config(self) -> StoreConfig:
        """Keys from the environment, else from 0600 files in the data dir made on first use."""
        if self.is_sqlite:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        pending = self.data_dir / (MASTER_KEY_FILE + ".new")
        return StoreConfig(
            pending_master_key=None if self.master_key_b64 or not pending.exists()
            else load_or_create_key(None, pending, "pending master key"),
            url=self.database_url,
            master_key=load_or_create_key(self.master_key_b64, self.data_dir / MASTER_KEY_FILE,
                                          "ALONGSIDE_MASTER_KEY"),
            index_key=load_or_create_key(self.index_key_b64, self.data_dir / INDEX_KEY_FILE,
                                         "ALONGSIDE_INDEX_KEY"),
        )


def _number(raw: str | None, default: float, name: str) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}") from None
    if value <= 0:
        raise ConfigurationError(f"{name} must be above zero")
    return value
