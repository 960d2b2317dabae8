"""The sandbox's page and its small API, on the stack the webhook uses (Starlette under Uvicorn).

* ``GET /``: the page (plain HTML, CSS and a script under ``/static/``, no build step).
* ``GET /api/state``: what the page draws, as JSON; ``GET /api/events``: the same as
  server-sent events, one each time it changes.
* ``POST /api/phones/{role}/say|send|press|language``, ``POST /api/clock``, ``POST
  /api/scenarios/{key}``: JSON in, 204 (or 202 for a scenario) out; 400 with a reason when a
  phone tries what a Telegram app could not.

It serves this machine only: the Host header must name a loopback address (so no other site can
reach it by rebinding a name to 127.0.0.1), a POST must be JSON (so no other page can send one
without asking first, which nothing here answers), and every response forbids inline scripts.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.practice import LOOPBACK
from bot.sandbox.control import Sandbox
from bot.sandbox.world import ROLES, Refused, World

Endpoint = Callable[[Request], Awaitable[Response]]
MAX_BODY = 64 * 1024
KEEP_ALIVE = 15.0  # seconds between comments on a quiet event stream
STATIC = {
    "sandbox.css": "text/css; charset=utf-8",
    "sandbox.js": "text/javascript; charset=utf-8",
}
HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        b"img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class LocalOnly:
    """Refuses a request that did not come from a page of this sandbox on this machine, and
    adds the page's security headers to every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        why = refusal(scope["method"], headers)
        if why:
            await PlainTextResponse(why, status_code=403)(scope, receive, send)
            return

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)

        await self.app(scope, receive, secured)


def refusal(method: str, headers: dict[str, str]) -> str | None:
    """Why a request did not come from a page of this sandbox on this machine, or None."""
    if _hostname(headers.get("host", "")) not in LOOPBACK:
        return "the sandbox answers only this machine (http://127.0.0.1)"
    if method == "POST":
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return "JSON only"
        origin = headers.get("origin")
        if origin is not None and _hostname(origin.split("://", 1)[-1]) not in LOOPBACK:
            return "not from this sandbox's page"
    return None


def _hostname(netloc: str) -> str:
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def create_app(sandbox: Sandbox) -> ASGIApp:
    """The page and the API around ``sandbox``, which starts and stops with the server."""

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await sandbox.start()
        try:
            yield
        finally:
            await sandbox.close()

    async def page(_: Request) -> Response:
        return Response(_static("index.html"), media_type="text/html; charset=utf-8")

    async def nothing(_: Request) -> Response:
        return Response(status_code=204)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("not found", status_code=404)
        return Response(_static(name), media_type=STATIC[name])

    async def state(_: Request) -> Response:
        return JSONResponse(sandbox.state())

    async def events(_: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            seen = -1
            while True:
                newer = await sandbox.newer(seen, KEEP_ALIVE)
                if newer is None:
                    yield ": still here\n\n"
                    continue
                seen, body = newer
                yield f"data: {body}\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def acting(request: Request, act: Callable[[dict[str, Any]], object]) -> Response:
        body = await _json(request)
        if body is None:
            return _refused("a JSON object, please")
        try:
            act(body)
        except Refused as exc:
            return _refused(str(exc))
        sandbox.touch()
        return Response(status_code=204)

    def phone(act: Callable[[World, str, dict[str, Any]], None]) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            role = request.path_params["role"]
            if role not in ROLES:
                return _refused("no such phone")
            return await acting(request, lambda body: act(sandbox.in_use(), role, body))

        return endpoint

    def say(world: World, role: str, body: dict[str, Any]) -> None:
        world.say(role, body.get("text"), body.get("reply_to"))

    def send(world: World, role: str, body: dict[str, Any]) -> None:
        world.send_media(role, body.get("kind"), body.get("caption"))

    def press(world: World, role: str, body: dict[str, Any]) -> None:
        world.press(role, body.get("message_id"), body.get("data"))

    def language(_: World, role: str, body: dict[str, Any]) -> None:
        sandbox.set_language(role, body.get("code"))

    async def clock(request: Request) -> Response:
        return await acting(request, lambda body: sandbox.in_use().move_clock(body.get("minutes")))

    async def scenario(request: Request) -> Response:
        answer = await acting(request, lambda _: sandbox.load(request.path_params["key"]))
        return Response(status_code=202) if answer.status_code == 204 else answer

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", static),
            Route("/favicon.ico", nothing),
            Route("/api/state", state),
            Route("/api/events", events),
            Route("/api/phones/{role}/say", phone(say), methods=["POST"]),
            Route("/api/phones/{role}/send", phone(send), methods=["POST"]),
            Route("/api/phones/{role}/press", phone(press), methods=["POST"]),
            Route("/api/phones/{role}/language", phone(language), methods=["POST"]),
            Route("/api/clock", clock, methods=["POST"]),
            Route("/api/scenarios/{key}", scenario, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    return LocalOnly(app)


async def _json(request: Request) -> dict[str, Any] | None:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return parsed if isinstance(parsed, dict) else None


def _refused(why: str) -> Response:
    return JSONResponse({"error": why}, status_code=400)


def _static(name: str) -> bytes:
    return resources.files("bot.sandbox").joinpath("static", name).read_bytes()
