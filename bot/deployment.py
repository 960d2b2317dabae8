"""Which deployment an admin command works on, said first, and never a new one by accident.

A deployment is a database and the key files in its data dir. Only `alongside db upgrade` makes
one: any other command run where there is none (another working directory, a mistyped
ALONGSIDE_DATA_DIR) says so and makes nothing, rather than quietly start a second deployment
that the running bot never sees. On PostgreSQL the same holds through the schema: every command
but `db upgrade` refuses a database whose schema is not current (`bot.app.open_store`).
"""

from __future__ import annotations

from bot.app import open_store
from bot.settings import Settings
from conversations import urls
from conversations.crypto import INDEX_KEY_FILE, MASTER_KEY_FILE
from conversations.errors import ConfigurationError
from conversations.store import Store


def where(settings: Settings) -> str:
    """The first line every admin command prints (on stdout): which store it works on."""
    return f"using data dir {settings.data_dir.resolve()}, database {settings.shown_database}"


def require_deployment(settings: Settings) -> None:
    """A configuration error, before anything is made, when the embedded store is not there."""
    path = urls.embedded_file(settings.database_url)
    if path is not None and not path.exists():
        raise ConfigurationError(
            f"no deployment here: {path} does not exist. Run this where the bot runs (its "
            "working directory, or its ALONGSIDE_DATA_DIR), or make a new deployment here "
            "with `alongside db upgrade`"
        )


async def open_deployment(settings: Settings) -> Store:
    """`open_store` on a deployment that exists, saying so when it made the keys of a new one
    (the first command after `db upgrade`)."""
    require_deployment(settings)
    files = [
        (settings.master_key_b64, settings.data_dir / MASTER_KEY_FILE),
        (settings.index_key_b64, settings.data_dir / INDEX_KEY_FILE),
    ]
    missing = [path for env, path in files if not env and not path.exists()]
    store = await open_store(settings)
    if made := [path for path in missing if path.exists()]:
        print(f"a new store: made {' and '.join(str(path) for path in made)}")
    return store
