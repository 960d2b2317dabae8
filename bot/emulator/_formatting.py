"""Telegram's text formatting: the HTML and MarkdownV2 parse modes and explicit entities.

The parsers follow TDLib's parse_html and parse_markdown_v2 (the code behind the Bot API
server), so they refuse what Telegram refuses with Telegram's words, "can't parse entities:
...", and error offsets are UTF-8 byte offsets into the text as sent. Offsets and lengths of
the entities they produce are UTF-16 code units, as in the Bot API.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from ._types import ApiError, JSONDict

# Tags Telegram's HTML mode accepts and the entity each one makes.
_HTML_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "tg-time": "date_time",
}
# The only named character references Telegram decodes; any other stays as typed.
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = frozenset(" \t\r\n\v\f")
_PARSE_MODES = frozenset({"html", "markdown", "markdownv2", "none"})
_MD_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
# Entity names as TDLib spells them in "Can't find end of ... entity".
_MD_NAMES = {
    "italic": "Italic",
    "bold": "Bold",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def entities_error(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {message}")


def check_parse_mode(parse_mode: Any) -> str:
    """The lower-cased parse mode, "" when none; Telegram refuses modes it does not know."""
    if parse_mode is None or parse_mode == "":
        return ""
    mode = str(parse_mode).lower()
    if mode not in _PARSE_MODES:
        raise ApiError(400, "Bad Request: unsupported parse_mode")
    return mode


def explicit_entities(value: Any) -> list[JSONDict] | None:
    """``entities``/``caption_entities`` as the server reads them: unreadable JSON is ignored,
    a malformed entity is refused."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, list):
        return None
    prefix = "Bad Request: can't parse MessageEntity: "
    for entity in value:
        if not isinstance(entity, dict):
            raise ApiError(400, prefix + "expected an Object")
        for name in ("offset", "length", "type"):
            if name not in entity:
                raise ApiError(400, prefix + f'Can\'t find field "{name}"')
        for name in ("offset", "length"):
            if isinstance(entity[name], bool) or not isinstance(entity[name], int):
                raise ApiError(400, prefix + f'Field "{name}" must be a valid Number')
        if not entity["type"]:
            raise ApiError(400, prefix + "Type is not specified")
    return value or None


def checked_link(url: str) -> str | None:
    """The URL a text link gets, or None where Telegram drops the link and keeps the text."""
    url = url.strip()
    if "://" not in url and not url.lower().startswith("tg:"):
        url = "http://" + url
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"http", "https"}:
        if "." not in (parts.hostname or ""):
            return None
        return url if parts.path else url + "/"
    return url if scheme in {"tg", "ton"} and (parts.netloc or parts.path) else None


def _decode_reference(text: str, pos: int) -> tuple[str, int] | None:
    """The character reference at ``text[pos] == "&"`` as TDLib decodes it (numeric ones and
    lt/gt/amp/quot, the ";" optional): the character and the index after it, or None."""
    end = pos + 1
    if text.startswith("#", end):
        end += 1
        hexadecimal = text.startswith("x", end)
        end += hexadecimal
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < len(text) and text[end] in digits:
            end += 1
        code = int(text[start:end], 16 if hexadecimal else 10) if end > start else 0
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while end < len(text) and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _HTML_NAMED.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if text.startswith(";", end):
        end += 1
    return char, end


