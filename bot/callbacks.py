"""Callback data of the bot's buttons: one small type per button family.

Each family encodes to the same string it always had (``lang:fr``, ``st:K7F:court``...), so
buttons already sent keep working; ``pattern`` routes a press to its feature
(``CallbackQueryHandler(callback, pattern=Family.pattern)``) and ``decode`` reads it back, or
gives None for data that is not (or no longer) well formed. Telegram carries at most 64 bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, Literal, Self, cast

from bot.i18n import SUPPORTED

LIMIT = 64


class ButtonData:
    """What one family of buttons carries: `pattern` routes it, `decode` reads it back."""

    pattern: ClassVar[str]

    def encode(self) -> str:
        raise NotImplementedError

    @classmethod
    def decode(cls, data: str) -> Self | None:
        raise NotImplementedError


def _fit(data: str) -> str:
    if len(data.encode("utf-8")) > LIMIT:
        raise ValueError(f"callback data over {LIMIT} bytes")
    return data


def _fields(prefix: str, data: str, count: int) -> list[str] | None:
    """The `count` fields after `prefix`, split on ":", or None unless there are exactly those."""
    if not data.startswith(prefix):
        return None
    fields = data.removeprefix(prefix).split(":")
    return fields if len(fields) == count else None


@dataclass(frozen=True)
class LanguageChoice(ButtonData):
    """``lang:CODE``: anyone chooses the language the bot writes to them in."""

    pattern: ClassVar[str] = r"^lang:"
    locale: str

    def encode(self) -> str:
        return _fit(f"lang:{self.locale}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        code = data.removeprefix("lang:")
        return cls(code) if data.startswith("lang:") and code in SUPPORTED else None


@dataclass(frozen=True)
class Journey(ButtonData):
    """``j:ACTION[:ARG]``: a young person's *What happens next?* and *About me* buttons.

    ARG may itself hold a ":" (``j:summary:yes:ID``)."""

    pattern: ClassVar[str] = r"^j:"
    action: str
    arg: str = ""

    def encode(self) -> str:
        return _fit(f"j:{self.action}:{self.arg}" if self.arg else f"j:{self.action}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        if not data.startswith("j:"):
            return None
        action, _, arg = data.removeprefix("j:").partition(":")
        return cls(action, arg) if action else None


@dataclass(frozen=True)
class StageChoice(ButtonData):
    """``st:REF:STAGE``: staff set a young person's journey stage."""

    pattern: ClassVar[str] = r"^st:"
    ref: str
    stage: str

    def encode(self) -> str:
        return _fit(f"st:{self.ref}:{self.stage}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        if not data.startswith("st:"):
            return None
        ref, _, stage = data.removeprefix("st:").partition(":")
        return cls(ref, stage)


@dataclass(frozen=True)
class HandoverTo(ButtonData):
    """``ho:REF:STAFF_ID``: staff choose whom to hand a young person over to."""

    pattern: ClassVar[str] = r"^ho:"
    ref: str
    staff_id: str

    def encode(self) -> str:
        return _fit(f"ho:{self.ref}:{self.staff_id}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        if not data.startswith("ho:"):
            return None
        ref, _, staff_id = data.removeprefix("ho:").partition(":")
        return cls(ref, staff_id)


@dataclass(frozen=True)
class CheckInAnswer(ButtonData):
    """``ci:CHECK_IN_ID:REPLY``: a young person's one-tap answer to a check-in."""

    pattern: ClassVar[str] = r"^ci:"
    check_in_id: str
    reply: str

    def encode(self) -> str:
        return _fit(f"ci:{self.check_in_id}:{self.reply}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        fields = _fields("ci:", data, 2)
        return cls(*fields) if fields else None


@dataclass(frozen=True)
class SendTo(ButtonData):
    """``to:PENDING_ID:REF``: staff say which young person a held message is for."""

    pattern: ClassVar[str] = r"^to:"
    pending_id: str
    ref: str

    def encode(self) -> str:
        return _fit(f"to:{self.pending_id}:{self.ref}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        fields = _fields("to:", data, 2)
        return cls(*fields) if fields else None


@dataclass(frozen=True)
class EraseDecision(ButtonData):
    """``er:yes:CHILD_ID`` or ``er:no:CHILD_ID``: a supervisor confirms an erasure, or not.

    Anything but ``yes`` keeps the record."""

    pattern: ClassVar[str] = r"^er:"
    erase: bool
    child_id: str

    def encode(self) -> str:
        return _fit(f"er:{'yes' if self.erase else 'no'}:{self.child_id}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        if not data.startswith("er:"):
            return None
        action, _, child_id = data.removeprefix("er:").partition(":")
        return cls(action == "yes", child_id)


AlertAction = Literal["ack", "open", "seen", "mute", "unmute", "alerts"]


@dataclass(frozen=True)
class AlertButton(ButtonData):
    """``ack:ALERT_ID``, ``open:ALERT_ID``, ``seen:CHILD_ID``, ``mute:CHILD_ID``,
    ``unmute:CHILD_ID``, ``alerts:OFFSET``: the staff's alert desk."""

    pattern: ClassVar[str] = r"^(ack|open|seen|mute|unmute|alerts):"
    action: AlertAction
    key: str

    def encode(self) -> str:
        return _fit(f"{self.action}:{self.key}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        match = re.match(cls.pattern, data)
        key = data[match.end() :] if match else ""
        if match is None or not key:
            return None
        action = cast(AlertAction, match.group(1))
        if action == "alerts" and not key.isdigit():
            return None
        return cls(action, key)


@dataclass(frozen=True)
class MissingAnswer(ButtonData):
    """``mc:EPISODE_ID:safe`` or ``mc:EPISODE_ID:help``: a young person's one-tap answer while
    they are missing."""

    pattern: ClassVar[str] = r"^mc:"
    episode_id: str
    reply: Literal["safe", "help"]

    def encode(self) -> str:
        return _fit(f"mc:{self.episode_id}:{self.reply}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        fields = _fields("mc:", data, 2)
        if fields is None or fields[1] not in ("safe", "help"):
            return None
        return cls(fields[0], cast(Literal["safe", "help"], fields[1]))


MissingStep = Literal[
    "open", "release", "returned", "police", "staff_family", "other", "done", "declined"
]
_MISSING_STEPS = (
    "open",
    "release",
    "returned",
    "police",
    "staff_family",
    "other",
    "done",
    "declined",
)


@dataclass(frozen=True)
class MissingAction(ButtonData):
    """``mx:STEP:ID``: staff open an episode or release a profile (ID a young person's), say how
    they were found or record the return interview (ID an episode's)."""

    pattern: ClassVar[str] = r"^mx:"
    step: MissingStep
    key: str

    def encode(self) -> str:
        return _fit(f"mx:{self.step}:{self.key}")

    @classmethod
    def decode(cls, data: str) -> Self | None:
        fields = _fields("mx:", data, 2)
        if fields is None or fields[0] not in _MISSING_STEPS or not fields[1]:
            return None
        return cls(cast(MissingStep, fields[0]), fields[1])
