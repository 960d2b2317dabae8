"""Database URLs as settings give them: checked, made for the embedded store, shown masked.

Here rather than in the settings so that the Telegram side needs no SQLAlchemy of its own.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from conversations.errors import ConfigurationError

DATABASE_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
BAD_DATABASE_URL = "DATABASE_URL must be sqlite+aiosqlite:///... or postgresql+asyncpg://..."
EMBEDDED_FILE = "alongside.db"


def database_url(given: str | None, data_dir: Path) -> str:
    """DATABASE_URL, checked, or the embedded store's in the data dir."""
    if given is None:
        # Made, not pasted together: a path with `?` or `#` must not turn into URL syntax.
        url = URL.create("sqlite+aiosqlite", database=str((data_dir / EMBEDDED_FILE).resolve()))
    else:
        try:
            url = make_url(given)
        except (ArgumentError, ValueError):
            raise ConfigurationError(BAD_DATABASE_URL) from None
    if url.drivername not in DATABASE_SCHEMES:
        # A synchronous `sqlite://` or `postgresql://` would fail deep inside the engine.
        raise ConfigurationError(BAD_DATABASE_URL)
    return given or url.render_as_string(hide_password=False)


def shown(url: str) -> str:
    """The URL as it may be printed: any password masked."""
    return make_url(url).render_as_string(hide_password=True)


def password_of(url: str) -> str | None:
    password = make_url(url).password
    return str(password) if password else None


def embedded_file(url: str) -> Path | None:
    """The file of an embedded (SQLite) store's URL; None for a server database."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    return Path(parsed.database)
