"""A store on each database, with fresh keys: for tests that drive the services directly."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import pytest

from conversations.store import Store, StoreConfig
from tests.integration.test_store import SetClock


@pytest.fixture
def config(database_url: str) -> StoreConfig:
    return StoreConfig(database_url, secrets.token_bytes(32), secrets.token_bytes(32))


@pytest.fixture
async def store(config: StoreConfig) -> AsyncIterator[Store]:
    opened = await Store.open(config, SetClock())
    yield opened
    await opened.close()
