"""Tests for the Bot API emulator, driven by a real python-telegram-bot ``Bot`` over HTTP."""

from __future__ import annotations

import os

os.environ["PTB_TIMEDELTA"] = "1"

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    ChatMemberBanned,
    ChatMemberMember,
    CopyTextButton,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    KeyboardButton,
    LoginUrl,
    MenuButtonWebApp,
    ReplyKeyboardMarkup,
    Update,
    WebAppInfo,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ChatMemberHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from bot.emulator import BotApiEmulator, Fault, UploadedFile

TOKEN = "123456:TEST-TOKEN"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    async with BotApiEmulator(token=TOKEN, bot_username="alongside_test_bot") as emulator:
        yield emulator


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as client:
        yield client


def _keyboard(*datas: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in datas]])


# --------------------------------------------------------------------------- basics


async def test_get_me_and_urls(emu: BotApiEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.username == "alongside_test_bot"
    assert me.is_bot
    assert emu.base_url.startswith("http://127.0.0.1:")
    assert emu.base_url.endswith("/bot")
    assert emu.calls[0].method == "getMe"
    assert emu.calls[0].ok


async def test_send_message_round_trip_with_markup_and_reply(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana", language_code="sq")
    incoming = emu.send_text(ana, "hello")
    sent = await bot.send_message(
        1001,
        "123",
        reply_markup=_keyboard("yes", "no"),
        reply_to_message_id=incoming["message_id"],
        protect_content=True,
    )
    assert sent.text == "123"
    assert sent.chat.id == 1001
    assert sent.from_user is not None
    assert sent.from_user.id == 123456
    assert sent.reply_markup == _keyboard("yes", "no")
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "hello"
    record = emu.sent_to(1001)[0]
    assert record.kind == "text"
    assert record.text == "123"
    assert record.protect_content
    assert record.reply_to_message_id == incoming["message_id"]
    assert record.reply_markup is not None
    assert record.reply_markup["inline_keyboard"][0][1]["callback_data"] == "no"
    assert emu.calls[-1].params["chat_id"] == 1001
    # Numeric-looking text must stay a string even though other fields are JSON-decoded.
    assert emu.calls[-1].params["text"] == "123"


async def test_html_parse_mode_becomes_entities(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    sent = await bot.send_message(1001, "<b>Hi</b> &amp; <i>bye</i>", parse_mode="HTML")
    assert sent.text == "Hi & bye"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 0, 2),
        ("italic", 5, 3),
    ]
    assert emu.sent_to(1001)[0].raw_text == "<b>Hi</b> &amp; <i>bye</i>"
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(1001, "<b>unclosed", parse_mode="HTML")


async def test_text_limits_and_unknown_chat(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    # Telegram counts UTF-16 code units: each of these emoji is two.
    await bot.send_message(1001, "😀" * 2048)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1001, "😀" * 2048 + "x")
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(1001, "a" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1001, "   ")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(1001, InputFile(PNG, filename="a.png"), caption="c" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "nobody opened this chat")
    assert len(emu.sent_to(1001)) == 1
    assert [c.error_code for c in emu.calls[-5:]] == [400] * 5


async def test_unknown_method_and_wrong_token(emu: BotApiEmulator) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(f"{emu.base_url}{TOKEN}/sendPigeon", data={"x": "1"})
        assert response.status_code == 404
        assert response.json() == {
            "ok": False,
            "error_code": 404,
            "description": "Not Found: method not found",
        }
        response = await client.post(f"{emu.base_url}654321:OTHER/getMe")
        assert response.status_code == 401
        # JSON bodies are accepted as well as forms; method names are case-insensitive.
        emu.user(1001, "Ana")
        response = await client.post(
            f"{emu.base_url}{TOKEN}/sendmessage", json={"chat_id": 1001, "text": "json body"}
        )
        assert response.json()["result"]["text"] == "json body"
    assert emu.visible_to(1001)[0].text == "json body"


# --------------------------------------------------------------------------- media


async def test_upload_photo_get_file_and_download(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    sent = await bot.send_photo(1001, InputFile(PNG, filename="qr.png"), caption="scan me")
    assert sent.caption == "scan me"
    file_id = sent.photo[-1].file_id
    assert emu.file_bytes(file_id) == PNG
    record = emu.sent_to(1001)[0]
    assert (record.kind, record.caption, record.file_id) == ("photo", "scan me", file_id)
    upload = emu.calls[-1].params["photo"]
    assert isinstance(upload, UploadedFile)
    assert upload.filename == "qr.png"
    telegram_file = await bot.get_file(file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == PNG
    # Sending by file_id reuses the stored file.
    again = await bot.send_photo(1001, file_id)
    assert again.photo[-1].file_unique_id == sent.photo[-1].file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_document(1001, "no-such-file-id")


async def test_user_media_can_be_resent_by_file_id(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    emu.user(2002, "Besa")
    voice = emu.send_voice(ana)
    document = emu.send_document(ana, file_name="a.pdf")
    sent = await bot.send_voice(2002, voice["voice"]["file_id"])
    assert sent.voice is not None
    assert sent.voice.file_id == voice["voice"]["file_id"]
    doc = await bot.send_document(2002, document["document"]["file_id"])
    assert doc.document is not None
    assert doc.document.file_name == "a.pdf"
    assert [m.kind for m in emu.sent_to(2002)] == ["voice", "document"]


async def test_copy_message(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    emu.user(2002, "Besa")
    photo = emu.send_photo(ana, caption="look")
    copied = await bot.copy_message(2002, 1001, photo["message_id"])
    record = emu.visible_to(2002)[0]
    assert record.message_id == copied.message_id
    assert (record.kind, record.caption) == ("photo", "look")
    assert record.file_id == photo["photo"][-1]["file_id"]
    sent = await bot.send_message(1001, "bot text")
    await bot.copy_message(2002, 1001, sent.message_id, reply_markup=_keyboard("ok"))
    assert emu.visible_to(2002)[1].text == "bot text"
    assert emu.visible_to(2002)[1].reply_markup is not None
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(2002, 1001, 999)
    await bot.delete_message(1001, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to copy not found"):
        await bot.copy_message(2002, 1001, sent.message_id)


async def test_delete_messages_and_48_hour_window(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    emu.user(2002, "Besa")
    first = await bot.send_message(1001, "one")
    second = await bot.send_message(1001, "two")
    other = await bot.send_message(2002, "elsewhere")
    assert await bot.delete_message(1001, first.message_id)
    assert [m.text for m in emu.visible_to(1001)] == ["two"]
    assert emu.sent_to(1001)[0].deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(1001, first.message_id)
    # Another chat's message id is not deleted through this chat.
    with pytest.raises(BadRequest, match=r"(?i)can't be deleted"):
        await bot.delete_messages(1001, [first.message_id, 999])
    now = time.time()
    emu.clock = lambda: now + 48 * 3600
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_message(1001, second.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message can't be deleted"):
        await bot.delete_messages(1001, [second.message_id])
    fresh = await bot.send_message(1001, "fresh")
    assert await bot.delete_messages(1001, [second.message_id, fresh.message_id])
    assert [m.text for m in emu.visible_to(1001)] == ["two"]
    assert [m.text for m in emu.visible_to(2002)] == ["elsewhere"]
    assert not emu.is_deleted(2002, other.message_id)


async def test_history_is_the_chat_both_ways_as_the_app_shows_it(
    emu: BotApiEmulator, bot: Bot
) -> None:
    ana = emu.user(1001, "Ana")
    emu.user(2002, "Besa")
    asked = emu.send_text(ana, "hello")
    answer = await bot.send_message(1001, "<b>hi</b>", parse_mode="HTML")
    gone = await bot.send_message(1001, "soon deleted")
    await bot.send_message(2002, "elsewhere")
    woke = asyncio.ensure_future(emu.changed(timeout=30))
    await asyncio.sleep(0)
    emu.send_text(ana, "thanks", reply_to=answer.message_id)
    await asyncio.wait_for(woke, 5)
    await bot.delete_message(1001, gone.message_id)

    shown = emu.history(1001)
    assert [(m["message_id"], m["from"]["is_bot"], m["text"]) for m in shown] == [
        (asked["message_id"], False, "hello"),
        (answer.message_id, True, "hi"),
        (gone.message_id + 1, False, "thanks"),
    ]
    assert shown[1]["entities"] == [{"type": "bold", "offset": 0, "length": 2}]
    assert shown[2]["reply_to_message"]["message_id"] == answer.message_id
    shown[0]["text"] = "changed by the reader"
    assert emu.history(1001)[0]["text"] == "hello", "a copy, not the emulator's own record"


async def test_edit_and_callback_queries(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    sent = await bot.send_message(1001, "pick", reply_markup=_keyboard("a", "b"))
    query = emu.press_button(ana, sent.message_id, "b")
    with pytest.raises(ValueError, match="no button"):
        emu.press_button(ana, sent.message_id, "zzz")
    updates = await bot.get_updates()
    assert updates[-1].callback_query is not None
    assert updates[-1].callback_query.data == "b"
    assert updates[-1].callback_query.message is not None
    assert updates[-1].callback_query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query["id"], text="thanks")
    assert emu.answered_callbacks[0]["text"] == "thanks"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query["id"])
    edited = await bot.edit_message_text("picked b", chat_id=1001, message_id=sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.text == "picked b"
    assert emu.sent_to(1001)[0].text == "picked b"
    assert emu.sent_to(1001)[0].reply_markup is None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("picked b", chat_id=1001, message_id=sent.message_id)
    await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=_keyboard("c"))
    assert emu.sent_to(1001)[0].reply_markup == _keyboard("c").to_dict()
    mine = emu.send_text(ana, "typo")
    edit = emu.edit_text(ana, mine["message_id"], "fixed")
    assert edit["text"] == "fixed"
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    assert [u.message is not None for u in updates] == [True, False]
    assert updates[1].edited_message is not None
    assert updates[1].edited_message.text == "fixed"


async def test_commands_per_scope_menu_and_chat_action(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    await bot.set_my_commands([BotCommand("start", "Begin")])
    await bot.set_my_commands([BotCommand("start", "Fillo")], language_code="sq")
    scope = BotCommandScopeChat(1001)
    await bot.set_my_commands([BotCommand("help", "Help")], scope=scope)
    assert [c.description for c in await bot.get_my_commands()] == ["Begin"]
    assert [c.description for c in await bot.get_my_commands(language_code="sq")] == ["Fillo"]
    assert [c.command for c in await bot.get_my_commands(scope=scope)] == ["help"]
    assert emu.commands({"type": "chat", "chat_id": 1001}) == [
        {"command": "help", "description": "Help"}
    ]
    await bot.delete_my_commands(scope=scope)
    assert await bot.get_my_commands(scope=scope) == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad Command", "x")])
    assert await bot.set_chat_menu_button(chat_id=1001)
    assert await bot.send_chat_action(1001, "typing")
    assert emu.chat_actions == [(1001, "typing")]
    assert await bot.close()
    assert await bot.log_out()


# --------------------------------------------------------------------------- polling


async def test_get_updates_offset_semantics(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    start = emu.send_text(ana, "/start CODE")
    emu.send_text(ana, "two")
    emu.send_text(ana, "three")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [1, 2, 3]
    message = updates[0].message
    assert message is not None
    assert message.text == "/start CODE"
    assert message.entities[0].type == "bot_command"
    assert (message.entities[0].offset, message.entities[0].length) == (0, 6)
    assert start["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    # Without a new offset, nothing is confirmed.
    assert len(await bot.get_updates()) == 3
    assert [u.update_id for u in await bot.get_updates(offset=2, limit=1)] == [2]
    assert [u["update_id"] for u in emu.pending_updates()] == [2, 3]
    assert await bot.get_updates(offset=4) == ()
    assert emu.pending_updates() == []
    garbage_id = emu.inject_update({"not_a_real_update": {"x": 1}})
    assert garbage_id == 4
    assert emu.pending_updates()[0]["not_a_real_update"] == {"x": 1}


async def test_long_poll_wakes_up_on_new_update(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    loop = asyncio.get_running_loop()
    started = loop.time()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not poll.done()
    emu.send_text(ana, "wake up")
    updates = await asyncio.wait_for(poll, timeout=1.5)
    assert loop.time() - started < 1.0
    assert updates[0].message is not None
    assert updates[0].message.text == "wake up"
    # An empty long poll lasts about its timeout.
    started = loop.time()
    assert (
        await bot.get_updates(offset=updates[0].update_id + 1, timeout=dt.timedelta(seconds=0.2))
        == ()
    )
    assert loop.time() - started >= 0.2


async def test_reply_to_fills_reply_to_message(emu: BotApiEmulator, bot: Bot) -> None:
    advocate = emu.user(2002, "Besa")
    prompt = await bot.send_message(2002, "What do you want to tell Ana?")
    reply = emu.send_text(advocate, "reply text", reply_to=prompt.message_id)
    assert reply["reply_to_message"]["text"] == "What do you want to tell Ana?"
    updates = await bot.get_updates()
    message = updates[0].message
    assert message is not None
    assert message.reply_to_message is not None
    assert message.reply_to_message.message_id == prompt.message_id
    with pytest.raises(ValueError, match="no message"):
        emu.send_text(advocate, "x", reply_to=999)


async def test_wait_for_times_out_with_description(emu: BotApiEmulator) -> None:
    emu.user(1001, "Ana")
    with pytest.raises(AssertionError, match="bot greets Ana"):
        await emu.wait_for(lambda: emu.visible_to(1001), timeout=0.05, description="bot greets Ana")


async def test_application_polls_and_replies(emu: BotApiEmulator) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"welcome {context.args}", do_quote=True)

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    ana = emu.user(1001, "Ana")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=dt.timedelta(seconds=1))
        emu.send_text(ana, "/start CODE")
        await emu.wait_for(lambda: emu.visible_to(1001), timeout=3)
        await app.updater.stop()
        await app.stop()
    assert emu.visible_to(1001)[0].text == "welcome ['CODE']"
    assert emu.visible_to(1001)[0].reply_to_message_id == 1


# --------------------------------------------------------------------------- faults


async def test_fault_429_raises_retry_after(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    emu.add_fault(Fault(kind="429", retry_after=3, count=2, method="sendMessage"))
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(1001, "hi")
        assert caught.value.retry_after == dt.timedelta(seconds=3)
    await bot.send_message(1001, "hi")
    assert [m.text for m in emu.sent_to(1001)] == ["hi"]
    assert [(c.error_code, c.fault) for c in emu.calls_to("sendMessage")] == [
        (429, "429"),
        (429, "429"),
        (None, None),
    ]


async def test_fault_filters_by_chat_and_method(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    emu.user(2002, "Besa")
    emu.add_fault(Fault(kind="500", status=502, count=None, chat_id=2002))
    await bot.send_message(1001, "fine")
    await bot.send_chat_action(1001, "typing")
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(2002, "fails")
    emu.clear_faults()
    await bot.send_message(2002, "recovered")
    assert [m.text for m in emu.sent_to(2002)] == ["recovered"]


async def test_fault_500_raises_network_error(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    emu.add_fault(Fault(kind="500"))
    with pytest.raises(NetworkError, match="Internal Server Error") as caught:
        await bot.send_message(1001, "hi")
    assert not isinstance(caught.value, TimedOut)
    assert emu.sent_to(1001) == []
    assert emu.calls[-1].error_code == 500


async def test_fault_drop_not_applied_and_applied(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    emu.add_fault(Fault(kind="drop"))
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "lost")
    assert emu.sent_to(1001) == []
    emu.add_fault(Fault(kind="drop", applied=True))
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "delivered but unconfirmed")
    assert [m.text for m in emu.sent_to(1001)] == ["delivered but unconfirmed"]
    assert [c.fault for c in emu.calls[-2:]] == ["drop", "drop"]
    # The server keeps serving after a dropped connection.
    assert (await bot.send_message(1001, "after")).text == "after"


async def test_fault_slow_times_out_then_applies(emu: BotApiEmulator) -> None:
    emu.user(1001, "Ana")
    request = HTTPXRequest(read_timeout=0.1)
    async with Bot(TOKEN, base_url=emu.base_url, request=request) as bot:
        emu.add_fault(Fault(kind="slow", delay=0.3, method="sendMessage"))
        with pytest.raises(TimedOut):
            await bot.send_message(1001, "slow")
        # Like the real server, the request still takes effect after the client gave up.
        await emu.wait_for(lambda: emu.sent_to(1001), timeout=1.5)
    assert emu.sent_to(1001)[0].text == "slow"


async def test_blocked_user_is_forbidden(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    emu.block(1001)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(1001, "hi")
    with pytest.raises(Forbidden):
        await bot.send_photo(1001, InputFile(PNG, filename="a.png"))
    emu.unblock(1001)
    await bot.send_message(1001, "hi again")
    assert [m.text for m in emu.sent_to(1001)] == ["hi again"]
    assert emu.calls[-2].error_code == 403


async def test_block_and_unblock_send_my_chat_member_updates(emu: BotApiEmulator, bot: Bot) -> None:
    emu.clock = lambda: 1_700_000_000.0
    emu.user(1001, "Ana", username="ana")
    emu.block(1001)
    emu.block(1001)  # already blocked: Telegram reports only changes
    assert emu.is_blocked(1001)
    with pytest.raises(Forbidden, match=r"(?i)Forbidden: bot was blocked by the user"):
        await bot.send_message(1001, "still there?")
    raw = emu.pending_updates()
    assert len(raw) == 1
    # The raw shape follows ChatMemberUpdated / ChatMemberBanned / ChatMemberMember in api.json.
    assert raw[0]["my_chat_member"] == {
        "chat": {"id": 1001, "type": "private", "first_name": "Ana", "username": "ana"},
        "from": {"id": 1001, "is_bot": False, "first_name": "Ana", "username": "ana"},
        "date": 1_700_000_000,
        "old_chat_member": {"status": "member", "user": emu.bot_user},
        "new_chat_member": {"status": "kicked", "user": emu.bot_user, "until_date": 0},
    }
    parsed = Update.de_json(raw[0], bot)
    assert parsed.my_chat_member is not None
    assert parsed.my_chat_member.new_chat_member.status == "kicked"
    assert isinstance(parsed.my_chat_member.new_chat_member, ChatMemberBanned)
    assert isinstance(parsed.my_chat_member.old_chat_member, ChatMemberMember)
    assert parsed.my_chat_member.new_chat_member.user.id == emu.bot_id
    assert parsed.my_chat_member.from_user.id == 1001
    assert parsed.my_chat_member.chat.type == "private"
    delivered = await bot.get_updates()
    assert delivered[0].my_chat_member is not None
    assert delivered[0].my_chat_member.new_chat_member.status == "kicked"

    emu.unblock(1001)
    emu.unblock(1001)
    updates = await bot.get_updates(offset=delivered[0].update_id + 1)
    assert len(updates) == 1
    change = updates[0].my_chat_member
    assert change is not None
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("kicked", "member")
    assert (await bot.send_message(1001, "welcome back")).text == "welcome back"
    # notify=False blocks quietly; an unknown user has no chat to report on.
    emu.block(1001, notify=False)
    emu.block(4242)
    assert len(emu.pending_updates()) == 1


async def test_a_blocked_user_who_writes_unblocks_first(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    emu.block(1001)
    emu.send_text(ana, "/start")
    assert not emu.is_blocked(1001)
    kinds = [next(k for k in u if k != "update_id") for u in emu.pending_updates()]
    assert kinds == ["my_chat_member", "my_chat_member", "message"]
    assert emu.pending_updates()[1]["my_chat_member"]["new_chat_member"]["status"] == "member"
    assert (await bot.send_message(1001, "hello again")).chat.id == 1001


async def test_application_hears_the_block(emu: BotApiEmulator) -> None:
    heard: list[str] = []

    async def on_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        heard.append(update.my_chat_member.new_chat_member.status)

    app = (
        Application.builder()
        .token(TOKEN)
        .base_url(emu.base_url)
        .base_file_url(emu.base_file_url)
        .build()
    )
    app.add_handler(ChatMemberHandler(on_change, ChatMemberHandler.MY_CHAT_MEMBER))
    emu.user(1001, "Ana")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0,
            timeout=dt.timedelta(seconds=1),
            allowed_updates=["message", "my_chat_member"],
        )
        emu.block(1001)
        emu.unblock(1001)
        await emu.wait_for(lambda: len(heard) == 2, timeout=3)
        await app.updater.stop()
        await app.stop()
    assert heard == ["kicked", "member"]


async def test_fault_garbled_answer_applies_but_cannot_be_parsed(
    emu: BotApiEmulator, bot: Bot
) -> None:
    ana = emu.user(1001, "Ana")
    emu.add_fault(Fault(kind="garbled", method="sendMessage"))
    # PTB's Message.de_json fails on the missing date (KeyError), before any handler sees it.
    with pytest.raises(KeyError, match=r"(?i)date"):
        await bot.send_message(1001, "it went out", reply_markup=_keyboard("ok"))
    # The message arrived exactly as a normal send would have left it.
    arrived = emu.sent_to(1001)
    assert [(m.text, m.deleted) for m in arrived] == [("it went out", False)]
    assert emu.visible_to(1001) == arrived
    stored = emu.message(1001, arrived[0].message_id)
    assert stored is not None
    assert stored["chat"]["id"] == 1001
    assert stored["reply_markup"] == _keyboard("ok").to_dict()
    emu.press_button(ana, arrived[0].message_id, "ok")
    call = emu.calls_to("sendMessage")[-1]
    assert (call.ok, call.error_code, call.fault) == (True, None, "garbled")
    # The raw answer is 200 with a Message missing chat and date.
    emu.add_fault(Fault(kind="garbled", method="sendMessage"))
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            f"{emu.base_url}{TOKEN}/sendMessage", json={"chat_id": 1001, "text": "raw"}
        )
    assert response.status_code == 200
    result = response.json()["result"]
    assert response.json()["ok"] is True
    assert "chat" not in result
    assert "date" not in result
    assert result["message_id"] == emu.sent_to(1001)[-1].message_id
    # A True result loses its result entirely; the answer still counts.
    query = emu.press_button(ana, arrived[0].message_id, "ok")
    emu.add_fault(Fault(kind="garbled", method="answerCallbackQuery"))
    with pytest.raises(KeyError):
        await bot.answer_callback_query(query["id"])
    assert emu.answered_callbacks[-1]["query"]["id"] == query["id"]
    # The fault is used up: the next send parses again.
    assert (await bot.send_message(1001, "fine")).text == "fine"


async def test_fault_not_json_answer_applies_but_cannot_be_parsed(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.user(1001, "Ana")
    emu.add_fault(Fault(kind="not_json", chat_id=1001, count=2))
    with pytest.raises(TelegramError, match=r"(?i)Invalid server response"):
        await bot.send_message(1001, "delivered anyway")
    with pytest.raises(TelegramError, match=r"(?i)Invalid server response"):
        await bot.send_photo(1001, InputFile(PNG, filename="a.png"), caption="pic")
    assert [(m.kind, m.text or m.caption) for m in emu.visible_to(1001)] == [
        ("text", "delivered anyway"),
        ("photo", "pic"),
    ]
    assert [c.fault for c in emu.calls[-2:]] == ["not_json", "not_json"]
    async with httpx.AsyncClient(trust_env=False) as client:
        emu.add_fault(Fault(kind="not_json"))
        response = await client.post(f"{emu.base_url}{TOKEN}/getMe")
    assert response.status_code == 200
    assert response.text == "<html>ok</html>"
    # A call that fails on its own still answers its error, as JSON.
    emu.add_fault(Fault(kind="not_json"))
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "nobody")
    assert (emu.calls[-1].error_code, emu.calls[-1].fault) == (400, "not_json")


# --------------------------------------------------------------------------- validation


def _markup(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (
            InlineKeyboardButton("just text"),
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
        ),
        (
            InlineKeyboardButton("empty data", callback_data=""),
            "Text buttons are unallowed in the inline keyboard",
        ),
        (
            InlineKeyboardButton("", callback_data="x"),
            "can't parse inline keyboard button: Inline keyboard button text must be non-empty",
        ),
        (
            InlineKeyboardButton("two", callback_data="x", url="https://example.com"),
            "exactly one of the optional fields must be used, got url, callback_data",
        ),
        (InlineKeyboardButton("long", callback_data="d" * 65), "BUTTON_DATA_INVALID"),
        # 33 two-byte characters: 66 bytes, though only 33 characters.
        (InlineKeyboardButton("bytes", callback_data="é" * 33), "BUTTON_DATA_INVALID"),
        (
            InlineKeyboardButton("ftp", url="ftp://example.com/file"),
            "inline keyboard button URL 'ftp://example.com/file' is invalid: "
            "Unsupported URL protocol",
        ),
        (InlineKeyboardButton("bare", url="example.com"), "Wrong HTTP URL"),
        (
            InlineKeyboardButton("app", web_app=WebAppInfo("http://example.com/app")),
            "Only HTTPS links are allowed",
        ),
        (
            InlineKeyboardButton("login", login_url=LoginUrl("http://example.com/login")),
            "Only HTTPS links are allowed",
        ),
        (InlineKeyboardButton("copy", copy_text=CopyTextButton("c" * 257)), "COPY_TEXT_INVALID"),
        (InlineKeyboardButton("pay", pay=True), "BUTTON_TYPE_INVALID"),
    ],
)
async def test_inline_keyboard_buttons_are_checked(
    emu: BotApiEmulator, bot: Bot, button: InlineKeyboardButton, error: str
) -> None:
    emu.user(1001, "Ana")
    ok = InlineKeyboardButton("fine", callback_data="fine")
    with pytest.raises(BadRequest) as caught:
        await bot.send_message(1001, "pick", reply_markup=_markup(ok, button))
    # PTB drops the "Bad Request: " prefix and changes the case; exact wording is checked below.
    assert error.lower() in caught.value.message.lower()
    with pytest.raises(BadRequest):
        await bot.send_photo(1001, InputFile(PNG, filename="a.png"), reply_markup=_markup(button))
    assert emu.sent_to(1001) == []
    assert [c.error_code for c in emu.calls if c.method != "getMe"] == [400, 400]


async def test_keyboard_errors_have_telegrams_wording(emu: BotApiEmulator) -> None:
    emu.user(1001, "Ana")
    markup = {"inline_keyboard": [[{"text": "just text"}]]}
    async with httpx.AsyncClient(trust_env=False) as client:
        response = await client.post(
            f"{emu.base_url}{TOKEN}/sendMessage",
            json={"chat_id": 1001, "text": "x", "reply_markup": markup},
        )
        assert response.status_code == 400
        assert response.json() == {
            "ok": False,
            "error_code": 400,
            "description": "Bad Request: can't parse inline keyboard button: "
            "Text buttons are unallowed in the inline keyboard",
        }
        response = await client.post(
            f"{emu.base_url}{TOKEN}/sendMessage",
            data={
                "chat_id": "1001",
                "text": "x",
                "reply_markup": '{"inline_keyboard": [[{"text": "t", "callback_data": "'
                + "d" * 65
                + '"}]]}',
            },
        )
        assert response.json()["description"] == "Bad Request: BUTTON_DATA_INVALID"
        response = await client.post(
            f"{emu.base_url}{TOKEN}/sendMessage",
            json={"chat_id": 1001, "text": "x", "reply_markup": {"inline_keyboard": [{}]}},
        )
        assert response.json()["description"] == (
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an '
            "Array of Arrays"
        )
    assert emu.sent_to(1001) == []


async def test_valid_keyboards_pass_and_edits_take_only_inline_ones(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.user(1001, "Ana")
    buttons = _markup(
        InlineKeyboardButton("data", callback_data="é" * 32),  # exactly 64 bytes
        InlineKeyboardButton("web", url="https://example.com/x"),
        InlineKeyboardButton("profile", url="tg://user?id=1001"),
        InlineKeyboardButton("app", web_app=WebAppInfo("https://example.com/app")),
        InlineKeyboardButton("copy", copy_text=CopyTextButton("code")),
        InlineKeyboardButton("inline", switch_inline_query_current_chat=""),
    )
    sent = await bot.send_message(1001, "all kinds", reply_markup=buttons)
    assert sent.reply_markup == buttons
    reply_keyboard = ReplyKeyboardMarkup([["Yes", KeyboardButton("No")]], resize_keyboard=True)
    plain = await bot.send_message(1001, "answer", reply_markup=reply_keyboard)
    assert plain.reply_markup is None  # a reply keyboard is not part of the message
    assert emu.sent_to(1001)[1].reply_markup == reply_keyboard.to_dict()
    with pytest.raises(BadRequest, match=r"(?i)can't parse keyboard button: keyboard button text"):
        await bot.send_message(1001, "empty", reply_markup=ReplyKeyboardMarkup([["ok", ""]]))
    with pytest.raises(BadRequest, match=r"(?i)inline keyboard expected"):
        await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=reply_keyboard)  # type: ignore[arg-type]
    with pytest.raises(BadRequest, match=r"(?i)Text buttons are unallowed"):
        await bot.edit_message_text(
            "edited",
            chat_id=1001,
            message_id=sent.message_id,
            reply_markup=_markup(InlineKeyboardButton("text only")),
        )
    assert emu.sent_to(1001)[0].text == "all kinds"
    # An inline keyboard without buttons is no keyboard at all.
    empty = await bot.send_message(1001, "bare", reply_markup=InlineKeyboardMarkup([[]]))
    assert empty.reply_markup is None


async def test_text_parse_modes_are_parsed_as_telegram_does(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "" at byte offset 2'):
        await bot.send_message(1001, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r'(?i)tag "span" must have class "tg-spoiler"'):
        await bot.send_message(1001, "<span>x</span>", parse_mode="HTML")
    unknown = await bot.send_message(1001, "1 &lt; 2 &laquo;ok&raquo;", parse_mode="HTML")
    assert unknown.text == "1 < 2 &laquo;ok&raquo;"
    with pytest.raises(BadRequest, match=r"(?i)Character '\.' is reserved"):
        await bot.send_message(1001, "Done.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match=r"(?i)Can't find end of Bold entity at byte offset 0"):
        await bot.send_message(1001, "*bold", parse_mode="MarkdownV2")
    styled = await bot.send_message(1001, "*bold* and _it_\\!", parse_mode="MarkdownV2")
    assert styled.text == "bold and it!"
    assert [(e.type, e.offset, e.length) for e in styled.entities] == [
        ("bold", 0, 4),
        ("italic", 9, 2),
    ]
    with pytest.raises(BadRequest, match=r"(?i)unsupported parse_mode"):
        await bot.send_message(1001, "x", parse_mode="BBCode")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(1001, "<b> </b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(
            1001, InputFile(PNG, filename="a.png"), caption="<b>c</b>" * 1025, parse_mode="HTML"
        )
    # 1024 characters after parsing is within the limit, whatever the markup around them.
    await bot.send_photo(
        1001, InputFile(PNG, filename="a.png"), caption="<b>c</b>" * 1024, parse_mode="HTML"
    )
    assert len(emu.sent_to(1001)) == 3


async def test_callback_answers_and_deletions_have_telegram_limits(
    emu: BotApiEmulator, bot: Bot
) -> None:
    ana = emu.user(1001, "Ana")
    sent = await bot.send_message(1001, "pick", reply_markup=_keyboard("a"))
    query = emu.press_button(ana, sent.message_id, "a")
    with pytest.raises(BadRequest, match=r"(?i)MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(query["id"], text="x" * 201)
    with pytest.raises(BadRequest, match=r"(?i)URL_INVALID"):
        await bot.answer_callback_query(query["id"], url="https://example.com")
    # A refused answer leaves the query open, as on Telegram.
    assert await bot.answer_callback_query(
        query["id"], text="x" * 200, url="https://t.me/alongside_test_bot?start=go"
    )
    with pytest.raises(BadRequest, match=r"(?i)too many message identifiers specified"):
        await bot.delete_messages(1001, list(range(1, 102)))
    with pytest.raises(BadRequest, match=r"(?i)message identifiers are not specified"):
        await bot.delete_messages(1001, [])
    with pytest.raises(BadRequest, match=r"(?i)invalid message identifier specified"):
        await bot.delete_messages(1001, [sent.message_id, 0])
    assert not emu.is_deleted(1001, sent.message_id)
    assert await bot.delete_messages(1001, [sent.message_id, *range(1000, 1099)])
    assert emu.is_deleted(1001, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)wrong parameter action in request"):
        await bot.send_chat_action(1001, "dancing")
    assert await bot.send_chat_action(1001, "upload_document")


async def test_set_my_commands_checks_as_telegram_does(emu: BotApiEmulator, bot: Bot) -> None:
    emu.user(1001, "Ana")
    assert await bot.set_my_commands([BotCommand(" /start ", " Begin ")])
    assert emu.commands() == [{"command": "start", "description": "Begin"}]
    cases = [
        ([BotCommand("c" * 33, "x")], "command length must not exceed 32"),
        ([BotCommand("/", "x")], "command must be non-empty"),
        ([BotCommand("help", "  ")], "command description must be non-empty"),
        ([BotCommand("help", "d" * 257)], "command description length must not exceed 256"),
        ([BotCommand("Help", "x")], "BOT_COMMAND_INVALID"),
        ([BotCommand(f"c{i}", "x") for i in range(101)], "BOT_COMMANDS_TOO_MUCH"),
    ]
    for commands, error in cases:
        with pytest.raises(BadRequest, match=f"(?i){error}"):
            await bot.set_my_commands(commands)
    await bot.set_my_commands([BotCommand(f"c{i}", "d" * 256) for i in range(100)])
    with pytest.raises(BadRequest, match=r"(?i)invalid language code specified"):
        await bot.set_my_commands([BotCommand("start", "x")], language_code="zh-hans")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.set_my_commands([BotCommand("start", "x")], scope=BotCommandScopeChat(999))
    assert await bot.set_my_commands([])
    assert emu.commands() == []
    web_app = MenuButtonWebApp("Open", WebAppInfo("http://example.com/app"))
    with pytest.raises(BadRequest, match=r"(?i)menu button web app url is invalid"):
        await bot.set_chat_menu_button(chat_id=1001, menu_button=web_app)
    web_app = MenuButtonWebApp("Open", WebAppInfo("https://example.com/app"))
    assert await bot.set_chat_menu_button(chat_id=1001, menu_button=web_app)
    assert emu.menu_buttons[1001]["type"] == "web_app"


# --------------------------------------------------------------------------- webhooks


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@dataclass
class _Receiver:
    """A tiny webhook endpoint; answers the queued statuses first, then 200."""

    statuses: list[int] = field(default_factory=list)
    received: list[tuple[str, dict[str, Any], str | None]] = field(default_factory=list)

    async def endpoint(self, request: Request) -> Response:
        status = self.statuses.pop(0) if self.statuses else 200
        self.received.append(
            (
                request.url.path,
                await request.json(),
                request.headers.get("x-telegram-bot-api-secret-token"),
            )
        )
        return Response(status_code=status)


@contextlib.asynccontextmanager
async def _serve_receiver(receiver: _Receiver) -> AsyncIterator[str]:
    app = Starlette(routes=[Route("/{name}", receiver.endpoint, methods=["POST"])])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_config=None, lifespan="off", ws="none"
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.005)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def test_webhook_push_secret_and_redelivery(emu: BotApiEmulator, bot: Bot) -> None:
    emu.redelivery_delay = 0.05
    ana = emu.user(1001, "Ana")
    receiver = _Receiver(statuses=[500, 503])
    async with _serve_receiver(receiver) as root:
        emu.send_text(ana, "before webhook")
        assert await bot.set_webhook(f"{root}/hook", secret_token="s3cret")
        emu.send_text(ana, "after webhook")
        await emu.wait_for(lambda: not emu.pending_updates(), timeout=1.5)
        with pytest.raises(Conflict):
            await bot.get_updates()
        info = await bot.get_webhook_info()
        assert info.url == f"{root}/hook"
        assert info.pending_update_count == 0
        assert info.last_error_message is not None
        assert await bot.delete_webhook()
    ids = [update["update_id"] for _, update, _ in receiver.received]
    # Two failures for update 1, then both in order.
    assert ids == [1, 1, 1, 2]
    assert {secret for _, _, secret in receiver.received} == {"s3cret"}
    assert receiver.received[-1][1]["message"]["text"] == "after webhook"


async def test_webhook_round_robin_targets_and_redeliver_every(
    emu: BotApiEmulator, bot: Bot
) -> None:
    emu.redelivery_delay = 0.05
    emu.redeliver_every = 2
    ana = emu.user(1001, "Ana")
    receiver = _Receiver()
    async with _serve_receiver(receiver) as root:
        emu.set_webhook_targets([f"{root}/w1", f"{root}/w2", f"{root}/w3"])
        await bot.set_webhook(f"{root}/ignored", drop_pending_updates=True)
        for i in range(4):
            emu.send_text(ana, f"m{i}")
        await emu.wait_for(lambda: len(receiver.received) >= 6, timeout=1.5)
        await asyncio.sleep(0.1)
        await bot.delete_webhook()
    paths = {path for path, _, _ in receiver.received}
    assert paths == {"/w1", "/w2", "/w3"}
    ids = sorted(update["update_id"] for _, update, _ in receiver.received)
    # Every second acknowledged update is delivered once more.
    assert ids == [1, 2, 2, 3, 4, 4]
    assert emu.pending_updates() == []


async def test_webhook_rejects_non_loopback(emu: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)bad webhook"):
        await bot.set_webhook("https://example.com/hook")
    assert (await bot.get_webhook_info()).url == ""


async def test_second_poller_terminates_the_first(emu: BotApiEmulator, bot: Bot) -> None:
    async with Bot(TOKEN, base_url=emu.base_url) as other:
        first = asyncio.create_task(bot.get_updates(timeout=2))
        await asyncio.sleep(0.1)
        second = asyncio.create_task(other.get_updates(timeout=dt.timedelta(seconds=0.3)))
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await asyncio.wait_for(first, timeout=1)
        assert await second == ()


async def test_malformed_parameters_are_bad_requests(emu: BotApiEmulator) -> None:
    emu.user(1001, "Ana")
    async with httpx.AsyncClient(trust_env=False) as client:
        url = f"{emu.base_url}{TOKEN}"
        response = await client.post(f"{url}/deleteMessage", data={"chat_id": "1001"})
        assert response.status_code == 400
        response = await client.post(
            f"{url}/sendMessage", data={"chat_id": "1001", "text": "x", "reply_markup": "{nope"}
        )
        assert response.status_code == 400
        assert response.json()["ok"] is False
        # Parameters may also come in the query string, as Telegram allows.
        response = await client.get(f"{url}/sendMessage", params={"chat_id": 1001, "text": "q"})
        assert response.json()["result"]["text"] == "q"


async def test_stop_wakes_pending_long_poll() -> None:
    emulator = BotApiEmulator(token=TOKEN)
    await emulator.start()
    async with Bot(TOKEN, base_url=emulator.base_url) as client:
        poll = asyncio.create_task(client.get_updates(timeout=30))
        await asyncio.sleep(0.1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await emulator.stop()
        assert await asyncio.wait_for(poll, timeout=1.5) == ()
        assert loop.time() - started < 1.5


async def test_drop_pending_updates_and_pending_count(emu: BotApiEmulator, bot: Bot) -> None:
    ana = emu.user(1001, "Ana")
    emu.clock = lambda: 1_700_000_000.0
    message = emu.send_text(ana, "one")
    assert message["date"] == 1_700_000_000
    emu.send_text(ana, "two")
    assert (await bot.get_webhook_info()).pending_update_count == 2
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert emu.pending_updates() == []
    assert await bot.get_updates() == ()


# --------------------------------------------------------------------------- topics


async def test_topics_in_a_private_chat_only_when_the_bot_has_them(
    emu: BotApiEmulator, bot: Bot
) -> None:
    """Off by default, as for a bot whose owner never turned them on: refused, and getMe says
    so. On: a topic is made, posted into, written in by the user, renamed and deleted, with
    what Telegram puts on each message."""
    rosa = emu.user(1201, "Rosa")
    emu.send_text(rosa, "/start")
    assert (await bot.get_me()).has_topics_enabled is False
    with pytest.raises(BadRequest, match="not a forum"):
        await bot.create_forum_topic(1201, "Ana · K7")
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.send_message(1201, "hi", message_thread_id=5)

    emu.topics_enabled = True
    assert (await bot.get_me()).has_topics_enabled is True
    with pytest.raises(BadRequest, match=r"(?i)topic_name_invalid"):
        await bot.create_forum_topic(1201, "x" * 129)
    with pytest.raises(BadRequest, match=r"(?i)icon_color"):
        await bot.create_forum_topic(1201, "Ana", icon_color=123)
    topic = await bot.create_forum_topic(1201, "Ana · K7")
    thread = topic.message_thread_id
    sent = await bot.send_message(1201, "from Ana", message_thread_id=thread)
    assert sent.message_thread_id == thread
    assert sent.is_topic_message
    assert emu.sent_to(1201)[-1].message_thread_id == thread
    plain = await bot.send_message(1201, "in the chat itself")
    assert plain.message_thread_id is None

    # The user writes in the topic without replying: the message points at the topic's
    # opening service message, not at anything the bot said.
    emu.send_text(rosa, "answer for Ana", thread=thread)
    written = (await bot.get_updates())[-1].message
    assert written is not None
    assert written.message_thread_id == thread
    assert written.is_topic_message
    assert written.reply_to_message is not None
    assert written.reply_to_message.message_id == thread
    assert written.reply_to_message.forum_topic_created is not None
    assert written.reply_to_message.forum_topic_created.name == "Ana · K7"

    assert await bot.edit_forum_topic(1201, thread, name="Ana · K7 (placed)")
    assert emu.topics[1201][thread].name == "Ana · K7 (placed)"
    assert await bot.delete_forum_topic(1201, thread)
    assert emu.is_deleted(1201, sent.message_id)
    assert not emu.is_deleted(1201, plain.message_id)
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.send_message(1201, "again", message_thread_id=thread)
    with pytest.raises(ValueError, match="no topic"):
        emu.send_text(rosa, "into a deleted topic", thread=thread)


async def test_topics_refused_where_they_are_off_and_deleted_by_users_only_when_allowed(
    emu: BotApiEmulator, bot: Bot
) -> None:
    """A chat whose topics are off refuses a new topic as Telegram refuses one outside a forum,
    and a topic made before stops taking messages. getMe tells whether users may manage
    topics (Bot API 9.4); only then may they delete one, which takes its messages with it. A
    reply is written in the topic of the message it answers."""
    rosa = emu.user(1202, "Rosa")
    emu.user(1203, "Omar")
    emu.topics_enabled = True
    assert (await bot.get_me()).allows_users_to_create_topics is False
    topic = await bot.create_forum_topic(1202, "Ana · K7")
    thread = topic.message_thread_id
    relay = await bot.send_message(1202, "from Ana", message_thread_id=thread)
    with pytest.raises(ValueError, match="does not let users"):
        emu.delete_topic(rosa, thread)

    emu.send_text(rosa, "answer", reply_to=relay.message_id)
    answered = (await bot.get_updates())[-1].message
    assert answered is not None
    assert answered.message_thread_id == thread
    assert answered.reply_to_message is not None
    assert answered.reply_to_message.message_id == relay.message_id

    emu.topics_off.add(1202)
    with pytest.raises(BadRequest, match="not a forum"):
        await bot.create_forum_topic(1202, "Bea · M3")
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(1202, "again", message_thread_id=thread)
    assert (await bot.create_forum_topic(1203, "Bea · M3")).name == "Bea · M3"

    emu.topics_off.clear()
    emu.users_manage_topics = True
    assert (await bot.get_me()).allows_users_to_create_topics is True
    emu.delete_topic(rosa, thread)
    assert emu.is_deleted(1202, relay.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message thread not found"):
        await bot.send_message(1202, "after", message_thread_id=thread)
    with pytest.raises(ValueError, match="no topic"):
        emu.delete_topic(rosa, thread)


async def test_a_topic_edit_that_changes_nothing_is_refused_and_a_deleted_topic_takes_all(
    emu: BotApiEmulator, bot: Bot
) -> None:
    """As Telegram: renaming a topic to its own name is TOPIC_NOT_MODIFIED; deleting a topic
    deletes every message in it, even those past the 48 hours a bot may delete one; a chat
    action names only a topic that exists."""
    rosa = emu.user(1204, "Rosa")
    emu.send_text(rosa, "/start")
    emu.topics_enabled = True
    now = emu.clock()
    topic = await bot.create_forum_topic(1204, "Ana · K7")
    thread = topic.message_thread_id
    with pytest.raises(BadRequest, match=r"(?i)topic_not_modified"):
        await bot.edit_forum_topic(1204, thread, name="Ana · K7")
    with pytest.raises(BadRequest, match=r"(?i)topic_not_modified"):
        await bot.edit_forum_topic(1204, thread)
    assert await bot.edit_forum_topic(1204, thread, name="Star · K7")
    old = await bot.send_message(1204, "from last week", message_thread_id=thread)
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.send_chat_action(1204, "typing", message_thread_id=thread + 100)
    assert await bot.send_chat_action(1204, "typing", message_thread_id=thread)

    emu.clock = lambda: now + 7 * 24 * 3600
    with pytest.raises(BadRequest, match="can't be deleted"):
        await bot.delete_message(1204, old.message_id)
    assert await bot.delete_forum_topic(1204, thread)
    assert emu.is_deleted(1204, old.message_id)
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.delete_forum_topic(1204, thread)
    with pytest.raises(BadRequest, match="thread not found"):
        await bot.edit_forum_topic(1204, thread, name="Moon · K7")


async def test_patience_stretches_every_wait(emu: BotApiEmulator) -> None:
    emu.patience = 3
    with pytest.raises(AssertionError, match=r"within 0\.06"):
        await emu.wait_for(lambda: False, timeout=0.02, description="never")
