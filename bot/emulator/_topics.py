"""Forum topics in a private chat with the bot (Bot API 9.3): create, edit, delete, post into.

A bot has topics in private chats only when its owner turned them on (``has_topics_enabled`` in
``getMe``; `BotApi.topics_enabled` here). A topic is named by the id of the service message that
created it (``message_thread_id``). Messages in a topic carry ``message_thread_id`` and
``is_topic_message``; one a user writes in a topic without replying to anything carries, as in
forum supergroups, a ``reply_to_message`` that is the topic's creation service message, so a bot
that routes replies must not take that for a reply to one of its own messages. Sending into a
deleted or unknown topic, or into any topic while the mode is off, is refused, with
Telegram's words. `BotApi.topics_off` holds chats where creating a topic is refused although
the bot has the mode (a chat whose topics stopped working: Telegram's own reports show that
happening), and a user may delete a topic only when the bot lets users manage them
(``allows_users_to_create_topics``, Bot API 9.4; `BotApi.users_manage_topics` here). An edit
that changes nothing is refused (``TOPIC_NOT_MODIFIED``), and deleting a topic deletes every
message in it, however old: the 48 hours a bot has to delete a message do not apply.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._text import as_int
from ._types import ApiError, JSONDict, MessageRecord, UploadedFile

if TYPE_CHECKING:
    from ._api import BotApi

# The colours Telegram allows for a topic's icon.
ICON_COLORS = frozenset({7322096, 16766590, 13338331, 9367192, 16749490, 16478047})
NAME_LIMIT = 128
NOT_FOUND = "Bad Request: message thread not found"
NOT_FORUM = "Bad Request: the chat is not a forum"


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    deleted: bool = False


def enabled(emu: BotApi, chat_id: int) -> bool:
    return emu.topics_enabled and chat_id not in emu.topics_off


def thread_of(emu: BotApi, chat_id: int, params: JSONDict) -> int | None:
    """The topic a send names, checked; None for the chat itself."""
    raw = params.get("message_thread_id")
    if raw in (None, "", 0, "0"):
        return None
    thread_id = as_int(raw, "message_thread_id")
    topic = emu.topics.get(chat_id, {}).get(thread_id)
    if not enabled(emu, chat_id) or topic is None or topic.deleted:
        raise ApiError(400, NOT_FOUND)
    return thread_id


def in_topic(
    emu: BotApi, chat_id: int, message: JSONDict, thread_id: int | None, *, by_user: bool
) -> None:
    """Mark a message as posted in a topic (nothing for the chat itself)."""
    if thread_id is None:
        return
    message["message_thread_id"] = thread_id
    message["is_topic_message"] = True
    if by_user and "reply_to_message" not in message:
        opening = emu._messages.get((chat_id, thread_id))
        if opening is not None:
            message["reply_to_message"] = copy.deepcopy(opening.message)


def _name(value: Any, *, allow_empty: bool) -> str | None:
    if value is None or (allow_empty and value == ""):
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= NAME_LIMIT:
        raise ApiError(400, "Bad Request: TOPIC_NAME_INVALID")
    return value


async def create_forum_topic(
    emu: BotApi, params: JSONDict, uploads: dict[str, UploadedFile]
) -> Any:
    chat_id = emu._writable_chat(params)
    if not enabled(emu, chat_id):
        raise ApiError(400, NOT_FORUM)
    name = _name(params.get("name"), allow_empty=False)
    color = as_int(params.get("icon_color") or 7322096, "icon_color")
    if color not in ICON_COLORS:
        raise ApiError(400, "Bad Request: TOPIC_ICON_COLOR_INVALID")
    assert name is not None
    thread_id = emu._take_message_id(chat_id)
    service: JSONDict = {
        "message_id": thread_id,
        "from": dict(emu.bot_user),
        "chat": emu._users[chat_id].chat_dict(),
        "date": int(emu.clock()),
        "message_thread_id": thread_id,
        "forum_topic_created": {"name": name, "icon_color": color},
        "is_topic_message": True,
    }
    emu._messages[(chat_id, thread_id)] = MessageRecord(
        chat_id, service, from_bot=True, created=emu.clock()
    )
    emu.topics.setdefault(chat_id, {})[thread_id] = Topic(thread_id, name, color)
    return {"message_thread_id": thread_id, "name": name, "icon_color": color}


async def edit_forum_topic(emu: BotApi, params: JSONDict, uploads: dict[str, UploadedFile]) -> Any:
    chat_id = emu._writable_chat(params)
    topic = _topic(emu, chat_id, params)
    name = _name(params.get("name"), allow_empty=True)
    icon = params.get("icon_custom_emoji_id")
    if (name is None or name == topic.name) and icon is None:
        # The name kept as it was and no new icon: nothing changes, which Telegram refuses.
        raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
    if name is not None:
        topic.name = name
    return True


async def delete_forum_topic(
    emu: BotApi, params: JSONDict, uploads: dict[str, UploadedFile]
) -> Any:
    chat_id = emu._chat(params)
    remove(emu, chat_id, _topic(emu, chat_id, params))
    return True


def remove(emu: BotApi, chat_id: int, topic: Topic) -> None:
    """A topic goes with every message in it, the bot's and the user's."""
    topic.deleted = True
    for (chat, _), record in list(emu._messages.items()):
        if chat == chat_id and record.message.get("message_thread_id") == topic.thread_id:
            emu._delete(chat_id, record.message["message_id"], any_age=True)


def _topic(emu: BotApi, chat_id: int, params: JSONDict) -> Topic:
    if not enabled(emu, chat_id):
        raise ApiError(400, NOT_FORUM)
    thread_id = as_int(params.get("message_thread_id"), "message_thread_id")
    topic = emu.topics.get(chat_id, {}).get(thread_id)
    if topic is None or topic.deleted:
        raise ApiError(400, NOT_FOUND)
    return topic
