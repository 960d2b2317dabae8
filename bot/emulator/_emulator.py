"""The emulator server: HTTP transport, test helpers, faults and webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import secrets
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Self

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from . import _topics
from ._api import HANDLERS, BotApi
from ._text import command_entities, read_params, update_type
from ._types import (
    ANSWER_FAULTS,
    ApiError,
    Delivery,
    EmulatedUser,
    Fault,
    JSONDict,
    MessageRecord,
    PendingUpdate,
    RecordedCall,
    SentMessage,
    StoredFile,
)

# Telegram sends these only to bots that list them in allowed_updates.
_DEFAULT_UPDATE_TYPES_EXCLUDED = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_STATUS_PHRASES = {
    400: "Bad Request: refused",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

_log = logging.getLogger(__name__)


class _ConnectionDropped(Exception):
    """Raised after a partial response so uvicorn closes the socket mid-body."""


class _DropLogFilter(logging.Filter):
    # Intentional drops are expected behaviour, not server errors worth a traceback.
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, _ConnectionDropped)


class _DroppedResponse(Response):
    # Promising more body than is sent makes the client see a truncated response, the way a
    # connection reset mid-answer looks, rather than a clean HTTP error.
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", b"4096"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": b'{"ok":tr', "more_body": True})
        raise _ConnectionDropped


def _garbled_answer(result: Any) -> Response:
    """A 200 answer whose result python-telegram-bot cannot turn into its object.

    A Message loses ``chat`` and ``date`` (keeping ``message_id``), any other object loses
    every field, a list has each item garbled, and a scalar result (True) goes missing.
    """

    def garble(value: Any) -> Any:
        if isinstance(value, dict):
            if "chat" in value and "message_id" in value:
                return {k: v for k, v in value.items() if k not in {"chat", "date"}}
            return {}
        return [garble(item) for item in value] if isinstance(value, list) else None

    garbled = garble(result)
    if garbled is None:
        return JSONResponse({"ok": True})
    return JSONResponse({"ok": True, "result": garbled})


class _QuietServer(uvicorn.Server):
    # The emulator lives inside someone else's process; it must not steal SIGINT/SIGTERM.
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class BotApiEmulator(BotApi):
    """An in-process Telegram Bot API server for tests; see the package docstring."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",  # noqa: S107 - a fake token for a fake server
        bot_username: str = "alongside_test_bot",
        *,
        bot_first_name: str = "Alongside",
        redelivery_delay: float = 0.2,
    ) -> None:
        super().__init__(token, bot_username, bot_first_name)
        self.redelivery_delay = redelivery_delay
        self.redeliver_every: int | None = None
        # Waits are for liveness, not timing: a loaded CI machine stretches them all at once.
        self.patience = 1.0
        self.calls: list[RecordedCall] = []
        self._faults: list[Fault] = []
        self._next_update_id = 1
        self._acked = 0

        self._webhook_targets: list[str] | None = None
        self._rr = 0
        self._busy_targets: set[str] = set()
        self._dispatcher: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()

        self._server: _QuietServer | None = None
        self._server_task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None
        self._log_filter = _DropLogFilter()
        self._port = 0

    # ---------------------------------------------------------------- lifecycle

    async def start(self, port: int = 0) -> None:
        """Serve on 127.0.0.1:``port`` (0 picks a free port) until :meth:`stop`."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._handle_api, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._handle_file, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_config=None,
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=1,
        )
        self._stopping = asyncio.Event()
        self._changed = asyncio.Event()
        logging.getLogger("uvicorn.error").addFilter(self._log_filter)
        self._server = _QuietServer(config)
        self._server_task = asyncio.create_task(self._server.serve(), name="bot-api-emulator")
        while not self._server.started:
            if self._server_task.done():
                await self._cleanup_client()
                exc = self._server_task.exception()
                self._server = None
                raise RuntimeError(f"emulator failed to start on port {port}") from exc
            await asyncio.sleep(0.005)
        self._port = self._server.servers[0].sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Wake long polls and slow faults, stop webhook delivery and shut the server down."""
        self._stopping.set()
        self._notify()
        await self._stop_delivery()
        server, task = self._server, self._server_task
        if server is not None and task is not None:
            server.should_exit = True
            try:
                await asyncio.wait_for(asyncio.shield(task), timeout=3.0)
            except TimeoutError:
                server.force_exit = True
                await task
        self._server = None
        self._server_task = None
        await self._cleanup_client()

    async def _cleanup_client(self) -> None:
        logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
        if self._http is not None:
            await self._http.aclose()
            self._http = None

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

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)``/``ApplicationBuilder.base_url``: the token is appended."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ---------------------------------------------------------------- users and faults

    def user(
        self,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = None,
        username: str | None = None,
    ) -> EmulatedUser:
        """Create (or replace) a user whose private chat with the bot is open."""
        user = EmulatedUser(user_id, first_name, language_code, username)
        self._users[user_id] = user
        return user

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends answer 403 from now on and, as Telegram does, a
        ``my_chat_member`` update (member -> kicked) is enqueued unless ``notify`` is False.
        Blocking twice changes nothing and sends nothing."""
        if user_id in self._blocked:
            return
        self._blocked.add(user_id)
        if notify:
            self._membership_update(user_id, old="member", new="kicked")

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        """The user unblocks (restarts) the bot; the reverse ``my_chat_member`` update."""
        if user_id not in self._blocked:
            return
        self._blocked.discard(user_id)
        if notify:
            self._membership_update(user_id, old="kicked", new="member")

    def is_blocked(self, user_id: int) -> bool:
        return user_id in self._blocked

    def _membership_update(self, user_id: int, *, old: str, new: str) -> None:
        user = self._users.get(user_id)
        if user is None:
            return  # no private chat exists, so there is no membership to report
        now = int(self.clock())

        def member(status: str) -> JSONDict:
            # ChatMemberBanned requires until_date (0: forever); ChatMemberMember has none.
            data: JSONDict = {"status": status, "user": dict(self.bot_user)}
            if status == "kicked":
                data["until_date"] = 0
            return data

        self._enqueue(
            {
                "my_chat_member": {
                    "chat": user.chat_dict(),
                    "from": user.to_dict(),
                    "date": now,
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def delete_topic(self, user: EmulatedUser, thread: int) -> None:
        """The user deletes a topic of their chat with the bot, with everything in it; as on
        Telegram, only when the bot lets users manage topics (``users_manage_topics``). The
        bot is not told."""
        topic = self.topics.get(user.id, {}).get(thread)
        if not self.users_manage_topics:
            raise ValueError("this bot does not let users delete topics")
        if not _topics.enabled(self, user.id) or topic is None or topic.deleted:
            raise ValueError(f"no topic {thread} in chat {user.id} to delete")
        _topics.remove(self, user.id, topic)

    def add_fault(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def remove_fault(self, fault: Fault) -> None:
        with contextlib.suppress(ValueError):
            self._faults.remove(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    # ---------------------------------------------------------------- incoming traffic

    def send_text(
        self,
        user: EmulatedUser,
        text: str,
        *,
        reply_to: int | None = None,
        thread: int | None = None,
    ) -> JSONDict:
        """Enqueue a text message from ``user`` (in topic ``thread`` if given); slash commands
        get bot_command entities."""
        content: JSONDict = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user, content, reply_to, thread)

    def send_photo(
        self, user: EmulatedUser, caption: str | None = None, *, reply_to: int | None = None
    ) -> JSONDict:
        small = self._fake_file(user, "photo")
        big = self._fake_file(user, "photo")
        photo = [
            {**self._file_fields(small), "width": 90, "height": 90},
            {**self._file_fields(big), "width": 800, "height": 800},
        ]
        return self._user_message(user, self._with_caption({"photo": photo}, caption), reply_to)

    def send_voice(self, user: EmulatedUser) -> JSONDict:
        stored = self._fake_file(user, "voice", mime_type="audio/ogg")
        voice = {**self._file_fields(stored), "duration": 3, "mime_type": "audio/ogg"}
        return self._user_message(user, {"voice": voice}, None)

    def send_video(self, user: EmulatedUser, caption: str | None = None) -> JSONDict:
        stored = self._fake_file(user, "video", mime_type="video/mp4")
        video = {**self._file_fields(stored), "width": 640, "height": 360, "duration": 5}
        return self._user_message(user, self._with_caption({"video": video}, caption), None)

    def send_document(
        self, user: EmulatedUser, file_name: str = "file.pdf", caption: str | None = None
    ) -> JSONDict:
        stored = self._fake_file(user, "document", file_name=file_name)
        document = {**self._file_fields(stored), "file_name": file_name}
        return self._user_message(user, self._with_caption({"document": document}, caption), None)

    def send_sticker(self, user: EmulatedUser) -> JSONDict:
        stored = self._fake_file(user, "sticker")
        sticker = {
            **self._file_fields(stored),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🙂",
        }
        return self._user_message(user, {"sticker": sticker}, None)

    def edit_text(self, user: EmulatedUser, message_id: int, text: str) -> JSONDict:
        """The user edits a text message of theirs: an ``edited_message`` update."""
        record = self._messages.get((user.id, message_id))
        if record is None or record.from_bot or record.deleted:
            raise ValueError(f"user {user.id} has no message {message_id} to edit")
        record.message["text"] = text
        record.message.pop("entities", None)
        if entities := command_entities(text):
            record.message["entities"] = entities
        record.message["edit_date"] = int(self.clock())
        edited = copy.deepcopy(record.message)
        self._enqueue({"edited_message": edited})
        return edited

    def press_button(
        self, user: EmulatedUser, message_id: int, data: str, *, strict: bool = True
    ) -> JSONDict:
        """Press an inline button on a bot message; returns the callback query dict.

        With ``strict`` the message must carry a button with that ``callback_data``, as a
        real client can only press buttons that exist.
        """
        record = self._messages.get((user.id, message_id))
        if record is None or record.deleted:
            raise ValueError(f"no message {message_id} in chat {user.id}")
        if strict:
            markup = record.message.get("reply_markup") or {}
            datas = {
                button.get("callback_data")
                for row in markup.get("inline_keyboard", [])
                for button in row
            }
            if data not in datas:
                raise ValueError(
                    f"message {message_id} has no button with callback_data {data!r}; "
                    f"buttons: {sorted(d for d in datas if d)}"
                )
        query_id = str(secrets.randbits(63))
        query: JSONDict = {
            "id": query_id,
            "from": user.to_dict(),
            "message": copy.deepcopy(record.message),
            "chat_instance": str(user.id * 7919 + self.bot_id),
            "data": data,
        }
        self._callbacks[query_id] = query
        self._enqueue({"callback_query": query})
        return query

    def inject_update(self, raw: JSONDict) -> int:
        """Enqueue ``raw`` as-is (for odd or malformed updates); returns its update_id."""
        update = dict(raw)
        if isinstance(update.get("update_id"), int):
            self._next_update_id = max(self._next_update_id, update["update_id"] + 1)
        else:
            update["update_id"] = self._take_update_id()
        self._pending.append(PendingUpdate(update))
        self._pending.sort(key=lambda p: int(p.update["update_id"]))
        self._notify()
        return int(update["update_id"])

    # ---------------------------------------------------------------- inspection

    def sent_to(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages in ``chat_id``, in order, including deleted ones."""
        return list(self._sent.get(chat_id, []))

    def visible_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self._sent.get(chat_id, []) if not m.deleted]

    def history(self, chat_id: int) -> list[JSONDict]:
        """The private chat as its user's app shows it: their messages and the bot's, oldest
        first, deleted ones left out. A reply keyboard is no part of a message (`sent_to`)."""
        records = [r for (chat, _), r in self._messages.items() if chat == chat_id]
        records.sort(key=lambda r: int(r.message["message_id"]))
        return [copy.deepcopy(r.message) for r in records if not r.deleted]

    async def changed(self, timeout: float) -> None:  # noqa: ASYNC109 - a wait, not a deadline
        """Return when anything happens here (a call, an update) or after ``timeout`` seconds."""
        await self._wait_change(timeout)

    def message(self, chat_id: int, message_id: int) -> JSONDict | None:
        """The emulator's current record of any message (user's or bot's), or None."""
        record = self._messages.get((chat_id, message_id))
        return copy.deepcopy(record.message) if record else None

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        record = self._messages.get((chat_id, message_id))
        return record is not None and record.deleted

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by getUpdates or acknowledged with 200 by a webhook."""
        return [copy.deepcopy(p.update) for p in self._pending]

    def commands(self, scope: JSONDict | None = None, language_code: str = "") -> list[JSONDict]:
        return list(self._commands.get(self._scope_key(scope, language_code), []))

    def file_bytes(self, file_id: str) -> bytes:
        return self._files[file_id].data

    @property
    def webhook_url(self) -> str:
        return self._webhook_url

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - mirrors the documented test API
        description: str | None = None,
    ) -> None:
        """Poll ``predicate`` until truthy; on timeout raise AssertionError with context.

        The wait lasts ``timeout`` times :attr:`patience` seconds.
        """
        loop = asyncio.get_running_loop()
        timeout *= self.patience
        deadline = loop.time() + timeout
        while True:
            if predicate():
                return
            if loop.time() >= deadline:
                break
            await asyncio.sleep(0.01)
        recent = ", ".join(
            f"{c.method}({'ok' if c.ok else c.error_code or c.fault})" for c in self.calls[-10:]
        )
        what = description or getattr(predicate, "__qualname__", repr(predicate))
        raise AssertionError(
            f"condition not met within {timeout}s: {what}. "
            f"Last calls: [{recent}]; pending update ids: "
            f"{[p.update.get('update_id') for p in self._pending]}; "
            f"webhook: {self._webhook_url or 'none'}"
        )

    def set_webhook_targets(self, urls: list[str] | None) -> None:
        """Deliver webhook updates round-robin to ``urls`` instead of the URL the bot set."""
        for url in urls or []:
            self._check_loopback(url)
        self._webhook_targets = list(urls) if urls else None
        self._notify()

    # ---------------------------------------------------------------- update queue helpers

    def _take_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _enqueue(self, body: JSONDict) -> int:
        kind = update_type(body)
        allowed = self._allowed_updates
        if allowed and kind not in allowed:
            return -1
        if not allowed and kind in _DEFAULT_UPDATE_TYPES_EXCLUDED:
            return -1
        return self.inject_update(body)

    def _fake_file(
        self,
        user: EmulatedUser,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        data = f"fake {kind} from {user.id}".encode()
        return self._store_file(kind, data, file_name, mime_type)

    @staticmethod
    def _with_caption(content: JSONDict, caption: str | None) -> JSONDict:
        if caption is not None:
            content["caption"] = caption
        return content

    def _user_message(
        self,
        user: EmulatedUser,
        content: JSONDict,
        reply_to: int | None,
        thread: int | None = None,
    ) -> JSONDict:
        if user.id not in self._users:
            self._users[user.id] = user
        # A Telegram app will not send to a bot the user blocked; writing means unblocking
        # (the "Restart" button) first, which the bot hears about before the message.
        self.unblock(user.id)
        message: JSONDict = {
            "message_id": self._take_message_id(user.id),
            "from": user.to_dict(),
            "chat": user.chat_dict(),
            "date": int(self.clock()),
            **content,
        }
        if reply_to is not None:
            target = self._messages.get((user.id, reply_to))
            if target is None or target.deleted:
                raise ValueError(f"no message {reply_to} in chat {user.id} to reply to")
            message["reply_to_message"] = self._shallow_reply(target.message)
            # A reply is written where its message is shown: in that message's topic.
            thread = thread or target.message.get("message_thread_id")
        if thread is not None:
            topic = self.topics.get(user.id, {}).get(thread)
            if not _topics.enabled(self, user.id) or topic is None or topic.deleted:
                raise ValueError(f"no topic {thread} in chat {user.id} to write in")
            _topics.in_topic(self, user.id, message, thread, by_user=True)
        self._messages[(user.id, message["message_id"])] = MessageRecord(
            user.id, message, from_bot=False, created=self.clock()
        )
        snapshot = copy.deepcopy(message)
        self._enqueue({"message": snapshot})
        return snapshot

    # ---------------------------------------------------------------- HTTP layer

    async def _handle_file(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        path = request.path_params["path"]
        for stored in self._files.values():
            if stored.file_path == path:
                return Response(
                    stored.data, media_type=stored.mime_type or "application/octet-stream"
                )
        return JSONResponse({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    async def _handle_api(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        requested = request.path_params["method"]
        name, handler = HANDLERS.get(requested.lower(), (requested, None))
        try:
            params, uploads = await read_params(request)
        except ApiError as exc:
            return self._record_error(name, {}, exc)
        if handler is None:
            return self._record_error(name, params, ApiError(404, "Not Found: method not found"))
        chat_id = self._param_chat_id(params)
        fault = self._take_fault(name, chat_id)
        if fault is not None and fault.kind == "slow":
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=fault.delay)
        elif fault is not None and not fault.applied and fault.kind not in ANSWER_FAULTS:
            return self._fault_response(name, params, fault)
        try:
            try:
                result = await handler(self, params, uploads)
            except (TypeError, ValueError, AttributeError) as exc:
                # Malformed parameters (wrong JSON shapes, non-numeric ids) are the client's
                # fault; the real server answers them with 400 rather than 500.
                _log.debug("bad parameters for %s: %r", name, exc)
                raise ApiError(400, f"Bad Request: invalid parameters: {exc}") from exc
        except ApiError as exc:
            if fault is not None and fault.kind not in {"slow", *ANSWER_FAULTS}:
                return self._fault_response(name, params, fault)
            return self._record_error(name, params, exc, fault)
        if fault is not None and fault.kind not in {"slow", *ANSWER_FAULTS}:
            return self._fault_response(name, params, fault)
        self.calls.append(
            RecordedCall(name, params, self.clock(), True, None, fault.kind if fault else None)
        )
        self._notify()
        if fault is not None and fault.kind == "not_json":
            return HTMLResponse("<html>ok</html>")
        if fault is not None and fault.kind == "garbled":
            return _garbled_answer(result)
        return JSONResponse({"ok": True, "result": result})

    def _fault_response(self, name: str, params: JSONDict, fault: Fault) -> Response:
        if fault.kind == "429":
            exc = ApiError(
                429, f"Too Many Requests: retry after {fault.retry_after}", fault.retry_after
            )
            return self._record_error(name, params, exc, fault)
        if fault.kind == "500":
            phrase = _STATUS_PHRASES.get(fault.status, "Internal Server Error")
            return self._record_error(name, params, ApiError(fault.status, phrase), fault)
        self.calls.append(RecordedCall(name, params, self.clock(), False, None, fault.kind))
        self._notify()
        return _DroppedResponse()

    def _record_error(
        self, name: str, params: JSONDict, exc: ApiError, fault: Fault | None = None
    ) -> Response:
        self.calls.append(
            RecordedCall(name, params, self.clock(), False, exc.code, fault.kind if fault else None)
        )
        self._notify()
        body: JSONDict = {"ok": False, "error_code": exc.code, "description": exc.description}
        if exc.retry_after is not None:
            body["parameters"] = {"retry_after": exc.retry_after}
        return JSONResponse(body, status_code=exc.code)

    def _take_fault(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, chat_id):
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _param_chat_id(params: JSONDict) -> int | None:
        value = params.get("chat_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                return int(value)
        return None

    # ---------------------------------------------------------------- webhook delivery

    def _targets(self) -> list[str]:
        if not self._webhook_url:
            return []
        return list(self._webhook_targets or [self._webhook_url])

    def _start_delivery(self) -> None:
        if self._http is None:
            # Created on first use: building a client's TLS context costs ~0.1 s per test.
            self._http = httpx.AsyncClient(trust_env=False, timeout=10.0)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="emulator-webhook")

    async def _stop_delivery(self) -> None:
        tasks = [t for t in [self._dispatcher, *self._deliveries] if t is not None]
        for task in tasks:
            task.cancel()
        # gather, unlike suppressing CancelledError, still lets our own caller be cancelled.
        await asyncio.gather(*tasks, return_exceptions=True)
        self._dispatcher = None
        self._deliveries.clear()
        self._busy_targets.clear()
        for pending in self._pending:
            pending.in_flight = False

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while self._webhook_url and not self._stopping.is_set():
            targets = self._targets()
            now = loop.time()
            next_ready = now + 1.0
            for pending in list(self._pending):
                if pending.in_flight and pending.failed_targets:
                    # A failed update blocks the ones behind it, retries included, so order
                    # is kept as far as a sender can keep it.
                    break
                if pending.in_flight:
                    continue
                if pending.ready_at > now:
                    next_ready = min(next_ready, pending.ready_at)
                    break
                target = self._free_target(targets, avoid=pending.failed_targets)
                if target is None:
                    break
                pending.in_flight = True
                self._busy_targets.add(target)
                task = asyncio.create_task(self._deliver(pending, target))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)
            await self._wait_change(next_ready - loop.time())

    def _free_target(self, targets: list[str], avoid: set[str] | None = None) -> str | None:
        """The next idle target in turn, preferring ones this update has not failed on."""
        avoid = avoid or set()
        if avoid >= set(targets):
            avoid = set()
        for skip in (avoid, set()):
            for offset in range(len(targets)):
                index = (self._rr + offset) % len(targets)
                if targets[index] not in self._busy_targets and targets[index] not in skip:
                    self._rr = index + 1
                    return targets[index]
            if not avoid:
                break
        return None

    async def _deliver(self, pending: PendingUpdate, target: str) -> None:
        if self._http is None:
            raise RuntimeError("webhook delivery started without an HTTP client")
        headers = {}
        if self._webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
        error: str | None
        started = asyncio.get_running_loop().time()
        try:
            response = await self._http.post(target, json=pending.update, headers=headers)
            error = (
                None
                if response.status_code == 200
                else (
                    f"Wrong response from the webhook: {response.status_code} "
                    f"{response.reason_phrase}"
                )
            )
        except httpx.HTTPError as exc:
            error = f"Connection failed: {exc.__class__.__name__}"
        finally:
            self._busy_targets.discard(target)
            pending.in_flight = False
        self.deliveries.append(
            Delivery(
                int(pending.update["update_id"]),
                target,
                started,
                asyncio.get_running_loop().time(),
                error,
            )
        )
        if error is None:
            self._acknowledge(pending)
        else:
            pending.failed_targets.add(target)
            self._webhook_errors.append((int(self.clock()), error))
            pending.ready_at = asyncio.get_running_loop().time() + self.redelivery_delay
        self._notify()

    def _acknowledge(self, pending: PendingUpdate) -> None:
        with contextlib.suppress(ValueError):
            self._pending.remove(pending)
        if pending.is_redelivery:
            return
        self._acked += 1
        if self.redeliver_every and self._acked % self.redeliver_every == 0:
            again = PendingUpdate(copy.deepcopy(pending.update), is_redelivery=True)
            self._pending.append(again)
            self._pending.sort(key=lambda p: int(p.update["update_id"]))
