"""Delivering the paper of the week exactly once per occurrence.

For each due occurrence the claim (and the paper it takes from the queue) is committed before
anything is sent; a second run for the same occurrence — a restart, a retried or doubled job —
finds the claim and does nothing. A send that Discord answers with a 5xx is retried with the
same nonce (``enforce_nonce``), so Discord returns the first message instead of making a
second one. A deleted channel or lost permission pauses the schedule and tells the admins once.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import aiohttp
import discord

from bot.client import StudyBot
from bot.notify import notify_admins
from cogs.papers import embeds
from cogs.papers.catalogue import PaperCatalogue
from cogs.papers.repo import Claim, PaperRepo, QueuePick, ReadingPick, Schedule
from cogs.papers.schedule import (
    DEFAULT_GRACE,
    Due,
    due_occurrence,
    occurrence_at_or_before,
    parse_timezone,
)
from roadmap.reading_list import ReadingPaper

log = logging.getLogger(__name__)

#: Posts in flight at once during a fan-out: two, so that one stalled post (a retry, a slow
#: arXiv) does not hold up the rest; more crowd out members' commands (benchmarks/bench_papers).
DEFAULT_CONCURRENCY = 2
#: Requests a second the weekly posts may make (each post is two: the message and its thread).
#: Discord allows a bot 50 a second in all, so a fan-out over thousands of servers paces itself
#: rather than running into 429s, leaves room for everything else, and spreads its work out.
DEFAULT_REQUESTS_PER_SECOND = 40.0
#: Own retries of a send that failed with a 5xx or a connection error (discord.py already
#: retries 429s and some 5xx itself).
SEND_ATTEMPTS = 3
RETRY_DELAYS = (0.5, 2.0)
THREAD_ARCHIVE_MINUTES: Literal[10080] = (
    10080  # a week: the discussion stays open until the next paper
)


class Outcome(enum.StrEnum):
    """What one delivery attempt did (a string, so reports compare across module reloads)."""

    POSTED = "posted"
    POSTED_LATE = "posted late"
    EMPTY = "nothing left to post"
    SKIPPED = "skipped (too late)"
    PAUSED = "paused"
    FAILED = "failed"


@dataclass
class RunReport:
    """What a run over the due schedules did, by outcome."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)

    @property
    def posted(self) -> int:
        """Posts sent on time or late."""
        return self.outcomes[Outcome.POSTED] + self.outcomes[Outcome.POSTED_LATE]


PAUSED_404 = "the channel <#{channel}> no longer exists"
PAUSED_403 = (
    "StudyBot can no longer post in <#{channel}> (it needs View Channel, Send Messages and "
    "Embed Links there)"
)


