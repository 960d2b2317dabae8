"""A young person who comes back to a staff member whose topic on them Telegram would not
delete gets a fresh topic, end to end (the real Application over HTTP against the emulator).
The old one, renamed so that it names no one, shows nothing new and reaches no one."""

from __future__ import annotations

from collections.abc import Callable

from bot.emulator import BotApiEmulator, Fault
from bot.topics import BLANK
from conversations.people import Role
from tests.conftest import BotHarness
from tests.e2e.topic_chats import two_linked


async def test_handed_back_after_a_refused_deletion_they_get_a_fresh_topic(
    harness_factory: Callable[..., BotHarness], database_url: str, emulator: BotApiEmulator
) -> None:
    emu = emulator
    bot = harness_factory(database_url)
    rosa, ana, _ = await two_linked(bot, 7960)
    tariq, sam = emu.user(7970, "Tariq"), emu.user(7971, "Sam")
    await bot.enrol(tariq, Role.ADVOCATE, "Tariq")
    await bot.enrol(sam, Role.SUPERVISOR, "Sam")
    emu.send_text(ana, "before the handover")
    old = (await bot.wait_text(rosa.id, "before the handover")).message_thread_id
    assert old is not None
    name = emu.topics[rosa.id][old].name
    ref = name.split(" · ")[1]

    # Telegram refuses to delete Rosa's topic on Ana: it is renamed to name no one.
    refusing = emu.add_fault(Fault("500", status=400, method="deleteForumTopic", count=None))
    emu.send_text(sam, f"/handover {ref} Tariq")
    await bot.wait_text(ana.id, "From now on, Tariq is your advocate")
    await emu.wait_for(lambda: emu.topics[rosa.id][old].name == BLANK, description="blanked")
    emu.remove_fault(refusing)

    # Back with Rosa: what is about Ana goes in a new topic named for her, from the first.
    emu.send_text(sam, f"/handover {ref} Rosa")
    summary = await bot.wait_text(rosa.id, "is now with you, handed over by Sam")
    fresh = summary.message_thread_id
    assert fresh is not None
    assert fresh != old
    assert emu.topics[rosa.id][fresh].name == name
    emu.send_text(ana, "back with rosa")
    back = await bot.wait_text(rosa.id, "back with rosa")
    assert back.message_thread_id == fresh
    assert emu.topics[rosa.id][old].name == BLANK
    blanked = [m for m in emu.sent_to(rosa.id) if m.message_thread_id == old]
    assert [m.text for m in blanked if "before the handover" not in (m.text or "")] == []

    # The old topic reaches no one, not even Ana now she is Rosa's again; the new one does.
    emu.send_text(rosa, "into the old topic", thread=old)
    refused = await bot.wait_text(rosa.id, "not one you can write to")
    assert refused.message_thread_id == old
    emu.send_text(rosa, "into the new topic", thread=fresh)
    await bot.wait_text(ana.id, "into the new topic")
    assert not any("into the old topic" in t for t in bot.texts(ana.id))
