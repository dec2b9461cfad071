"""The PaperClub cog: /paper and /admin paper commands, and the weekly jobs that post the paper."""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import datetime

import discord
from discord import app_commands
from discord.ext import commands

from bot.channels import PostChannelOption, channel_problem, check_post_channel
from bot.checks import check_ping_role, require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.text import clip, plain, timestamp
from bot.ui import Paginator
from cogs.admin.group import AdminSubgroup, StatusSection
from cogs.papers import embeds, status
from cogs.papers.arxiv import ArxivClient, ArxivError, InvalidArxivId, parse_arxiv_id
from cogs.papers.catalogue import PaperCatalogue
from cogs.papers.delivery import KIND, PaperDelivery, RunReport
from cogs.papers.repo import PaperRepo, QueueEntry, QueueRefusal, Schedule
from cogs.papers.schedule import (
    WEEKDAYS,
    ScheduleInputError,
    next_occurrence,
    parse_time,
    parse_timezone,
    timezone_choices,
)
from roadmap.reading_list import ReadingPaper, load_reading_list

log = logging.getLogger(__name__)

#: A server's queue holds at most this many waiting papers.
MAX_QUEUE = 200


def _queue_full() -> UserFacingError:
    return UserFacingError(
        f"The queue is full ({MAX_QUEUE} papers). Vote for a waiting paper with "
        "`/paper vote` instead."
    )


WEEKDAY_CHOICES = [app_commands.Choice(name=day, value=i) for i, day in enumerate(WEEKDAYS)]


