"""/admin fixtures: the bot with the paper club, Kaggle and admin features, and /admin status."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from tests.conftest import BotHarness, World
from tests.fakes.kaggle import FakeKaggle, RecordingSleep
from tests.simulator import DiscordSimulator, InteractionResult, SimUser

ADMIN_COGS = ("cogs.help", "cogs.papers", "cogs.kaggle", "cogs.admin")
KAGGLE_TOKEN = "kaggle-admin-test-token"


@pytest.fixture
async def harness(harness: BotHarness) -> AsyncIterator[BotHarness]:
    """The shared harness with the features /admin covers; Kaggle without credentials."""
    harness.cogs = ADMIN_COGS
    harness.sleep = RecordingSleep()
    harness.settings = harness.settings.model_copy(
        update={"kaggle_timeout_seconds": 2.0, "kaggle_max_retries": 1}
    )
    yield harness


@pytest.fixture
async def fake_kaggle() -> AsyncIterator[FakeKaggle]:
    """A local Kaggle API requiring the bearer token."""
    server = FakeKaggle(token=KAGGLE_TOKEN, page_size=3)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def live_kaggle(harness: BotHarness, fake_kaggle: FakeKaggle) -> BotHarness:
    """The harness with Kaggle credentials, pointed at the fake Kaggle API."""
    harness.settings = harness.settings.model_copy(
        update={
            "kaggle_api_token": SecretStr(KAGGLE_TOKEN),
            "kaggle_api_base": fake_kaggle.base_url,
        }
    )
    return harness


async def admin_status(
    sim: DiscordSimulator, world: World, user: SimUser | None = None
) -> InteractionResult:
    """Run /admin status as the admin (or `user`) and check it answered privately."""
    res = await sim.invoke(world.guild, user or world.admin, "admin status", {})
    assert res.ephemeral
    return res
