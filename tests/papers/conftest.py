"""Paper-club fixtures: the bot with only the papers feature, arXiv unthrottled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import cast

import pytest

from bot.settings import Settings
from cogs.papers.cog import PaperClub
from tests.conftest import BotHarness, TestStudyBot
from tests.simulator import (
    DiscordSimulator,
    InteractionResult,
    SimChannel,
    SimGuild,
    SimMessage,
    SimRole,
    SimUser,
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings (no pause between arXiv calls) with a shorter arXiv timeout."""
    return settings.model_copy(update={"arxiv_timeout_seconds": 5.0})


@pytest.fixture
async def harness(harness: BotHarness) -> AsyncIterator[BotHarness]:
    """The shared harness, loading the papers feature alone."""
    harness.cogs = ("cogs.papers",)
    yield harness


def paper_club(bot: TestStudyBot) -> PaperClub:
    """The running PaperClub cog (loading an extension imports its modules afresh)."""
    cog = bot.get_cog("PaperClub")
    assert cog is not None and type(cog).__name__ == "PaperClub"
    return cast(PaperClub, cog)


async def schedule_posts(
    sim: DiscordSimulator,
    guild: SimGuild,
    admin: SimUser,
    channel: SimChannel,
    *,
    weekday: int = 1,
    time: str = "18:00",
    timezone: str = "Europe/Berlin",
    role: SimRole | None = None,
) -> InteractionResult:
    """Run /admin paper schedule as an admin and check that it was accepted."""
    options: dict[str, object] = {
        "channel": channel,
        "weekday": weekday,
        "time": time,
        "timezone": timezone,
    }
    if role is not None:
        options["role"] = role
    res = await sim.invoke(guild, admin, "admin paper schedule", options)
    assert res.ephemeral
    assert "paper of the week goes to" in res.content, res.content
    return res


def bot_posts(sim: DiscordSimulator, channel: SimChannel) -> list[SimMessage]:
    """Messages the bot posted in a channel (not interaction answers)."""
    return [
        m
        for m in sim.messages_in(channel)
        if m.author_id == sim.bot_user.id and m.interaction_id is None
    ]
