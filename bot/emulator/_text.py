"""Parsing helpers: request parameters, bot command entities, update types."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from ._formatting import utf16_len
from ._types import ApiError, JSONDict, UploadedFile

# Values PTB sends verbatim as strings. Everything else arrives JSON-encoded, so a text of
# "123" must not be mistaken for a number.
_STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "file_id",
        "photo",
        "voice",
        "video",
        "document",
        "sticker",
        "audio",
        "animation",
        "video_note",
        "language_code",
        "action",
        "emoji",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "thumbnail",
        "title",
        "performer",
        "file_name",
    }
)
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")


def command_entities(text: str) -> list[JSONDict]:
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m[0])}
        for m in _COMMAND_RE.finditer(text)
    ]


def update_type(update: JSONDict) -> str | None:
    return next((key for key in update if key != "update_id"), None)


def as_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ApiError(400, f"Bad Request: invalid {name} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    raise ApiError(400, f"Bad Request: invalid {name} specified")


def as_dict(value: Any, name: str) -> JSONDict | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from exc
    if not isinstance(value, dict):
        raise ApiError(400, f"Bad Request: can't parse {name} JSON object")
    return value


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"true", "1"}
    return bool(value)


async def read_params(request: Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
    """Decode a Bot API call from a query string, form, multipart or JSON body."""
    params: JSONDict = {}
    uploads: dict[str, UploadedFile] = {}
    raw: list[tuple[str, Any]] = list(request.query_params.multi_items())
    content_type = request.headers.get("content-type", "")
    if request.method == "POST" and content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise ApiError(400, "Bad Request: can't parse JSON object") from exc
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON object")
        params.update(dict(raw))
        params.update(body)
        return params, uploads
    if request.method == "POST" and (
        content_type.startswith("application/x-www-form-urlencoded")
        or content_type.startswith("multipart/form-data")
    ):
        async with request.form() as form:
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    uploads[key] = UploadedFile(
                        key, value.filename, value.content_type, await value.read()
                    )
                else:
                    raw.append((key, value))
    for key, value in raw:
        if key in _STRING_FIELDS:
            params[key] = value
            continue
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    for key, upload in uploads.items():
        params.setdefault(key, upload)
    return params, uploads