class PaperClub(commands.Cog, name="PaperClub"):
    """The weekly paper club: a voted queue and a paper of the week, posted exactly once."""

    help_title = "Weekly paper club"

    paper = app_commands.Group(name="paper", description="The weekly paper club", guild_only=True)

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.repo = PaperRepo(bot.db)
        self.reading_list: list[ReadingPaper] = load_reading_list()
        self.arxiv = ArxivClient(
            bot.settings.arxiv_api_base,
            session=bot.http_session,
            min_interval=bot.settings.arxiv_min_interval_seconds,
            timeout=bot.settings.arxiv_timeout_seconds,
        )
        self.catalogue = PaperCatalogue(self.repo, self.arxiv, self.reading_list, bot.clock)
        self.delivery = PaperDelivery(
            bot,
            self.repo,
            self.catalogue,
            self.reading_list,
        )
        self._rearming: set[asyncio.Task[object]] = set()

    # -- lifecycle ----------------------------------------------------------------------------

    async def cog_load(self) -> None:
        """Register the paper club's due times and posts with the agenda and the outbox."""
        filled = await self.repo.fill_next_due()
        if filled:
            log.info("computed the next due time of %d paper schedules", filled)
        self.bot.outbox.register(KIND, self.delivery)
        self.bot.agenda.register(KIND, self.delivery.next_due, self.delivery.run)
        self.bot.member_data.register(self.qualified_name, self.repo)

    async def cog_unload(self) -> None:
        """Stop taking part in the agenda and leave the member data registry."""
        self.bot.member_data.unregister(self.qualified_name)
        self.bot.agenda.unregister(KIND)
        await self.arxiv.close()

    async def run_due(self) -> RunReport:
        """Claim and send every schedule's due occurrence now (what the agenda does)."""
        return await self.delivery.run_due()

    def _arm(self, schedule: Schedule) -> None:
        """A schedule's due time changed: wake the agenda at the (new) earliest one."""
        self._rearm()

    def _disarm(self, schedule_id: int) -> None:
        """A schedule went away: the agenda's earliest due time may be later now."""
        self._rearm()

    def _rearm(self) -> None:
        task = asyncio.create_task(self.bot.agenda.rearm(), name="papers-rearm")
        self._rearming.add(task)
        task.add_done_callback(self._rearming.discard)

    # -- contract with the progress feature ---------------------------------------------------

    async def papers_read(self, guild_id: int, user_id: int) -> int:
        """How many papers of the week a member marked read in a server (for /rank)."""
        return await self.repo.papers_read(guild_id, user_id)

    # -- member commands ----------------------------------------------------------------------

    @paper.command(name="suggest", description="Add an arXiv paper to this server's queue")
    @app_commands.describe(paper="An arXiv id or link, e.g. 1706.03762")
    async def suggest(self, interaction: discord.Interaction[StudyBot], paper: str) -> None:
        """Queue a paper by arXiv id or link; its metadata comes from arXiv (cached)."""
        guild_id = require_guild(interaction)
        try:
            arxiv_id = parse_arxiv_id(paper)
        except InvalidArxivId as exc:
            raise UserFacingError(exc.user_message) from None
        # arXiv may take seconds (one request every 3 s, and it can be slow): answer now.
        await interaction.response.defer(thinking=True)
        await self._refuse_duplicate(guild_id, arxiv_id)
        if await self.repo.queue_size(guild_id) >= MAX_QUEUE:
            raise _queue_full()
        try:
            found = await self.catalogue.paper(arxiv_id)
        except ArxivError as exc:
            raise UserFacingError(exc.user_message) from None
        # The checks above answer at once without asking arXiv; this one decides, in one
        # statement, for suggestions made at the same moment too.
        entry = await self.repo.add_to_queue(
            guild_id, found.arxiv_id, interaction.user.id, self.bot.clock(), limit=MAX_QUEUE
        )
        if entry is QueueRefusal.FULL:
            raise _queue_full()
        if isinstance(entry, QueueRefusal):
            await self._refuse_duplicate(guild_id, found.arxiv_id)
            raise UserFacingError("That paper is already in this server's queue.")
        place = await self.repo.queue_position(entry)
        section = self.bot.sections.find(found.title)
        embed = embeds.paper_post_embed(
            embeds.content_from_arxiv(
                found,
                section.label if section is not None else None,
                source="queue",
                votes=0,
                suggested_by=interaction.user.id,
            )
        )
        embed.set_author(name="📥 Added to the paper queue")
        embed.set_footer(text=f"#{place} in the queue · vote for it with /paper vote")
        await interaction.followup.send(
            f"{interaction.user.mention} suggested a paper: #{place} in the queue.",
            embed=embed,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _refuse_duplicate(self, guild_id: int, arxiv_id: str) -> None:
        queued = await self.repo.queue_entry(guild_id, arxiv_id)
        if queued is not None:
            votes = "vote" if queued.votes == 1 else "votes"
            raise UserFacingError(
                f"**{plain(queued.title, 200)}** is already in the queue ({queued.votes} {votes}). "
                "Vote for it with `/paper vote`."
            )
        had = await self.repo.had_paper(guild_id, arxiv_id)
        if had is not None:
            when = f" {timestamp(had.posted_at, 'D')}" if had.posted_at else ""
            raise UserFacingError(
                f"This server already had **{plain(had.title, 200)}** as paper of the week{when}. "
                "Suggest another one."
            )

    @paper.command(name="queue", description="The papers waiting, most votes first")
    async def queue(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show the queue, 10 a page."""
        guild_id = require_guild(interaction)
        total = await self.repo.queue_size(guild_id)
        pages = max(1, math.ceil(total / embeds.QUEUE_PAGE_SIZE))
        next_reading = await self._next_reading(guild_id) if total == 0 else None

        async def render(page: int) -> discord.Embed:
            entries = await self.repo.queue(
                guild_id, limit=embeds.QUEUE_PAGE_SIZE, offset=page * embeds.QUEUE_PAGE_SIZE
            )
            return embeds.queue_embed(
                entries, page=page, pages=pages, total=total, next_reading=next_reading
            )

        view = Paginator(interaction.user.id, pages, render)
        first = await view.first_page()
        if view.needed:
            await interaction.response.send_message(
                embed=first, view=view, allowed_mentions=discord.AllowedMentions.none()
            )
            view.message = await interaction.original_response()
        else:
            await interaction.response.send_message(
                embed=first, allowed_mentions=discord.AllowedMentions.none()
            )

    async def _next_reading(self, guild_id: int) -> ReadingPaper | None:
        keys, ids = await self.repo.had_reading_keys(guild_id)
        for paper in self.reading_list:
            if paper.key not in keys and (paper.arxiv_id is None or paper.arxiv_id not in ids):
                return paper
        return None

    @paper.command(name="vote", description="Vote for a paper in the queue")
    @app_commands.describe(paper="A paper from this server's queue")
    async def vote(self, interaction: discord.Interaction[StudyBot], paper: str) -> None:
        """One vote per member per paper."""
        guild_id = require_guild(interaction)
        entry = await self._find_queued(guild_id, paper)
        if not await self.repo.vote(entry, interaction.user.id, self.bot.clock()):
            votes = "vote" if entry.votes == 1 else "votes"
            await interaction.response.send_message(
                f"You already voted for **{plain(entry.title, 200)}** ({entry.votes} {votes}): "
                "one vote per member per paper.",
                ephemeral=True,
                allowed_mentions=discord.AllowedMentions.none(),
            )
            return
        updated = await self.repo.queue_entry(guild_id, entry.arxiv_id) or entry
        place = await self.repo.queue_position(updated)
        votes = "vote" if updated.votes == 1 else "votes"
        await interaction.response.send_message(
            f"🗳️ Voted for **{plain(updated.title, 200)}**: {updated.votes} {votes}, "
            f"#{place} in the queue.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _find_queued(self, guild_id: int, text: str) -> QueueEntry:
        missing = UserFacingError(
            "That paper is not in this server's queue. Pick one from the list (see "
            "`/paper queue`), or add it with `/paper suggest`."
        )
        try:
            arxiv_id = parse_arxiv_id(text)
        except InvalidArxivId:
            arxiv_id = None
        if arxiv_id is not None:
            entry = await self.repo.queue_entry(guild_id, arxiv_id)
            if entry is None:
                raise missing
            return entry
        needle = " ".join(text.split()).casefold()
        if not needle or len(needle) > 300:
            raise missing
        entries = await self.repo.queue(guild_id, limit=MAX_QUEUE)
        exact = [e for e in entries if e.title.casefold() == needle]
        partial = [e for e in entries if needle in e.title.casefold()]
        if len(exact) == 1:
            return exact[0]
        if len(partial) == 1:
            return partial[0]
        if len(partial) > 1:
            raise UserFacingError(
                "Several queued papers match that. Pick one from the list, or give its arXiv id."
            )
        raise missing

    @vote.autocomplete("paper")
    async def vote_autocomplete(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's queue, filtered by what was typed."""
        if interaction.guild_id is None:
            return []
        entries = await self.repo.queue(interaction.guild_id, limit=MAX_QUEUE)
        needle = current.strip().casefold()[:100]
        choices = []
        for entry in entries:
            if needle and needle not in entry.title.casefold() and needle not in entry.arxiv_id:
                continue
            votes = "vote" if entry.votes == 1 else "votes"
            name = clip(f"{' '.join(entry.title.split())} · {entry.votes} {votes}", 100)
            choices.append(app_commands.Choice(name=name, value=entry.arxiv_id))
            if len(choices) == 25:
                break
        return choices

    @paper.command(name="current", description="This week's paper")
    async def current(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show the last paper of the week posted in this server."""
        guild_id = require_guild(interaction)
        post = await self.repo.current_post(guild_id)
        if post is None:
            raise UserFacingError(
                "There is no paper of the week yet. An admin can start one with "
                "`/admin paper schedule`; anyone can `/paper suggest` papers for it."
            )
        await interaction.response.send_message(
            embed=embeds.current_embed(post, await self._next_post(guild_id)),
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def _next_post(self, guild_id: int) -> datetime | None:
        now = self.bot.clock()
        upcoming = [
            next_occurrence(now, s.weekday, s.at, parse_timezone(s.timezone))
            for s in await self.repo.guild_schedules(guild_id)
            if not s.paused
        ]
        return min(upcoming) if upcoming else None

    @paper.command(name="read", description="Mark this week's paper as read")
    async def read(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Mark the current paper read; it counts on /rank."""
        guild_id = require_guild(interaction)
        post = await self.repo.current_post(guild_id)
        if post is None:
            raise UserFacingError(
                "There is no paper of the week to read yet. See `/paper queue` for what's coming."
            )
        title = plain(post.title, 200)
        added = await self.repo.mark_read(post, interaction.user.id, self.bot.clock())
        count = await self.repo.papers_read(guild_id, interaction.user.id)
        papers = "paper" if count == 1 else "papers"
        if added:
            text = f"✅ Marked **{title}** read: {count} {papers} read in this server (on `/rank`)."
        else:
            text = f"You already marked **{title}** read ({count} {papers} read in this server)."
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )


class PaperAdmin(AdminSubgroup):
    """/admin paper: where and when the paper of the week is posted (thin over PaperClub)."""

    start_hint = (
        "`/admin paper schedule channel weekday time timezone [role]` posts a paper of the "
        "week in a channel"
    )

    def __init__(self, club: PaperClub) -> None:
        super().__init__(name="paper", description="Set up the weekly paper club")
        self.club = club
        self.help_title = club.help_title

    @app_commands.command(name="schedule", description="Post a paper of the week in a channel")
    @app_commands.describe(
        channel="Where to post it",
        weekday="Day of the week",
        at="Time of day, 24-hour HH:MM, e.g. 18:30",
        zone="Your time zone, e.g. Europe/Berlin",
        role="A role to ping with each post (optional)",
    )
    @app_commands.rename(at="time", zone="timezone")
    @app_commands.choices(weekday=WEEKDAY_CHOICES)
    async def schedule(
        self,
        interaction: discord.Interaction[StudyBot],
        channel: PostChannelOption,
        weekday: app_commands.Choice[int],
        at: str,
        zone: str,
        role: discord.Role | None = None,
    ) -> None:
        """Create or replace the channel's weekly paper post."""
        club = self.club
        guild_id = require_guild(interaction)
        try:
            when = parse_time(at)
            tz = parse_timezone(zone)
        except ScheduleInputError as exc:
            raise UserFacingError(exc.user_message) from None
        access = await check_post_channel(interaction, channel, threads=True)
        warnings = []
        if role is not None:
            check_ping_role(channel.guild, role, access.invoker)
            if not role.mentionable and not access.bot.mention_everyone:
                warnings.append(
                    f"⚠️ {role.mention} can't be mentioned by StudyBot: make the role "
                    "mentionable (or grant StudyBot Mention @everyone) so the ping notifies "
                    "its members."
                )
        change = await club.repo.save_schedule(
            guild_id=guild_id,
            channel_id=channel.id,
            weekday=int(weekday.value),
            at=when,
            timezone=tz.key,
            role_id=role.id if role is not None else None,
            created_by=interaction.user.id,
            now=club.bot.clock(),
        )
        club._arm(change.schedule)
        first = next_occurrence(club.bot.clock(), change.schedule.weekday, when, tz)
        verb = "Updated" if change.replaced else "Scheduled"
        lines = [
            f"📄 {verb}: the paper of the week goes to {channel.mention} "
            f"{embeds.schedule_summary(change.schedule)}"
            + (f", pinging {role.mention}" if role is not None else "")
            + ".",
            f"First post: {timestamp(first, 'F')} ({timestamp(first)}).",
            *warnings,
        ]
        await interaction.response.send_message(
            "\n".join(lines), ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )

    @app_commands.command(name="unschedule", description="Stop the paper of the week in a channel")
    @app_commands.describe(channel="The channel to stop posting in")
    async def unschedule(
        self, interaction: discord.Interaction[StudyBot], channel: PostChannelOption
    ) -> None:
        """Remove the channel's weekly paper post."""
        club = self.club
        guild_id = require_guild(interaction)
        removed = await club.repo.delete_schedule(guild_id, channel.id)
        if removed is None:
            raise UserFacingError(
                f"There is no paper of the week in {channel.mention}. "
                "Set one up with `/admin paper schedule`."
            )
        club._disarm(removed.id)
        await interaction.response.send_message(
            f"Stopped the paper of the week in {channel.mention} "
            f"(it was {embeds.schedule_summary(removed)}). The queue and votes are kept.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    @schedule.autocomplete("zone")
    async def zone_autocomplete(
        self, interaction: discord.Interaction[StudyBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """IANA time zones matching what was typed."""
        return [app_commands.Choice(name=name, value=name) for name in timezone_choices(current)]

    async def admin_status(self, guild: discord.Guild) -> StatusSection:
        """The server's paper schedules: where, when next, what is paused or missing."""
        bot = self.club.bot
        now = bot.clock()
        lines = []
        for schedule in await self.club.repo.guild_schedules(guild.id):
            problem = await channel_problem(guild, schedule.channel_id, bot, threads=True)
            lines.append(status.schedule_line(schedule, now, problem))
        return StatusSection(self.help_title, lines)
