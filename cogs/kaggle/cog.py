"""The Kaggle cog: /kaggle list, /admin kaggle subscribe|unsubscribe, and the polling job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.channels import PostChannelOption, channel_problem, check_post_channel
from bot.checks import is_admin, require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.ui import Paginator
from cogs.admin.group import AdminSubgroup, StatusSection
from cogs.kaggle import embeds, status
from cogs.kaggle.announcer import KIND, Announcer, PollResult
from cogs.kaggle.client import KaggleAuth, KaggleClient
from cogs.kaggle.repo import CATEGORIES, KaggleRepo, weekly_kind
from roadmap.kaggle_data import load_curated

log = logging.getLogger(__name__)

POLL_JOB_ID = "kaggle:poll"
CATEGORY_CHOICES = [
    app_commands.Choice(name="All categories", value="all"),
    app_commands.Choice(name="Featured", value="featured"),
    app_commands.Choice(name="Research", value="research"),
    app_commands.Choice(name="Playground", value="playground"),
    app_commands.Choice(name="Getting Started", value="getting-started"),
]


def parse_category(value: str | None) -> str:
    """A subscription category from the option, or a user error listing the choices."""
    text = (value or "all").strip().lower().replace("_", "-").replace(" ", "-")
    if text not in CATEGORIES:
        raise UserFacingError(
            "Unknown category. Choose one of: all, featured, research, playground, "
            "getting-started (e.g. `/admin kaggle subscribe channel:#kaggle category:featured`)."
        )
    return text


class Kaggle(commands.Cog, name="Kaggle"):
    """Kaggle competitions: announcements, deadline reminders and a weekly challenge."""

    help_title = "Kaggle challenges"

    kaggle = app_commands.Group(
        name="kaggle", description="Kaggle competitions for the study group", guild_only=True
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.repo = KaggleRepo(bot.db)
        settings = bot.settings
        auth = KaggleAuth.from_settings(
            settings.kaggle_api_token, settings.kaggle_username, settings.kaggle_key
        )
        client = None
        if auth is not None:
            client = KaggleClient(
                settings.kaggle_api_base,
                auth,
                session=bot.http_session,
                timeout=settings.kaggle_timeout_seconds,
                max_retries=settings.kaggle_max_retries,
                sleep=bot.sleep,
            )
        self.announcer = Announcer(bot, self.repo, client)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._startup: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------------------- lifecycle

    async def cog_load(self) -> None:
        """Add the polling job and poll once as soon as the bot is ready."""
        self.bot.outbox.register(KIND, self.announcer)
        self.bot.scheduler.add_job(
            self._scheduled_poll,
            "interval",
            minutes=self.bot.settings.kaggle_poll_minutes,
            id=POLL_JOB_ID,
            replace_existing=True,
        )
        self.bot.member_data.register(self.qualified_name, self.repo)
        self._startup = self._spawn(self._poll_when_ready())

    async def cog_unload(self) -> None:
        """Remove the job, stop work in flight and leave the member data registry."""
        self.bot.member_data.unregister(self.qualified_name)
        if self.bot.scheduler.get_job(POLL_JOB_ID) is not None:
            self.bot.scheduler.remove_job(POLL_JOB_ID)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run a background coroutine that is cancelled when the cog unloads."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _poll_when_ready(self) -> None:
        """The start-up poll, once the gateway is ready (never blocking start-up)."""
        await self.bot.wait_until_ready()
        await self._safe_poll()

    async def _scheduled_poll(self) -> None:
        """The interval job."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._safe_poll()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def _safe_poll(self) -> None:
        """Poll, logging anything unexpected instead of losing the job."""
        try:
            await self.poll()
        except Exception:
            log.exception("Kaggle poll failed")

    async def poll(self) -> PollResult:
        """Fetch Kaggle's list (or pick the weekly challenge) and post what is due."""
        return await self.announcer.poll()

    async def settled(self) -> None:
        """Wait for the start-up poll and background deliveries started so far."""
        while True:
            pending = [t for t in self._tasks if not t.done() and t is not asyncio.current_task()]
            if not pending:
                return
            await asyncio.gather(*pending, return_exceptions=True)

    # ----------------------------------------------------------------------------- commands

    @kaggle.command(
        name="list", description="Active Kaggle competitions and their roadmap sections"
    )
    async def list_competitions(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show the last known competition list (never calls Kaggle while you wait)."""
        guild_id = require_guild(interaction)
        now = self.bot.clock()
        titles = self.announcer.section_titles
        admin_note: str | None = None
        view: Paginator | None = None
        pages: list[discord.Embed] = []
        if not self.announcer.live:
            year, week, _ = now.isocalendar()
            this_week = await self.repo.guild_challenge(guild_id, weekly_kind(year, week))
            pages = embeds.curated_embeds(
                load_curated(), titles, this_week, embeds.NO_CREDENTIALS_NOTE
            )
        else:
            status = await self.announcer.status()
            if status.auth_error and is_admin(interaction):
                admin_note = embeds.credentials_warning(status, now)
            note = embeds.list_note(status, self.bot.settings.kaggle_poll_minutes)
            if status.last_success is None:
                pages = embeds.curated_embeds(load_curated(), titles, None, note)
            else:
                view = await self._live_pages(interaction.user.id, note)
        if view is None:
            view = Paginator.of_embeds(interaction.user.id, pages)
        first = await view.first_page()
        if view.needed:
            callback = await interaction.response.send_message(embed=first, view=view)
            if isinstance(callback.resource, discord.InteractionMessage):
                view.message = callback.resource  # to grey the buttons out when they expire
        else:
            await interaction.response.send_message(embed=first)
        if admin_note is not None:
            await interaction.followup.send(
                admin_note, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    async def _live_pages(self, owner_id: int, note: str) -> Paginator:
        """Pages of the cached competition list, each read from the database when shown."""
        titles = self.announcer.section_titles
        now = self.bot.clock()
        first, total = await self.repo.active_page(now, 0, embeds.PER_PAGE)

        async def render(page: int) -> discord.Embed:
            if page == 0:
                rows = first
            else:
                rows, _ = await self.repo.active_page(
                    self.bot.clock(), page * embeds.PER_PAGE, embeds.PER_PAGE
                )
            return embeds.list_page(rows, titles, note, now, page=page, total=total)

        return Paginator(owner_id, embeds.page_count(total), render)


class KaggleAdmin(AdminSubgroup):
    """/admin kaggle: which channels get Kaggle posts (thin over the Kaggle cog)."""

    start_hint = "`/admin kaggle subscribe channel [category]` announces Kaggle competitions there"

    def __init__(self, feature: Kaggle) -> None:
        super().__init__(name="kaggle", description="Set up Kaggle announcements")
        self.feature = feature
        self.help_title = feature.help_title

    @app_commands.command(
        name="subscribe", description="Announce new Kaggle competitions in a channel"
    )
    @app_commands.describe(
        channel="The text or announcement channel for the posts",
        category="Which competitions to announce (default: all)",
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    async def subscribe(
        self,
        interaction: discord.Interaction[StudyBot],
        channel: PostChannelOption,
        category: str = "all",
    ) -> None:
        """Subscribe a channel (or change its category, or resume it)."""
        feature = self.feature
        guild_id = require_guild(interaction)
        wanted = parse_category(category)
        await check_post_channel(interaction, channel, threads=False)
        result = await feature.repo.subscribe(
            guild_id, channel.id, wanted, interaction.user.id, feature.bot.clock()
        )
        has_list = (await feature.announcer.status()).last_success is not None
        text = embeds.subscribed_text(result, channel.mention, feature.announcer.live, has_list)
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        feature._spawn(feature.announcer.deliver_subscription(result.subscription.id))

    @app_commands.command(name="unsubscribe", description="Stop Kaggle posts in a channel")
    @app_commands.describe(channel="The channel that gets Kaggle posts now")
    async def unsubscribe(
        self, interaction: discord.Interaction[StudyBot], channel: PostChannelOption
    ) -> None:
        """Remove a channel's subscription."""
        feature = self.feature
        guild_id = require_guild(interaction)
        removed = await feature.repo.unsubscribe(guild_id, channel.id)
        if removed is None:
            others = await feature.repo.guild_subscriptions(guild_id)
            if others:
                names = ", ".join(f"<#{s.channel_id}>" for s in others)
                raise UserFacingError(
                    f"{channel.mention} gets no Kaggle posts. Subscribed here: {names}; "
                    "pick one of those."
                )
            raise UserFacingError(
                "This server has no Kaggle subscription. Add one with "
                "`/admin kaggle subscribe channel:#kaggle`."
            )
        await interaction.response.send_message(
            f"Kaggle posts to {channel.mention} are stopped. Subscribe again any time with "
            "`/admin kaggle subscribe`.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def admin_status(self, guild: discord.Guild) -> StatusSection:
        """The server's Kaggle subscriptions, what blocks them, and whether Kaggle answers."""
        feature = self.feature
        bot = feature.bot
        lines = []
        for subscription in await feature.repo.guild_subscriptions(guild.id):
            problem = await channel_problem(guild, subscription.channel_id, bot, threads=False)
            lines.append(status.subscription_line(subscription, problem))
        job = bot.scheduler.get_job(POLL_JOB_ID)
        next_check = getattr(job, "next_run_time", None) if job is not None else None
        note = status.kaggle_health(
            await feature.announcer.status(), live=feature.announcer.live, next_check=next_check
        )
        return StatusSection(self.help_title, lines, [note])
