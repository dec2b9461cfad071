"""The progress feature (being built)."""

from __future__ import annotations

from bot.client import StudyBot


async def setup(bot: StudyBot) -> None:
    """Load the feature's cog."""
