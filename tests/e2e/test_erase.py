"""Erasing a child end to end: supervisors only, confirmed, told to staff, shredded in the store."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, or_, select

from bot.emulator import BotApiEmulator, EmulatedUser
from bot.i18n import Catalogs
from bot.notices import help_now_label, stranger
from conversations import audit
from conversations.models import (
    Alert,
    AuditEntry,
    CheckIn,
    Child,
    DataKey,
    InboxUpdate,
    Invite,
    Message,
    Note,
    OutboxMessage,
    StageChange,
    Summary,
)
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session

REFUSED = "Only a supervisor can erase"
UNKNOWN = "No young person of yours has that reference"
WARNING = "for good?"


def _ref(text: str | None) -> str:
    return (text or "").split("·")[1].strip().split()[0].strip("\u2068\u2069")


def _count(bot: BotHarness, chat: int, needle: str) -> int:
    return sum(needle in t for t in bot.texts(chat))


async def _said(bot: BotHarness, chat: int, needle: str, times: int) -> Any:
    await bot.emu.wait_for(
        lambda: _count(bot, chat, needle) >= times,
        description=f"{needle!r} {times} times in chat {chat}",
    )
    return [m for m in bot.emu.sent_to(chat) if needle in (m.text or "")][times - 1]


async def _record(url: str, ref: str) -> Child:
    async with raw_session(url) as session:
        row = (await session.execute(select(Child).where(Child.ref == ref))).scalar_one()
        session.expunge(row)
        return row


async def _setup(
    bot: BotHarness, emu: BotApiEmulator, base: int
) -> tuple[EmulatedUser, EmulatedUser, EmulatedUser, EmulatedUser, str]:
    advocate, supervisor = emu.user(base + 1, "Rosa"), emu.user(base + 2, "Sam")
    other = emu.user(base + 3, "Lea")
    child = emu.user(base + 90, "Ana")
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.enrol(other, Role.SUPERVISOR)
    await bot.link(advocate, child, "Star")
    ref = _ref((await bot.wait_text(advocate.id, "is now linked")).text)
    return advocate, supervisor, other, child, ref


async def test_a_supervisor_erases_a_child_for_good(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    advocate, supervisor, other, child, ref = await _setup(bot, emu, 9700)
    emu.send_text(child, "I am at the station now")
    relayed = await bot.wait_text(advocate.id, "I am at the station now")
    emu.send_text(advocate, "See you at four.", reply_to=relayed.message_id)
    await bot.wait_text(child.id, "See you at four.")
    emu.send_text(advocate, f"/note {ref} Likes football; school on Monday")
    await bot.wait_text(advocate.id, "Note saved")
    emu.send_text(advocate, f"/stage {ref}")
    stages = await bot.wait_text(advocate.id, "Choose the new stage")
    emu.press_button(advocate, stages.message_id, next(iter(inline_buttons(stages).values())))
    await bot.wait_text(advocate.id, "Stage set for")
    emu.send_text(advocate, f"/summary {ref} You came in May. You live with a foster family.")
    ask = await bot.wait_text(child.id, "Is it right?")
    emu.press_button(child, ask.message_id, inline_buttons(ask)["This is right"])
    await bot.wait_text(advocate.id, "approved the story so far")
    record = await _record(database_url, ref)

    # An advocate is refused, for their own child as for a reference that does not exist.
    emu.send_text(advocate, f"/erase {ref}")
    emu.send_text(advocate, "/erase ZZZZ")
    await _said(bot, advocate.id, REFUSED, 2)
    refusals = [t for t in bot.texts(advocate.id) if REFUSED in t]
    assert refusals[0] == refusals[1]
    emu.send_text(advocate, "/children")
    await bot.wait_text(advocate.id, f"· {ref} ·")

    # An unknown reference gets the answer every other command gives.
    emu.send_text(supervisor, "/erase ZZZZ")
    unknown = await bot.wait_text(supervisor.id, UNKNOWN)
    assert "/erase REF" in (unknown.text or "")
    assert not inline_buttons(unknown)

    emu.send_text(supervisor, f"/erase {ref}")
    warning = await _said(bot, supervisor.id, WARNING, 1)
    text = warning.text or ""
    assert ref in text
    assert "Star" in text
    for lost in (
        "messages",
        "notes",
        "story so far",
        "stage history",
        "alerts",
        "cannot be undone",
    ):
        assert lost in text, lost
    buttons = inline_buttons(warning)
    assert list(buttons) == ["Erase for good", "Keep"]
    assert all(len(data.encode()) <= 64 for data in buttons.values())

    emu.press_button(supervisor, warning.message_id, buttons["Keep"])
    await bot.wait_text(supervisor.id, "Kept. Nothing was erased.")
    emu.send_text(advocate, "/children")
    await _said(bot, advocate.id, f"· {ref} ·", 2)
    assert (await _record(database_url, ref)).id == record.id

    told_child = len(emu.sent_to(child.id))
    emu.press_button(supervisor, warning.message_id, buttons["Erase for good"])
    await bot.wait_text(supervisor.id, f"Erased: {ref}.")
    for staff in (advocate, other):
        told = await bot.wait_text(staff.id, "was erased by")
        assert ref in (told.text or "")
        assert "Sam" in (told.text or "")
        assert "Star" not in (told.text or ""), "nothing of the child lingers in the notice"
    assert _count(bot, supervisor.id, "was erased by") == 0, "the one who erased is not told twice"

    await _nothing_left(database_url, record)
    running = bot.running
    assert running is not None
    async with running.runtime.store.sessions() as session:
        assert (await audit.verify(session, running.runtime.store.index.audit_key)).ok

    # A second press changes nothing and says so kindly.
    emu.press_button(supervisor, warning.message_id, buttons["Erase for good"])
    await bot.wait_text(supervisor.id, "no longer here")
    emu.send_text(supervisor, f"/erase {ref}")
    await _said(bot, supervisor.id, UNKNOWN, 2)
    emu.send_text(advocate, "/children")
    await bot.wait_text(advocate.id, "You have no young people linked yet")

    # The young person is told nothing; to the bot they are a stranger now.
    await asyncio.sleep(0.3)
    assert len(emu.sent_to(child.id)) == told_child
    relays = _count(bot, advocate.id, "hello?")
    emu.send_text(child, "hello?")
    answer = await bot.wait_text(child.id, "you need a code")
    assert answer.text == stranger(Catalogs().get("en")).text
    assert _count(bot, advocate.id, "hello?") == relays

    # A new invite links them afresh: a new record with a new key.
    await bot.link(advocate, child, "Star")
    again = await _said(bot, advocate.id, "is now linked", 2)
    await _said(bot, child.id, "connected to", 2)
    fresh = await _record(database_url, _ref(again.text))
    assert fresh.id != record.id
    assert fresh.data_key_id != record.data_key_id


async def _nothing_left(url: str, record: Child) -> None:
    async with raw_session(url) as session:

        async def count(model: Any, *where: Any) -> int:
            return int(
                (
                    await session.execute(
                        select(func.count()).select_from(model).where(or_(*where))
                    )
                ).scalar_one()
            )

        for model in (Message, Note, Alert, Summary, StageChange, CheckIn):
            assert await count(model, model.child_id == record.id) == 0, model.__tablename__
        assert await count(Child, Child.id == record.id) == 0
        assert (
            await count(
                OutboxMessage,
                OutboxMessage.child_id == record.id,
                OutboxMessage.chat_index == record.tg_index,
            )
            == 0
        )
        assert await count(InboxUpdate, InboxUpdate.chat_index == record.tg_index) == 0
        assert await count(Invite, Invite.child_id == record.id) == 0
        key = await session.get(DataKey, record.data_key_id)
        assert key is not None
        assert key.wrapped is None
        assert key.destroyed_at is not None
        erased = (
            (await session.execute(select(AuditEntry).where(AuditEntry.action == "child.erased")))
            .scalars()
            .all()
        )
        assert len(erased) == 1
        assert erased[0].subject == ""
        assert erased[0].actor.startswith("staff:")
        assert erased[0].detail.startswith("redacted=")
        # The log keeps that it happened, by whom, when; no entry about them is left readable.
        assert (
            await count(
                AuditEntry,
                AuditEntry.subject == record.id,
                AuditEntry.actor.contains(record.id),
                AuditEntry.detail.contains(record.id),
            )
            == 0
        )


async def test_an_unresolved_alert_keeps_the_child(
    bot: BotHarness, emulator: BotApiEmulator, database_url: str
) -> None:
    emu = emulator
    advocate, supervisor, _, child, ref = await _setup(bot, emu, 9800)

    # Asked before the alert: the warning shows; the alert raised meanwhile still blocks.
    emu.send_text(supervisor, f"/erase {ref}")
    warning = await _said(bot, supervisor.id, WARNING, 1)
    emu.send_text(child, help_now_label(Catalogs().get("en")))
    await bot.wait_text(supervisor.id, "pressed Help now")
    emu.press_button(supervisor, warning.message_id, inline_buttons(warning)["Erase for good"])
    blocked = await bot.wait_text(supervisor.id, "not resolved")
    assert ref in (blocked.text or "")
    assert "/resolve" in (blocked.text or "")

    emu.send_text(supervisor, f"/erase {ref}")
    again = await _said(bot, supervisor.id, "not resolved", 2)
    assert not inline_buttons(again)
    await _record(database_url, ref)
    assert _count(bot, advocate.id, "was erased by") == 0

    # Once resolved, the erasure goes ahead.
    emu.send_text(supervisor, f"/resolve {ref} spoke to her, safe")
    await bot.wait_text(supervisor.id, "Resolved:")
    emu.send_text(supervisor, f"/erase {ref}")
    warning = await _said(bot, supervisor.id, WARNING, 2)
    emu.press_button(supervisor, warning.message_id, inline_buttons(warning)["Erase for good"])
    await bot.wait_text(supervisor.id, f"Erased: {ref}.")
    await bot.wait_text(advocate.id, "was erased by")
    async with raw_session(database_url) as session:
        assert (await session.execute(select(func.count(Alert.id)))).scalar_one() == 0


async def test_children_and_strangers_cannot_erase(
    bot: BotHarness, emulator: BotApiEmulator
) -> None:
    emu = emulator
    advocate, _, _, child, ref = await _setup(bot, emu, 9900)
    stranger_user = emu.user(99999, "Who")
    emu.send_text(child, f"/erase {ref}")
    await bot.wait_text(child.id, "I cannot do that here")
    emu.send_text(stranger_user, f"/erase {ref}")
    await bot.wait_text(stranger_user.id, "you need a code")
    emu.send_text(advocate, "/children")
    await bot.wait_text(advocate.id, f"· {ref} ·")
