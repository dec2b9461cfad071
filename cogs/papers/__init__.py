"""The weekly paper club: /paper commands and the paper-of-the-week posts."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.papers.cog import PaperClub


async def setup(bot: StudyBot) -> None:
    """Load the PaperClub cog."""
    await bot.add_cog(PaperClub(bot))
