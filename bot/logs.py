"""Logging that cannot leak: event names and ids only, never text, names, Telegram ids or tokens.

Records carry an event name as their message and a few whitelisted fields. Anything else passed in
``extra`` is dropped, and anything shaped like a bot token is masked, because the Bot API puts
the token in every URL (httpx logs those at INFO, so its loggers are kept at WARNING).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

SAFE_FIELDS = ("update_id", "outbox_id", "alert_id", "error", "ms", "count", "worker",
               "locale", "languages", "status", "attempts", "level")
TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")


def _safe(text: str) -> str:
    return TOKEN.sub("<token>", text)


class SafeFormatter(logging.Formatter):
    def __init__(self, json_lines: bool) -> None:
        super().__init__()
        self.json_lines = json_lines

    def format(self, record: logging.LogRecord) -> str:
        fields = {k: getattr(record, k) for k in SAFE_FIELDS if hasattr(record, k)}
        # Our records carry no arguments; the server's own (addresses, pids) are safe to fill in.
        event = _safe(record.getMessage() if record.name.startswith("uvicorn") else
                      str(record.msg))
        if self.json_lines:
            data = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
                    "level": record.levelname.lower(), "logger": record.name, "event": event,
                    **fields}
            if record.exc_info and record.exc_info[0] is not None:
                data["exception"] = record.exc_info[0].__name__
                data["where"] = _where(record)
            return json.dumps(data, default=str)
        extras = " ".join(f"{k}={v}" for k, v in fields.items())
        line = f"{record.levelname.lower():7} {record.name}: {event} {extras}".rstrip()
        if record.exc_info and record.exc_info[0] is not None:
            line += f" exception={record.exc_info[0].__name__} at {_where(record)}"
        return line


def _where(record: logging.LogRecord) -> str:
    """File and line of the innermost frame: enough to find a bug, no values, no message."""
    tb = record.exc_info[2] if record.exc_info else None
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return "?"
    return f"{last.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{last.tb_lineno}"


def configure_logging(fmt: str = "text", level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter(fmt == "json"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "telegram", "uvicorn.access", "aiosqlite", "asyncio",
                  "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