class PaperDelivery:
    """Finds due occurrences, claims them and sends the posts with bounded concurrency."""

    def __init__(
        self,
        bot: StudyBot,
        repo: PaperRepo,
        catalogue: PaperCatalogue,
        reading_list: Sequence[ReadingPaper],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        requests_per_second: float = DEFAULT_REQUESTS_PER_SECOND,
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.catalogue = catalogue
        self.reading_list = list(reading_list)
        self.concurrency = concurrency
        #: 0 turns pacing off.
        self.requests_per_second = requests_per_second
        self._next_request = 0.0

    @property
    def concurrency(self) -> int:
        """How many posts may be in flight at once."""
        return self._concurrency

    @concurrency.setter
    def concurrency(self, value: int) -> None:
        self._concurrency = max(1, value)
        self._slots = asyncio.Semaphore(self._concurrency)

    async def _pace(self) -> None:
        # Reserve the next request time, in order; a quiet week never waits.
        if self.requests_per_second <= 0:
            return
        now = asyncio.get_running_loop().time()
        start = max(now, self._next_request)
        self._next_request = start + 1 / self.requests_per_second
        if start > now:
            await asyncio.sleep(start - now)

    # -- finding what is due ------------------------------------------------------------------

    async def run_due(self) -> RunReport:
        """Deliver every active schedule's due occurrence (also the start-up catch-up)."""
        now = self.bot.clock()
        report = RunReport()
        due: list[tuple[Schedule, Due]] = []
        for index, schedule in enumerate(await self.repo.schedules(active_only=True)):
            if index % 256 == 255:
                await asyncio.sleep(0)  # thousands of schedules: let interactions in between
            found = await self._due_or_skip(schedule, now, report)
            if found is not None:
                due.append((schedule, found))
        pending = iter(due)

        async def worker() -> None:
            # The workers share one iterator: at most `concurrency` deliveries are in flight,
            # so members' commands never queue behind thousands of posts (nor their SQL).
            for schedule, found in pending:
                try:
                    async with self._slots:
                        outcome = await self._claim_and_send(schedule, found, now)
                except Exception:
                    log.exception("paper delivery of schedule %s crashed", schedule.id)
                    outcome = Outcome.FAILED
                if outcome is not None:
                    report.outcomes[outcome] += 1

        await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(due)))))
        return report

    async def deliver_due(self, schedule_id: int) -> Outcome | None:
        """The scheduled job of one schedule: deliver its due occurrence, if any."""
        # "Now" is when the job fired, even if it then waits for a free slot.
        now = self.bot.clock()
        async with self._slots:
            schedule = await self.repo.schedule(schedule_id)
            if schedule is None or schedule.paused:
                return None
            report = RunReport()
            found = await self._due_or_skip(schedule, now, report)
            if found is None:
                return Outcome.SKIPPED if report.outcomes else None
            return await self._claim_and_send(schedule, found, now)

    async def _due_or_skip(
        self, schedule: Schedule, now: datetime, report: RunReport
    ) -> Due | None:
        try:
            tz = parse_timezone(schedule.timezone)
        except ValueError:
            log.warning("schedule %s has an unknown time zone %r", schedule.id, schedule.timezone)
            return None
        found = due_occurrence(
            now,
            schedule.weekday,
            schedule.at,
            tz,
            schedule.last_claimed,
            schedule.active_since,
            DEFAULT_GRACE,
        )
        if found is not None:
            return found
        # Missed by more than the grace period (the bot was down): record it as skipped so
        # that it can never be sent later.
        latest = occurrence_at_or_before(now, schedule.weekday, schedule.at, tz)
        unclaimed = schedule.last_claimed is None or latest > schedule.last_claimed
        if latest > schedule.active_since and unclaimed:
            if await self.repo.skip_occurrence(schedule.id, latest, now):
                log.info("skipped the paper post of schedule %s due %s", schedule.id, latest)
                report.outcomes[Outcome.SKIPPED] += 1
        return None

    # -- claiming and sending -----------------------------------------------------------------

    async def _claim_and_send(self, schedule: Schedule, due: Due, now: datetime) -> Outcome | None:
        claim = await self.repo.claim(
            schedule, due.occurrence, late=due.late, now=now, reading_list=self.reading_list
        )
        if claim is None:
            return None
        return await self._send(claim)

    async def _content(self, claim: Claim) -> embeds.PostContent | None:
        pick = claim.pick
        if isinstance(pick, QueuePick):
            section = self._section_for(pick.paper.title)
            return embeds.content_from_arxiv(
                pick.paper,
                section,
                source="queue",
                votes=pick.votes,
                suggested_by=pick.suggested_by,
            )
        if isinstance(pick, ReadingPick):
            meta = await self.catalogue.reading_metadata(pick.paper)
            return embeds.content_from_reading(pick.paper, meta, self._section_label(pick.paper))
        return None

    def _section_for(self, title: str) -> str | None:
        section = self.bot.sections.find(title)
        return section.label if section is not None else None

    def _section_label(self, paper: ReadingPaper) -> str:
        section = self.bot.sections.find(paper.section)
        return section.label if section is not None else paper.section

    async def _send(self, claim: Claim) -> Outcome:
        # Send a claimed occurrence's post, open its thread and record what happened.
        schedule = claim.schedule
        content = await self._content(claim)
        embed = embeds.paper_post_embed(content) if content else embeds.empty_week_embed()
        # The readers' role is pinged for a paper, not for a week without one.
        role_id = schedule.role_id if content is not None else None
        text = embeds.post_content_line(role_id, claim.occurrence if claim.late else None)
        mentions = (
            discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role_id)], replied_user=False
            )
            if role_id is not None
            else discord.AllowedMentions.none()
        )
        channel = self._channel(schedule)
        try:
            message = await self._send_with_retry(channel, text, embed, mentions, claim)
        except (discord.NotFound, discord.Forbidden) as exc:
            await self.repo.mark_failed(claim)
            await self._pause(schedule, exc)
            return Outcome.PAUSED
        except (discord.HTTPException, aiohttp.ClientError, OSError) as exc:
            await self.repo.mark_failed(claim)
            log.warning(
                "paper post of schedule %s for %s failed: %s", schedule.id, claim.occurrence, exc
            )
            return Outcome.FAILED
        await self.repo.mark_posted(
            claim,
            message_id=message.id,
            title=content.title if content else embed.title or "",
            url=content.url if content else "",
            section=content.section if content else None,
            now=self.bot.clock(),
        )
        if content is not None and claim.post_id is not None:
            await self._open_thread(message, content.title, claim.post_id)
        if content is None:
            return Outcome.EMPTY
        return Outcome.POSTED_LATE if claim.late else Outcome.POSTED

    def _channel(self, schedule: Schedule) -> discord.abc.Messageable:
        # Through the guild: Client.get_channel walks every guild, too slow for a fan-out.
        guild = self.bot.get_guild(schedule.guild_id)
        channel = guild.get_channel(schedule.channel_id) if guild is not None else None
        if isinstance(channel, discord.TextChannel):
            return channel
        # Not in the cache (deleted, or the guild is unavailable): Discord's answer decides.
        return self.bot.get_partial_messageable(
            schedule.channel_id, guild_id=schedule.guild_id, type=discord.ChannelType.text
        )

    async def _send_with_retry(
        self,
        channel: discord.abc.Messageable,
        text: str | None,
        embed: discord.Embed,
        mentions: discord.AllowedMentions,
        claim: Claim,
    ) -> discord.Message:
        # The nonce is the same for every attempt: with enforce_nonce (which discord.py sets)
        # Discord answers a repeated send with the message it already created.
        nonce = f"paper-{claim.id}"
        for attempt in range(SEND_ATTEMPTS):
            await self._pace()
            try:
                return await channel.send(
                    content=text, embed=embed, allowed_mentions=mentions, nonce=nonce
                )
            except (discord.DiscordServerError, aiohttp.ClientConnectionError, OSError) as exc:
                if attempt == SEND_ATTEMPTS - 1:
                    raise
                delay = RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]
                log.info("retrying paper post of claim %s in %.1fs: %s", claim.id, delay, exc)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _open_thread(self, message: discord.Message, title: str, post_id: int) -> None:
        for attempt in range(2):
            await self._pace()
            try:
                thread = await message.create_thread(
                    name=embeds.thread_name(title), auto_archive_duration=THREAD_ARCHIVE_MINUTES
                )
            except discord.DiscordServerError as exc:
                if attempt == 0:
                    await asyncio.sleep(RETRY_DELAYS[0])
                    continue
                log.warning("could not open the thread of post %s: %s", post_id, exc)
                return
            except (discord.HTTPException, ValueError) as exc:
                # The post stands without its thread; members can still discuss it.
                log.warning("could not open the thread of post %s: %s", post_id, exc)
                return
            await self.repo.set_thread(post_id, thread.id)
            return

    async def _pause(self, schedule: Schedule, error: discord.HTTPException) -> None:
        template = PAUSED_404 if isinstance(error, discord.NotFound) else PAUSED_403
        reason = template.format(channel=schedule.channel_id)
        if not await self.repo.pause_schedule(schedule.id, reason, self.bot.clock()):
            return
        log.info("paused paper schedule %s: %s", schedule.id, reason)
        if self.bot.is_ready() and self.bot.get_guild(schedule.guild_id) is None:
            return  # StudyBot left that server: there is nobody there to tell
        await notify_admins(
            self.bot,
            schedule.guild_id,
            f"📄 The weekly paper post is paused: {reason}. Fix that, then run "
            f"`/paper schedule` for the channel again to resume it (or `/paper unschedule`).",
            fallback_user_id=schedule.created_by,
        )
