"""The ✅ button on /topic messages: `progress:done:<section id>`, handled after any restart.

The roadmap feature renders the button (for example with `done_button(section_id)`); this
module's `DoneButton` is registered with `bot.add_dynamic_items` by the Progress cog, so a press
works on any message that carries the custom id, however old.

Put `done_button(...)` (a plain button) in a view, not a `DoneButton` instance: discord.py
forgets a dynamic item's registration when a view that contains one times out or stops.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

import discord

from bot.errors import UserFacingError, report_error

DONE_PREFIX = "progress:done:"
DONE_TEMPLATE = r"progress:done:(?P<section>[0-9]+\.[0-9]+)"
DONE_LABEL = "Mark done"


def done_custom_id(section_id: str) -> str:
    """The custom id of the ✅ button for a section."""
    return f"{DONE_PREFIX}{section_id}"


def done_button(section_id: str, *, row: int | None = None) -> discord.ui.Button[Any]:
    """A ✅ button for a section, to put in a /topic message's view."""
    return discord.ui.Button(
        label=DONE_LABEL,
        emoji="✅",
        style=discord.ButtonStyle.success,
        custom_id=done_custom_id(section_id),
        row=row,
    )


class DoneHandler(Protocol):
    """What the button needs from the Progress cog."""

    async def done_by_id(self, interaction: discord.Interaction[Any], section_id: str) -> None:
        """Mark a section done for the member who pressed, and reply privately."""


class DoneButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=DONE_TEMPLATE):
    """A press on any `progress:done:<id>` button does what /done does for the presser."""

    def __init__(self, section_id: str) -> None:
        super().__init__(done_button(section_id))
        self.section_id = section_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> DoneButton:
        """Rebuild the button from the pressed custom id."""
        return cls(match["section"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Mark the section done for the presser, errors going through the one error path."""
        try:
            handler: Any = interaction.client.get_cog("Progress")
            if handler is None or not hasattr(handler, "done_by_id"):
                raise UserFacingError(
                    "Progress tracking isn't available right now; try `/done` in a minute."
                )
            await handler.done_by_id(interaction, self.section_id)
        except Exception as error:  # the dynamic-item dispatcher would only log it
            await report_error(interaction, error)
