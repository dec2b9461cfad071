"""Delivering the paper of the week exactly once per occurrence.

Each schedule keeps its next occurrence in `paper_schedules.next_due_utc` (computed in its IANA
zone by `cogs.papers.schedule.next_occurrence`); the bot's agenda wakes when the earliest is
due. A due occurrence is claimed — the claim, its paper leaving the queue, the post row, the
outbox row and the next due time commit together — and the outbox sends it with the claim's
nonce, opens its thread and records both (see `bot.outbox`). An occurrence missed by more than
the 6-hour grace is recorded as skipped and never sent. A post that cannot be sent gives its
paper back to the queue, and a deleted channel or lost permission pauses the schedule and
tells the admins once.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.client import StudyBot
from bot.notify import pause_and_notify
from bot.outbox import Failure, Post, Rendered
from cogs.papers import embeds
from cogs.papers.catalogue import PaperCatalogue
from cogs.papers.repo import Claim, PaperRepo, QueuePick, ReadingPick, Schedule
from cogs.papers.schedule import (
    DEFAULT_GRACE,
    ON_TIME_WINDOW,
    next_occurrence,
    occurrence_at_or_before,
    parse_timezone,
)
from roadmap.reading_list import ReadingPaper

log = logging.getLogger(__name__)

KIND = "paper"


class Outcome(enum.StrEnum):
    """What one due schedule came to in a run."""

    CLAIMED = "claimed"
    SKIPPED = "skipped (too late)"
    BROKEN = "unreadable schedule"


@dataclass
class RunReport:
    """What a run over the due schedules did, by outcome, and how many posts went out."""

    outcomes: Counter[Outcome] = field(default_factory=Counter)
    delivered: int = 0

    @property
    def posted(self) -> int:
        """Posts that reached their channel in this run (new ones and settled ones)."""
        return self.delivered


PAUSED_404 = "the channel <#{channel}> no longer exists"
PAUSED_403 = (
    "StudyBot can no longer post in <#{channel}> (it needs View Channel, Send Messages and "
    "Embed Links there)"
)


class PaperDelivery:
    """Claims due occurrences into the outbox and renders and records their posts."""

    def __init__(
        self,
        bot: StudyBot,
        repo: PaperRepo,
        catalogue: PaperCatalogue,
        reading_list: Sequence[ReadingPaper],
    ) -> None:
        self.bot = bot
        self.repo = repo
        self.catalogue = catalogue
        self.reading_list = list(reading_list)

    # -- the agenda's due source --------------------------------------------------------------

    async def next_due(self) -> datetime | None:
        """When the earliest active schedule is due."""
        return await self.repo.next_due()

    async def run(self, now: datetime) -> None:
        """The agenda's call: claim what is due, then send it."""
        await self.run_due(now)

    async def run_due(self, now: datetime | None = None) -> RunReport:
        """Claim every due occurrence, then let the outbox send (and settle) the posts."""
        moment = now if now is not None else self.bot.clock()
        report = RunReport()
        while True:
            due = await self.repo.due_schedules(moment)
            if not due:
                break
            for index, schedule in enumerate(due):
                if index % 256 == 255:
                    await asyncio.sleep(0)  # thousands of schedules: let interactions in
                report.outcomes[await self._claim(schedule, moment)] += 1
        report.delivered = await self.bot.outbox.run(moment)
        return report

    async def _claim(self, schedule: Schedule, now: datetime) -> Outcome:
        assert schedule.next_due is not None
        try:
            tz = parse_timezone(schedule.timezone)
        except ValueError:
            log.warning("schedule %s has an unknown time zone %r", schedule.id, schedule.timezone)
            await self.repo.pause_schedule(schedule.id, "its time zone is unknown", now)
            return Outcome.BROKEN
        # The latest occurrence at or before now: weeks missed entirely while the bot was down
        # are not made up for, only the latest is sent (late) or skipped.
        occurrence = max(
            schedule.next_due, occurrence_at_or_before(now, schedule.weekday, schedule.at, tz)
        )
        following = next_occurrence(occurrence, schedule.weekday, schedule.at, tz)
        give_up_at = occurrence + DEFAULT_GRACE
        if now >= give_up_at:
            if await self.repo.skip_occurrence(schedule, occurrence, now, following):
                log.info("skipped the paper post of schedule %s due %s", schedule.id, occurrence)
            return Outcome.SKIPPED
        late = now - occurrence >= ON_TIME_WINDOW
        title = await self._next_title(schedule.guild_id)
        claim = await self.repo.claim(
            schedule,
            occurrence,
            late=late,
            now=now,
            next_due=following,
            give_up_at=give_up_at,
            reading_list=self.reading_list,
            thread_name=embeds.thread_name(title),
        )
        return Outcome.CLAIMED if claim is not None else Outcome.SKIPPED

    async def _next_title(self, guild_id: int) -> str:
        # The thread's name until the post is rendered, which names it after the paper the
        # claim did pick (another claim, a suggestion, may come between this guess and it).
        entries = await self.repo.queue(guild_id, limit=1)
        if entries:
            return entries[0].title
        had_keys, had_ids = await self.repo.had_reading_keys(guild_id)
        for paper in self.reading_list:
            if paper.key in had_keys or (paper.arxiv_id is not None and paper.arxiv_id in had_ids):
                continue
            meta = await self.catalogue.reading_metadata(paper)
            return meta.title if meta is not None else paper.title
        return "Paper of the week"

    # -- the outbox's post kind ---------------------------------------------------------------

    async def render(self, post: Post) -> Rendered | None:
        """The message of a claimed occurrence: the paper's embed, the role ping, a late note."""
        if post.ref is None:
            return None
        claim = await self.repo.claim_by_id(post.ref, self.reading_list)
        if claim is None:
            return None
        content = await self._content(claim)
        schedule = claim.schedule
        if content is None:
            embed = embeds.empty_week_embed()
            text = embeds.post_content_line(None, claim.occurrence if claim.late else None)
            return Rendered.of(text, [embed])
        if claim.post_id is not None:
            await self.repo.set_post_content(
                claim.post_id, content.title, content.url, content.section
            )
        text = embeds.post_content_line(schedule.role_id, claim.occurrence if claim.late else None)
        roles = (schedule.role_id,) if schedule.role_id is not None else ()
        # The thread is named after the paper the claim picked (the name enqueued with the
        # claim was a guess made before it).
        return Rendered.of(
            text,
            [embeds.paper_post_embed(content)],
            roles,
            thread_name=embeds.thread_name(content.title),
        )

    async def delivered(self, post: Post, message_id: int, thread_id: int | None) -> None:
        """Record the post and its thread."""
        if post.ref is not None:
            await self.repo.mark_posted(
                post.ref, message_id=message_id, thread_id=thread_id, now=self.bot.clock()
            )

    async def failed(self, post: Post, reason: Failure, detail: str) -> None:
        """Give the paper back; pause a schedule whose channel is gone; tell the admins once."""
        if post.ref is None or not await self.repo.mark_failed(post.ref):
            return
        claim = await self.repo.claim_by_id(post.ref, self.reading_list)
        schedule = claim.schedule if claim is not None else None
        # 0 marks an admin who deleted their data: nobody to DM then.
        created_by = (schedule.created_by or None) if schedule is not None else None
        if reason in ("gone", "forbidden") and schedule is not None:
            template = PAUSED_404 if reason == "gone" else PAUSED_403
            why = template.format(channel=post.channel_id)
            await pause_and_notify(
                self.bot,
                guild_id=post.guild_id,
                pause=lambda: self.repo.pause_schedule(schedule.id, why, self.bot.clock()),
                text=(
                    f"📄 The weekly paper post is paused: {why}. Fix that, then run "
                    "`/admin paper schedule` for the channel again to resume it (or "
                    "`/admin paper unschedule`)."
                ),
                fallback_user_id=created_by,
            )
            return
        await pause_and_notify(
            self.bot,
            guild_id=post.guild_id,
            pause=None,
            text=(
                f"📄 This week's paper post in <#{post.channel_id}> could not be sent ({detail}). "
                "Its paper went back to the queue; the schedule carries on next week."
            ),
            fallback_user_id=created_by,
        )

    # -- content ------------------------------------------------------------------------------

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
