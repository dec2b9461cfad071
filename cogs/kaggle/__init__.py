"""Kaggle challenges: new competitions announced once, deadline reminders, a weekly challenge."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.admin.group import attach, detach
from cogs.kaggle.cog import Kaggle, KaggleAdmin


async def setup(bot: StudyBot) -> None:
    """Load the Kaggle cog and put its admin commands under /admin."""
    feature = Kaggle(bot)
    await bot.add_cog(feature)
    attach(bot, KaggleAdmin(feature))


async def teardown(bot: StudyBot) -> None:
    """Take the Kaggle admin commands off /admin."""
    detach(bot, "kaggle")
