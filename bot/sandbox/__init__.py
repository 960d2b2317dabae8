"""`alongside sandbox`: the real bot in a browser, for practice.

A page on this machine (``http://127.0.0.1:8765/`` by default) shows three phones side by side,
a young person, their advocate and a supervisor, each a small chat driven through the built-in
Bot API emulator, with the real bot behind it on a temporary store (`bot.practice`, as the demo).
A clock moves forward to bring check-ins, escalations and the end of an absence; scenario
buttons load the demo's steps and a few training cases (`scenarios`) into a fresh world
(`world`, kept by `control`); the page and its API are `web`. Nothing leaves the machine, and
everything is deleted when the sandbox stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

import uvicorn

from bot.practice import quiet_logs
from bot.sandbox.control import Sandbox
from bot.sandbox.web import create_app
from conversations.errors import ConfigurationError

DEFAULT_LISTEN = "127.0.0.1:8765"
GRACE = 1  # seconds an open page's event stream may take to end when the sandbox stops


def parse_listen(listen: str) -> tuple[str, int]:
    """HOST:PORT on this machine only: the page has no login, and is for practice."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or int(port) > 65535:
        raise ConfigurationError(f"--listen must be HOST:PORT, e.g. {DEFAULT_LISTEN}")
    try:
        local = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not local:
        raise ConfigurationError(
            "the sandbox serves only this machine: --listen takes 127.0.0.1, ::1 or localhost"
        )
    return host, int(port)


class _Server(uvicorn.Server):
    """Ctrl-C and SIGTERM stop the sandbox cleanly; with ``signals`` off (tests) none is taken."""

    def __init__(self, config: uvicorn.Config, signals: bool) -> None:
        super().__init__(config)
        self.signals = signals

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if not self.signals:
            yield
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)


class SandboxServer:
    """The sandbox served until `stop` (or, with ``signals``, Ctrl-C)."""

    def __init__(self, listen: str = DEFAULT_LISTEN, *, signals: bool = False) -> None:
        self.host, self.port = parse_listen(listen)
        self.signals = signals
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.sandbox: Sandbox | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    async def start(self) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="alongside-sandbox-")
        self.sandbox = Sandbox(Path(self._tmp.name))
        config = uvicorn.Config(
            create_app(self.sandbox),
            host=self.host,
            port=self.port,
            log_config=None,
            log_level="warning",
            access_log=False,
            ws="none",
            lifespan="on",
            timeout_graceful_shutdown=GRACE,
        )
        self._server = _Server(config, self.signals)
        self._task = asyncio.create_task(self._serve(self._server), name="sandbox-server")
        while not self._server.started:
            if self._task.done():
                await self._stopped()
            await asyncio.sleep(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]

    @staticmethod
    async def _serve(server: _Server) -> None:
        # Uvicorn exits the process when it cannot listen; here that ends the server only.
        with contextlib.suppress(SystemExit):
            await server.serve()

    async def wait(self) -> None:
        """Until the server stops (Ctrl-C, or `stop`)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.gather(self._task, return_exceptions=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def _stopped(self) -> None:
        """The server ended before it served: most often, the port is taken."""
        await self.stop()
        raise ConfigurationError(
            f"the sandbox could not start on {self.host}:{self.port} "
            "(is the port in use? choose another with --listen)"
        )

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve(listen: str = DEFAULT_LISTEN, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with quiet_logs():
        async with SandboxServer(listen, signals=True) as server:
            print(
                f"Alongside sandbox: open {server.url} in a browser.\n"
                "Practice only: the real bot against the built-in Bot API emulator, with its "
                "data in a temporary directory.\nNothing here reaches Telegram or anyone "
                "else; Ctrl-C stops it and deletes everything.",
                file=out,
                flush=True,
            )
            await server.wait()
    print("Sandbox stopped: its temporary data was deleted.", file=out, flush=True)
    return 0


def run_sandbox(listen: str = DEFAULT_LISTEN) -> int:
    parse_listen(listen)  # a wrong --listen says so before anything starts
    return asyncio.run(serve(listen))
