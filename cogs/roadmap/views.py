"""The /topic buttons: ◀ ▶ through the sections and through a long section's pages.

The buttons are `DynamicItem`s whose custom ids carry everything they need
(`roadmap:nav:4.6`, `roadmap:page:4.5:2`), so they keep working after a restart. The views
that carry them are stopped before they are sent: nothing is kept in memory per message.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, cast

import discord

from bot.errors import report_error

SECTION_ID = r"\d{1,3}\.\d{1,3}"
NAV_TEMPLATE = rf"roadmap:nav:(?P<section>{SECTION_ID})"
PAGE_TEMPLATE = rf"roadmap:page:(?P<section>{SECTION_ID}):(?P<page>\d{{1,4}})"
DONE_ID = "progress:done:{section}"


class TopicSource(Protocol):
    """What the buttons need from the Roadmap cog: a rendered /topic page."""

    async def topic_message(
        self, guild_id: int | None, section_id: str, page: int
    ) -> tuple[discord.Embed, discord.ui.View]:
        """The embed and buttons of one page of a section."""
        ...


def _source(interaction: discord.Interaction[Any]) -> TopicSource:
    cog = interaction.client.get_cog("Roadmap")
    if cog is None:
        raise RuntimeError("the Roadmap cog is not loaded")
    return cast(TopicSource, cog)


def is_requester(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member pressing a button is the one whose command made the message."""
    message = interaction.message
    metadata = message.interaction_metadata if message is not None else None
    return metadata is not None and metadata.user.id == interaction.user.id


async def show_topic_page(
    interaction: discord.Interaction[Any], section_id: str, page: int
) -> None:
    """Move the requester's message to a section page; show it privately to anyone else."""
    try:
        embed, view = await _source(interaction).topic_message(
            interaction.guild_id, section_id, page
        )
        if is_requester(interaction):
            await interaction.response.edit_message(
                embed=embed, view=view, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                embed=embed,
                view=view,
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
    except Exception as error:  # the one error path reports it
        await report_error(interaction, error)


class TopicNav(discord.ui.DynamicItem[discord.ui.Button[Any]], template=NAV_TEMPLATE):
    """◀ / ▶: open the previous or next section."""

    def __init__(self, section_id: str, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"roadmap:nav:{section_id}",
            )
        )
        self.section_id = section_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> TopicNav:
        """Rebuild the button from its custom id."""
        return cls(match["section"], getattr(item, "label", None) or match["section"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the section this button points to."""
        await show_topic_page(interaction, self.section_id, 0)


class TopicPage(discord.ui.DynamicItem[discord.ui.Button[Any]], template=PAGE_TEMPLATE):
    """◁ / ▷: turn the page of a section too long for one embed."""

    def __init__(self, section_id: str, page: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.primary,
                custom_id=f"roadmap:page:{section_id}:{page}",
            )
        )
        self.section_id = section_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
    ) -> TopicPage:
        """Rebuild the button from its custom id."""
        page = int(match["page"])
        return cls(match["section"], page, getattr(item, "label", None) or str(page + 1))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Show the page this button points to."""
        await show_topic_page(interaction, self.section_id, self.page)


def _disabled(label: str, custom_id: str, row: int) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=label,
        style=discord.ButtonStyle.secondary,
        custom_id=custom_id,
        disabled=True,
        row=row,
    )


def topic_view(
    section_id: str,
    previous_id: str | None,
    next_id: str | None,
    *,
    page: int,
    page_count: int,
    show_done: bool,
) -> discord.ui.View:
    """The buttons under a /topic page: sections ◀ ✅ ▶, then pages ◁ ▷ when there are more."""
    view = discord.ui.View(timeout=None)
    # Stopped at once: the dynamic items answer every press, so the view is never stored.
    view.stop()
    if previous_id is not None:
        nav = TopicNav(previous_id, f"◀ {previous_id}")
        nav.row = 0
        view.add_item(nav)
    else:
        view.add_item(_disabled("◀", "roadmap:nav:first", 0))
    if show_done:
        view.add_item(
            discord.ui.Button(
                label="Mark done",
                emoji="✅",
                style=discord.ButtonStyle.success,
                custom_id=DONE_ID.format(section=section_id),
                row=0,
            )
        )
    if next_id is not None:
        nav = TopicNav(next_id, f"{next_id} ▶")
        nav.row = 0
        view.add_item(nav)
    else:
        view.add_item(_disabled("▶", "roadmap:nav:last", 0))
    if page_count > 1:
        if page > 0:
            turn = TopicPage(section_id, page - 1, f"◁ Page {page}")
            turn.row = 1
            view.add_item(turn)
        else:
            view.add_item(_disabled("◁ Page", "roadmap:page:first", 1))
        view.add_item(_disabled(f"{page + 1} / {page_count}", "roadmap:page:at", 1))
        if page + 1 < page_count:
            turn = TopicPage(section_id, page + 1, f"Page {page + 2} ▷")
            turn.row = 1
            view.add_item(turn)
        else:
            view.add_item(_disabled("Page ▷", "roadmap:page:last", 1))
    return view
