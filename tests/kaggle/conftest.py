"""Fixtures for the Kaggle feature: a fake Kaggle API and the bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from cogs.kaggle.cog import Kaggle
from tests.conftest import BotHarness, TestStudyBot
from tests.fakes.kaggle import FakeKaggle, RecordingSleep

KAGGLE_TOKEN = "kaggle-test-token"
KAGGLE_COGS = ("cogs.help", "cogs.kaggle")


@pytest.fixture
async def fake_kaggle() -> AsyncIterator[FakeKaggle]:
    """A local Kaggle API requiring the bearer token, three records a page."""
    server = FakeKaggle(token=KAGGLE_TOKEN, page_size=3)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(settings: Settings, fake_kaggle: FakeKaggle) -> Settings:
    """The shared settings with Kaggle credentials and the fake Kaggle API."""
    return settings.model_copy(
        update={
            "kaggle_api_token": SecretStr(KAGGLE_TOKEN),
            "kaggle_api_base": fake_kaggle.base_url,
        }
    )


@pytest.fixture
def no_credentials(settings: Settings) -> Settings:
    """The same settings without any Kaggle credentials."""
    return settings.model_copy(
        update={"kaggle_api_token": None, "kaggle_username": None, "kaggle_key": None}
    )


@pytest.fixture
def kaggle_sleep() -> RecordingSleep:
    """The backoff sleeps the bot's Kaggle client asked for."""
    return RecordingSleep()


@pytest.fixture
def kaggle_harness(harness: BotHarness, kaggle_sleep: RecordingSleep) -> BotHarness:
    """The harness with the Kaggle cog, a non-waiting backoff and a short HTTP timeout."""
    harness.cogs = KAGGLE_COGS
    harness.sleep = kaggle_sleep
    harness.settings = harness.settings.model_copy(
        update={"kaggle_timeout_seconds": 2.0, "kaggle_max_retries": 2}
    )
    return harness


async def start(harness: BotHarness, **options: Any) -> tuple[TestStudyBot, Kaggle]:
    """Start (or restart) the bot and wait for its start-up poll; returns the bot and cog."""
    if options:
        harness.settings = harness.settings.model_copy(update=options)
    bot = await (harness.restart() if harness.bot is not None else harness.start())
    cog = bot.get_cog("Kaggle")
    # A restart re-imports the extension, so compare by name rather than by class object.
    assert cog is not None and type(cog).__name__ == "Kaggle"
    await cog.settled()  # type: ignore[attr-defined]
    return bot, cast(Kaggle, cog)


def record(
    slug: str,
    title: str,
    *,
    category: str = "Featured",
    deadline: str | None = "2027-03-31T23:59:00Z",
    **fields: Any,
) -> dict[str, Any]:
    """A competition record in the shape Kaggle's API answers."""
    data: dict[str, Any] = {
        "ref": f"https://www.kaggle.com/competitions/{slug}",
        "title": title,
        "url": f"https://www.kaggle.com/competitions/{slug}",
        "category": category,
        "reward": "$10,000",
        "enabledDate": "2026-11-20T00:00:00Z",
        "teamCount": 12,
    }
    if deadline is not None:
        data["deadline"] = deadline
    data.update(fields)
    return data
