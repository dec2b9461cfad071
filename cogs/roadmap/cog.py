"""The Roadmap cog: /topic, /phase, /roadmap, /path, /resources, /tips and /search."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.text import clip, plain
from bot.ui import Paginator
from cogs.roadmap import embeds
from cogs.roadmap.views import TopicNav, TopicPage, topic_view
from roadmap.lookup import SectionNotFound, normalize
from roadmap.model import ResourceCategory, Section

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
QUERY_LIMIT = 100
CHOICE_LIMIT = 25
CHOICE_NAME_LIMIT = 100
SENT_PAGE_CACHE = 1024

FinishedCount = Callable[[int, str], Awaitable[int]]


class Roadmap(commands.Cog):
    """Look up any part of the roadmap."""

    help_title = "Roadmap lookup"

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        sections = bot.roadmap.sections
        self._sections = {section.id: section for section in sections}
        self._position = {section.id: index for index, section in enumerate(sections)}
        self._titles = {section.id: section.title for section in sections}
        # Everything below depends only on the roadmap (and the finished count), so /topic
        # renders each page once and then reuses it: embeds and views are only read on send.
        self._pages: dict[str, list[discord.Embed]] = {}
        self._views: dict[tuple[str, int, bool], discord.ui.View] = {}
        self._sent_pages: OrderedDict[tuple[str, int, int | None], discord.Embed] = OrderedDict()

    async def cog_load(self) -> None:
        """Answer the /topic buttons of every message, including those sent before a restart."""
        self.bot.add_dynamic_items(TopicNav, TopicPage)

    async def cog_unload(self) -> None:
        """Stop answering the /topic buttons."""
        self.bot.remove_dynamic_items(TopicNav, TopicPage)

    # -- helpers used by the commands and the buttons ---------------------------------------

    def find_section(self, query: str) -> Section:
        """The section a member means, or a user error listing the closest ones."""
        if len(query) > QUERY_LIMIT:
            raise UserFacingError(
                f"That is too long for a section name ({len(query)} characters). Type a section "
                "id such as `/topic 4.5` or a word like `transformer`."
            )
        try:
            return self.bot.sections.resolve(query)
        except SectionNotFound as missing:
            example = self.bot.roadmap.sections[0].id if self.bot.roadmap.sections else "1.1"
            raise UserFacingError(
                embeds.not_found_message(query, missing.suggestions, example)
            ) from None

    def section_pages(self, section: Section) -> list[discord.Embed]:
        """The cached /topic pages of a section."""
        pages = self._pages.get(section.id)
        if pages is None:
            pages = embeds.section_pages(self.bot.roadmap, section)
            self._pages[section.id] = pages
        return pages

    def _finished_counter(self) -> FinishedCount | None:
        cog = self.bot.get_cog("Progress")
        method = getattr(cog, "finished_count", None) if cog is not None else None
        return method if callable(method) else None

    async def finished_count(self, guild_id: int | None, section_id: str) -> int | None:
        """How many members of the server finished a section; None without the Progress cog."""
        counter = self._finished_counter()
        if counter is None or guild_id is None:
            return None
        try:
            return int(await counter(guild_id, section_id))
        except Exception:  # the section is still worth showing without it
            log.warning("finished count for %s unavailable", section_id, exc_info=True)
            return None

    async def topic_message(
        self, guild_id: int | None, section_id: str, page: int
    ) -> tuple[discord.Embed, discord.ui.View]:
        """The embed and buttons of one page of a section (used by /topic and its buttons)."""
        section = self._sections.get(section_id)
        if section is None:
            raise UserFacingError(
                f"Section {section_id} is not in this server's roadmap any more. "
                "Type `/roadmap` to see the sections, then `/topic <id>`."
            )
        pages = self.section_pages(section)
        page = min(max(0, page), len(pages) - 1)
        finished = await self.finished_count(guild_id, section.id)
        embed = self._sent_page(section, pages, page, finished)
        show_done = self.bot.get_cog("Progress") is not None
        view = self._views.get((section.id, page, show_done))
        if view is None:
            previous_id, next_id = self.bot.roadmap.neighbours(section.id)
            view = topic_view(
                section.id,
                previous_id,
                next_id,
                page=page,
                page_count=len(pages),
                show_done=show_done,
            )
            self._views[(section.id, page, show_done)] = view
        return embed, view

    def _sent_page(
        self, section: Section, pages: list[discord.Embed], page: int, finished: int | None
    ) -> discord.Embed:
        """A page with its footer and finished count, from a small cache of recent ones."""
        key = (section.id, page, finished)
        embed = self._sent_pages.get(key)
        if embed is not None:
            self._sent_pages.move_to_end(key)
            return embed
        position = f"Section {self._position[section.id] + 1} of {len(self._position)}"
        embed = embeds.topic_extras(
            pages[page], index=page, total=len(pages), position=position, finished=finished
        )
        self._sent_pages[key] = embed
        if len(self._sent_pages) > SENT_PAGE_CACHE:
            self._sent_pages.popitem(last=False)
        return embed

    async def send_pages(
        self,
        interaction: discord.Interaction[StudyBot],
        pages: Sequence[discord.Embed],
        *,
        ephemeral: bool = False,
    ) -> None:
        """Reply with the first page, and ◀ ▶ buttons for the requester when there are more."""
        if len(pages) == 1:
            await interaction.response.send_message(
                embed=pages[0], ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
            )
            return
        view = Paginator.of_embeds(interaction.user.id, pages)
        response = await interaction.response.send_message(
            embed=pages[0], view=view, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS
        )
        if isinstance(response.resource, discord.InteractionMessage):
            view.message = response.resource

    # -- /topic ---------------------------------------------------------------------------

    @app_commands.command(
        name="topic", description="Show a roadmap section: its topics and resources"
    )
    @app_commands.describe(section="A section id (4.5), a title, or a word such as transformer")
    async def topic(
        self,
        interaction: discord.Interaction[StudyBot],
        section: app_commands.Range[str, 1, QUERY_LIMIT],
    ) -> None:
        """Show one section with ◀ ▶ and ✅ buttons."""
        guild_id = require_guild(interaction)
        found = self.find_section(section)
        embed, view = await self.topic_message(guild_id, found.id, 0)
        await interaction.response.send_message(
            embed=embed, view=view, allowed_mentions=NO_MENTIONS
        )

    @topic.autocomplete("section")
    async def topic_autocomplete(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Sections matching what the member typed so far, best first."""
        return [
            app_commands.Choice(name=name, value=value)
            for name, value in self.bot.sections.autocomplete(str(current or ""))
        ]

    # -- /phase ---------------------------------------------------------------------------

    @app_commands.command(name="phase", description="Show a roadmap phase and its sections")
    @app_commands.describe(number="The phase number, e.g. 4")
    async def phase(
        self, interaction: discord.Interaction[StudyBot], number: app_commands.Range[int, 1, 999]
    ) -> None:
        """Show a phase: title, duration and its sections."""
        require_guild(interaction)
        roadmap = self.bot.roadmap
        found = roadmap.phase(number)
        if found is None:
            numbers = [phase.number for phase in roadmap.phases]
            raise UserFacingError(
                f"There is no phase {number} in this roadmap: it has {_number_list(numbers)}. "
                f"Type `/phase {numbers[0]}`, or `/roadmap` for the overview."
            )
        await self.send_pages(interaction, embeds.phase_pages(found, len(roadmap.phases)))

    @phase.autocomplete("number")
    async def phase_autocomplete(
        self, interaction: discord.Interaction[StudyBot], current: Any
    ) -> list[app_commands.Choice[int]]:
        """The roadmap's phases, filtered by the number or word typed so far."""
        typed = normalize(str(current if current is not None else ""))
        choices = []
        for phase in self.bot.roadmap.phases:
            name = f"Phase {phase.number}: {phase.title}"
            if phase.duration:
                name += f" ({phase.duration})"
            if typed and not (str(phase.number).startswith(typed) or typed in normalize(name)):
                continue
            choices.append(
                app_commands.Choice(name=clip(name, CHOICE_NAME_LIMIT), value=phase.number)
            )
        return choices[:CHOICE_LIMIT]

    # -- /roadmap, /path, /tips -----------------------------------------------------------

    @app_commands.command(name="roadmap", description="The whole roadmap: phases and sections")
    async def roadmap(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show every phase with its duration and section titles."""
        require_guild(interaction)
        await self.send_pages(interaction, embeds.roadmap_pages(self.bot.roadmap))

    @app_commands.command(name="path", description="The recommended learning path, month by month")
    async def path(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show the recommended learning path and the time estimate."""
        require_guild(interaction)
        roadmap = self.bot.roadmap
        if not roadmap.learning_path and not roadmap.time_estimate:
            raise UserFacingError(
                "This server's roadmap has no recommended learning path. "
                "Type `/roadmap` for its phases and their durations."
            )
        await self.send_pages(interaction, embeds.path_pages(roadmap))

    @app_commands.command(name="tips", description="Study tips for working through the roadmap")
    async def tips(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show the study tips."""
        require_guild(interaction)
        if not self.bot.roadmap.study_tips:
            raise UserFacingError(
                "This server's roadmap has no study tips. Type `/roadmap` for its phases."
            )
        await self.send_pages(interaction, embeds.tips_pages(self.bot.roadmap.study_tips))

    # -- /resources -----------------------------------------------------------------------

    def find_category(self, query: str) -> ResourceCategory:
        """The summary category a member means, or a user error listing them."""
        categories = self.bot.roadmap.resources_summary
        wanted = normalize(query)
        exact = [c for c in categories if normalize(c.name) == wanted]
        loose = [c for c in categories if wanted and wanted in normalize(c.name)]
        for matches in (exact, loose):
            if len(matches) == 1:
                return matches[0]
        names = ", ".join(f"`{embeds.escape(c.name)}`" for c in categories)
        raise UserFacingError(
            f"“{plain(query, 60)}” is not a resource category. Choose one of: {names} — "
            "or leave the category empty for all of them."
        )

    @app_commands.command(
        name="resources", description="Essential free resources: courses, books, platforms…"
    )
    @app_commands.describe(category="Only this category, e.g. Books (default: all)")
    async def resources(
        self,
        interaction: discord.Interaction[StudyBot],
        category: app_commands.Range[str, 1, QUERY_LIMIT] | None = None,
    ) -> None:
        """Show the resources summary, or one category of it."""
        require_guild(interaction)
        summary = self.bot.roadmap.resources_summary
        if not summary:
            raise UserFacingError(
                "This server's roadmap has no resources summary. Each section's resources "
                "are on `/topic`, e.g. `/topic 4.5`."
            )
        chosen = [self.find_category(category)] if category else list(summary)
        await self.send_pages(interaction, embeds.resources_pages(chosen))

    @resources.autocomplete("category")
    async def resources_autocomplete(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """The summary's categories matching what was typed so far."""
        typed = normalize(str(current or ""))
        choices = []
        for category in self.bot.roadmap.resources_summary:
            if typed and typed not in normalize(category.name):
                continue
            value = clip(category.name, CHOICE_NAME_LIMIT)
            choices.append(app_commands.Choice(name=value, value=value))
        return choices[:CHOICE_LIMIT]

    # -- /search --------------------------------------------------------------------------

    @app_commands.command(name="search", description="Search section titles, topics and resources")
    @app_commands.describe(query="One or more words, e.g. attention")
    async def search(
        self,
        interaction: discord.Interaction[StudyBot],
        query: app_commands.Range[str, 1, QUERY_LIMIT],
    ) -> None:
        """Show ranked matches, each with its section id."""
        require_guild(interaction)
        if len(query) > QUERY_LIMIT:
            raise UserFacingError(
                f"That search is too long ({len(query)} characters). Use a few words, at most "
                f"{QUERY_LIMIT} characters, e.g. `/search attention`."
            )
        hits = self.bot.sections.search(query)
        if not hits:
            raise UserFacingError(
                f"Nothing in the roadmap matches “{plain(query, 60)}”. Try a word from a topic, "
                "such as `attention`, `pandas` or `docker`, or open a section with `/topic 4.5`."
            )
        await self.send_pages(
            interaction, embeds.search_pages(query, hits, self._titles), ephemeral=True
        )


def _number_list(numbers: list[int]) -> str:
    """ "phases 1-7" when contiguous, else "phases 1, 2, 5"."""
    if len(numbers) == 1:
        return f"only phase {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"phases {numbers[0]}–{numbers[-1]}"
    return "phases " + ", ".join(str(n) for n in numbers)
