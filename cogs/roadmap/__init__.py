"""The roadmap feature: /topic, /phase, /roadmap, /path, /resources, /tips and /search."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.roadmap.cog import Roadmap


async def setup(bot: StudyBot) -> None:
    """Load the Roadmap cog."""
    await bot.add_cog(Roadmap(bot))
