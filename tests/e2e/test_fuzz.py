"""A thousand generated updates crash nothing, and strangers learn only how to get a code.

The updates come from `tests.e2e.strategies`. They are drawn by a plain synchronous ``@given``
function that appends each example to a list, run with ``derandomize=True`` and only the
generate phase: every run feeds the bot the same updates, with no shrinking and no example
database, and none of the async fixtures has to live inside Hypothesis.

What each update must end as, decided before the bot sees it:

* Telegram-shaped updates (anything the real server can send, including kinds the bot never
  asked for) end ``done``: a handler that raises on them is a bug.
* Updates python-telegram-bot cannot parse (``Update.de_json`` raises) end ``failed`` after
  one try (no later try could read them), so they cannot hold back the updates behind them.
* Other malformed updates (wrong types PTB passes through unchecked) may end either way; what
  matters for them is that they end, and that nothing leaks.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy import func, select
from telegram import Update

from bot import notices
from bot.emulator import BotApiEmulator
from bot.i18n import SUPPORTED, Catalogs, resolve
from bot.inbox import Inbox
from conversations.linking import CODE_LENGTH, looks_like_code
from conversations.models import Child, InboxUpdate, OutboxMessage
from conversations.people import Role
from safety import Detector
from tests.conftest import PATIENCE, BotHarness, postgres_database
from tests.e2e import strategies
from tests.e2e.strategies import ADVOCATE, CHILD, STRANGERS, SUPERVISOR, Fuzzed

SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendVoice",
        "sendVideo",
        "sendDocument",
        "sendSticker",
        "sendAudio",
        "sendAnimation",
        "sendVideoNote",
        "copyMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "deleteMessage",
        "deleteMessages",
        "sendChatAction",
    }
)


def generate(count: int) -> list[Fuzzed]:
    drawn: list[Fuzzed] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategies.updates())
    def collect(item: Fuzzed) -> None:
        drawn.append(item)

    collect()
    return drawn


def renumbered(items: list[Fuzzed]) -> list[Fuzzed]:
    """Telegram numbers each new message in a chat once; only edits may repeat an id.

    Hypothesis happily draws the same ``message_id`` twice, so new messages get fresh ids
    (edits keep theirs, which mostly point at messages the bot never saw).
    """
    out = []
    for number, item in enumerate(items, start=100_000):
        message = item.raw.get("message")
        fresh = isinstance(message, dict) and isinstance(message.get("message_id"), int)
        out.append(
            replace(item, raw={**item.raw, "message": {**message, "message_id": number}})
            if fresh and isinstance(message, dict)
            else item
        )
    return out


def parses(raw: dict[str, Any]) -> bool:
    try:
        Update.de_json(raw, None)
    except Exception:  # whatever PTB raises on bad input is the inbox's poison case
        return False
    return True


def texts_sent(item: Fuzzed) -> list[str]:
    # Edits count too: python-telegram-bot's CommandHandler also answers an edited /command.
    texts = []
    for key in ("message", "edited_message"):
        message = item.raw.get(key)
        if isinstance(message, dict) and isinstance(message.get("text"), str):
            texts.append(message["text"])
    return texts


def screened(items: Iterable[Fuzzed], detector: Detector) -> set[int]:
    """Strangers who typed something the detector reads as urgent: they are answered with the
    emergency numbers and their words reach the supervisors, like a young person's."""
    found = set()
    catalogs = Catalogs()
    help_now = {notices.help_now_label(catalogs.get(code)) for code in SUPPORTED}
    for item in items:
        if item.role != "stranger":
            continue
        message = item.raw.get("message") or item.raw.get("edited_message")
        sender = message.get("from") if isinstance(message, dict) else None
        code = sender.get("language_code") if isinstance(sender, dict) else None
        locale = resolve(code if isinstance(code, str) else None)
        if any(t in help_now or detector.scan(t, (locale,)).urgent for t in texts_sent(item)):
            found.add(item.sender)
    return found


def tries_a_code(text: str) -> bool:
    """Whether the bot may read this as a code attempt (a 12-character code, or /start CODE)."""
    stripped = text.strip()
    if len(stripped) == CODE_LENGTH and looks_like_code(stripped):
        return True
    words = text.split()
    return text.startswith("/") and len(words) > 1 and looks_like_code(words[1])


