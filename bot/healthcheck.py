"""`python -m bot.healthcheck`: the container's health check, in Python (the image has no curl).

In webhook mode it asks ``GET /healthz`` on ALONGSIDE_LISTEN's port and exits 0 on 200, else 1.
In polling mode there is no server to ask, and none is needed: a loop of the bot that dies takes
the process, and so the container, down. It runs every 30 seconds, so it reads only the
environment and imports only the standard library: no settings parsed, no store opened.
"""

from __future__ import annotations

import os
import sys
import urllib.request

DEFAULT_LISTEN = "127.0.0.1:8080"  # as `bot.settings` (a test holds them equal)
TIMEOUT = 5.0


def healthz_url(listen: str) -> str:
    """Where this machine reaches a server listening on `listen` (HOST:PORT)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - every address: ask loopback
        host = "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/healthz"


def main() -> int:
    if not os.environ.get("ALONGSIDE_WEBHOOK_URL", "").strip():
        return 0
    url = healthz_url(os.environ.get("ALONGSIDE_LISTEN", "").strip() or DEFAULT_LISTEN)
    try:
        # An http:// URL made above, never one from outside.
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:  # noqa: S310
            return 0 if answer.status == 200 else 1
    except (OSError, ValueError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
