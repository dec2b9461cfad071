"""Group progress: /done, /undo, /progress, /rank, /who and the ✅ button."""

from __future__ import annotations

from bot.client import StudyBot
from cogs.progress.cog import Progress
from cogs.progress.views import DoneButton, done_button, done_custom_id

__all__ = ["DoneButton", "Progress", "done_button", "done_custom_id", "setup"]


async def setup(bot: StudyBot) -> None:
    """Load the Progress cog."""
    await bot.add_cog(Progress(bot))
