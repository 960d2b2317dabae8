"""A local Telegram Bot API emulator for tests.

``BotApiEmulator`` is an HTTP server on 127.0.0.1 that speaks the Bot API the way
python-telegram-bot 22.x calls it, so a real ``telegram.Bot`` or
``telegram.ext.Application`` runs against it unchanged::

    async with BotApiEmulator(token="123456:TEST-TOKEN", bot_username="alongside_test_bot") as emu:
        app = (
            Application.builder()
            .token(emu.token)
            .base_url(emu.base_url)
            .base_file_url(emu.base_file_url)
            .build()
        )
        child = emu.user(1001, "Ana", language_code="sq")
        emu.send_text(child, "/start CODE")
        ...
        await emu.wait_for(lambda: emu.visible_to(child.id), timeout=5.0)

Python API
----------
``BotApiEmulator(token="123456:TEST-TOKEN", bot_username="alongside_test_bot",
bot_first_name="Alongside", redelivery_delay=0.2)``

* ``await start(port=0)`` / ``await stop()``; also ``async with``.
* ``base_url`` / ``base_file_url`` / ``port`` / ``token`` / ``bot_id`` / ``bot_user``.
* ``clock``: a settable ``Callable[[], float]`` returning epoch seconds; message dates,
  the 48-hour deletion window and ``RecordedCall.at`` use it.
* ``user(id, first_name, *, language_code=None, username=None) -> EmulatedUser``: a user
  and the private chat they opened with the bot (chat id == user id).
* Incoming traffic, each enqueued as a Telegram update; each returns the message dict:
  ``send_text(user, text, *, reply_to=None)``, ``send_photo(user, caption=None)``,
  ``send_voice(user)``, ``send_video(user, caption=None)``,
  ``send_document(user, file_name="file.pdf", caption=None)``, ``send_sticker(user)``,
  ``edit_text(user, message_id, text)`` (an ``edited_message`` update).
  ``press_button(user, message_id, data, *, strict=True) -> dict`` returns the callback query.
  ``inject_update(raw) -> int`` enqueues any dict, assigning ``update_id`` if absent.
* Inspection: ``calls`` (``list[RecordedCall]``), ``calls_to(method)``, ``sent_to(chat_id)``
  / ``visible_to(chat_id)`` (``list[SentMessage]``), ``history(chat_id)`` (the chat both
  ways, as the user's app shows it), ``message(chat_id, message_id)``,
  ``is_deleted(chat_id, message_id)``, ``pending_updates()``, ``webhook_url``,
  ``commands(scope=None, language_code="")``, ``menu_buttons``,
  ``answered_callbacks``, ``chat_actions``, ``file_bytes(file_id)``,
  ``await wait_for(predicate, timeout=5.0, description=None)``, ``await changed(timeout)``
  (returns at the next call or update, or after ``timeout`` seconds).
* Faults: ``add_fault(Fault(...)) -> Fault``, ``remove_fault(fault)``, ``clear_faults()``.
* Blocking: ``block(user_id, *, notify=True)`` / ``unblock(user_id, *, notify=True)`` /
  ``is_blocked(user_id)``. As on Telegram, blocking enqueues a ``my_chat_member`` update for
  the user's private chat (``old_chat_member`` "member", ``new_chat_member`` "kicked" with
  ``until_date`` 0, both the bot's user; ``from`` the user) and unblocking the reverse; a
  repeated call, an unknown user or ``notify=False`` enqueues nothing. A message from a blocked
  user (``send_text`` and the like) unblocks first, as a Telegram app must ("Restart").
* Webhooks: ``set_webhook_targets([url, ...])`` and ``redeliver_every``.

Faults
------
A ``Fault`` applies to calls matching its ``method`` (case-insensitive) and ``chat_id``
filters (``None`` matches all) and is used up after ``count`` matching calls
(``count=None``: until cleared). The first matching fault wins.

* ``"429"``: HTTP 429 with ``parameters.retry_after``; PTB raises ``RetryAfter``.
* ``"500"``: HTTP ``status`` (any 5xx, default 500); PTB raises ``NetworkError``. With
  ``status=400`` the call is refused ("Bad Request: refused") for a reason the emulator does
  not model; PTB raises ``BadRequest``.
* ``"drop"``: response headers go out, then the connection is closed mid-body; PTB raises
  ``NetworkError``. With ``applied=True`` the call takes effect first (the ambiguous
  "did my message go out?" case); otherwise it does not.
* ``"slow"``: waits ``delay`` seconds, then answers normally (the call takes effect
  even if the client gave up, as on the real server).
* ``"garbled"``: the call takes effect (a sent message is stored and visible exactly as
  usual), but the HTTP 200 answer is ``{"ok": true, "result": ...}`` with a result PTB cannot
  build its object from: a Message without ``chat`` and ``date`` (``message_id`` kept), any
  other object with no fields, each item of a list garbled (an empty list stays empty), and
  no ``result`` at all for ``true``. PTB raises while building the result (for a Message,
  ``KeyError: 'date'`` from ``Message.de_json``; for ``true``, ``KeyError: 'result'``).
* ``"not_json"``: the call takes effect and the 200 body is ``<html>ok</html>``; PTB raises
  ``TelegramError("Invalid server response")``.

``"garbled"`` and ``"not_json"`` always apply the call; if the call itself fails, its error is
answered as usual (the fault is still used up and recorded). Every fault is recorded in
``RecordedCall.fault``; the two answer faults record ``ok=True`` since the call succeeded.

``applied=True`` also works for ``"429"`` and ``"500"``. Sending to a blocked user gives HTTP 403
"Forbidden: bot was blocked by the user".

Bot API behaviour
-----------------
Served methods: getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage,
sendPhoto, sendVoice, sendVideo, sendDocument, sendSticker, sendAudio, sendAnimation,
sendVideoNote, copyMessage, editMessageText, editMessageReplyMarkup, deleteMessage,
deleteMessages, answerCallbackQuery, setMyCommands, deleteMyCommands, getMyCommands,
setChatMenuButton, getChatMenuButton, sendChatAction, getFile, createForumTopic,
editForumTopic, deleteForumTopic, close, logOut. Anything else answers 404 "Not Found: method
not found"; a wrong token answers 401.

Topics in private chats (Bot API 9.3) exist only with ``topics_enabled`` set (``getMe`` says
``has_topics_enabled``), and not in the chats of ``topics_off`` (creating one there is refused
as in a chat that is not a forum). ``users_manage_topics`` is what ``getMe`` reports as
``allows_users_to_create_topics`` (Bot API 9.4); with it, ``delete_topic(user, thread)`` is the
user deleting a topic. A reply is written in the topic of the message it answers. See
``_topics`` for what each message in a topic carries.

Text: ``parse_mode`` "HTML" and "MarkdownV2" are parsed into plain text plus entities the
way TDLib parses them (a bare "<" or an unescaped "." is refused with 400 "Bad Request: can't
parse entities: ..." and Telegram's byte offset); legacy "Markdown" is passed through unparsed
and any other mode is "unsupported parse_mode". Text must be 1-4096 and captions 0-1024
UTF-16 code units after parsing ("message text is empty", "message is too long", "message
caption is too long"). Explicit ``entities`` must be objects with offset, length and type.

``reply_markup`` is checked as the server checks it: an inline button needs non-empty
``text`` and exactly one action field (url, callback_data, web_app, login_url,
switch_inline_query, switch_inline_query_current_chat, switch_inline_query_chosen_chat,
copy_text, callback_game, pay), else 400 "can't parse inline keyboard button: ..." (for no
action: "Text buttons are unallowed in the inline keyboard"); ``callback_data`` over 64 UTF-8
bytes is "BUTTON_DATA_INVALID"; a url must be http(s) with a host or tg://; web_app and
login_url need https; callback_game and pay buttons are "BUTTON_TYPE_INVALID" (no sendGame or
sendInvoice here). Reply keyboard buttons need non-empty text. The edit methods take only an
inline keyboard ("inline keyboard expected"). The real server keeps the first of several
actions and silently drops an empty-text button; the emulator refuses both (the spec asks for
exactly one action) so the bug shows in tests instead of as a missing button.

Other checks: answerCallbackQuery text at most 200 characters ("MESSAGE_TOO_LONG") and a url
only to this bot's t.me link ("URL_INVALID"); setMyCommands trims commands and drops a leading
"/", then wants 1-32 characters of a-z, 0-9 and _ ("BOT_COMMAND_INVALID"), descriptions of
1-256 characters and at most 100 commands ("BOT_COMMANDS_TOO_MUCH"); an empty list clears.
The command methods want a two-letter ``language_code`` and a known scope whose chat exists.
sendChatAction takes only Telegram's actions; setChatMenuButton only default, commands or
web_app (https). getUpdates clamps ``limit`` to 1-100 and ``timeout`` to 0-50 seconds.

``deleteMessage`` answers "message to delete not found" for unknown ids and "message can't
be deleted" for messages 48 hours or older. ``deleteMessages`` takes 1-100 positive ids ("too
many message identifiers specified" beyond), skips unknown ids, deletes the rest that are
younger than 48 hours, and answers "message can't be deleted" when it could delete none.

``getUpdates`` follows Telegram: an offset confirms and forgets earlier updates (a negative
one keeps the last ``-offset``), ``timeout`` long-polls, a newer concurrent call ends the
older one with 409 "Conflict: terminated by other getUpdates request", and while a webhook
is set it answers 409.

Webhook delivery POSTs each pending update as JSON (with ``X-Telegram-Bot-Api-Secret-Token``
when a secret was set), in ``update_id`` order, one request in flight per URL, and redelivers
after ``redelivery_delay`` seconds until a target answers 200; a failed update holds back
the ones behind it. With ``set_webhook_targets`` updates go round-robin to the targets, one
in flight per target, and a failed one moves on to the next target. ``redeliver_every = n``
sends every n-th acknowledged update once more. Only loopback webhook URLs are accepted.
"""

from ._emulator import BotApiEmulator
from ._types import (
    Delivery,
    EmulatedUser,
    Fault,
    FaultKind,
    RecordedCall,
    SentMessage,
    UploadedFile,
)

__all__ = [
    "BotApiEmulator",
    "Delivery",
    "EmulatedUser",
    "Fault",
    "FaultKind",
    "RecordedCall",
    "SentMessage",
    "UploadedFile",
]
