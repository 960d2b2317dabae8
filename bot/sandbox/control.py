"""The sandbox over time: the world in use, the scenario loading into a new one, and the state
the page draws, numbered so a page waits for the next one instead of asking again and again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from bot.i18n import LANGUAGES
from bot.practice import PracticeFailed
from bot.sandbox.scenarios import BY_KEY, SCENARIOS, Scenario
from bot.sandbox.world import ROLES, Refused, World

log = logging.getLogger(__name__)
FIRST = "fresh"
DEFAULT_LANGUAGES = {"young": "sq", "advocate": "en", "supervisor": "en"}
CHILD_NAME = "Ana"
REDRAW = 1.0  # seconds: the longest a page waits for the clock and the narration to be redrawn


class Sandbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.languages = dict(DEFAULT_LANGUAGES)
        self.world: World | None = None
        self.loading: str | None = None  # the title of the scenario being loaded
        self.playing: str | None = None  # ... or being played, in the world now in use
        self.error: str | None = None
        self.version = 0
        self._shown = ""
        self._newer = asyncio.Event()
        self._wake = asyncio.Event()
        self._loader: asyncio.Task[None] | None = None
        self._worlds = 0
        self._lock = asyncio.Lock()
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._watcher = asyncio.create_task(self._watch(), name="sandbox-watch")
        self.load(FIRST)

    async def close(self) -> None:
        if self._loader is not None:
            self._loader.cancel()
            await asyncio.gather(self._loader, return_exceptions=True)
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        async with self._lock:
            if self.world is not None:
                await _close(self.world)
                self.world = None

    # Loading scenarios ------------------------------------------------------------------------

    def load(self, key: str) -> None:
        """Start loading a scenario in a fresh world; one still loading is abandoned."""
        scenario = BY_KEY.get(key)
        if scenario is None:
            raise Refused("no such scenario")
        if self._loader is not None:
            self._loader.cancel()
        self.loading, self.error = scenario.title, None
        self._loader = asyncio.create_task(self._load(scenario), name="sandbox-load")
        self.touch()

    async def _load(self, scenario: Scenario) -> None:
        async with self._lock:
            try:
                if self.world is not None:
                    old, self.world = self.world, None
                    await _close(old)
                self._worlds += 1
                # A scenario's own young person leaves the phone's language as it was chosen.
                child = scenario.child or (CHILD_NAME, self.languages["young"])
                world = await World.open(self.root / f"world-{self._worlds}", self.languages, child)
                self.world, self.loading, self.playing = world, None, scenario.title
                self.touch()
                await self._play(world, scenario)
            except PracticeFailed as exc:
                self.error = f"{scenario.title}: {exc}"
            except Exception as exc:
                log.exception("sandbox.load_failed")
                self.error = f"{scenario.title}: {type(exc).__name__}: {exc}"
            finally:
                # A load abandoned for a newer one leaves the newer one's title in place.
                if asyncio.current_task() is self._loader:
                    self.loading = self.playing = None
                self.touch()

    async def _play(self, world: World, scenario: Scenario) -> None:
        demo = world.demo
        demo.transcript.heading(f"{scenario.title}. {scenario.about}")
        for step in scenario.steps:
            demo.transcript.heading(step.title)
            try:
                await step.run(demo)
            except PracticeFailed as exc:
                raise PracticeFailed(f"step “{step.title}” did not happen: {exc}") from None
        demo.transcript.heading("Your turn")

    # What phones do ---------------------------------------------------------------------------

    def in_use(self) -> World:
        if self.loading is not None or self.world is None:
            raise Refused("a scenario is loading: a moment")
        if not self.world.bot_running:
            raise Refused("the bot has stopped: load a scenario to start again")
        return self.world

    def set_language(self, role: str, code: Any) -> None:
        world = self.in_use()
        world.set_language(role, code)
        self.languages[role] = code

    # The state --------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        world = self.world if self.loading is None else None
        return {
            "status": {"loading": self.loading, "playing": self.playing, "error": self.error},
            "scenarios": [{"key": s.key, "title": s.title, "about": s.about} for s in SCENARIOS],
            "languages": [{"code": lang.code, "name": lang.native} for lang in LANGUAGES],
            "roles": ROLES,
            **(world.state() if world is not None else {}),
        }

    def touch(self) -> None:
        """Something changed here (not in the emulator, which says so itself): redraw now."""
        self._wake.set()

    async def newer(self, seen: int, timeout: float) -> tuple[int, str] | None:  # noqa: ASYNC109
        """The state once it is newer than version ``seen``; None if nothing changed in time."""
        if self.version == seen:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._newer.wait(), timeout)
        if self.version == seen:
            return None
        return self.version, self._shown

    async def _watch(self) -> None:
        while True:
            shown = json.dumps(self.state(), ensure_ascii=False, separators=(",", ":"))
            if shown != self._shown:
                self._shown, self.version = shown, self.version + 1
                self._newer.set()
                self._newer = asyncio.Event()
            world = self.world
            waits: list[asyncio.Future[object]] = [asyncio.ensure_future(self._wake.wait())]
            if world is not None:
                waits.append(asyncio.ensure_future(world.emu.changed(REDRAW)))
            try:
                await asyncio.wait(waits, timeout=REDRAW, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
            self._wake.clear()
            # Several changes at once (a relay is a few calls) are drawn once.
            await asyncio.sleep(0.05)


async def _close(world: World) -> None:
    """A world whose bot failed is put away all the same: it must not keep the next one out."""
    try:
        await world.close()
    except PracticeFailed as exc:
        log.warning("sandbox.world_failed", extra={"error": type(exc).__name__})
