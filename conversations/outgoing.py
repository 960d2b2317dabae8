"""What to send, in plain values: the outbox stores these, the bot renders them for Telegram."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
MEDIA_KINDS = frozenset(
    {"photo", "voice", "video", "document", "sticker", "audio", "animation", "video_note"}
)
CAPTIONLESS = frozenset({"sticker", "video_note"})


@dataclass(frozen=True)
class Button:
    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Outgoing:
    """One message as the recipient will see it. ``kind`` is "text", a media kind, or an
    image drawn when it is sent: "qr" or "chart"."""

    kind: str = "text"
    text: str = ""
    file_id: str | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    # A persistent reply keyboard (the child's menu); None leaves the current one.
    keyboard: tuple[tuple[str, ...], ...] | None = None
    protect: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # Spans of ``text`` (start, end in characters) shown as quotes: words someone else wrote,
    # set apart so that nothing in them can pass for a line of ours.
    quotes: tuple[tuple[int, int], ...] = ()
    # The topic of the recipient's chat it answers in (where they wrote); None: wherever it
    # belongs (its young person's topic, or the chat itself).
    thread: int | None = None

    def parts(self) -> list[Outgoing]:
        """Split so that nothing exceeds Telegram's limits; text is split, never cut."""
        if self.kind in CAPTIONLESS or self.kind == "text":
            if self.kind == "text":
                chunks = split_text(self.text, TEXT_LIMIT)
                starts = _starts(self.text, chunks)
                return [
                    replace(
                        self,
                        text=chunk,
                        buttons=self.buttons if last else (),
                        keyboard=self.keyboard if last else None,
                        quotes=_clip(self.quotes, start, start + len(chunk)),
                    )
                    for chunk, start, last in zip(
                        chunks, starts, _last_flags(len(chunks)), strict=True
                    )
                ]
            if not self.text:
                return [self]
            # No caption on these: the words go first, so a header precedes what it describes.
            words = Outgoing(
                text=self.text, protect=self.protect, quotes=self.quotes, thread=self.thread
            ).parts()
            return [*words, replace(self, text="")]
        if utf16_len(self.text) <= CAPTION_LIMIT:
            return [self]
        pieces = split_text(self.text, CAPTION_LIMIT)
        if not pieces:
            return [replace(self, text="")]
        # The first piece need not start the text (leading blanks are dropped at a cut).
        first = pieces[0]
        rest = self.text[self.text.index(first) + len(first) :].lstrip()
        if not rest:
            return [replace(self, text=first)]
        head = replace(self, text=first, buttons=())
        return [
            head,
            *Outgoing(
                text=rest,
                buttons=self.buttons,
                keyboard=self.keyboard,
                protect=self.protect,
                thread=self.thread,
            ).parts(),
        ]

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.file_id:
            data["file_id"] = self.file_id
        if self.buttons:
            data["buttons"] = [[[b.text, b.data, b.url] for b in row] for row in self.buttons]
        if self.keyboard is not None:
            data["keyboard"] = [list(row) for row in self.keyboard]
        if self.protect:
            data["protect"] = True
        if self.extra:
            data["extra"] = self.extra
        if self.quotes:
            data["quotes"] = [list(span) for span in self.quotes]
        if self.thread is not None:
            data["thread"] = self.thread
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outgoing:
        keyboard = data.get("keyboard")
        return cls(
            kind=data["kind"],
            text=data.get("text", ""),
            file_id=data.get("file_id"),
            buttons=tuple(tuple(Button(*b) for b in row) for row in data.get("buttons", [])),
            keyboard=None if keyboard is None else tuple(tuple(row) for row in keyboard),
            protect=bool(data.get("protect")),
            extra=dict(data.get("extra", {})),
            quotes=tuple((int(a), int(b)) for a, b in data.get("quotes", [])),
            thread=int(data["thread"]) if data.get("thread") is not None else None,
        )

    def quote_spans(self) -> list[tuple[int, int]]:
        """The quotes as Telegram counts them: (offset, length) in UTF-16 units."""
        return [
            (utf16_len(self.text[:start]), utf16_len(self.text[start:end]))
            for start, end in self.quotes
            if end > start
        ]


def _starts(text: str, chunks: list[str]) -> list[int]:
    """Where each piece of `split_text` begins in `text` (pieces lose only edge blanks)."""
    starts, at = [], 0
    for chunk in chunks:
        at = text.index(chunk, at)
        starts.append(at)
        at += len(chunk)
    return starts


def _clip(quotes: tuple[tuple[int, int], ...], start: int, end: int) -> tuple[tuple[int, int], ...]:
    """The parts of `quotes` inside [start, end), counted from `start`."""
    return tuple(
        (max(a, start) - start, min(b, end) - start) for a, b in quotes if a < end and b > start
    )


def _last_flags(n: int) -> list[bool]:
    return [i == n - 1 for i in range(n)]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` UTF-16 units, broken at paragraph, line, sentence or word ends."""
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        cut = _fit(rest, limit)
        window = rest[:cut]
        for sep in ("\n\n", "\n", ". ", " "):
            at = window.rfind(sep)
            if at > cut // 2:
                cut = at + len(sep)
                break
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return [p for p in pieces if p]


def _fit(text: str, limit: int) -> int:
    """The most characters of `text` that fit in `limit` UTF-16 units, never splitting a pair."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)
