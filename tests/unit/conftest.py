"""The rules' unit tests run on the in-memory unit of work (`conversations.fakes`)."""

from __future__ import annotations

import pytest

from conversations import linking, people
from conversations.fakes import FakeUnitOfWork
from conversations.people import ChildView, Role, StaffView


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


async def enrol(
    uow: FakeUnitOfWork, telegram_id: int, name: str, role: Role = Role.ADVOCATE
) -> StaffView:
    return await people.add_staff(uow, telegram_id=telegram_id, name=name, role=role)


async def linked_child(
    uow: FakeUnitOfWork, advocate: StaffView, telegram_id: int, nickname: str = "Star"
) -> ChildView:
    code = (await linking.create_invite(uow, advocate, nickname)).code
    return (await linking.link_child(uow, telegram_id, code, "en")).child
