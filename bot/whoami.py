"""`alongside whoami`: the first supervisor's Telegram id, while the bot cannot run yet.

`alongside run` refuses to start with no supervisor (an alert would reach nobody), and
`alongside staff add` needs the supervisor's numeric Telegram id, which the bot's /whoami gives.
Until the first supervisor is enrolled, this answers /whoami alone, as the bot does: in the
sender's own chat, in their Telegram app's language, keeping nothing, and printing no id.

Every other update is left for the bot: updates are confirmed to Telegram only while all that
are pending are /whoami already answered. Once a supervisor is enrolled it refuses: the bot
answers /whoami itself, and two readers of one bot's updates would take them from each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from telegram import Bot, Update, User
from telegram.constants import ChatType
from telegram.error import Conflict
from telegram.request import HTTPXRequest

from bot.basics import your_id
from bot.commands import reach_telegram
from bot.deployment import open_deployment
from bot.i18n import Catalogs, resolve
from bot.inbox import ALLOWED_UPDATES
from bot.settings import Settings
from conversations import people
from conversations.errors import ConfigurationError

# Other updates pending: they stay for the bot, and are looked at again after this long.
PAUSE = 2.0
ENROLLED = "a supervisor is enrolled: start the bot (`alongside run`), which answers /whoami itself"
ANOTHER_READER = (
    "another reader has this bot's updates (the bot running somewhere, or a webhook set): "
    "there, the bot answers /whoami itself"
)


async def answer_whoami(settings: Settings, stop: asyncio.Event | None = None) -> int:
    """Answer /whoami until `stop` is set (SIGINT and SIGTERM set it)."""
    store = await open_deployment(settings)
    try:
        async with store.unit(read_only=True) as uow:
            enrolled = await people.active_supervisors(uow)
    finally:
        await store.close()
    if enrolled:
        raise ConfigurationError(ENROLLED)
    await reach_telegram(settings)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot = Bot(
        settings.token or "",
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url or settings.api_base_url,
        request=HTTPXRequest(connect_timeout=5, read_timeout=settings.poll_timeout + 10),
    )
    try:
        async with bot:
            print(
                f"send /whoami to @{bot.username} from the Telegram account of each person to "
                "enrol: the answer goes to their own chat. Ctrl-C to stop",
                flush=True,
            )
            await _answer_until(bot, settings, stop)
    except Conflict:
        raise ConfigurationError(ANOTHER_READER) from None
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0


async def _answer_until(bot: Bot, settings: Settings, stop: asyncio.Event) -> None:
    catalogs = Catalogs(settings.timezone)
    answered: set[int] = set()
    offset: int | None = None
    stopping = asyncio.create_task(stop.wait())
    while not stop.is_set():
        polling = asyncio.create_task(
            bot.get_updates(
                offset=offset, timeout=settings.poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
        )
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if not polling.done():
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling
            break
        updates = polling.result()
        for update in updates:
            asker = _asker(update, bot.username)
            if asker is None or update.update_id in answered:
                continue
            tr = catalogs.get(resolve(asker.language_code))
            await bot.send_message(asker.id, your_id(tr, asker.id, stranger=True).text)
            answered.add(update.update_id)
            print(f"answered /whoami ({len(answered)} so far)", flush=True)
        if updates and all(update.update_id in answered for update in updates):
            offset = updates[-1].update_id + 1
        elif updates:
            await asyncio.wait({stopping}, timeout=PAUSE)
    stopping.cancel()
    if offset is not None:
        # Confirm the last /whoami answered, so that the bot does not answer it again.
        await bot.get_updates(offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES)


def _asker(update: Update, username: str) -> User | None:
    """Who sent /whoami (or /whoami@this_bot) in their private chat, as the bot's own command
    handler takes it; None for any other update."""
    message = update.message
    if message is None or message.chat.type != ChatType.PRIVATE:
        return None
    first = (message.text or "").split(maxsplit=1)[:1]
    name, _, addressed = (first[0] if first else "").partition("@")
    if name.lower() != "/whoami" or addressed.lower() not in ("", username.lower()):
        return None
    return message.from_user