async def settled(harness: BotHarness, ids: Iterable[int], timeout: float) -> None:
    """Wait until Telegram has handed over every update and the inbox and outbox are idle."""
    emu = harness.emu
    await emu.wait_for(
        lambda: not emu.pending_updates(),
        timeout=timeout,
        description="the bot fetched every update",
    )
    assert harness.running is not None
    store = harness.running.runtime.store
    wanted = set(ids)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        async with store.sessions() as session:
            inbox_left = (
                await session.execute(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.status == "pending")
                )
            ).scalar_one()
            outbox_left = (
                await session.execute(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == "pending")
                )
            ).scalar_one()
            seen = (
                await session.execute(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.update_id.in_(wanted))
                )
            ).scalar_one()
        if inbox_left == 0 and outbox_left == 0 and seen == len(wanted):
            return
        if loop.time() >= deadline:
            async with store.sessions() as session:
                stuck = (
                    await session.execute(
                        select(
                            InboxUpdate.update_id, InboxUpdate.attempts, InboxUpdate.error
                        ).where(InboxUpdate.status == "pending")
                    )
                ).all()
            raise AssertionError(
                f"not settled after {timeout}s: {inbox_left} inbox rows pending {stuck[:10]}, "
                f"{outbox_left} outbox rows pending, {seen}/{len(wanted)} updates stored"
            )
        await asyncio.sleep(0.1)


