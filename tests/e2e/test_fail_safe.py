"""Safety that cannot fail silently: every alarm reaches a person, whatever goes wrong.

Each test drives the real bot over HTTP against the emulator, as a young person, a stranger, an
operator or an attacker would.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram import Update

from bot.emulator import BotApiEmulator
from bot.i18n import Catalogs
from bot.notices import help_now_label
from bot.runtime import AlongsideContext
from conversations.models import Alert, AuditEntry, InboxUpdate, OutboxMessage
from conversations.outgoing import Outgoing
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}
TOLD = "A person has been told"
NOBODY = "I could not reach a person here yet"


async def _linked(bot: BotHarness, base: int, name: str) -> tuple[Any, Any, Any]:
    """An advocate (Rosa), a supervisor (Sam) and a young person linked to Rosa as "Star"."""
    emu = bot.emu
    advocate, supervisor = emu.user(base, "Rosa"), emu.user(base + 1, "Sam")
    child = emu.user(base + 2, name)
    await bot.enrol(advocate)
    await bot.enrol(supervisor, Role.SUPERVISOR)
    await bot.link(advocate, child)
    return advocate, supervisor, child


async def _count(url: str, column: object, *where: object) -> int:
    async with raw_session(url) as session:
        return int((await session.execute(select(func.count(column)).where(*where))).scalar_one())  # type: ignore[arg-type]


async def test_no_promise_when_nobody_can_be_told(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """With no active supervisor, Help now says plainly to call the numbers now."""
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    stranger = emu.user(23001, "Ana")
    emu.send_text(stranger, "/start")
    await bot.wait_text(stranger.id, "code")
    emu.send_text(stranger, help_now_label(Catalogs().get("en")))
    answer = await bot.wait_text(stranger.id, "999")
    assert NOBODY in (answer.text or "")
    assert TOLD not in (answer.text or "")

    # A supervisor who blocked the bot cannot be told either.
    supervisor = emu.user(23002, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR)
    emu.block(supervisor.id)
    await asyncio.sleep(1)
    other = emu.user(23003, "Bea")
    emu.send_text(other, "I need help now, I am in danger")
    answer = await bot.wait_text(other.id, "999")
    assert NOBODY in (answer.text or "")

    # Once a supervisor can hear, the promise is made, and kept.
    emu.unblock(supervisor.id)
    emu.send_text(supervisor, "/alerts")
    await bot.wait_text(supervisor.id, "Open:")
    third = emu.user(23004, "Cem")
    emu.send_text(third, help_now_label(Catalogs().get("en")))
    answer = await bot.wait_text(third.id, "999")
    assert TOLD in (answer.text or "")
    await bot.wait_text(supervisor.id, "pressed Help now")


async def test_a_stranger_who_types_danger_is_answered_and_alerted(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    supervisor = emu.user(23101, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR)
    stranger = emu.user(23102, "Lena", language_code="fr")
    emu.send_text(stranger, "au secours, je suis en danger, ils sont devant la porte")
    answer = await bot.wait_text(stranger.id, "999")
    assert "Une personne" in (answer.text or "") or "personne" in (answer.text or "")
    card = await bot.wait_text(supervisor.id, "may mean danger")
    assert "(not linked)" in (card.text or "")
    relay = await bot.wait_text(supervisor.id, "devant la porte")
    assert "URGENT" in (relay.text or "")
    # An ordinary stranger's message still reaches no one.
    other = emu.user(23103, "Ola")
    emu.send_text(other, "hello, what is this?")
    await bot.wait_text(other.id, "code")
    await asyncio.sleep(0.5)
    assert not any("what is this" in t for t in bot.texts(supervisor.id))


async def test_an_update_that_cannot_be_handled_is_passed_on_as_it_came(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """A message the bot cannot handle still reaches the advocate, marked, and the supervisors
    hear of it; the update is kept as a dead letter with its reason. (One that cannot even be
    read, as here, is given up after one try; one whose handler fails, after three.)"""
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, supervisor, child = await _linked(bot, 23201, "Drita")
    # An entity python-telegram-bot cannot parse: the update fails before any handler runs.
    update_id = emu.inject_update(
        {
            "message": {
                "message_id": 9001,
                "date": 1_700_000_000,
                "chat": {"id": child.id, "type": "private"},
                "from": {"id": child.id, "is_bot": False, "first_name": "Drita"},
                "text": "please read this, it matters",
                "entities": [{"type": "bold"}],
            }
        }
    )
    relay = await bot.wait_text(advocate.id, "please read this, it matters", timeout=20)
    assert "could not be handled" in (relay.text or "")
    notice = await bot.wait_text(supervisor.id, "could not be handled")
    assert "Star" in (notice.text or "")
    async with raw_session(bot.settings.database_url) as session:
        row = await session.get(InboxUpdate, update_id)
        assert row is not None
        assert (row.status, row.attempts) == ("failed", 1), "no later try could read it"
        assert row.error
        assert row.payload_sealed, "the dead letter keeps the update"
    # And the next message flows as usual.
    emu.send_text(child, "hello again")
    await bot.wait_text(advocate.id, "hello again")


async def test_a_handler_that_fails_once_is_one_try_and_what_follows_waits(
    harness_factory: Callable[..., BotHarness],
    database_url: str,
    emulator: BotApiEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A message whose handling fails once is counted as one failed try, tried again, and
    relayed before the message written after it, however the failed try was made."""
    from bot import handlers

    handled = Counter[str]()
    on_message = handlers.on_message

    async def fails_once(update: Update, ctx: AlongsideContext) -> None:
        text = update.message.text if update.message else None
        handled[text or ""] += 1
        if text == "first, failing once" and handled[text] == 1:
            raise RuntimeError("a fault that clears")
        await on_message(update, ctx)

    monkeypatch.setattr(handlers, "on_message", fails_once)
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, _supervisor, child = await _linked(bot, 23231, "Ana")
    emu.send_text(child, "first, failing once")
    emu.send_text(child, "then this one")
    await bot.wait_text(advocate.id, "then this one", timeout=20)
    relayed = [t for t in bot.texts(advocate.id) if "first, failing once" in t or "then" in t]
    assert ["first" in t for t in relayed] == [True, False], relayed
    assert handled["first, failing once"] == 2
    assert handled["then this one"] == 1
    async with raw_session(bot.settings.database_url) as session:
        rows = (
            await session.execute(
                select(InboxUpdate.status, InboxUpdate.attempts, InboxUpdate.error).where(
                    InboxUpdate.attempts > 0
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [("done", 1, "RuntimeError")]


async def test_an_update_the_store_refuses_does_not_stop_the_queue(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """A message id that is not a number (PostgreSQL will not store it as one) costs at most
    that update's tries: the messages after it still flow."""
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, _, child = await _linked(bot, 23251, "Luan")
    emu.inject_update(
        {
            "message": {
                "message_id": "1",
                "date": 1_700_000_000,
                "chat": {"id": child.id, "type": "private"},
                "from": {"id": child.id, "is_bot": False, "first_name": "Luan"},
                "text": "my number is odd today",
            }
        }
    )
    # Relayed either way: handled (SQLite stores the id as given), or passed on as it came.
    await bot.wait_text(advocate.id, "my number is odd today", timeout=20)
    emu.send_text(child, "and this one is plain")
    await bot.wait_text(advocate.id, "and this one is plain", timeout=20)
    assert (
        await _count(
            bot.settings.database_url, InboxUpdate.update_id, InboxUpdate.status == "pending"
        )
        == 0
    )


async def test_an_urgent_alert_overtakes_routine_messages(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, _supervisor, child = await _linked(bot, 23301, "Ana")
    for i in range(20):
        emu.send_text(child, f"routine {i:02d}")
    # The order asserted below is relative: on a loaded machine the first relays may be slow.
    await emu.wait_for(lambda: any("routine 02" in t for t in bot.texts(advocate.id)), timeout=30)
    emu.send_text(child, "they are outside the door with a knife, help me")
    await bot.wait_text(advocate.id, "may mean danger", timeout=15)
    texts = bot.texts(advocate.id)
    routine = [t for t in texts if "routine" in t]
    # A chat's updates are handled in order, so every routine relay was queued before the
    # card; they leave at one a second. The card went while some of them still waited (how
    # many depends on how fast a loaded machine handled the twenty before it).
    assert len(routine) < 20, f"the card waited for every routine relay: {texts}"
    await emu.wait_for(
        lambda: sum("routine" in t for t in bot.texts(advocate.id)) == 20, timeout=40
    )
    order = [int(t.split("routine ")[1][:2]) for t in bot.texts(advocate.id) if "routine" in t]
    assert order == list(range(20)), "routine messages keep their order"


async def test_a_flood_of_help_now_presses_is_one_alarm(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST, ALONGSIDE_SEND_RATE="200")
    await bot.start()
    _advocate, supervisor, child = await _linked(bot, 23401, "Ana")
    emu.send_text(child, "help me please they are here")
    await bot.wait_text(supervisor.id, "may mean danger")

    attacker = emu.user(23404, "X")
    label = help_now_label(Catalogs().get("en"))
    for _ in range(60):
        emu.send_text(attacker, label)
    await bot.wait_text(supervisor.id, "pressed Help now")
    await asyncio.sleep(4)  # the other presses are handled meanwhile
    url = bot.settings.database_url
    cards = [t for t in bot.texts(supervisor.id) if "pressed Help now" in t]
    assert len(cards) == 1, "one alarm, not one per press"
    answers = sum("999" in t for t in bot.texts(attacker.id))
    assert 1 <= answers <= 3, "the numbers once, not sixty times"
    assert await _count(url, Alert.id, Alert.source == "help_now") == 1
    # The card was kept up to date in place.
    card_message = next(
        m for m in emu.sent_to(supervisor.id) if "pressed Help now" in (m.text or "")
    )
    await emu.wait_for(
        lambda: (
            "more times"
            in (emu.message(supervisor.id, card_message.message_id) or {}).get("text", "")
        ),
        timeout=30,
    )

    # The real child's alert is still there to act on, whatever came after it.
    emu.send_text(supervisor, "/alerts")
    # Behind sixty presses, each of which edits the card: slow on a loaded machine.
    listing = await bot.wait_text(supervisor.id, "Page 1 of 1", timeout=60)
    assert "Star" in (listing.text or "")
    emu.send_text(supervisor, f"/resolve {_ref(listing.text or '', 'Star')} spoke to her, safe")
    await bot.wait_text(supervisor.id, "Resolved: Star")

    # The supervisor mutes the account: audited, and nothing more reaches anyone.
    mute = inline_buttons(card_message)["Mute this sender"]
    emu.press_button(supervisor, card_message.message_id, mute)
    await bot.wait_text(supervisor.id, "Muted")
    before = len(bot.texts(supervisor.id))
    emu.send_text(attacker, "spam spam spam")
    emu.send_text(attacker, label)
    await emu.wait_for(lambda: len(bot.texts(attacker.id)) > answers, timeout=10)
    await asyncio.sleep(1)
    assert len(bot.texts(supervisor.id)) == before
    assert await _count(url, AuditEntry.id, AuditEntry.action == "sender.mute") == 1


def _ref(listing: str, nickname: str) -> str:
    parts = next(x for x in listing.splitlines() if nickname in x).split(" · ")
    return parts[parts.index(nickname) + 1]


async def test_a_strangers_messages_reach_supervisors_at_a_limited_rate(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(
        sqlite_url,
        **FAST,
        ALONGSIDE_STRANGER_RELAYS_PER_HOUR="3",
        ALONGSIDE_SEND_RATE="200",
        ALONGSIDE_CHAT_RATE="50",
    )
    await bot.start()
    supervisor = emu.user(23501, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR)
    stranger = emu.user(23502, "X")
    emu.send_text(stranger, help_now_label(Catalogs().get("en")))
    await bot.wait_text(supervisor.id, "pressed Help now")
    for i in range(8):
        emu.send_text(stranger, f"note {i}")
    await bot.wait_text(supervisor.id, "keeps writing")
    await emu.wait_for(lambda: not emu.pending_updates(), timeout=10)
    await asyncio.sleep(1)
    passed = [t for t in bot.texts(supervisor.id) if "note " in t]
    assert len(passed) == 3, passed
    assert sum("keeps writing" in t for t in bot.texts(supervisor.id)) == 1


async def test_a_message_nobody_answers_becomes_a_concern_then_climbs(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST, ALONGSIDE_UNANSWERED_MINUTES="60")
    await bot.start()
    advocate, supervisor, child = await _linked(bot, 23601, "Ana")
    emu.send_text(child, "can we talk about the interview")
    relay = await bot.wait_text(advocate.id, "interview")
    assert list(inline_buttons(relay)) == ["Seen"]

    bot.clock.advance(minutes=61)
    card = await bot.wait_text(advocate.id, "nobody has answered", timeout=10)
    assert not any("nobody has answered" in t for t in bot.texts(supervisor.id))
    bot.clock.advance(minutes=61)
    await bot.wait_text(supervisor.id, "nobody has answered", timeout=10)

    emu.press_button(advocate, card.message_id, inline_buttons(card)["Seen"])
    await bot.wait_text(advocate.id, "Marked as seen")
    cards = sum("nobody has answered" in t for t in bot.texts(supervisor.id))
    bot.clock.advance(hours=5)
    await asyncio.sleep(1.5)
    assert sum("nobody has answered" in t for t in bot.texts(supervisor.id)) == cards

    # An answer stops the clock as well.
    emu.send_text(child, "are you there?")
    await bot.wait_text(advocate.id, "are you there?")
    emu.send_text(advocate, "Yes, I am here.")
    await bot.wait_text(child.id, "Yes, I am here.")
    before = sum("nobody has answered" in t for t in bot.texts(advocate.id))
    bot.clock.advance(hours=3)
    await asyncio.sleep(1.5)
    assert sum("nobody has answered" in t for t in bot.texts(advocate.id)) == before


async def test_outside_service_hours_a_child_is_told_when_a_person_reads(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    # Open one minute a week, so it is closed whenever this runs.
    bot = harness_factory(
        sqlite_url, **FAST, ALONGSIDE_SERVICE_HOURS="Sun 03:00-03:01", ALONGSIDE_TIMEZONE="UTC"
    )
    await bot.start()
    advocate, _supervisor, child = await _linked(bot, 23701, "Ana")
    emu.send_text(child, "hello are you there")
    note = await bot.wait_text(child.id, "A person will read it from")
    assert "Sunday 03:00" in (note.text or "")
    assert "999" in (note.text or "")
    await bot.wait_text(advocate.id, "hello are you there")
    emu.send_text(child, "hello again")
    await bot.wait_text(advocate.id, "hello again")
    await asyncio.sleep(0.5)
    assert sum("A person will read it from" in t for t in bot.texts(child.id)) == 1


async def test_alerts_lists_everything_open_a_page_at_a_time(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url, **FAST, ALONGSIDE_SEND_RATE="200", ALONGSIDE_CHAT_RATE="50")
    await bot.start()
    supervisor = emu.user(23801, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR)
    label = help_now_label(Catalogs().get("en"))
    senders = [emu.user(23810 + i, f"P{i}") for i in range(23)]
    for sender in senders:
        emu.send_text(sender, label)
        await asyncio.sleep(0.02)
    await emu.wait_for(
        lambda: sum("pressed Help now" in t for t in bot.texts(supervisor.id)) == 23, timeout=30
    )
    emu.send_text(supervisor, "/alerts")
    first = await bot.wait_text(supervisor.id, "Page 1 of 3")
    assert "Open: 23 urgent" in (first.text or "")
    buttons = inline_buttons(first)
    assert "Next ›" in buttons
    emu.press_button(supervisor, first.message_id, buttons["Next ›"])
    second = await bot.wait_text(supervisor.id, "Page 2 of 3")
    assert sum("URGENT" in line for line in (second.text or "").splitlines()) == 10
    # An advocate's counts are over their own young people only: none of these is theirs.
    advocate = emu.user(23802, "Ada")
    await bot.enrol(advocate, Role.ADVOCATE)
    emu.send_text(advocate, "/alerts")
    own = await bot.wait_text(advocate.id, "No open alerts.")
    assert "Open: 0 urgent, 0 concerns" in (own.text or "")
    assert "Waiting more than an hour: 0. More than a day: 0." in (own.text or "")


async def test_a_send_telegram_accepted_is_never_repeated(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """An answer python-telegram-bot cannot parse: the message went, so it is marked sent."""
    from bot.emulator import Fault

    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    advocate, _supervisor, child = await _linked(bot, 23901, "Ana")
    for kind in ("garbled", "not_json"):
        emu.add_fault(Fault(kind, method="sendMessage", chat_id=advocate.id, count=1))
        emu.send_text(child, f"first {kind}")
        emu.send_text(child, f"second {kind}")
        await bot.wait_text(advocate.id, f"second {kind}")
        await asyncio.sleep(2)
        assert sum(f"first {kind}" in t for t in bot.texts(advocate.id)) == 1
    async with raw_session(bot.settings.database_url) as session:
        pending = (
            await session.execute(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.status != "sent")
            )
        ).scalar_one()
    assert pending == 0


async def test_an_unexpected_error_in_a_send_is_a_counted_try_then_a_dead_letter(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    """Not Telegram's refusal and not known to have gone: tries with backoff, then a dead
    letter supervisors hear of; never again at once, and never for ever."""
    emu = emulator
    bot = harness_factory(
        database_url, **FAST, ALONGSIDE_MAX_ATTEMPTS="2", ALONGSIDE_GIVE_UP_HOURS="0"
    )
    await bot.start()
    supervisor = emu.user(24001, "Sam")
    await bot.enrol(supervisor, Role.SUPERVISOR)
    assert bot.running is not None
    async with bot.running.runtime.store.unit() as uow:
        # An invite's QR image without its link: making it raises inside our own code.
        await uow.send(24002, Outgoing(kind="qr", text="code"), purpose="notice")
        await uow.commit()
    await bot.wait_text(supervisor.id, "could not be delivered after 2 tries", timeout=15)
    async with raw_session(bot.settings.database_url) as session:
        row = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.purpose == "notice")))
            .scalars()
            .one()
        )
        assert (row.status, row.attempts) == ("dead", 2)
        assert (row.last_error or "").startswith("error:KeyError")
    assert not emu.sent_to(24002)
