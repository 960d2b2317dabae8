"""What every handler needs, wired once: settings, store, catalogs, and the current update's unit.

`AlongsideContext` exposes these as typed properties (no dict look-ups in handlers). The unit of
work of the update being handled lives in a context variable set by the inbox processor, so all a
handler changes, and every message it queues, commits together with the update's "done" mark.
Who sent the update, and the translator for them, are put there once, by the first handler group
(`bot.routing`), and read as ``ctx.person`` and ``ctx.tr``.
"""

from __future__ import annotations

import asyncio
import contextvars
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.health import StoreHealth
from bot.i18n import Catalogs, Translator
from bot.settings import Settings
from conversations.people import ChildView, StaffView
from conversations.store import Store, UnitOfWork
from safety import Detector

Person = StaffView | ChildView | None


@dataclass
class UpdateState:
    """Per update: its unit of work, whether a handler failed, and who sent it."""

    uow: UnitOfWork
    error: str | None = None
    person: Person = None
    tr: Translator | None = None


current: contextvars.ContextVar[UpdateState] = contextvars.ContextVar("update_state")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    catalogs: Catalogs
    detector: Detector
    bot_username: str = ""
    outbox_ready: asyncio.Event = field(default_factory=asyncio.Event)
    inbox_ready: asyncio.Event = field(default_factory=asyncio.Event)
    translations_ready: asyncio.Event = field(default_factory=asyncio.Event)
    health: StoreHealth = field(default_factory=StoreHealth)

    def tr(self, locale: str | None) -> Translator:
        return self.catalogs.get(locale)


class AlongsideContext(
    CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]
):
    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.application.bot_data["runtime"]
        return runtime

    @property
    def uow(self) -> UnitOfWork:
        return current.get().uow

    @property
    def person(self) -> Person:
        """Who sent this update: staff, a young person, or None for a stranger."""
        return current.get().person

    @property
    def tr(self) -> Translator:
        """The sender's translator: their chosen language, or a stranger's Telegram app's."""
        tr = current.get().tr
        if tr is None:
            raise LookupError("the sender is identified in the first handler group")
        return tr

    @property
    def staff(self) -> StaffView:
        """The sender, in a handler that only staff reach."""
        person = current.get().person
        if not isinstance(person, StaffView):
            raise LookupError("a handler for staff reached by someone else")
        return person

    @property
    def child(self) -> ChildView:
        """The sender, in a handler that only young people reach."""
        person = current.get().person
        if not isinstance(person, ChildView):
            raise LookupError("a handler for young people reached by someone else")
        return person


AlongsideApp = Application[
    ExtBot[None], AlongsideContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], Any
]


async def wait_any(event: asyncio.Event, stop: asyncio.Event, seconds: float) -> None:
    """Until `event` or `stop` is set, or `seconds` pass, whichever comes first."""
    waiters = [asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
