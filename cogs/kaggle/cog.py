"""The Kaggle cog: /kaggle subscribe, unsubscribe and list, and the polling job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.channels import POSTABLE_TYPES, missing_post_permissions
from bot.checks import admin_only, is_admin, require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.ui import Paginator
from cogs.kaggle import embeds
from cogs.kaggle.announcer import Announcer, PollResult
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
_TYPE_NAMES = {
    discord.ChannelType.voice: "a voice channel",
    discord.ChannelType.stage_voice: "a stage channel",
    discord.ChannelType.category: "a category",
    discord.ChannelType.forum: "a forum",
    discord.ChannelType.media: "a media channel",
    discord.ChannelType.public_thread: "a thread",
    discord.ChannelType.private_thread: "a thread",
    discord.ChannelType.news_thread: "a thread",
}


class ServerChannel(app_commands.Transformer):
    """A channel option: offered as text/announcement channels, checked by the bot as well."""

    def __init__(self, *, postable: bool) -> None:
        super().__init__()
        self.postable = postable

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Discord only offers text and announcement channels."""
        return list(POSTABLE_TYPES)

    async def transform(
        self, interaction: discord.Interaction[Any], value: Any, /
    ) -> app_commands.AppCommandChannel | app_commands.AppCommandThread:
        """Refuse channels of other servers and, for posting, channels that are not text."""
        if not isinstance(value, app_commands.AppCommandChannel | app_commands.AppCommandThread):
            raise UserFacingError("Pick a channel of this server, e.g. `#kaggle`.")
        # discord.py stamps resolved channels with the interaction's guild, so where the
        # channel really lives is checked against the bot's own channel cache.
        known = interaction.client.get_channel(value.id)
        elsewhere = isinstance(known, discord.abc.GuildChannel | discord.Thread) and (
            known.guild.id != interaction.guild_id
        )
        if interaction.guild_id is None or elsewhere or (self.postable and known is None):
            raise UserFacingError(
                "That channel is not in this server. Pick one of this server's text channels, "
                "e.g. `/kaggle subscribe channel:#kaggle`."
            )
        if self.postable and value.type not in POSTABLE_TYPES:
            kind = _TYPE_NAMES.get(value.type, "not a text channel")
            raise UserFacingError(
                f"{value.mention} is {kind}: Kaggle posts need a text or announcement channel. "
                "Pick one, e.g. `/kaggle subscribe channel:#kaggle`."
            )
        return value


AnyChannel = app_commands.AppCommandChannel | app_commands.AppCommandThread
PostableOption = app_commands.Transform[AnyChannel, ServerChannel(postable=True)]
ChannelOption = app_commands.Transform[AnyChannel, ServerChannel(postable=False)]


def parse_category(value: str | None) -> str:
    """A subscription category from the option, or a user error listing the choices."""
    text = (value or "all").strip().lower().replace("_", "-").replace(" ", "-")
    if text not in CATEGORIES:
        raise UserFacingError(
            "Unknown category. Choose one of: all, featured, research, playground, "
            "getting-started (e.g. `/kaggle subscribe channel:#kaggle category:featured`)."
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
                timeout=float(getattr(bot, "kaggle_timeout", 20.0)),
                max_retries=int(getattr(bot, "kaggle_max_retries", 4)),
                sleep=getattr(bot, "kaggle_sleep", asyncio.sleep),
            )
        self.announcer = Announcer(bot, self.repo, client)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._startup: asyncio.Task[None] | None = None

    # ---------------------------------------------------------------------------- lifecycle

    async def cog_load(self) -> None:
        """Add the polling job and poll once as soon as the bot is ready."""
        self.bot.scheduler.add_job(
            self._scheduled_poll,
            "interval",
            minutes=self.bot.settings.kaggle_poll_minutes,
            id=POLL_JOB_ID,
            replace_existing=True,
        )
        self._startup = self._spawn(self._poll_when_ready())

    async def cog_unload(self) -> None:
        """Remove the job and stop work in flight."""
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

    @kaggle.command(name="subscribe", description="Announce new Kaggle competitions in a channel")
    @app_commands.describe(
        channel="The text or announcement channel for the posts",
        category="Which competitions to announce (default: all)",
    )
    @app_commands.choices(category=CATEGORY_CHOICES)
    @admin_only()
    async def subscribe(
        self,
        interaction: discord.Interaction[StudyBot],
        channel: PostableOption,
        category: str = "all",
    ) -> None:
        """Subscribe a channel (or change its category, or resume it)."""
        guild_id = require_guild(interaction)
        wanted = parse_category(category)
        self._check_can_post(interaction.guild, channel.id)
        result = await self.repo.subscribe(
            guild_id, channel.id, wanted, interaction.user.id, self.bot.clock()
        )
        has_list = (await self.announcer.status()).last_success is not None
        text = embeds.subscribed_text(result, channel.mention, self.announcer.live, has_list)
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
        )
        self._spawn(self.announcer.deliver_subscription(result.subscription.id))

    @kaggle.command(name="unsubscribe", description="Stop Kaggle posts in a channel")
    @app_commands.describe(channel="The channel that gets Kaggle posts now")
    @admin_only()
    async def unsubscribe(
        self, interaction: discord.Interaction[StudyBot], channel: ChannelOption
    ) -> None:
        """Remove a channel's subscription."""
        guild_id = require_guild(interaction)
        removed = await self.repo.unsubscribe(guild_id, channel.id)
        if removed is None:
            others = await self.repo.guild_subscriptions(guild_id)
            if others:
                names = ", ".join(f"<#{s.channel_id}>" for s in others)
                raise UserFacingError(
                    f"{channel.mention} gets no Kaggle posts. Subscribed here: {names}; "
                    "pick one of those."
                )
            raise UserFacingError(
                "This server has no Kaggle subscription. Add one with "
                "`/kaggle subscribe channel:#kaggle`."
            )
        await interaction.response.send_message(
            f"Kaggle posts to {channel.mention} are stopped. Subscribe again any time with "
            "`/kaggle subscribe`.",
            ephemeral=True,
            allowed_mentions=discord.AllowedMentions.none(),
        )

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

    def _check_can_post(self, guild: discord.Guild | None, channel_id: int) -> None:
        """Refuse a channel where StudyBot cannot post embeds, before anything is stored."""
        if guild is None:
            return
        channel = guild.get_channel(channel_id)
        if channel is None:
            return
        missing = missing_post_permissions(channel)
        if missing:
            raise UserFacingError(
                f"StudyBot cannot post in {channel.mention}: it needs {', '.join(missing)} "
                "there. Grant them in the channel's permissions, then run the command again."
            )

    # ------------------------------------------------------------------------------ privacy

    async def export_member_data(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The Kaggle subscriptions a member set up in a guild (admin configuration)."""
        subscriptions = await self.repo.subscriptions_by(guild_id, user_id)
        return {
            "kaggle_subscriptions_set_up": [
                {
                    "channel_id": str(s.channel_id),
                    "category": s.category,
                    "since": s.created_at.isoformat(),
                    "paused": s.paused,
                }
                for s in subscriptions
            ]
        }

    async def delete_member_data(self, guild_id: int, user_id: int) -> int:
        """Forget who set up the guild's subscriptions (they keep running); rows changed."""
        return await self.repo.forget_subscriber(guild_id, user_id)
