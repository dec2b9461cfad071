"""Members' own data: /privacy hide|show|export|delete, over every feature's member data."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.privacy.cog import Privacy

__all__ = ["Privacy", "setup"]


async def setup(bot: StudyBot) -> None:
    """Load the Privacy cog."""
    await bot.add_cog(Privacy(bot))
