"""Server set-up: the /admin command (hidden from members) and /admin status."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.admin.cog import Admin


async def setup(bot: StudyBot) -> None:
    """Load the Admin cog."""
    await bot.add_cog(Admin(bot))
