"""The /help feature."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.help.cog import Help


async def setup(bot: StudyBot) -> None:
    """Load the Help cog."""
    await bot.add_cog(Help(bot))
