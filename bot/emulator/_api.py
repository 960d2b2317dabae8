"""Bot API semantics: chats, messages, files, commands and the method handlers.

``BotApi`` holds the state a Telegram server keeps for one bot and implements each method
against it; ``BotApiEmulator`` adds the HTTP server, test helpers, faults and webhook delivery.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from . import _topics
from ._formatting import (
    check_parse_mode,
    explicit_entities,
    parse_html,
    parse_markdown_v2,
    utf16_len,
)
from ._markup import parse_reply_markup, shown_inline_keyboard
from ._text import as_dict, as_int, truthy
from ._types import (
    DELETE_WINDOW_SECONDS,
    LONG_POLL_MAX_TIMEOUT,
    LOOPBACK_HOSTS,
    MAX_CALLBACK_ANSWER_LENGTH,
    MAX_CAPTION_LENGTH,
    MAX_COMMAND_DESCRIPTION_LENGTH,
    MAX_COMMAND_LENGTH,
    MAX_COMMANDS,
    MAX_DELETE_IDS,
    MAX_TEXT_LENGTH,
    ApiError,
    Delivery,
    EmulatedUser,
    JSONDict,
    MessageRecord,
    PendingUpdate,
    SentMessage,
    StoredFile,
    UploadedFile,
)

_MEDIA_KINDS: dict[str, str] = {
    "sendPhoto": "photo",
    "sendVoice": "voice",
    "sendVideo": "video",
    "sendDocument": "document",
    "sendSticker": "sticker",
    "sendAudio": "audio",
    "sendAnimation": "animation",
    "sendVideoNote": "video_note",
}
_CONTENT_KINDS = ("text", *_MEDIA_KINDS.values())
_CAPTIONLESS = frozenset({"sticker", "video_note"})
_BOT_COMMAND_RE = re.compile(r"^[a-z0-9_]+$")
# sendChatAction's actions, with the legacy aliases the server still takes.
_CHAT_ACTIONS = frozenset(
    {
        "cancel",
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "record_audio",
        "upload_voice",
        "upload_audio",
        "upload_document",
        "choose_sticker",
        "find_location",
        "pick_up_location",
        "record_video_note",
        "upload_video_note",
    }
)
_MENU_BUTTON_TYPES = frozenset({"default", "commands", "web_app"})
_COMMAND_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


_Handler = Callable[["BotApi", JSONDict, dict[str, UploadedFile]], Awaitable[Any]]
# Lower-cased method name -> (canonical name, handler); Telegram matches names case-insensitively.
HANDLERS: dict[str, tuple[str, _Handler]] = {}


def _method(name: str) -> Callable[[_Handler], _Handler]:
    def register(func: _Handler) -> _Handler:
        HANDLERS[name.lower()] = (name, func)
        return func

    return register


class BotApi:
    """The server-side state of one bot and its Bot API methods, without any transport."""

    def __init__(self, token: str, bot_username: str, bot_first_name: str) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JSONDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.clock: Callable[[], float] = time.time
        self.answered_callbacks: list[JSONDict] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.menu_buttons: dict[int | None, JSONDict] = {}
        # Topics in private chats: off unless the bot's owner turned them on (see `_topics`).
        self.topics_enabled = False
        self.topics_off: set[int] = set()
        self.users_manage_topics = False
        self.topics: dict[int, dict[int, _topics.Topic]] = {}

        self._users: dict[int, EmulatedUser] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], MessageRecord] = {}
        self._next_message_id: dict[int, int] = {}
        self._sent: dict[int, list[SentMessage]] = {}
        self._files: dict[str, StoredFile] = {}
        self._callbacks: dict[str, JSONDict] = {}
        self._commands: dict[tuple[str, str], list[JSONDict]] = {}

        self._pending: list[PendingUpdate] = []
        self._poll_generation = 0
        self._allowed_updates: list[str] | None = None
        self._webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_errors: list[tuple[int, str]] = []
        # Every webhook delivery attempt, in the order they finished.
        self.deliveries: list[Delivery] = []

        self._changed = asyncio.Event()
        self._stopping = asyncio.Event()

    # ---------------------------------------------------------------- hooks and waiting

    def _start_delivery(self) -> None:
        """Begin pushing pending updates to the webhook (implemented by the server)."""
        raise NotImplementedError

    async def _stop_delivery(self) -> None:
        """Stop pushing updates to the webhook (implemented by the server)."""
        raise NotImplementedError

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, seconds: float) -> None:
        event = self._changed
        stopping = asyncio.ensure_future(self._stopping.wait())
        changed = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait(
                {stopping, changed}, timeout=max(seconds, 0), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()
            changed.cancel()

    # ---------------------------------------------------------------- state helpers

    def _take_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _store_file(
        self, kind: str, data: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        unique = secrets.token_hex(8)
        stored = StoredFile(f"{kind.upper()}-{unique}", unique, kind, data, file_name, mime_type)
        self._files[stored.file_id] = stored
        return stored

    @staticmethod
    def _file_fields(stored: StoredFile) -> JSONDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }

    @staticmethod
    def _shallow_reply(message: JSONDict) -> JSONDict:
        # Telegram nests replies only one level deep.
        reply = copy.deepcopy(message)
        reply.pop("reply_to_message", None)
        return reply

    @staticmethod
    def _scope_key(scope: JSONDict | None, language_code: str) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code

    @staticmethod
    def _check_loopback(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or parts.hostname not in LOOPBACK_HOSTS:
            raise ApiError(
                400, "Bad Request: bad webhook: the emulator only delivers to loopback URLs"
            )

    # ---------------------------------------------------------------- chat and message rules

    def _chat(self, params: JSONDict, name: str = "chat_id") -> int:
        if params.get(name) is None:
            raise ApiError(
                400,
                f"Bad Request: {name} is empty"
                if name == "chat_id"
                else "Bad Request: chat not found",
            )
        value = params[name]
        if isinstance(value, str) and value.startswith("@"):
            match = next(
                (u.id for u in self._users.values() if u.username and f"@{u.username}" == value),
                None,
            )
            if match is None:
                raise ApiError(400, "Bad Request: chat not found")
            return match
        try:
            chat_id = as_int(value, "chat_id")
        except ApiError as exc:
            raise ApiError(400, "Bad Request: chat not found") from exc
        if chat_id not in self._users:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    def _writable_chat(self, params: JSONDict) -> int:
        chat_id = self._chat(params)
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _format(
        self, text: Any, parse_mode: Any, entities: Any, *, caption: bool
    ) -> tuple[str, list[JSONDict] | None]:
        if not isinstance(text, str):
            text = "" if text is None else json.dumps(text)
        if not caption and not text:
            raise ApiError(400, "Bad Request: message text is empty")
        plain, parsed = text, None
        mode = check_parse_mode(parse_mode) if text else ""
        if mode == "html":
            plain, parsed = parse_html(text)
        elif mode == "markdownv2":
            plain, parsed = parse_markdown_v2(text)
        elif not mode or mode == "none":
            parsed = explicit_entities(entities)
        limit, what = (
            (MAX_CAPTION_LENGTH, "message caption") if caption else (MAX_TEXT_LENGTH, "message")
        )
        if not caption and not plain.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(plain) > limit:
            raise ApiError(400, f"Bad Request: {what} is too long")
        return plain, parsed or None

    def _reply_to(self, chat_id: int, params: JSONDict) -> JSONDict | None:
        reply_params = as_dict(params.get("reply_parameters"), "reply parameters") or {}
        message_id = reply_params.get("message_id", params.get("reply_to_message_id"))
        if message_id is None:
            return None
        record = self._messages.get((chat_id, as_int(message_id, "message_id")))
        if record is None or record.deleted:
            if truthy(reply_params.get("allow_sending_without_reply")) or truthy(
                params.get("allow_sending_without_reply")
            ):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return record.message

    def _media(self, kind: str, params: JSONDict, uploads: dict[str, UploadedFile]) -> StoredFile:
        value = params.get(kind)
        upload = uploads.get(kind)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
        if upload is not None:
            return self._store_file(kind, upload.data, upload.filename, upload.content_type)
        if isinstance(value, str) and value in self._files:
            return self._files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rsplit("/", 1)[-1] or None
            return self._store_file(kind, f"fetched {value}".encode(), name, None)
        if not value:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _media_object(self, kind: str, stored: StoredFile, params: JSONDict) -> Any:
        base = self._file_fields(stored)
        if kind == "photo":
            return [{**base, "width": 320, "height": 320}]
        if kind == "voice":
            return {**base, "duration": int(params.get("duration") or 1)}
        if kind in {"video", "animation"}:
            return {
                **base,
                "width": 640,
                "height": 360,
                "duration": int(params.get("duration") or 1),
            }
        if kind == "video_note":
            return {**base, "length": 240, "duration": int(params.get("duration") or 1)}
        if kind == "audio":
            return {**base, "duration": int(params.get("duration") or 1)}
        if kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        document = {**base}
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    def _post(
        self,
        chat_id: int,
        content: JSONDict,
        params: JSONDict,
        *,
        kind: str,
        file_id: str | None,
    ) -> JSONDict:
        thread_id = _topics.thread_of(self, chat_id, params)
        reply_to = self._reply_to(chat_id, params)
        markup = parse_reply_markup(params.get("reply_markup"))
        protect = truthy(params.get("protect_content"))
        message: JSONDict = {
            "message_id": self._take_message_id(chat_id),
            "from": dict(self.bot_user),
            "chat": self._users[chat_id].chat_dict(),
            "date": int(self.clock()),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = self._shallow_reply(reply_to)
        _topics.in_topic(self, chat_id, message, thread_id, by_user=False)
        if (shown := shown_inline_keyboard(markup)) is not None:
            message["reply_markup"] = shown
        if protect:
            message["has_protected_content"] = True
        self._messages[(chat_id, message["message_id"])] = MessageRecord(
            chat_id, message, from_bot=True, created=self.clock()
        )
        self._sent.setdefault(chat_id, []).append(
            SentMessage(
                chat_id=chat_id,
                message_id=message["message_id"],
                kind=kind,
                text=message.get("text"),
                caption=message.get("caption"),
                reply_markup=markup,
                protect_content=protect,
                reply_to_message_id=reply_to["message_id"] if reply_to else None,
                deleted=False,
                file_id=file_id,
                date=message["date"],
                parse_mode=params.get("parse_mode"),
                raw_text=params.get("text", params.get("caption")),
                entities=copy.deepcopy(
                    message.get("entities") or message.get("caption_entities") or []
                ),
                message_thread_id=thread_id,
            )
        )
        return copy.deepcopy(message)

    def _bot_message(self, params: JSONDict) -> tuple[MessageRecord, SentMessage | None]:
        chat_id = self._chat(params)
        message_id = as_int(params.get("message_id"), "message_id")
        record = self._messages.get((chat_id, message_id))
        if record is None or record.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        if not record.from_bot:
            raise ApiError(400, "Bad Request: message can't be edited")
        sent = next((s for s in self._sent.get(chat_id, []) if s.message_id == message_id), None)
        return record, sent

    def _delete(self, chat_id: int, message_id: int, *, any_age: bool = False) -> str | None:
        """Delete one message; `any_age` for what goes with its topic, past the 48 hours."""
        record = self._messages.get((chat_id, message_id))
        if record is None or record.deleted:
            return "Bad Request: message to delete not found"
        if not any_age and self.clock() - record.created >= DELETE_WINDOW_SECONDS:
            return "Bad Request: message can't be deleted"
        record.deleted = True
        for sent in self._sent.get(chat_id, []):
            if sent.message_id == message_id:
                sent.deleted = True
        return None

    # ---------------------------------------------------------------- Bot API methods

    @_method("getMe")
    async def _get_me(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
            "has_topics_enabled": self.topics_enabled,
            "allows_users_to_create_topics": self.users_manage_topics,
        }

    @_method("getUpdates")
    async def _get_updates(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        if self._webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        offset = as_int(params.get("offset", 0), "offset")
        limit = min(max(as_int(params.get("limit", 100), "limit"), 1), 100)
        timeout = min(max(float(params.get("timeout") or 0), 0.0), LONG_POLL_MAX_TIMEOUT)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        if offset < 0:
            del self._pending[: max(len(self._pending) + offset, 0)]
        elif offset > 0:
            self._pending = [p for p in self._pending if p.update["update_id"] >= offset]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not self._pending and not self._stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            await self._wait_change(remaining)
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._webhook_url:
                return []
        return [copy.deepcopy(p.update) for p in self._pending[:limit]]

    @_method("setWebhook")
    async def _set_webhook(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        url = params.get("url") or ""
        if not isinstance(url, str):
            raise ApiError(400, "Bad Request: bad webhook: invalid URL")
        if url:
            self._check_loopback(url)
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if truthy(params.get("drop_pending_updates")):
            self._pending = [p for p in self._pending if p.in_flight]
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        self._webhook_secret = str(secret) if secret else None
        if url != self._webhook_url:
            await self._stop_delivery()
        self._webhook_url = url
        self._poll_generation += 1
        if url:
            self._start_delivery()
        self._notify()
        return True

    @_method("deleteWebhook")
    async def _delete_webhook(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        await self._stop_delivery()
        self._webhook_url = ""
        self._webhook_secret = None
        if truthy(params.get("drop_pending_updates")):
            self._pending.clear()
        self._notify()
        return True

    @_method("getWebhookInfo")
    async def _get_webhook_info(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        info: JSONDict = {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
            "max_connections": 40,
        }
        if self._allowed_updates:
            info["allowed_updates"] = list(self._allowed_updates)
        if self._webhook_url and self._webhook_errors:
            info["last_error_date"], info["last_error_message"] = self._webhook_errors[-1]
        return info

    @_method("sendMessage")
    async def _send_message(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        chat_id = self._writable_chat(params)
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        content: JSONDict = {"text": text}
        if entities:
            content["entities"] = entities
        return self._post(chat_id, content, params, kind="text", file_id=None)

    async def _send_media(
        self, method: str, params: JSONDict, uploads: dict[str, UploadedFile]
    ) -> Any:
        kind = _MEDIA_KINDS[method]
        chat_id = self._writable_chat(params)
        content: JSONDict = {}
        if kind not in _CAPTIONLESS and params.get("caption") is not None:
            caption, entities = self._format(
                params.get("caption"),
                params.get("parse_mode"),
                params.get("caption_entities"),
                caption=True,
            )
            if caption:
                content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        stored = self._media(kind, params, uploads)
        if kind == "document" and isinstance(params.get("file_name"), str):
            stored.file_name = params["file_name"]
        content[kind] = self._media_object(kind, stored, params)
        return self._post(chat_id, content, params, kind=kind, file_id=stored.file_id)

    @_method("copyMessage")
    async def _copy_message(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        chat_id = self._writable_chat(params)
        from_chat = self._chat(params, "from_chat_id")
        message_id = as_int(params.get("message_id"), "message_id")
        source = self._messages.get((from_chat, message_id))
        if source is None or source.deleted:
            raise ApiError(400, "Bad Request: message to copy not found")
        original = source.message
        kind = next((k for k in _CONTENT_KINDS if k in original), None)
        if kind is None:
            raise ApiError(400, "Bad Request: message can't be copied")
        content: JSONDict = {kind: copy.deepcopy(original[kind])}
        if kind == "text" and "entities" in original:
            content["entities"] = copy.deepcopy(original["entities"])
        if "caption" in params:
            if params["caption"]:
                caption, entities = self._format(
                    params["caption"],
                    params.get("parse_mode"),
                    params.get("caption_entities"),
                    caption=True,
                )
                content["caption"] = caption
                if entities:
                    content["caption_entities"] = entities
        elif "caption" in original:
            content["caption"] = original["caption"]
            if "caption_entities" in original:
                content["caption_entities"] = copy.deepcopy(original["caption_entities"])
        media = original.get(kind)
        file_id: str | None = None
        if isinstance(media, list) and media:
            file_id = media[-1].get("file_id")
        elif isinstance(media, dict):
            file_id = media.get("file_id")
        message = self._post(chat_id, content, params, kind=kind, file_id=file_id)
        return {"message_id": message["message_id"]}

    @_method("editMessageText")
    async def _edit_message_text(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        if params.get("inline_message_id"):
            return True
        record, sent = self._bot_message(params)
        if "text" not in record.message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"), caption=False
        )
        markup = parse_reply_markup(params.get("reply_markup"), inline_only=True)
        message = record.message
        if (
            message.get("text") == text
            and message.get("entities") == entities
            and message.get("reply_markup") == shown_inline_keyboard(markup)
        ):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._set_markup(message, sent, markup)
        message["edit_date"] = int(self.clock())
        if sent is not None:
            sent.text = text
            sent.raw_text = params.get("text")
            sent.parse_mode = params.get("parse_mode")
            sent.edited = True
        return copy.deepcopy(message)

    @staticmethod
    def _set_markup(message: JSONDict, sent: SentMessage | None, markup: JSONDict | None) -> None:
        message.pop("reply_markup", None)
        if (shown := shown_inline_keyboard(markup)) is not None:
            message["reply_markup"] = shown
        if sent is not None:
            sent.reply_markup = markup

    @_method("editMessageReplyMarkup")
    async def _edit_reply_markup(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        if params.get("inline_message_id"):
            return True
        record, sent = self._bot_message(params)
        markup = parse_reply_markup(params.get("reply_markup"), inline_only=True)
        if record.message.get("reply_markup") == shown_inline_keyboard(markup):
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        self._set_markup(record.message, sent, markup)
        record.message["edit_date"] = int(self.clock())
        if sent is not None:
            sent.edited = True
        return copy.deepcopy(record.message)

    @_method("deleteMessage")
    async def _delete_message(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat identifier is not specified")
        if params.get("message_id") in (None, "", 0, "0"):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        chat_id = self._chat(params)
        error = self._delete(chat_id, as_int(params.get("message_id"), "message_id"))
        if error:
            raise ApiError(400, error)
        return True

    @_method("deleteMessages")
    async def _delete_messages(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        ids = _message_ids(params.get("message_ids"))
        chat_id = self._chat(params)
        deleted = [self._delete(chat_id, message_id) is None for message_id in ids]
        if not any(deleted):
            raise ApiError(400, "Bad Request: message can't be deleted")
        return True

    @_method("answerCallbackQuery")
    async def _answer_callback(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        text = params.get("text")
        if text is not None and utf16_len(str(text)) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        url = params.get("url")
        if url and not self._is_start_link(str(url)):
            # Only a game's URL or a t.me link that starts this bot may be opened.
            raise ApiError(400, "Bad Request: URL_INVALID")
        query = self._callbacks.pop(query_id)
        self.answered_callbacks.append({"query": query, **params})
        return True

    def _is_start_link(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme.lower() == "tg":
            return f"domain={self.bot_username}".lower() in parts.query.lower()
        host, path = (parts.hostname or "").lower(), parts.path.strip("/").lower()
        return host in {"t.me", "telegram.me"} and path == self.bot_username.lower()

    @_method("setMyCommands")
    async def _set_my_commands(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        commands = _bot_commands(params.get("commands"))
        key = self._command_key(params)
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)  # an empty list clears, like deleteMyCommands
        return True

    @_method("deleteMyCommands")
    async def _delete_my_commands(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        self._commands.pop(self._command_key(params), None)
        return True

    @_method("getMyCommands")
    async def _get_my_commands(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        return list(self._commands.get(self._command_key(params), []))

    def _command_key(self, params: JSONDict) -> tuple[str, str]:
        """The (scope, language) a command list belongs to, checked as the server checks them."""
        try:
            scope = as_dict(params.get("scope") or None, "BotCommandScope")
        except ApiError as exc:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object") from exc
        if scope is not None:
            if scope.get("type") not in _COMMAND_SCOPES:
                raise ApiError(
                    400, "Bad Request: can't parse BotCommandScope: Unsupported type specified"
                )
            if scope["type"].startswith("chat"):
                self._chat(scope)  # the scope's chat must exist, as for any chat_id
        language = params.get("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", str(language)):
            raise ApiError(400, "Bad Request: invalid language code specified")
        return self._scope_key(scope, str(language))

    @_method("setChatMenuButton")
    async def _set_menu_button(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        chat_id = self._chat(params) if params.get("chat_id") is not None else None
        button = as_dict(params.get("menu_button"), "menu button") or {"type": "default"}
        if button.get("type") not in _MENU_BUTTON_TYPES:
            raise ApiError(400, "Bad Request: can't parse menu button: Unsupported type specified")
        if button["type"] == "web_app":
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: can't parse menu button: Can't find field \"text\""
                )
            web_app = button.get("web_app")
            url = web_app.get("url") if isinstance(web_app, dict) else None
            if not isinstance(url, str) or urlsplit(url).scheme.lower() != "https":
                raise ApiError(400, "Bad Request: menu button Web App URL is invalid")
        self.menu_buttons[chat_id] = button
        return True

    @_method("getChatMenuButton")
    async def _get_menu_button(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        chat_id = self._chat(params) if params.get("chat_id") is not None else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "commands"}

    @_method("sendChatAction")
    async def _send_chat_action(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        chat_id = self._writable_chat(params)
        _topics.thread_of(self, chat_id, params)
        action = params.get("action")
        if not isinstance(action, str) or action.lower() not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        self.chat_actions.append((chat_id, action))
        return True

    @_method("getFile")
    async def _get_file(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {**self._file_fields(stored), "file_path": stored.file_path}

    @_method("close")
    async def _close(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        return True

    @_method("logOut")
    async def _log_out(self, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
        return True


def _message_ids(value: Any) -> list[int]:
    """deleteMessages' ``message_ids``, with the server's errors for each way it can be wrong."""
    if value is None or value == "":
        raise ApiError(400, "Bad Request: message identifiers are not specified")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse message_ids JSON object") from exc
    if not isinstance(value, list):
        raise ApiError(400, "Bad Request: expected an Array of message identifiers")
    if len(value) > MAX_DELETE_IDS:
        raise ApiError(400, "Bad Request: too many message identifiers specified")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise ApiError(400, "Bad Request: message identifier must be a Number")
        try:
            message_id = int(item)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse message identifier as a Number") from exc
        if message_id <= 0:
            raise ApiError(400, "Bad Request: invalid message identifier specified")
        ids.append(message_id)
    if not ids:
        raise ApiError(400, "Bad Request: message identifiers are not specified")
    return ids


def _bot_commands(value: Any) -> list[JSONDict]:
    """setMyCommands' list after the server's and TDLib's checks (trimmed, "/" dropped)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse commands JSON object") from exc
    if not isinstance(value, list):
        raise ApiError(400, "Bad Request: expected an Array of BotCommand")
    prefix = "Bad Request: can't parse BotCommand: "
    commands: list[JSONDict] = []
    for item in value:
        if not isinstance(item, dict):
            raise ApiError(400, prefix + "expected an Object")
        for field in ("command", "description"):
            if field not in item:
                raise ApiError(400, prefix + f'Can\'t find field "{field}"')
            if not isinstance(item[field], str):
                raise ApiError(400, prefix + f'Field "{field}" must be of type String')
        command = item["command"].strip().removeprefix("/")
        description = item["description"].strip()
        if not command:
            raise ApiError(400, "Bad Request: command must be non-empty")
        if len(command) > MAX_COMMAND_LENGTH:
            raise ApiError(400, f"Bad Request: command length must not exceed {MAX_COMMAND_LENGTH}")
        if not description:
            raise ApiError(400, "Bad Request: command description must be non-empty")
        if len(description) > MAX_COMMAND_DESCRIPTION_LENGTH:
            raise ApiError(
                400,
                "Bad Request: command description length must not exceed "
                f"{MAX_COMMAND_DESCRIPTION_LENGTH}",
            )
        if not _BOT_COMMAND_RE.match(command):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        commands.append({"command": command, "description": description})
    if len(commands) > MAX_COMMANDS:
        raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
    return commands


def _register_media_methods() -> None:
    for name in _MEDIA_KINDS:

        async def handler(
            emu: BotApi,
            params: JSONDict,
            uploads: dict[str, UploadedFile],
            _name: str = name,
        ) -> Any:
            return await emu._send_media(_name, params, uploads)

        _method(name)(handler)


_register_media_methods()
_method("createForumTopic")(_topics.create_forum_topic)
_method("editForumTopic")(_topics.edit_forum_topic)
_method("deleteForumTopic")(_topics.delete_forum_topic)