async def run_fuzz(harness: BotHarness, count: int) -> dict[str, Any]:
    emu = harness.emu
    advocate = emu.user(ADVOCATE, "Rosa")
    supervisor = emu.user(SUPERVISOR, "Sam")
    child = emu.user(CHILD, "Ana", language_code="en")
    for stranger_id in STRANGERS:
        emu.user(stranger_id, "S")
    await harness.start()
    assert harness.running is not None
    runtime = harness.running.runtime
    await harness.enrol(advocate, Role.ADVOCATE, "Rosa")
    await harness.enrol(supervisor, Role.SUPERVISOR, "Sam")
    await harness.link(advocate, child, "Star")
    await harness.wait_text(advocate.id, "is now linked")
    calls_before = len(emu.calls)

    items = renumbered(generate(count))
    assert len(items) == count, f"Hypothesis produced {len(items)} of {count} updates"
    started = time.monotonic()
    by_id = {emu.inject_update(item.raw): item for item in items}
    await settled(harness, by_id, timeout=max(60.0, count / 10) * PATIENCE)
    elapsed = time.monotonic() - started

    assert harness.task is not None
    assert not harness.task.done(), "the bot stopped"
    emu.send_text(child, "still here after the storm")
    await harness.wait_text(advocate.id, "still here after the storm")

    async with runtime.store.sessions() as session:
        rows = {
            row.update_id: row
            for row in (
                await session.execute(select(InboxUpdate).where(InboxUpdate.update_id.in_(by_id)))
            ).scalars()
        }
        children = (await session.execute(select(func.count()).select_from(Child))).scalar_one()

    # Every update ends, and ends as decided up front (see the module docstring).
    wrong: list[str] = []
    tolerated: Counter[str] = Counter()
    for update_id, item in by_id.items():
        row = rows[update_id]
        raw = {**item.raw, "update_id": update_id}
        if not parses(raw):
            if row.status != "failed" or row.attempts != 1:
                wrong.append(f"{item.kind}: unparseable but {row.status}/{row.attempts}")
        elif item.telegram_shaped and row.status != "done":
            wrong.append(f"{item.kind} from {item.role}: {row.status} ({row.error}) {raw!r:.300}")
        elif row.status == "failed":
            tolerated[f"{item.kind}:{row.error}"] += 1
        elif row.status != "done":
            wrong.append(f"{item.kind}: still {row.status}")
    assert not wrong, "\n".join(wrong[:20])
    # Only those who typed danger (or pressed Help now) became someone supervisors answer,
    # and each of them was given the emergency numbers.
    alarmed = screened(items, runtime.detector)
    answered_danger = {s for s in STRANGERS if any("999" in (m.text or "") for m in emu.sent_to(s))}
    assert answered_danger <= alarmed, "a stranger was alarmed by nothing"
    assert children == 1 + len(answered_danger), "a stranger became a child"

    # Nobody outside the people in this story was written to.
    allowed_chats = {ADVOCATE, SUPERVISOR, CHILD, *STRANGERS}
    strays = [
        (c.method, c.params.get("chat_id"))
        for c in emu.calls[calls_before:]
        if c.method in SEND_METHODS and int(c.params.get("chat_id", 0)) not in allowed_chats
    ]
    assert not strays, f"the bot wrote to chats nobody in this test owns: {strays[:10]}"

    # Strangers hear only how to get a code; those who tried one also hear that it did not work.
    locales = [runtime.tr(code) for code in SUPPORTED]
    how_to = {notices.stranger(tr).text for tr in locales}
    code_answers = (
        how_to
        | {notices.code_unknown(tr).text for tr in locales}
        | {notices.throttled(tr, minutes).text for tr in locales for minutes in range(1, 12)}
    )
    tried_code = {
        item.sender
        for item in items
        if item.role == "stranger" and any(tries_a_code(t) for t in texts_sent(item))
    }
    answered = 0
    for stranger_id in STRANGERS:
        if stranger_id in alarmed:
            continue
        sent = emu.sent_to(stranger_id)
        answered += bool(sent)
        kinds = {m.kind for m in sent}
        got = {m.text for m in sent}
        assert kinds <= {"text"}, f"stranger {stranger_id} got {kinds}"
        allowed = code_answers if stranger_id in tried_code else how_to
        assert got <= allowed, f"stranger {stranger_id} got {got - allowed}"

    # Staff never see what strangers wrote. Short or common strings could appear by chance,
    # so only texts long enough to be distinctive are looked for, and none that is part of
    # what the child or staff sent (a stranger's bare "/xxx…" inside the child's relayed
    # "/xxx… words" is the child's).
    staff_texts = [
        m.text or m.caption or "" for chat in (ADVOCATE, SUPERVISOR) for m in emu.sent_to(chat)
    ]
    others = {t for item in items if item.role != "stranger" for t in texts_sent(item)}
    leaked = [
        t
        for item in items
        if item.role == "stranger" and item.sender not in alarmed
        for t in texts_sent(item)
        if len(t.strip()) >= 16
        and not any(t.strip() in o for o in others)
        and any(t.strip() in s for s in staff_texts)
    ]
    assert not leaked, f"stranger text reached staff: {leaked[:3]!r}"

    return {
        "updates": len(items),
        "seconds": round(elapsed, 1),
        "per_second": round(len(items) / elapsed, 1),
        "roles": Counter(item.role for item in items),
        "kinds": Counter(item.kind.split(":")[0] for item in items),
        "unparseable": sum(not parses({**i.raw, "update_id": u}) for u, i in by_id.items()),
        "failed": sum(row.status == "failed" for row in rows.values()),
        "tolerated_failures": tolerated,
        "strangers_answered": answered,
        "strangers_trying_codes": len(tried_code),
    }


FAST = {"ALONGSIDE_CHAT_RATE": "1000", "ALONGSIDE_SEND_RATE": "1000"}


async def test_a_thousand_odd_updates_crash_nothing(
    harness_factory: Callable[..., BotHarness], sqlite_url: str
) -> None:
    report = await run_fuzz(harness_factory(sqlite_url, **FAST), 1000)
    print("fuzz report (sqlite):", report)


@pytest.mark.postgres
async def test_two_hundred_odd_updates_on_postgres(
    harness_factory: Callable[..., BotHarness],
) -> None:
    async with postgres_database() as url:
        report = await run_fuzz(harness_factory(url, **FAST), 200)
    print("fuzz report (postgres):", report)


