"""A LibreTranslate-compatible server for tests, the demo and practice: canned translations.

It serves `GET /languages` and `POST /translate` (JSON or form) the way LibreTranslate does:
`{"translatedText": ...}`, 400 for a missing field or a pair it lacks, 403 for a wrong key. What
it "translates" is looked up in what it was given; anything else comes back marked with the
target language, so a test can tell a translation from an original. It can also answer late
(`delay`) or with 503 (`failing`), and it records every text it was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import Any, Self

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class TranslationServer:
    def __init__(
        self,
        languages: Iterable[str] = ("en", "vi", "ar", "fr"),
        canned: Mapping[tuple[str, str, str], str] | None = None,
        *,
        api_key: str | None = None,
    ) -> None:
        self.languages = tuple(languages)
        self.canned = dict(canned or {})
        self.api_key = api_key
        self.delay = 0.0
        self.failing = False
        self.received: list[tuple[str, str, str]] = []  # (source, target, text)
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = Starlette(
            routes=[
                Route("/languages", self._languages, methods=["GET"]),
                Route("/translate", self._translate, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off"
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve(), name="translation-server")
        while not self._server.started:
            if self._task.done():
                raise RuntimeError("translation server failed to start") from self._task.exception()
            await asyncio.sleep(0.005)
        self._port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), timeout=3.0)
            if not self._task.done():
                self._server.force_exit = True
                await self._task
        self._server = self._task = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _languages(self, _: Request) -> JSONResponse:
        return JSONResponse(
            [
                {"code": code, "name": code, "targets": [t for t in self.languages if t != code]}
                for code in self.languages
            ]
        )

    async def _translate(self, request: Request) -> JSONResponse:
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.failing:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        body: Mapping[str, Any]
        if request.headers.get("content-type", "").startswith("application/json"):
            body = await request.json()
        else:
            body = dict(await request.form())
        if self.api_key and body.get("api_key") != self.api_key:
            return JSONResponse({"error": "Invalid API key"}, status_code=403)
        fields = [body.get(name) for name in ("q", "source", "target")]
        for name, value in zip(("q", "source", "target"), fields, strict=True):
            if not isinstance(value, str) or not value:
                return JSONResponse({"error": f"Invalid request: missing {name} parameter"}, 400)
        text, source, target = (str(value) for value in fields)
        if source not in self.languages or target not in self.languages:
            return JSONResponse({"error": f"{source} → {target} is not supported"}, 400)
        self.received.append((source, target, text))
        translated = self.canned.get((source, target, text), f"[{target}] {text}")
        return JSONResponse({"translatedText": translated})
