"""The weekly paper club: /paper and /admin paper commands, and the paper-of-the-week posts."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.admin.group import attach, detach
from cogs.papers.cog import PaperAdmin, PaperClub


async def setup(bot: StudyBot) -> None:
    """Load the PaperClub cog and put its admin commands under /admin."""
    club = PaperClub(bot)
    await bot.add_cog(club)
    attach(bot, PaperAdmin(club))


async def teardown(bot: StudyBot) -> None:
    """Take the paper club's admin commands off /admin."""
    detach(bot, "paper")