async def test_updates_without_an_integer_id_are_never_stored(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    """Telegram always numbers updates; anything else is dropped before it reaches the inbox."""
    harness = harness_factory(sqlite_url)
    await harness.start()
    assert harness.running is not None
    inbox = Inbox(harness.running.runtime)
    stranger = emulator.user(STRANGERS[0], "S")
    message = {
        "message_id": 1,
        "date": 1_700_000_000,
        "from": stranger.to_dict(),
        "chat": stranger.chat_dict(),
        "text": "hi",
    }
    odd_ids: list[Any] = ["77", 7.0, None, [7], {"id": 7}]
    accepted = await inbox.accept(
        [{"update_id": odd, "message": message} for odd in odd_ids] + [{"message": message}]
    )
    assert accepted == 0
    async with harness.running.runtime.store.sessions() as session:
        stored = (await session.execute(select(func.count()).select_from(InboxUpdate))).scalar_one()
    assert stored == 0


async def test_an_edit_reaches_the_advocate_when_a_message_id_was_seen_twice(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    """Message ids start again at 1 in a new bot's chat (a replacement bot after a lost token),
    while the child's record stays: the edit of the newest message must still reach the
    advocate instead of failing the update three times and being dropped."""
    harness = harness_factory(sqlite_url, **FAST)
    advocate = emulator.user(ADVOCATE, "Rosa")
    child = emulator.user(CHILD, "Ana", language_code="en")
    await harness.start()
    await harness.enrol(advocate, Role.ADVOCATE, "Rosa")
    await harness.link(advocate, child, "Star")
    for text in ("first life of message 5", "second life of message 5"):
        emulator.inject_update(
            {
                "message": {
                    "message_id": 5,
                    "date": 1_700_000_000,
                    "from": child.to_dict(),
                    "chat": child.chat_dict(),
                    "text": text,
                }
            }
        )
        await harness.wait_text(advocate.id, text)
    emulator.inject_update(
        {
            "edited_message": {
                "message_id": 5,
                "date": 1_700_000_000,
                "edit_date": 1_700_000_100,
                "from": child.to_dict(),
                "chat": child.chat_dict(),
                "text": "corrected wording",
            }
        }
    )
    await harness.wait_text(advocate.id, "corrected wording")


async def test_editing_a_command_does_not_run_it_again(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    """Fixing a typo in "/invite Star" must not mint a second live code."""
    harness = harness_factory(sqlite_url, **FAST)
    advocate = emulator.user(ADVOCATE, "Rosa")
    await harness.start()
    await harness.enrol(advocate, Role.ADVOCATE, "Rosa")
    sent = emulator.send_text(advocate, "/invite Sta")
    await harness.wait_text(advocate.id, "Code:")
    emulator.edit_text(advocate, sent["message_id"], "/invite Star")
    emulator.send_text(advocate, "/children")
    # Updates are handled in order, so once /children is answered the edit has been handled.
    await harness.wait_text(advocate.id, "no young people linked yet")
    codes = [t for t in harness.texts(advocate.id) if "Code:" in t]
    assert len(codes) == 1, f"{len(codes)} invites from one /invite and its edit"


@pytest.mark.parametrize(
    "forged",
    [{"chat": None, "text": "hello"}, {"text": 1.5}, {"text": {"x": 1}}, {"caption": ["a"]}],
    ids=["no chat", "a number for text", "an object for text", "a list for a caption"],
)
async def test_a_forged_message_fails_nothing(
    harness_factory: Callable[..., BotHarness],
    sqlite_url: str,
    emulator: BotApiEmulator,
    caplog: pytest.LogCaptureFixture,
    forged: dict[str, object],
) -> None:
    """A message whose chat is missing, or whose words are not text: nobody is identified and
    nothing fails (each used to raise in a handler, so the update was tried three times and
    dead-lettered)."""
    harness = harness_factory(sqlite_url, **FAST)
    child = emulator.user(CHILD, "Ana", language_code="en")
    await harness.start()
    emulator.inject_update(
        {
            "message": {
                "message_id": 7,
                "date": 1_700_000_000,
                "from": child.to_dict(),
                "chat": child.chat_dict(),
                **forged,
            }
        }
    )
    emulator.send_text(child, "after it")
    await harness.wait_text(child.id, "code")
    assert not [r for r in caplog.records if r.msg == "handler.error"]
