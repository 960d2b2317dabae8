"""The relaying use cases' decisions, on a real store: who reads, what is held, what is raised.

No Telegram here: `conversations.relaying` returns plain results and `bot/` renders them (the
end-to-end tests cover the rendering).
"""

from __future__ import annotations

from datetime import timedelta

from conversations import alerts, attention, linking, people, relaying
from conversations.models import Alert
from conversations.people import ChildView, Role, StaffView
from conversations.relay import Content
from conversations.relaying import Rules
from conversations.store import Store
from safety import EscalationLadder, ScanResult, Severity
from tests.integration.test_store import _enrol, _invite, _try

RULES = Rules(ladder=EscalationLadder(), unanswered=timedelta(hours=2), stranger_relays_per_hour=2)
URGENT = ScanResult(Severity.URGENT, ("danger_now",), ("r1",), ("en",))
HELLO = Content("text", "hello")


async def _people(store: Store) -> tuple[StaffView, StaffView, ChildView]:
    advocate = await _enrol(store)
    supervisor = await _enrol(store, 7_300_000_001, "Sam Supervisor", Role.SUPERVISOR)
    child = (await _try(store, 7_300_000_002, await _invite(store, advocate))).child
    return advocate, supervisor, child


async def _relay(
    store: Store, child: ChildView, tg_id: int, scanned: ScanResult | None = None
) -> relaying.Relayed:
    async with store.unit() as uow:
        result = await relaying.relay_from_child(
            uow, child, HELLO, tg_id, scanned=scanned, rules=RULES
        )
        await uow.commit()
    return result


async def test_a_linked_childs_message_goes_to_their_advocate_alone(store: Store) -> None:
    advocate, _, child = await _people(store)
    first = await _relay(store, child, 1)
    second = await _relay(store, child, 2)
    assert [r.id for r in first.readers] == [advocate.id]
    assert first.severity == "none"
    assert first.raised is None
    assert not (first.held)
    assert not (first.muted)
    assert not (first.tell_away)
    assert first.closed_until is None
    assert first.message_id != second.message_id


async def test_an_urgent_message_raises_an_alert_that_points_at_it(store: Store) -> None:
    _, _, child = await _people(store)
    result = await _relay(store, child, 1, URGENT)
    assert result.severity == "urgent"
    assert result.raised is not None
    assert result.raised.new
    assert result.raised.view.message_id == result.message_id
    async with store.unit() as uow:
        row = await uow.session.get(Alert, result.raised.view.id)
        assert row is not None
        assert row.message_id == result.message_id
    again = await _relay(store, child, 2, URGENT)
    # One open alert per sender: the next urgent message joins it.
    assert again.raised is not None
    assert not again.raised.new
    assert again.raised.view.id == result.raised.view.id


async def test_while_the_advocate_is_away_supervisors_read_and_the_child_is_told_once(
    store: Store,
) -> None:
    advocate, supervisor, child = await _people(store)
    async with store.unit() as uow:
        await people.set_away(uow, advocate, uow.now + timedelta(days=2))
        await uow.commit()
    first = await _relay(store, child, 1)
    second = await _relay(store, child, 2)
    assert [r.id for r in first.readers] == [advocate.id, supervisor.id]
    assert first.away_advocate is not None
    assert first.away_advocate.id == advocate.id
    assert first.tell_away
    assert not second.tell_away


async def test_an_unlinked_sender_past_the_hourly_limit_is_held_and_staff_told_once(
    store: Store,
) -> None:
    _, supervisor, _ = await _people(store)
    async with store.unit() as uow:
        stranger = await linking.register_unlinked(uow, 7_300_000_009, "en")
        await uow.commit()
    results = [await _relay(store, stranger, n) for n in range(1, 6)]
    assert [r.held for r in results] == [False, False, True, True, True]
    assert [r.tell_held for r in results] == [False, False, True, False, False]
    assert all([r.id for r in result.readers] == [supervisor.id] for result in results)


async def test_a_muted_sender_is_kept_and_raises_nothing(store: Store) -> None:
    _, supervisor, _ = await _people(store)
    async with store.unit() as uow:
        stranger = await linking.register_unlinked(uow, 7_300_000_009, "en")
        await uow.commit()
    async with store.unit() as uow:
        assert await attention.set_muted(uow, supervisor, stranger, True)
        await uow.commit()
    async with store.unit() as uow:
        muted = await people.get_child(uow, stranger.id)
    assert muted is not None
    assert muted.muted
    result = await _relay(store, muted, 1, URGENT)
    assert result.muted
    assert result.raised is None
    assert not result.readers
    async with store.unit() as uow:
        assert (await alerts.open_alerts(uow, supervisor)).total == 0


async def test_a_correction_reaches_the_readers_of_the_message_it_corrects(store: Store) -> None:
    advocate, _, child = await _people(store)
    sent = await _relay(store, child, 7)
    async with store.unit() as uow:
        unseen = await relaying.edit_from_child(uow, child, 8, HELLO, scanned=None, rules=RULES)
        edited = await relaying.edit_from_child(
            uow, child, 7, Content("text", "hello again"), scanned=URGENT, rules=RULES
        )
        await uow.commit()
    assert unseen is None
    assert edited is not None
    assert edited.message_id == sent.message_id
    assert [r.id for r in edited.readers] == [advocate.id]
    assert edited.raised is not None
    assert edited.raised.view.message_id == sent.message_id
