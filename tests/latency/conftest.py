"""Fixtures for the latency suite: live Kaggle (a fake), a roadmap with one long section."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.fakes.kaggle import FakeKaggle
from tests.latency.stage import kaggle_records, long_section_roadmap

KAGGLE_TOKEN = "kaggle-latency-token"


@pytest.fixture
async def fake_kaggle() -> AsyncIterator[FakeKaggle]:
    """A local Kaggle API with seven active competitions."""
    server = FakeKaggle(token=KAGGLE_TOKEN, competitions=kaggle_records())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(settings: Settings, fake_kaggle: FakeKaggle, tmp_path: Path) -> Settings:
    """The shared settings with Kaggle credentials and a roadmap with a long section."""
    return settings.model_copy(
        update={
            "kaggle_api_token": SecretStr(KAGGLE_TOKEN),
            "kaggle_api_base": fake_kaggle.base_url,
            "roadmap": long_section_roadmap(tmp_path / "roadmap.md"),
        }
    )
