"""What waits in the queue about a young person goes with their erasure, end to end: a
supervisor whose phone cannot be reached has notices about them queued when they are erased
(by /erase, or when their closed case's time is up); once the phone is back and the bot has
restarted, nothing about them reaches it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.emulator import BotApiEmulator, EmulatedUser, Fault
from conversations.errors import ConfigurationError, SealError
from conversations.models import OutboxMessage
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons

# Lea's failing sends are tried again and again, never given up on while the test runs.
ENV = {"ALONGSIDE_SWEEP_SECONDS": "0.2", "ALONGSIDE_GIVE_UP_HOURS": "100000"}


def _ref(text: str | None) -> str:
    return (text or "").split("·")[1].strip().split()[0].strip("\u2068\u2069")


async def _missing_and_found(
    bot: BotHarness, base: int
) -> tuple[EmulatedUser, EmulatedUser, EmulatedUser, str]:
    """Rosa's young person Star goes missing and is found while Lea's phone is off: what Lea
    is told of it waits in her queue. Returns Rosa, Sam, Lea and Star's reference."""
    emu = bot.emu
    rosa, sam, lea = (
        emu.user(base + 1, "Rosa"),
        emu.user(base + 2, "Sam"),
        emu.user(base + 3, "Lea"),
    )
    ana = emu.user(base + 90, "Ana")
    await bot.enrol(rosa)
    await bot.enrol(sam, Role.SUPERVISOR)
    await bot.enrol(lea, Role.SUPERVISOR)
    await bot.link(rosa, ana, "Star")
    ref = _ref((await bot.wait_text(rosa.id, "is now linked")).text)
    emu.add_fault(Fault("500", count=None, chat_id=lea.id))
    emu.send_text(rosa, f"/missing {ref}")
    await bot.wait_text(sam.id, "is missing.")
    emu.send_text(rosa, f"/found {ref}")
    # Written in the same transaction as what Lea is told.
    await bot.wait_text(rosa.id, "How were they found?")
    await bot.wait_text(sam.id, "was found. The missing episode is closed")
    assert not bot.texts(lea.id)
    return rosa, sam, lea, ref


async def _queued_to(bot: BotHarness, user: EmulatedUser) -> list[str]:
    """The words of every message still waiting for `user`'s chat, as the dispatcher would
    open them ("?" for one that can no longer be opened)."""
    assert bot.running is not None
    store = bot.running.runtime.store
    words: list[str] = []
    async with store.unit(read_only=True) as uow:
        rows = (
            await uow.session.execute(
                select(OutboxMessage).where(
                    OutboxMessage.chat_index == store.index.telegram(user.id),
                    OutboxMessage.status == "pending",
                )
            )
        ).scalars()
        for row in rows:
            try:
                payload = await uow.open_json(row.payload_sealed, "outbox", "payload", row.uid)
            except (SealError, ConfigurationError):
                words.append("?")
                continue
            words.append(str(payload.get("text") or ""))
    return words


async def _back_and_drained(bot: BotHarness, lea: EmulatedUser) -> None:
    """Lea's phone is back; the bot restarts and sends her all that waited."""
    bot.emu.clear_faults()
    await bot.restart()
    # Past the longest pause between tries of her messages.
    bot.clock.advance(minutes=10)
    for _ in range(200):
        if not await _queued_to(bot, lea):
            return
        await bot.emu.changed(0.1)
    raise AssertionError(f"still queued for Lea: {await _queued_to(bot, lea)}")


async def test_an_erasure_takes_what_waits_for_staff_about_them(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **ENV)
    await bot.start()
    _, sam, lea, ref = await _missing_and_found(bot, 9400)
    queued = await _queued_to(bot, lea)
    assert any("Star" in words for words in queued), queued

    emu.send_text(sam, f"/erase {ref}")
    warning = await bot.wait_text(sam.id, "for good?")
    emu.press_button(sam, warning.message_id, inline_buttons(warning)["Erase for good"])
    await bot.wait_text(sam.id, f"Erased: {ref}.")
    # In the erasure's own transaction: all that waits for Lea now is that it happened.
    queued = await _queued_to(bot, lea)
    assert queued, "Lea is still told of the erasure"
    assert all("was erased by Sam" in words for words in queued), queued

    await _back_and_drained(bot, lea)
    told = bot.texts(lea.id)
    assert [t for t in told if ref in t] == [t for t in told if "was erased by Sam" in t]
    assert not [t for t in told if "Star" in t], told


async def test_a_closed_cases_erasure_on_time_takes_what_waits_for_staff_about_them(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, ALONGSIDE_RETENTION_DAYS="30", **ENV)
    await bot.start()
    rosa, _, lea, ref = await _missing_and_found(bot, 9500)
    emu.send_text(rosa, f"/close {ref} ended")
    await bot.wait_text(rosa.id, "Closed: the case of")
    assert any("Star" in words for words in await _queued_to(bot, lea))

    bot.clock.advance(days=31)
    await bot.wait_text(rosa.id, "was erased: its case was closed")
    # In the erasure's own transaction: nothing about them waits for Lea any more.
    left = await _queued_to(bot, lea)
    assert not [words for words in left if "Star" in words or ref in words], left

    await _back_and_drained(bot, lea)
    await bot.emu.changed(1)
    assert not [t for t in bot.texts(lea.id) if "Star" in t or ref in t], bot.texts(lea.id)
