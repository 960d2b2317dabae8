"""Data types shared by the emulator's modules; the public ones are re-exported."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSONDict = dict[str, Any]
FaultKind = Literal["429", "500", "drop", "slow", "garbled", "not_json"]
# Faults that let the call take effect and spoil only the 200 answer.
ANSWER_FAULTS: frozenset[str] = frozenset({"garbled", "not_json"})

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COPY_TEXT_LENGTH = 256
MAX_COMMANDS = 100
MAX_COMMAND_LENGTH = 32
MAX_COMMAND_DESCRIPTION_LENGTH = 256
MAX_DELETE_IDS = 100
# The Bot API server clamps getUpdates' timeout to this many seconds.
LONG_POLL_MAX_TIMEOUT = 50
DELETE_WINDOW_SECONDS = 48 * 3600
# Webhook targets are restricted to these so a test can never push updates off the machine.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class EmulatedUser:
    """A Telegram user who has opened a private chat with the bot (chat id == ``id``)."""

    id: int
    first_name: str
    language_code: str | None = None
    username: str | None = None

    def to_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class Fault:
    """An injected failure; see the package docstring for each ``kind``."""

    kind: FaultKind
    retry_after: int = 1
    count: int | None = 1
    method: str | None = None
    chat_id: int | None = None
    status: int = 500
    delay: float = 1.0
    applied: bool = False

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(frozen=True)
class UploadedFile:
    """A file the client uploaded with multipart/form-data, as recorded in call params."""

    field_name: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class RecordedCall:
    """One Bot API call as the emulator saw it; ``fault`` names the fault applied, if any."""

    method: str
    params: JSONDict
    at: float
    ok: bool
    error_code: int | None
    fault: FaultKind | None = None


@dataclass
class SentMessage:
    """A message the bot sent (or copied) into a chat. ``text`` is what the user sees."""

    chat_id: int
    message_id: int
    kind: str
    text: str | None
    caption: str | None
    reply_markup: JSONDict | None
    protect_content: bool
    reply_to_message_id: int | None
    deleted: bool
    file_id: str | None
    date: int
    parse_mode: str | None = None
    raw_text: str | None = None
    edited: bool = False
    # As Telegram returns them: offsets and lengths in UTF-16 units.
    entities: list[JSONDict] = field(default_factory=list)
    message_thread_id: int | None = None  # the topic it was posted in, if any

    def marked(self, kind: str) -> list[str]:
        """The pieces of the text (or caption) that entities of type `kind` cover."""
        units = (self.text or self.caption or "").encode("utf-16-le")
        return [
            units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in self.entities
            if e.get("type") == kind
        ]


class ApiError(Exception):
    """A Bot API error answer: HTTP status ``code`` and Telegram's description."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after


@dataclass
class StoredFile:
    """A file the server knows: uploaded bytes or a stand-in for a user's media."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None

    @property
    def file_path(self) -> str:
        suffix = ""
        if self.file_name and "." in self.file_name:
            suffix = "." + self.file_name.rsplit(".", 1)[1]
        return f"{self.kind}s/{self.file_unique_id}{suffix}"


@dataclass
class MessageRecord:
    """Any message in a chat, from the user or the bot, as the server remembers it."""

    chat_id: int
    message: JSONDict
    from_bot: bool
    created: float
    deleted: bool = False


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery attempt: which update, where, when, and the error if it failed."""

    update_id: int
    target: str
    started: float
    finished: float
    error: str | None


@dataclass
class PendingUpdate:
    """An update not yet confirmed (polling) or acknowledged with 200 (webhook)."""

    update: JSONDict
    ready_at: float = 0.0
    in_flight: bool = False
    is_redelivery: bool = False
    # Webhook targets this update failed on; a retry goes elsewhere while another is free.
    failed_targets: set[str] = field(default_factory=set)