class _Parser:
    """Shared state: the text being read, the plain text produced, its UTF-16 length."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[JSONDict] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.text[:pos].encode("utf-8", "surrogatepass"))

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def skip_space(self, pos: int) -> int:
        while pos < self.n and self.text[pos] in _SPACE:
            pos += 1
        return pos

    def result(self) -> tuple[str, list[JSONDict]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities


class _OpenTag:
    __slots__ = ("argument", "name", "offset", "out_start")

    def __init__(self, name: str, argument: str, offset: int, out_start: int) -> None:
        self.name = name
        self.argument = argument
        self.offset = offset
        self.out_start = out_start


class _HtmlParser(_Parser):
    def parse(self) -> tuple[str, list[JSONDict]]:
        self.stack: list[_OpenTag] = []
        i = 0
        while i < self.n:
            char = self.text[i]
            if char == "&" and (decoded := _decode_reference(self.text, i)) is not None:
                if 0xD800 <= ord(decoded[0]) <= 0xDFFF:
                    raise entities_error(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                self.emit(decoded[0])
                i = decoded[1]
            elif char != "<":
                self.emit(char)
                i += 1
            elif self.text.startswith("/", i + 1):
                i = self.end_tag(i)
            else:
                i = self.start_tag(i)
        if self.stack:
            raise entities_error(
                f"Can't find end tag corresponding to start tag {self.stack[-1].name}"
            )
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)  # a language only counts inside <pre>
        return self.result()

    def start_tag(self, begin: int) -> int:
        end = begin + 1
        while end < self.n and self.text[end] not in _SPACE and self.text[end] != ">":
            end += 1
        if end >= self.n:
            raise entities_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.text[begin + 1 : end].lower()
        if name not in _HTML_TAGS:
            raise entities_error(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        argument, end = self.attributes(name, end, begin)
        if name == "span" and argument != "spoiler":
            raise entities_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append(_OpenTag(name, argument, self.utf16, len(self.out)))
        return end + 1

    def attributes(self, tag: str, pos: int, begin: int) -> tuple[str, int]:
        """Read a start tag's attributes; returns its argument and the index of its ">"."""
        argument = ""
        while True:
            pos = self.skip_space(pos)
            if pos >= self.n:
                raise entities_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            if self.text[pos] == ">":
                return argument, pos
            name_start = pos
            while pos < self.n and self.text[pos] not in _SPACE and self.text[pos] not in "=>":
                pos += 1
            attribute = self.text[name_start:pos]
            if not attribute:
                raise entities_error(
                    f'Empty attribute name in the tag "{tag}" at byte offset '
                    f"{self.byte_offset(begin)}"
                )
            pos = self.skip_space(pos)
            if tag == "blockquote" and attribute == "expandable" and not self.at("=", pos):
                argument = "expandable"  # the one bare attribute Telegram allows
                continue
            if not self.at("=", pos):
                raise entities_error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {self.byte_offset(begin)}'
                )
            pos = self.skip_space(pos + 1)
            if pos >= self.n:
                raise entities_error(
                    f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}'
                )
            value, pos = self.attribute_value(pos)
            if pos >= self.n:
                raise entities_error(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
            argument = _tag_argument(tag, attribute, value) or argument

    def at(self, char: str, pos: int) -> bool:
        return pos < self.n and self.text[pos] == char

    def attribute_value(self, pos: int) -> tuple[str, int]:
        quote = self.text[pos]
        if quote not in "'\"":
            # A name token: letters, digits, periods and hyphens, not case sensitive.
            start = pos
            while pos < self.n and (
                (self.text[pos].isascii() and self.text[pos].isalnum()) or self.text[pos] in ".-"
            ):
                pos += 1
            if pos < self.n and self.text[pos] not in _SPACE and self.text[pos] != ">":
                raise entities_error(
                    f"Unexpected end of name token at byte offset {self.byte_offset(start)}"
                )
            return self.text[start:pos].lower(), pos
        pos += 1
        chars: list[str] = []
        while pos < self.n and self.text[pos] != quote:
            if self.text[pos] == "&" and (decoded := _decode_reference(self.text, pos)):
                chars.append(decoded[0])
                pos = decoded[1]
                continue
            chars.append(self.text[pos])
            pos += 1
        return "".join(chars), pos + (pos < self.n)

    def end_tag(self, begin: int) -> int:
        if not self.stack:
            raise entities_error(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        end = begin + 2
        while end < self.n and self.text[end] not in _SPACE and self.text[end] != ">":
            end += 1
        name = self.text[begin + 2 : end].lower()
        end = self.skip_space(end)
        if not self.at(">", end):
            raise entities_error(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        top = self.stack.pop()
        if name and name != top.name:
            raise entities_error(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        if self.utf16 > top.offset:
            entity = _html_entity(top, self.utf16 - top.offset, "".join(self.out[top.out_start :]))
            if entity is not None:
                self.add(entity)
        return end + 1

    def add(self, entity: JSONDict) -> None:
        """<pre><code class="language-x"> (either nesting) is one pre entity with a language."""
        last = self.entities[-1] if self.entities else None
        if (
            last is not None
            and {last["type"], entity["type"]} == {"pre", "code"}
            and (last["offset"], last["length"]) == (entity["offset"], entity["length"])
            and (last.get("language") or entity.get("language"))
        ):
            last["type"] = "pre"
            last["language"] = last.get("language") or entity["language"]
            return
        self.entities.append(entity)


def _tag_argument(tag: str, attribute: str, value: str) -> str | None:
    """The one attribute each tag takes (href, class, emoji-id, unix); others are ignored."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if (tag, attribute) in {("tg-emoji", "emoji-id"), ("tg-time", "unix")}:
        return value
    return None


def _html_entity(tag: _OpenTag, length: int, inner: str) -> JSONDict | None:
    entity: JSONDict = {"type": _HTML_TAGS[tag.name], "offset": tag.offset, "length": length}
    if tag.name == "tg-emoji":
        if not tag.argument.lstrip("-").isdigit() or int(tag.argument) == 0:
            raise entities_error("Invalid custom emoji identifier specified")
        entity["custom_emoji_id"] = tag.argument
    elif tag.name == "tg-time":
        if not tag.argument.isdigit():
            return None
        entity["unix_time"] = int(tag.argument)
    elif tag.name == "a":
        url = checked_link(tag.argument or inner)
        if url is None:
            return None
        entity["url"] = url
    elif tag.name == "blockquote" and tag.argument == "expandable":
        entity["type"] = "expandable_blockquote"
    elif tag.name == "code" and tag.argument:
        entity["language"] = tag.argument
    return entity


class _MarkdownV2Parser(_Parser):
    """Reserved characters outside code must be escaped and every entity closed. Block quotes
    are taken line by line; the rarer corners of TDLib's parser are not reproduced."""

    def parse(self) -> tuple[str, list[JSONDict]]:
        # (type, UTF-16 offset, byte offset of the opening, index into out, language)
        self.stack: list[tuple[str, int, int, int, str]] = []
        self.quote_start: int | None = None
        i = 0
        while i < self.n:
            i = self.step(i)
        if self.stack:
            kind, _, byte_offset, _, language = self.stack[-1]
            name = "PreCode" if kind == "pre" and language else _MD_NAMES[kind]
            raise entities_error(f"Can't find end of {name} entity at byte offset {byte_offset}")
        self.close_quote()
        return self.result()

    def step(self, i: int) -> int:
        text, char = self.text, self.text[i]
        if (i == 0 or text[i - 1] == "\n") and not self.stack:
            if char == ">":
                if self.quote_start is None:
                    self.quote_start = self.utf16
                return i + 1
            self.close_quote()
        if char == "\\" and i + 1 < self.n and 0 < ord(text[i + 1]) <= 126:
            self.emit(text[i + 1])
            return i + 2
        top = self.stack[-1][0] if self.stack else None
        if (top in {"code", "pre"} and char != "`") or char not in _MD_RESERVED:
            self.emit(char)
            return i + 1
        if top is not None and self.ends(top, i):
            return self.close(i)
        return self.open(i)

    def ends(self, kind: str, i: int) -> bool:
        char, following = self.text[i], self.text[i + 1 : i + 2]
        return {
            "bold": char == "*",
            "italic": char == "_" and following != "_",
            "underline": char == "_" and following == "_",
            "strikethrough": char == "~",
            "spoiler": char == "|" and following == "|",
            "code": char == "`",
            "pre": self.text.startswith("```", i),
            "text_link": char == "]",
            "custom_emoji": char == "]",
        }[kind]

    def open(self, i: int) -> int:
        begin, char, following = i, self.text[i], self.text[i + 1 : i + 2]
        language = ""
        if self.text.startswith("```", i):
            kind = "pre"
            language, i = self.pre_language(i + 3)
        else:
            opening = {"__": "underline", "||": "spoiler", "![": "custom_emoji"}.get(
                char + following
            )
            kind = opening or {
                "_": "italic",
                "*": "bold",
                "~": "strikethrough",
                "[": "text_link",
                "`": "code",
            }.get(char, "")
            if not kind:
                raise entities_error(
                    f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
                )
            i += 2 if opening else 1
        self.stack.append((kind, self.utf16, self.byte_offset(begin), len(self.out), language))
        return i

    def pre_language(self, i: int) -> tuple[str, int]:
        """```lang: the language runs to the first space; one leading line break is dropped."""
        end = i
        while end < self.n and self.text[end] not in _SPACE and self.text[end] != "`":
            end += 1
        language = ""
        if i < end < self.n and self.text[end] != "`":
            language, i = self.text[i:end], end
        if self.text.startswith(("\r\n", "\n\r"), i):
            i += 2
        elif i < self.n and self.text[i] in "\r\n":
            i += 1
        return language, i

    def close(self, i: int) -> int:
        kind, offset, _, out_start, language = self.stack.pop()
        i += {"underline": 2, "spoiler": 2, "pre": 3}.get(kind, 1)
        entity: JSONDict = {"type": kind, "offset": offset, "length": self.utf16 - offset}
        if language:
            entity["language"] = language
        if kind in {"text_link", "custom_emoji"}:
            url = "".join(self.out[out_start:])
            if self.at_char(i, "("):
                url, i = self.link_target(i)
            if kind == "custom_emoji":
                emoji = re.fullmatch(r"tg://emoji\?id=(\d+)", url)
                if emoji is None:
                    raise entities_error("Custom emoji entity must contain a tg://emoji URL")
                entity["custom_emoji_id"] = emoji[1]
            elif (checked := checked_link(url)) is not None:
                entity["url"] = checked
            else:
                return i
        if entity["length"] > 0:
            self.entities.append(entity)
        return i

    def at_char(self, i: int, char: str) -> bool:
        return i < self.n and self.text[i] == char

    def link_target(self, i: int) -> tuple[str, int]:
        start = i = i + 1  # Telegram points past the "("
        chars: list[str] = []
        while i < self.n and self.text[i] != ")":
            if self.text[i] == "\\" and i + 1 < self.n and 0 < ord(self.text[i + 1]) <= 126:
                i += 1
            chars.append(self.text[i])
            i += 1
        if i >= self.n:
            offset = self.byte_offset(start)
            raise entities_error(f"Can't find end of a URL at byte offset {offset}")
        return "".join(chars), i + 1

    def close_quote(self) -> None:
        if self.quote_start is not None and self.utf16 > self.quote_start:
            self.entities.append(
                {
                    "type": "blockquote",
                    "offset": self.quote_start,
                    "length": self.utf16 - self.quote_start,
                }
            )
        self.quote_start = None


def parse_html(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's HTML parse mode: every "<" starts a tag (so a bare "a < b" is refused), only
    the supported tags are allowed, "&" starts a reference only for the few Telegram knows."""
    return _HtmlParser(text).parse()


def parse_markdown_v2(text: str) -> tuple[str, list[JSONDict]]:
    """Telegram's MarkdownV2 parse mode: the plain text and its entities, or Telegram's 400."""
    return _MarkdownV2Parser(text).parse()
