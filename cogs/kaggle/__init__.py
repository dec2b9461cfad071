"""Kaggle challenges: new competitions announced once, deadline reminders, a weekly challenge."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.kaggle.cog import Kaggle


async def setup(bot: StudyBot) -> None:
    """Load the Kaggle cog."""
    await bot.add_cog(Kaggle(bot))
