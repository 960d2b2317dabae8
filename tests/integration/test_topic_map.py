"""The map from (staff member, young person) to a topic of the staff member's chat, on
SQLite, PostgreSQL and the fake, and the gate a message written in a topic passes."""

from __future__ import annotations

import pytest

from conversations.errors import AccessDenied
from conversations.topics import access_child_by_topic
from tests.integration import test_repositories as contract
from tests.integration.test_repositories import CHILD, OMAR, OTHER, ROSA, Backend, _staff

# The contract suite's stores: SQLite, PostgreSQL and the fake.
backend = contract.backend


async def test_each_young_person_has_one_topic_per_staff_member(backend: Backend) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        omar = await uow.staff.add(_staff(OMAR, "Omar"))
        ana = await uow.children.add(
            telegram_id=CHILD, ref="K7F", nickname="Star", locale="en", advocate_id=rosa.id
        )
        bea = await uow.children.add(
            telegram_id=OTHER, ref="M2N", nickname="Moon", locale="en", advocate_id=rosa.id
        )
        await uow.topics.remember(rosa.id, ana.id, 10)
        await uow.topics.remember(rosa.id, bea.id, 11)
        # Another chat numbers its topics on its own: the same id is another topic.
        await uow.topics.remember(omar.id, ana.id, 10)
    async with backend.unit() as uow:
        assert await uow.topics.thread(rosa.id, ana.id) == 10
        assert await uow.topics.thread(rosa.id, bea.id) == 11
        assert await uow.topics.child(rosa.id, 11) == bea.id
        assert await uow.topics.child(omar.id, 10) == ana.id
        assert await uow.topics.child(omar.id, 11) is None
        assert await uow.topics.thread(omar.id, bea.id) is None

        # A deleted topic is replaced: the new one answers, the old one no longer does.
        await uow.topics.remember(rosa.id, ana.id, 20)
    async with backend.unit() as uow:
        assert await uow.topics.thread(rosa.id, ana.id) == 20
        assert await uow.topics.child(rosa.id, 10) is None
        # Forgetting a topic already replaced leaves its replacement alone.
        await uow.topics.forget(rosa.id, ana.id, 10)
        assert await uow.topics.thread(rosa.id, ana.id) == 20
        await uow.topics.forget(rosa.id, ana.id, 20)
    async with backend.unit() as uow:
        assert await uow.topics.thread(rosa.id, ana.id) is None
        assert await uow.topics.thread(rosa.id, bea.id) == 11
        # Every topic that shows a young person, in whoever's chat: what goes when they do.
        assert await uow.topics.of_child(ana.id) == [(omar.id, 10)]
        assert await uow.topics.of_child(bea.id) == [(rosa.id, 11)]
        # Every topic of a staff member's chat: what goes when they leave the staff.
        assert await uow.topics.of_staff(rosa.id) == [(bea.id, 11)]
        assert await uow.topics.of_staff(omar.id) == [(ana.id, 10)]


async def test_a_topic_reaches_only_a_young_person_its_writer_may_act_for(
    backend: Backend,
) -> None:
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        omar = await uow.staff.add(_staff(OMAR, "Omar"))
        ana = await uow.children.add(
            telegram_id=CHILD, ref="K7F", nickname="Star", locale="en", advocate_id=rosa.id
        )
        await uow.topics.remember(rosa.id, ana.id, 10)
    async with backend.unit() as uow:
        assert (await access_child_by_topic(uow, rosa, 10)).id == ana.id
        with pytest.raises(AccessDenied) as unknown:
            await access_child_by_topic(uow, rosa, 99)
        # Omar's chat has no topic 10; and Rosa's topic is not his to use.
        with pytest.raises(AccessDenied) as not_his:
            await access_child_by_topic(uow, omar, 10)
        assert str(unknown.value) == str(not_his.value)
        await uow.children.hand_to(ana.id, omar.id)
    async with backend.unit() as uow:
        # Handed over: Rosa's old topic reaches no one.
        with pytest.raises(AccessDenied):
            await access_child_by_topic(uow, rosa, 10)


async def test_a_retired_topic_shows_no_one_and_still_refuses(backend: Backend) -> None:
    """Telegram would not delete it: a fresh topic replaces it, while it stays known (to refuse
    whoever writes in it) until it is deleted after all, or its staff member or young person
    goes."""
    async with backend.unit() as uow:
        rosa = await uow.staff.add(_staff(ROSA, "Rosa"))
        ana = await uow.children.add(
            telegram_id=CHILD, ref="K7F", nickname="Star", locale="en", advocate_id=rosa.id
        )
        bea = await uow.children.add(
            telegram_id=OTHER, ref="M2N", nickname="Moon", locale="en", advocate_id=rosa.id
        )
        await uow.topics.remember(rosa.id, ana.id, 10)
        await uow.topics.retire(rosa.id, ana.id, 10)
        # Retiring one already retired, or one the map does not hold, changes nothing.
        await uow.topics.retire(rosa.id, ana.id, 10)
        await uow.topics.retire(rosa.id, bea.id, 10)
    async with backend.unit() as uow:
        assert await uow.topics.thread(rosa.id, ana.id) is None
        assert await uow.topics.child(rosa.id, 10) is None
        assert await uow.topics.ours(rosa.id, 10)
        assert not await uow.topics.ours(rosa.id, 11)
        # A fresh topic for Ana; the retired one stays beside it, and may be retired in turn.
        await uow.topics.remember(rosa.id, ana.id, 20)
        await uow.topics.retire(rosa.id, ana.id, 20)
        await uow.topics.remember(rosa.id, ana.id, 30)
    async with backend.unit() as uow:
        assert await uow.topics.thread(rosa.id, ana.id) == 30
        assert await uow.topics.child(rosa.id, 30) == ana.id
        assert all([await uow.topics.ours(rosa.id, t) for t in (10, 20, 30)])
        assert sorted(await uow.topics.of_child(ana.id)) == [(rosa.id, t) for t in (10, 20, 30)]
        assert sorted(await uow.topics.of_staff(rosa.id)) == [(ana.id, t) for t in (10, 20, 30)]
        # Deleted after all: forgotten. A topic id Telegram gives again is a new topic.
        await uow.topics.forget(rosa.id, ana.id, 10)
        await uow.topics.remember(rosa.id, bea.id, 20)
    async with backend.unit() as uow:
        assert not await uow.topics.ours(rosa.id, 10)
        assert await uow.topics.child(rosa.id, 20) == bea.id
        assert await uow.topics.of_child(ana.id) == [(rosa.id, 30)]
