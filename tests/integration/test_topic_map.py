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
