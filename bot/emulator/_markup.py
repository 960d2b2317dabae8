"""``reply_markup`` as the Bot API server parses it: inline keyboards, reply keyboards, the rest.

The structure errors use the wording of telegram-bot-api's Client.cpp ("can't parse inline
keyboard button: ...") and Telegram's own error names (BUTTON_DATA_INVALID, ...) where the
server passes those through. Two checks are stricter than the server, on purpose, because the
server's leniency hides a bug rather than helping: a button with empty text (the server drops
it silently, so the user never sees it) and a button with two actions (the server keeps the
first by its own precedence; the spec says "exactly one").
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from ._types import MAX_CALLBACK_DATA_BYTES, MAX_COPY_TEXT_LENGTH, ApiError, JSONDict

# InlineKeyboardButton's optional fields that give the button its action (api.json: every
# optional field but icon_custom_emoji_id and style).
INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
# KeyboardButton's optional action fields; "at most one" may be used.
_REPLY_ACTIONS = (
    "request_users",
    "request_chat",
    "request_managed_bot",
    "request_contact",
    "request_location",
    "request_poll",
    "web_app",
)
_BUTTON_STYLES = frozenset({"", "default", "primary", "danger", "success"})
_INLINE = "can't parse inline keyboard button: "
_REPLY = "can't parse keyboard button: "


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def _string(button: JSONDict, name: str, prefix: str) -> str:
    """A required string field; numbers pass as their text, as in TDLib's JSON reader."""
    if name not in button or button[name] is None:
        raise _bad(f'{prefix}Can\'t find field "{name}"')
    value = button[name]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _bad(f'{prefix}Field "{name}" must be of type String')
    return value if isinstance(value, str) else json.dumps(value)


def _object(button: JSONDict, name: str, prefix: str) -> JSONDict:
    value = button[name]
    if not isinstance(value, dict):
        raise _bad(f'{prefix}Field "{name}" must be of type Object')
    return value


def check_link(url: str, what: str) -> None:
    """A button URL must be http(s) with a host, or a tg:// link (InlineKeyboardButton.url)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "tg" and (parts.netloc or parts.path):
        return
    if scheme in {"http", "https"} and parts.hostname:
        return
    reason = "Unsupported URL protocol" if scheme not in {"", "http", "https"} else "Wrong HTTP URL"
    raise _bad(f"{what} URL '{url}' is invalid: {reason}")


def _check_https(url: str, what: str) -> None:
    parts = urlsplit(url.strip())
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise _bad(f"{what} URL '{url}' is invalid: Only HTTPS links are allowed")


def _present(button: JSONDict, fields: tuple[str, ...]) -> list[str]:
    # The server treats an empty url or callback_data as absent; null never reaches it from PTB.
    return [
        name
        for name in fields
        if button.get(name) is not None
        and not (name in {"url", "callback_data"} and button[name] == "")
    ]


def _inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise _bad(f"{_INLINE}InlineKeyboardButton must be an Object")
    if not _string(button, "text", _INLINE):
        raise _bad(f"{_INLINE}Inline keyboard button text must be non-empty")
    style = button.get("style")
    if style is not None and (not isinstance(style, str) or style.lower() not in _BUTTON_STYLES):
        raise _bad(f"{_INLINE}invalid button style specified")
    actions = _present(button, INLINE_ACTIONS)
    if not actions:
        raise _bad(f"{_INLINE}Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad(
            f"{_INLINE}exactly one of the optional fields must be used, got {', '.join(actions)}"
        )
    action = actions[0]
    if action == "url":
        check_link(_string(button, "url", _INLINE), "inline keyboard button")
    elif action == "callback_data":
        data = _string(button, "callback_data", _INLINE)
        if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise _bad("BUTTON_DATA_INVALID")
    elif action in {"web_app", "login_url"}:
        url = _string(_object(button, action, _INLINE), "url", _INLINE)
        what = "Web App" if action == "web_app" else "login"
        _check_https(url, f"inline keyboard button {what}")
    elif action == "copy_text":
        copied = _string(_object(button, action, _INLINE), "text", _INLINE)
        if not 1 <= len(copied) <= MAX_COPY_TEXT_LENGTH:
            raise _bad("BUTTON_COPY_TEXT_INVALID")
    elif action in {"switch_inline_query", "switch_inline_query_current_chat"}:
        _string(button, action, _INLINE)
    elif action == "switch_inline_query_chosen_chat":
        _object(button, action, _INLINE)
    else:
        # Game and pay buttons belong to sendGame and sendInvoice, which the emulator lacks.
        raise _bad("BUTTON_TYPE_INVALID")


def _reply_button(button: Any) -> None:
    if isinstance(button, str):
        text = button
    elif isinstance(button, dict):
        text = _string(button, "text", _REPLY)
        if len(_present(button, _REPLY_ACTIONS)) > 1:
            raise _bad(f"{_REPLY}at most one of the optional fields must be used")
        if isinstance(button.get("web_app"), dict):
            _check_https(_string(button["web_app"], "url", _REPLY), "keyboard button Web App")
    else:
        raise _bad(f"{_REPLY}KeyboardButton must be a String or an Object")
    if not text:
        raise _bad(f"{_REPLY}Keyboard button text must be non-empty")


def _rows(markup: JSONDict, field: str, what: str) -> list[list[Any]]:
    rows = markup[field]
    if not isinstance(rows, list):
        raise _bad(f'field "{field}" must be of type Array')
    if not all(isinstance(row, list) for row in rows):
        raise _bad(f'field "{field}"{what} must be an Array of Arrays')
    return rows


def parse_reply_markup(raw: Any, *, inline_only: bool = False) -> JSONDict | None:
    """Validate a ``reply_markup`` parameter; returns it decoded, or None when absent.

    ``inline_only`` is for the edit methods, which accept nothing but an inline keyboard.
    """
    if raw is None or raw == "":
        return None
    markup = raw
    if isinstance(raw, str):
        try:
            markup = json.loads(raw)
        except ValueError as exc:
            raise _bad("can't parse reply keyboard markup JSON object") from exc
    if not isinstance(markup, dict):
        raise _bad("object expected as reply markup")
    has_keyboard = has_inline = False
    if markup.get("keyboard") is not None:
        for row in _rows(markup, "keyboard", ""):
            for button in row:
                _reply_button(button)
                has_keyboard = True
    if markup.get("inline_keyboard") is not None:
        for row in _rows(markup, "inline_keyboard", " of the InlineKeyboardMarkup"):
            for button in row:
                _inline_button(button)
                has_inline = True
    # The server's precedence: a reply keyboard, then an inline one, then remove/force reply.
    other = markup.get("remove_keyboard") or markup.get("force_reply")
    if inline_only and (has_keyboard or (other and not has_inline)):
        raise _bad("inline keyboard expected")
    return markup


def shown_inline_keyboard(markup: JSONDict | None) -> JSONDict | None:
    """The inline keyboard a Message carries for ``markup``: empty rows dropped, None if empty.

    A reply keyboard (or a remove/force-reply request) is never part of the Message.
    """
    if markup is None or markup.get("keyboard"):
        return None
    rows = [list(row) for row in markup.get("inline_keyboard") or [] if row]
    return {"inline_keyboard": rows} if rows else None
