"""`alongside whoami`: the first supervisor's Telegram id, while the bot cannot run yet.

`alongside run` refuses to start with no supervisor (an alert would reach nobody), and
`alongside staff add` needs the supervisor's numeric Telegram id, which the bot's /whoami gives.
Until the first supervisor is enrolled, this answers /whoami alone, as the bot does: in the
sender's own chat, in their Telegram app's language, keeping nothing, and printing no id.

Every other update is left for the bot: updates are confirmed to Telegram only while all that
are pending are /whoami already answered. Once a supervisor is enrolled it refuses: the bot
answers /whoami itself, and two readers of one bot's updates would take them from each other.
While Telegram fails (a dropped connection, a 5xx, a flood wait) it waits and tries again, saying
so once on stderr; a /whoami whose answer failed is still pending, so it is answered on a later try.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from datetime import timedelta

from telegram import Bot, Update, User
from telegram.constants import ChatType
from telegram.error import Conflict, NetworkError, RetryAfter
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
# Telegram unreachable or failing (a dropped connection, a 5xx): tried again after 1 s, 2 s, ...
# up to 30 s, as the bot's own poller does; an operator who has had enough presses Ctrl-C.
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0

ENROLLED = "a supervisor is enrolled: start the bot (`alongside run`), which answers /whoami itself"
ANOTHER_READER = (
    "another reader has this bot's updates (the bot running somewhere, or a webhook set): "
    "there, the bot answers /whoami itself"
)
TELEGRAM_TROUBLE = (
    f"Telegram does not answer: trying again, with pauses of up to {MAX_BACKOFF:.0f} s"
)
TELEGRAM_BACK = "Telegram answers again"
UNCONFIRMED = (
    "the last /whoami answered could not be confirmed to Telegram: the bot may answer it once more"
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
    confirmed: int | None = None
    retry = _Retry()
    stopping = asyncio.create_task(stop.wait())
    while not stop.is_set():
        try:
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
            confirmed = offset
            retry.worked()
            for update in updates:
                await _answer(bot, catalogs, update, answered)
        except (NetworkError, RetryAfter) as exc:
            await asyncio.wait({stopping}, timeout=retry.failed(exc))
            continue
        if updates and all(update.update_id in answered for update in updates):
            offset = updates[-1].update_id + 1
        elif updates:
            await asyncio.wait({stopping}, timeout=PAUSE)
    stopping.cancel()
    if offset is not None and offset != confirmed:
        # Confirm the last /whoami answered, so that the bot does not answer it again.
        try:
            await bot.get_updates(offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES)
        except (NetworkError, RetryAfter):
            print(UNCONFIRMED, file=sys.stderr, flush=True)


async def _answer(bot: Bot, catalogs: Catalogs, update: Update, answered: set[int]) -> None:
    asker = _asker(update, bot.username)
    if asker is None or update.update_id in answered:
        return
    tr = catalogs.get(resolve(asker.language_code))
    await bot.send_message(asker.id, your_id(tr, asker.id, stranger=True).text)
    answered.add(update.update_id)
    print(f"answered /whoami ({len(answered)} so far)", flush=True)


class _Retry:
    """Capped exponential backoff, as the bot's own poller waits out Telegram; the operator is
    told once when Telegram stops answering and once when it answers again."""

    def __init__(self) -> None:
        self.pause = FIRST_BACKOFF
        self.failing = False

    def failed(self, exc: NetworkError | RetryAfter) -> float:
        if not self.failing:
            print(TELEGRAM_TROUBLE, file=sys.stderr, flush=True)
            self.failing = True
        if isinstance(exc, RetryAfter):
            wait = exc.retry_after
            return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        pause, self.pause = self.pause, min(self.pause * 2, MAX_BACKOFF)
        return pause

    def worked(self) -> None:
        if self.failing:
            print(TELEGRAM_BACK, file=sys.stderr, flush=True)
        self.failing = False
        self.pause = FIRST_BACKOFF


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
