"""A young person goes missing: supervisors are alerted (and reminded until someone
acknowledges), the young person gets one gentle message, they press *I'm safe*, they are found,
and the return interview is reminded at 72 hours and recorded. The missing-person profile is
released only while an episode is open, and every release is audited. A blocked chat proposes
an episode."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from bot.emulator import BotApiEmulator
from bot.emulator._types import SentMessage
from conversations.models import AuditEntry, MissingEpisode
from conversations.people import Role
from tests.conftest import BotHarness, inline_buttons, raw_session

FAST = {"ALONGSIDE_SWEEP_SECONDS": "0.2"}


async def _actions(database_url: str) -> list[tuple[str, str]]:
    async with raw_session(database_url) as session:
        rows = await session.execute(select(AuditEntry.actor, AuditEntry.action))
        return [(actor, action) for actor, action in rows]


async def test_an_episode_from_missing_to_the_return_interview(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url, **FAST)
    await bot.start()
    rosa, sam = emu.user(7101, "Rosa"), emu.user(7102, "Sam")
    child = emu.user(79101, "Ana", language_code="sq")
    advocate = await bot.enrol(rosa)
    supervisor = await bot.enrol(sam, Role.SUPERVISOR)
    await bot.link(rosa, child, "Star")
    linked = await bot.wait_text(rosa.id, "is now linked")
    ref = (linked.text or "").split("·")[1].split()[0]

    # The profile is kept in advance, and cannot be released before anyone is missing.
    emu.send_text(rosa, f"/profile {ref} description Small, short black hair, green coat")
    await bot.wait_text(rosa.id, "Saved to the profile of Star")
    emu.send_text(rosa, f"/profile {ref} places The station café; her cousin's flat")
    await bot.wait_text(rosa.id, "Saved to the profile of Star", timeout=10)
    emu.send_text(rosa, f"/profile {ref}")
    shown = await bot.wait_text(rosa.id, "Missing-person profile of Star")
    assert "green coat" in (shown.text or "")
    emu.send_photo(rosa, reply_to=shown.message_id)
    await emu.wait_for(
        lambda: sum("Saved to the profile" in t for t in bot.texts(rosa.id)) == 3,
        description="the photo saved",
    )
    assert not any(m.kind == "photo" for m in emu.sent_to(child.id)), "never to the young person"
    emu.send_text(rosa, f"/profile {ref} release")
    await bot.wait_text(rosa.id, "can be released only while Star")

    # Missing: the supervisor is alerted, the young person gets one gentle message.
    emu.send_text(rosa, f"/missing {ref}")
    await bot.wait_text(rosa.id, "Missing episode opened for Star")
    card = await bot.wait_text(sam.id, "is missing.")
    assert "Acknowledge" in inline_buttons(card)
    steps = await bot.wait_text(rosa.id, "Steps to take now")
    assert "999" in (steps.text or "")
    assert "101" in (steps.text or "")

    def gentle_message() -> SentMessage | None:
        return next(
            (
                m
                for m in emu.sent_to(child.id)
                if any(d.startswith("mc:") for d in inline_buttons(m).values())
            ),
            None,
        )

    await emu.wait_for(gentle_message, description="the young person's message")
    gentle = gentle_message()
    assert gentle is not None
    words = (gentle.text or "").lower()
    assert "trouble" not in words, "in their own language, not English"
    assert not any(w in words for w in ("traffick", "alongside", "missing", "police"))
    emu.send_text(sam, f"/missing {ref}")
    await bot.wait_text(sam.id, "is already missing")

    # Unacknowledged, the alert climbs the ladder like an urgent message.
    bot.clock.advance(minutes=10, seconds=1)
    await bot.wait_text(sam.id, "Reminder 1")

    # I'm safe: recorded, the advocate and supervisor told, the young person thanked.
    safe = next(d for d in inline_buttons(gentle).values() if d.endswith(":safe"))
    emu.press_button(child, gentle.message_id, safe)
    await bot.wait_text(rosa.id, "pressed I'm safe")
    await bot.wait_text(sam.id, "pressed I'm safe")
    await emu.wait_for(lambda: len(emu.sent_to(child.id)) > 2, description="thanks")

    # Released while missing: a message and a file in English, for the police.
    release = inline_buttons(steps)["Release the profile to police"]
    emu.send_text(sam, f"/profile {ref} release")
    await bot.wait_text(sam.id, "Missing since")
    await emu.wait_for(
        lambda: any(m.kind == "document" for m in emu.sent_to(sam.id)),
        description="the profile as a file",
    )
    document = next(m for m in emu.sent_to(sam.id) if m.kind == "document")
    assert document.file_id is not None
    assert b"green coat" in emu.file_bytes(document.file_id)
    assert any(m.kind == "photo" for m in emu.sent_to(sam.id))
    emu.press_button(rosa, steps.message_id, release)
    await emu.wait_for(
        lambda: any(m.kind == "document" for m in emu.sent_to(rosa.id)),
        description="released from the checklist's button",
    )

    # Found: how, then the return interview, reminded before and after 72 hours.
    emu.send_text(rosa, f"/found {ref}")
    asked = await bot.wait_text(rosa.id, "How were they found?")
    await bot.wait_text(sam.id, "was found. The missing episode is closed")
    emu.press_button(rosa, asked.message_id, inline_buttons(asked)["Found by police"])
    due = await bot.wait_text(rosa.id, "A return interview with Star")
    emu.send_text(rosa, f"/profile {ref} release")
    await emu.wait_for(
        lambda: sum("can be released only while" in t for t in bot.texts(rosa.id)) == 2,
        description="refused after the episode",
    )
    bot.clock.advance(hours=49)
    await bot.wait_text(rosa.id, "Reminder: the return interview with Star")
    bot.clock.advance(hours=24)
    overdue = await bot.wait_text(rosa.id, "is overdue")
    emu.press_button(rosa, overdue.message_id, inline_buttons(overdue)["Interview done"])
    await bot.wait_text(rosa.id, "Recorded: the return interview with Star · ")
    emu.press_button(rosa, due.message_id, inline_buttons(due)["Declined by the young person"])
    await bot.wait_text(rosa.id, "already recorded")

    async with raw_session(database_url) as session:
        episode = (await session.execute(select(MissingEpisode))).scalar_one()
    assert episode.found_how == "police"
    assert episode.interview == "done"
    assert episode.safe_at is not None
    actions = await _actions(database_url)
    for step in (
        "missing.open",
        "missing.already",
        "missing.safe",
        "missing.found",
        "missing.how",
        "missing.interview_reminder",
        "missing.interview_overdue",
        "missing.interview",
        "profile.set",
        "profile.read",
        "profile.release_refused",
    ):
        assert any(action == step for _, action in actions), step
    releases = [actor for actor, action in actions if action == "profile.release"]
    assert releases == [f"staff:{supervisor.id}", f"staff:{advocate.id}"]


async def test_a_blocked_chat_proposes_an_episode(
    harness_factory: Callable[..., BotHarness], sqlite_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(sqlite_url, **FAST)
    await bot.start()
    rosa, sam = emu.user(7201, "Rosa"), emu.user(7202, "Sam")
    child = emu.user(79201, "Ana")
    await bot.enrol(rosa)
    await bot.enrol(sam, Role.SUPERVISOR)
    await bot.link(rosa, child, "Moon")
    await bot.wait_text(rosa.id, "is now linked")

    emu.block(child.id)
    told = await bot.wait_text(rosa.id, "has blocked or deleted this chat")
    assert not any("is missing." in t for t in bot.texts(sam.id)), "never opened by itself"
    emu.press_button(rosa, told.message_id, inline_buttons(told)["Open a missing episode"])
    await bot.wait_text(rosa.id, "Missing episode opened for Moon")
    await bot.wait_text(sam.id, "is missing.")
