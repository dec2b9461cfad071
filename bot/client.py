"""The StudyBot client: start-up in `setup_hook`, shutdown in `close`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot.clock import Clock, system_clock
from bot.database import Database
from bot.errors import StudyTree
from bot.outbox import Outbox
from bot.personal import MemberDataRegistry
from bot.ratelimit import RateBudget
from bot.scheduler import Agenda, make_scheduler
from bot.settings import Settings
from roadmap.lookup import SectionIndex
from roadmap.model import Roadmap
from roadmap.parser import load_roadmap

log = logging.getLogger(__name__)

#: The features StudyBot loads, in order. Each is a package with a `setup(bot)` function.
DEFAULT_COGS: tuple[str, ...] = (
    "cogs.help",
    "cogs.roadmap",
    "cogs.progress",
    "cogs.papers",
    "cogs.kaggle",
    "cogs.privacy",
    "cogs.admin",
)


#: How often the write-ahead log is copied back into the database file.
CHECKPOINT_SECONDS = 10


def configure_discord_endpoints(api_base: str, gateway_url: str) -> None:
    """Point discord.py's REST client and gateway at the configured URLs."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


#: The discord.py releases whose private bucket sweep `amortize_ratelimit_sweep` replaces.
SWEEP_PATCH_VERSIONS = ("2.7.",)


def amortize_ratelimit_sweep(
    http: discord.http.HTTPClient, *, version: str = discord.__version__
) -> bool:
    """Make discord.py's sweep of idle rate-limit buckets amortised; True if it was installed.

    discord.py 2.7 keeps a bucket per route and channel and, once it holds 256, scans them all
    on every new one (`HTTPClient._try_clear_expired_ratelimits`). The weekly fan-out to 5,000
    channels makes 10,000 buckets, all active for the whole fan-out, so the scans add up to
    ~18 s of event-loop time, 4.5 ms on each request by the end. Sweeping only when the count
    has doubled since the last sweep bounds memory the same way without the quadratic cost.
    `python -m benchmarks.bench_papers full`, 5,000 guilds, same run, with / without: fan-out
    245 s / 329 s, `/topic` during it median 1.43x / 8.7x and p99 4.4x / 29.7x of before.

    The method is private, so it is replaced only on discord.py 2.7.x and only where it and the
    bucket dict exist as expected; anywhere else discord.py's own sweep stays.
    """
    sweep = getattr(http, "_try_clear_expired_ratelimits", None)
    buckets = getattr(http, "_buckets", None)
    if (
        not version.startswith(SWEEP_PATCH_VERSIONS)
        or sweep is None
        or not callable(sweep)
        or not isinstance(buckets, dict)
    ):
        log.info("discord.py %s: keeping its own rate-limit bucket sweep", version)
        return False
    threshold = 256

    def amortized() -> None:
        nonlocal threshold
        if len(buckets) < threshold:
            return
        sweep()
        threshold = max(256, 2 * len(buckets))

    setattr(http, "_try_clear_expired_ratelimits", amortized)  # noqa: B010
    return True


