"""The Progress cog: /done, /undo, /progress, /rank, /who and the ✅ button."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable

import discord
from discord import app_commands
from discord.app_commands import Choice
from discord.ext import commands

from bot.checks import require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.text import plain
from bot.ui import Paginator
from cogs.progress import embeds
from cogs.progress.card import render_card
from cogs.progress.repo import MemberRecord, ProgressRepo
from cogs.progress.stats import (
    Period,
    RankFacts,
    next_section,
    period_key,
    phase_progress,
    weekly_streak,
)
from cogs.progress.views import DoneButton
from roadmap.lookup import SectionNotFound
from roadmap.model import Section

log = logging.getLogger(__name__)

NONE = discord.AllowedMentions.none()
CARD_FILE = "progress.png"
PERIOD_CHOICES = [
    Choice(name="This week (Monday–Sunday, UTC)", value="week"),
    Choice(name="This month (UTC)", value="month"),
    Choice(name="All time", value="all"),
]
SECTION_HELP = "A section id like 4.5, a title, or a word like transformer"

Interaction = discord.Interaction[StudyBot]


class Progress(commands.Cog, name="Progress"):
    """Group progress: members mark roadmap sections done and see each other move.

    For other features:

    * ``await finished_count(guild_id, section_id)`` — how many members finished a section.
      Hidden members are left out, so the number matches the list /who shows. It is usually
      answered from memory (/topic asks on every call): exact for this process's own writes,
      and within a few seconds for another process's on a shared PostgreSQL database.
    * Its repository is registered as the feature's member data (``bot.member_data``, for
      /privacy export and delete) and as the listing /privacy hide and show leave and rejoin.
    * "Papers read" on /rank comes from the PaperClub cog's
      ``async papers_read(guild_id, user_id) -> int`` when that cog is loaded, else 0.

    Periods are calendar periods in UTC (ISO week from Monday 00:00, calendar month). Points in
    a period are the sections marked done in it; an undo takes the point off the period in which
    the section was originally done.
    """

    help_title = "Group progress"

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        sections = bot.roadmap.sections
        self.repo = ProgressRepo(
            bot.db,
            [section.id for section in sections],
            titles={section.id: section.title for section in sections},
        )

    async def cog_load(self) -> None:
        """Bring the counters in line with the roadmap, handle ✅ presses, register the data."""
        if await self.repo.ensure_counters():
            log.info("the roadmap's sections changed: progress counters recomputed")
        self.bot.add_dynamic_items(DoneButton)
        self.bot.member_data.register(self.qualified_name, self.repo, listing=self.repo)

    async def cog_unload(self) -> None:
        """Stop handling ✅ presses and leave the member data registry."""
        self.bot.member_data.unregister(self.qualified_name)
        self.bot.remove_dynamic_items(DoneButton)

    # -- shared helpers ---------------------------------------------------------------------

    def _resolve(self, query: str, command: str) -> Section:
        """The section a query means, or a user error listing the closest ones."""
        try:
            return self.bot.sections.resolve(query)
        except SectionNotFound as missing:
            raise UserFacingError(
                embeds.not_found_text(query, missing.suggestions, command)
            ) from None

    async def _section_choices(self, interaction: Interaction, current: str) -> list[Choice[str]]:
        """The same section autocomplete as /topic."""
        return [
            Choice(name=name, value=value)
            for name, value in self.bot.sections.autocomplete(current)
        ]

    async def _refresh_name(self, interaction: Interaction, guild_id: int) -> None:
        await self.repo.refresh_name(
            guild_id, interaction.user.id, interaction.user.display_name, self.bot.clock()
        )

    async def _reply(self, interaction: Interaction, content: str) -> None:
        """A private reply, also when something else already acknowledged the interaction."""
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=NONE)
            return
        try:
            await interaction.response.send_message(content, ephemeral=True, allowed_mentions=NONE)
        except discord.InteractionResponded:
            await interaction.followup.send(content, ephemeral=True, allowed_mentions=NONE)

    async def _mark(self, interaction: Interaction, section: Section) -> None:
        guild_id = require_guild(interaction)
        change = await self.repo.mark_done(
            guild_id,
            interaction.user.id,
            interaction.user.display_name,
            section.id,
            self.bot.clock(),
        )
        await self._reply(interaction, embeds.done_reply(section, change))

    # -- public API -------------------------------------------------------------------------

    async def finished_count(self, guild_id: int, section_id: str) -> int:
        """How many members (hidden ones left out) finished a section in a guild."""
        return await self.repo.finished_count(guild_id, section_id)

    async def done_by_id(self, interaction: Interaction, section_id: str) -> None:
        """What /done does, for the ✅ button of a section id."""
        section = self.bot.roadmap.section(section_id)
        if section is None:
            raise UserFacingError(
                f"Section {section_id} is not in the roadmap any more. "
                "Use `/roadmap` to see the current sections and `/done` to mark one."
            )
        await self._mark(interaction, section)

    # -- /done /undo ------------------------------------------------------------------------

    @app_commands.command(name="done", description="Mark a roadmap section done for yourself")
    @app_commands.describe(section=SECTION_HELP)
    async def done(self, interaction: Interaction, section: str) -> None:
        """Mark a section done (idempotent) and show the new % and rank."""
        require_guild(interaction)
        await self._mark(interaction, self._resolve(section, "done"))

    @app_commands.command(name="undo", description="Unmark a roadmap section you marked done")
    @app_commands.describe(section=SECTION_HELP)
    async def undo(self, interaction: Interaction, section: str) -> None:
        """Unmark a section and show the new % and rank."""
        guild_id = require_guild(interaction)
        found = self._resolve(section, "undo")
        change = await self.repo.undo(
            guild_id,
            interaction.user.id,
            interaction.user.display_name,
            found.id,
            self.bot.clock(),
        )
        await self._reply(interaction, embeds.undo_reply(found, change))

    done.autocomplete("section")(_section_choices)
    undo.autocomplete("section")(_section_choices)

    # -- /progress --------------------------------------------------------------------------

    @app_commands.command(name="progress", description="The server's leaderboard")
    @app_commands.describe(period="This week, this month or all time (the default)")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def progress(self, interaction: Interaction, period: Choice[str] | None = None) -> None:
        """Show the leaderboard for a period, ten a page, with the caller's own rank."""
        guild_id = require_guild(interaction)
        chosen: Period = "all"
        if period is not None and period.value in ("week", "month"):
            chosen = "week" if period.value == "week" else "month"
        now = self.bot.clock()
        key = period_key(chosen, now)
        caller = interaction.user.id
        await self._refresh_name(interaction, guild_id)
        board = await self.repo.board(guild_id, key, 0, caller, embeds.PAGE_SIZE)
        embed = embeds.board_embed(board, chosen, now, caller)

        async def render(page: int) -> discord.Embed:
            shown = await self.repo.board(guild_id, key, page, caller, embeds.PAGE_SIZE)
            return embeds.board_embed(shown, chosen, now, caller)

        await self._send_pages(interaction, embed, board.page_count, render, ephemeral=False)

    async def _send_pages(
        self,
        interaction: Interaction,
        embed: discord.Embed,
        page_count: int,
        render: Callable[[int], Awaitable[discord.Embed]],
        *,
        ephemeral: bool,
    ) -> None:
        if page_count <= 1:
            await interaction.response.send_message(
                embed=embed, ephemeral=ephemeral, allowed_mentions=NONE
            )
            return
        view = Paginator(interaction.user.id, page_count, render)
        callback = await interaction.response.send_message(
            embed=embed, view=view, ephemeral=ephemeral, allowed_mentions=NONE
        )
        if isinstance(callback.resource, discord.InteractionMessage):
            view.message = callback.resource

    # -- /rank ------------------------------------------------------------------------------

    @app_commands.command(name="rank", description="A progress card: yours or a member's")
    @app_commands.describe(member="Whose card to show (default: yours)")
    async def rank(self, interaction: Interaction, member: discord.Member | None = None) -> None:
        """Show a member's progress card (PNG) with the same facts as text."""
        guild_id = require_guild(interaction)
        target: discord.abc.User = member if member is not None else interaction.user
        if target.bot:
            raise UserFacingError(
                "Bots don't work through the roadmap. Pick a member, or leave `member` empty "
                "for your own card."
            )
        own = target.id == interaction.user.id
        # One read decides who may see the card; everything slower (name updates, the facts,
        # rendering and uploading the PNG) comes after the acknowledgement, so the card never
        # risks Discord's 3-second window. The deferral already fixes the card's visibility.
        record = await self.repo.member(guild_id, target.id)
        hidden = record is not None and record.hidden
        if hidden and not own:
            raise UserFacingError(
                f"{plain(target.display_name)} keeps their progress private, so there is no "
                "card to show. Try `/rank` for your own."
            )
        await interaction.response.defer(thinking=True, ephemeral=hidden)
        now = self.bot.clock()
        await self._refresh_name(interaction, guild_id)
        if not own:
            await self.repo.refresh_name(guild_id, target.id, target.display_name, now)
        facts = await self._rank_facts(guild_id, target, record)
        png = await asyncio.to_thread(render_card, facts)
        file = discord.File(
            io.BytesIO(png),
            filename=CARD_FILE,
            description=f"Progress card: {facts.percent}% of the roadmap",
        )
        await interaction.followup.send(
            embed=embeds.rank_embed(facts, CARD_FILE),
            file=file,
            ephemeral=hidden,
            allowed_mentions=NONE,
        )

    async def _rank_facts(
        self, guild_id: int, target: discord.abc.User, record: MemberRecord | None
    ) -> RankFacts:
        counted = [
            c for c in (record.completions if record else []) if c.section_id in self.repo.counted
        ]
        done_ids = {c.section_id for c in counted}
        standing = await self.repo.standing(guild_id, target.id)
        upcoming = next_section(self.bot.roadmap, done_ids)
        return RankFacts(
            name=target.display_name,
            done=len(done_ids),
            total=len(self.repo.counted),
            phases=phase_progress(self.bot.roadmap, done_ids),
            papers_read=await self._papers_read(guild_id, target.id),
            streak=weekly_streak((c.done_at for c in counted), self.bot.clock()),
            next_section=(upcoming.id, upcoming.title) if upcoming else None,
            rank=standing.rank,
            board_size=standing.board_size,
            hidden=standing.hidden,
        )

    async def _papers_read(self, guild_id: int, user_id: int) -> int | None:
        papers = self.bot.get_cog("PaperClub")
        read = getattr(papers, "papers_read", None)
        if papers is None or read is None:
            return 0
        try:
            return int(await read(guild_id, user_id))
        except Exception:
            log.exception("papers_read failed for guild %s", guild_id)
            return None

    # -- /who -------------------------------------------------------------------------------

    @app_commands.command(name="who", description="Members who finished a section: who to ask")
    @app_commands.describe(section=SECTION_HELP)
    async def who(self, interaction: Interaction, section: str) -> None:
        """List the members who finished a section, most recent first."""
        guild_id = require_guild(interaction)
        found = self._resolve(section, "who")
        await self._refresh_name(interaction, guild_id)
        total = await self.repo.finished_count(guild_id, found.id)
        size = embeds.WHO_PAGE_SIZE
        page_count = max(1, -(-total // size))

        async def render(page: int) -> discord.Embed:
            finishers = await self.repo.finishers(guild_id, found.id, page * size, size)
            return embeds.who_embed(found, finishers, total, page, page_count)

        await self._send_pages(interaction, await render(0), page_count, render, ephemeral=True)

    who.autocomplete("section")(_section_choices)