def bot_intents() -> discord.Intents:
    """The intents StudyBot needs: guilds only, nothing privileged."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


class StudyBot(commands.Bot):
    """The StudyBot client, owning the database, the scheduler and the roadmap."""

    def __init__(
        self,
        settings: Settings,
        *,
        roadmap: Roadmap | None = None,
        clock: Clock = system_clock,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        cogs: Sequence[str] = DEFAULT_COGS,
        extra_cogs: Sequence[commands.Cog] = (),
        **options: Any,
    ) -> None:
        configure_discord_endpoints(settings.discord_api_base, settings.discord_gateway_url)
        # StudyBot never joins voice: discord.py's warnings about voice libraries are noise.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        options.setdefault("guild_ready_timeout", 2.0)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=bot_intents(),
            tree_cls=StudyTree,
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            chunk_guilds_at_startup=False,
            max_messages=None,
            allowed_contexts=discord.app_commands.AppCommandContext(guild=True),
            **options,
        )
        amortize_ratelimit_sweep(self.http)
        self.settings = settings
        self.clock = clock
        #: How the bot waits between retries of outside APIs (injectable, like the clock).
        self.sleep = sleep
        self.roadmap = roadmap if roadmap is not None else load_roadmap(settings.roadmap)
        self.sections = SectionIndex(self.roadmap)
        self.db = Database(settings.database)
        self.scheduler = make_scheduler()
        #: The one budget every feature's own Discord requests take a slot from.
        self.budget = RateBudget()
        #: The one job that wakes when scheduled work is due.
        self.agenda = Agenda(self.scheduler, clock)
        #: Every scheduled post goes out through it, exactly once.
        self.outbox = Outbox(self)
        #: Every feature that stores member data registers it here (/privacy reaches them).
        self.member_data = MemberDataRegistry()
        self._cog_names = tuple(cogs)
        self._extra_cogs = tuple(extra_cogs)
        self._http_session: aiohttp.ClientSession | None = None
        self.synced_commands = False
        self._settle_task: asyncio.Task[None] | None = None

    @property
    def http_session(self) -> aiohttp.ClientSession:
        """The shared aiohttp session for outside APIs (Kaggle, arXiv)."""
        if self._http_session is None or self._http_session.closed:
            self._http_session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=30),
                headers={"User-Agent": "StudyBot (+https://github.com/studybot)"},
            )
        return self._http_session

    async def setup_hook(self) -> None:
        """Open the database, migrate, start the scheduler, load the cogs, sync if changed."""
        await self.db.connect()
        await self.db.migrate()
        self.scheduler.start()
        if self.db.dialect == "sqlite":
            self.scheduler.add_job(
                self.db.checkpoint, "interval", seconds=CHECKPOINT_SECONDS, id="db:checkpoint",
                replace_existing=True,
            )  # fmt: skip
        for name in self._cog_names:
            await self.load_extension(name)
        for cog in self._extra_cogs:
            await self.add_cog(cog)
        self.agenda.register("outbox", self.outbox.next_due, self.outbox.run)
        await self.sync_commands_if_changed()
        self._settle_task = asyncio.create_task(self._settle_when_ready(), name="settle")

    async def settled(self) -> None:
        """Wait until the start-up run over unconfirmed posts and due work has finished."""
        if self._settle_task is not None:
            await asyncio.shield(self._settle_task)

    async def _settle_when_ready(self) -> None:
        # Posts left unconfirmed by the last run (a crash, a SIGTERM) are settled as soon as
        # the gateway is up; then the agenda takes over.
        await self.wait_until_ready()
        try:
            await self.agenda.wake()
        except Exception:
            log.exception("settling scheduled work at start-up failed")

    def command_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        """The command definitions as Discord receives them, in a stable order."""
        commands_ = self.tree.get_commands(guild=guild)
        payload = [cmd.to_dict(self.tree) for cmd in commands_]
        return sorted(payload, key=lambda c: (c.get("type", 1), c["name"]))

    async def sync_commands_if_changed(self) -> bool:
        """Sync the command tree only when its definition changed since the last sync."""
        guild = None
        target = "global"
        if self.settings.dev_guild is not None:
            guild = discord.Object(self.settings.dev_guild)
            self.tree.copy_global_to(guild=guild)
            target = f"guild:{self.settings.dev_guild}"
        payload = self.command_payload(guild)
        digest = hashlib.sha256(
            json.dumps(payload, sort_keys=True, default=str).encode()
        ).hexdigest()
        app_id = self.application_id or 0
        key = f"command_hash:{app_id}:{target}"
        if await self.db.get_meta(key) == digest:
            log.info("application commands unchanged; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await self.db.set_meta(key, digest)
        self.synced_commands = True
        log.info("synced %d application commands (%s)", len(synced), target)
        return True

    async def close(self) -> None:
        """Undo start-up in reverse: posts in flight, scheduler, connection, database."""
        # Posts in flight finish (and are recorded) while Discord and the database are open.
        self.agenda.stop()
        await self.outbox.drain()
        if self._settle_task is not None and not self._settle_task.done():
            self._settle_task.cancel()
        await super().close()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self._http_session is not None and not self._http_session.closed:
            await self._http_session.close()
        await self.db.close()

    async def on_ready(self) -> None:
        """Log the connection; start-up work lives in `setup_hook`, not here."""
        log.info("connected as %s to %d guilds", self.user, len(self.guilds))
