"""Polling Kaggle and posting to subscribed channels: summaries, announcements, reminders.

Every post is claimed in `kaggle_deliveries` (committed) before it is sent, so a restart, a
second poll or a slow one never posts twice. Without Kaggle credentials the same machinery
posts a curated challenge of the week instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, NoReturn

import discord

from bot.channels import missing_post_permissions
from bot.notify import pause_and_notify
from bot.outbox import Failure, NewPost, Post, Rendered
from cogs.kaggle import embeds
from cogs.kaggle.client import (
    KaggleAuthError,
    KaggleClient,
    KaggleError,
)
from cogs.kaggle.repo import (
    ANNOUNCE,
    KaggleRepo,
    KaggleStatus,
    Subscription,
    reminder_kinds_due,
    weekly_kind,
)
from roadmap.kaggle_data import CuratedCompetition, challenge_for_week, load_curated, sections_for

if TYPE_CHECKING:
    from bot.client import StudyBot

log = logging.getLogger(__name__)

KIND = "kaggle"
#: A post that could not be sent within this long after its claim is given up.
GRACE = timedelta(hours=6)

PollState = Literal["ok", "auth", "unavailable", "curated"]
PostableChannel = discord.TextChannel  # text and announcement channels alike


@dataclass(frozen=True)
class PollResult:
    """What one poll did."""

    state: PollState
    fetched: int = 0
    new: int = 0
    posted: int = 0


class _Paused(Exception):
    """The subscription's channel is gone or unwritable; it was paused."""


def current_cycle(offered: list[str], size: int) -> set[str]:
    """Challenges offered in the current pass over the curated list (never last week's)."""
    if not offered or size <= 0:
        return set()
    done = len(offered) % size
    recent = offered[len(offered) - done :] if done else offered[-1:]
    return set(recent)


class Announcer:
    """Fetches Kaggle's list into the cache and delivers posts to every subscription."""

    def __init__(self, bot: StudyBot, repo: KaggleRepo, client: KaggleClient | None) -> None:
        self.bot = bot
        self.repo = repo
        self.client = client
        self.section_titles = {s.id: s.title for s in bot.roadmap.sections}
        self._poll_lock = asyncio.Lock()
        self._deliver_lock = asyncio.Lock()
        self._auth_failing = False
        self._status: KaggleStatus | None = None

    async def status(self, *, fresh: bool = False) -> KaggleStatus:
        """How the polls went, as stored.

        Commands read the copy kept in memory since this process's last poll or delivery run;
        deliveries read it afresh (`fresh`), since another process may have polled meanwhile.
        """
        if self._status is None or fresh:
            self._status = await self.repo.status()
        return self._status

    @property
    def live(self) -> bool:
        """Whether Kaggle credentials are set (live announcements instead of curated ones)."""
        return self.client is not None

    # ------------------------------------------------------------------------------ polling

    async def poll(self) -> PollResult:
        """Refresh the cached list from Kaggle (when configured), then deliver what is due."""
        async with self._poll_lock:
            if self.client is None:
                posted = await self.deliver_all()
                return PollResult("curated", posted=posted)
            state: PollState = "ok"
            fetched = new = 0
            try:
                competitions = await self.client.list_competitions()
            except KaggleAuthError as exc:
                state = "auth"
                if not self._auth_failing:
                    log.error("%s: no Kaggle announcements until the credentials are fixed", exc)
                self._auth_failing = True
                await self.repo.record_auth_error(self.bot.clock(), str(exc))
            except KaggleError as exc:
                state = "unavailable"
                log.warning("%s; trying again at the next poll", exc)
                await self.repo.record_failure(self.bot.clock(), str(exc))
            else:
                if self._auth_failing:
                    log.info("Kaggle accepts the credentials again")
                self._auth_failing = False
                sections = {
                    c.ref: sections_for(c.title, c.tags, c.description) for c in competitions
                }
                # The list and the time of this successful check are stored together.
                new = await self.repo.store_competitions(competitions, sections, self.bot.clock())
                fetched = len(competitions)
            posted = await self.deliver_all()  # which reads the new status into memory
            return PollResult(state, fetched, new, posted)

    # ----------------------------------------------------------------------------- delivery

    async def deliver_all(self) -> int:
        """Claim what is due for every subscription and send it; returns how many were claimed."""
        async with self._deliver_lock:
            now = self.bot.clock()
            has_list = (await self.status(fresh=True)).last_success is not None
            posted = 0
            for subscription in await self.repo.active_subscriptions():
                posted += await self._deliver_guarded(subscription, now, has_list)
        if posted:
            await self.bot.outbox.run()
        return posted

    async def deliver_subscription(self, subscription_id: int) -> int:
        """Deliver what is due to one subscription (right after /kaggle subscribe)."""
        async with self._deliver_lock:
            subscription = await self.repo.subscription(subscription_id)
            if subscription is None or subscription.paused:
                return 0
            now = self.bot.clock()
            has_list = (await self.status(fresh=True)).last_success is not None
            posted = await self._deliver_guarded(subscription, now, has_list)
        if posted:
            await self.bot.outbox.run()
        return posted

    async def _deliver_guarded(
        self, subscription: Subscription, now: datetime, has_list: bool
    ) -> int:
        """Deliver to one subscription; its faults never stop the others."""
        try:
            if self.live:
                return await self._deliver_live(subscription, now, has_list)
            return await self._deliver_weekly(subscription, now)
        except _Paused:
            return 0
        except Exception:
            log.exception(
                "Kaggle delivery to channel %s (guild %s) failed",
                subscription.channel_id,
                subscription.guild_id,
            )
            return 0

    async def _deliver_live(self, subscription: Subscription, now: datetime, has_list: bool) -> int:
        """The summary (first time), then new competitions, then due reminders."""
        channel = await self._channel_for(subscription, now)
        if channel is None:
            return 0
        posted = 0
        if not subscription.summarised:
            if not has_list:
                return 0  # nothing fetched yet: the first successful poll summarises
            active = await self.repo.active_competitions(now, subscription.category)
            claims = [(c.ref, ANNOUNCE) for c in active]
            # Windows already open are covered by the summary itself.
            claims += [
                (c.ref, kind) for c in active for kind in reminder_kinds_due(c.deadline, now)
            ]
            embed = embeds.summary_embed(active, subscription.category, now)
            post = self._post(subscription, embed, now)
            if await self.repo.claim_summary(subscription.id, claims, now, post):
                posted += 1
        else:
            for competition in await self.repo.unannounced(subscription, now):
                also = reminder_kinds_due(competition.deadline, now)
                embed = embeds.competition_embed(competition, self.section_titles)
                post = self._post(subscription, embed, now)
                if await self.repo.claim(
                    subscription.id, competition.ref, ANNOUNCE, now, also, post
                ):
                    posted += 1
        for due in await self.repo.due_reminders(subscription.id, now):
            if not subscription.wants(due.competition.category):
                continue  # announced under an earlier category choice
            ref = due.competition.ref
            post = self._post(subscription, embeds.reminder_embed(due.competition, due.kind), now)
            if await self.repo.claim(subscription.id, ref, due.kind, now, due.also_claim, post):
                posted += 1
        return posted

    def weekly_challenge(self, now: datetime, offered: list[str]) -> CuratedCompetition:
        """This ISO week's curated challenge for a subscription that was offered `offered`."""
        year, week, _ = now.isocalendar()
        already = current_cycle(offered, len(load_curated()))
        return challenge_for_week(year, week, already)

    async def _deliver_weekly(self, subscription: Subscription, now: datetime) -> int:
        """The curated challenge of the ISO week, once per subscription."""
        year, week, _ = now.isocalendar()
        kind = weekly_kind(year, week)
        if await self.repo.weekly_claimed(subscription.id, kind):
            return 0
        channel = await self._channel_for(subscription, now)
        if channel is None:
            return 0
        challenge = self.weekly_challenge(now, await self.repo.offered_challenges(subscription.id))
        embed = embeds.challenge_embed(challenge, year, week, self.section_titles)
        post = self._post(subscription, embed, now)
        return int(await self.repo.claim(subscription.id, challenge.slug, kind, now, (), post))

    @staticmethod
    def _post(subscription: Subscription, embed: discord.Embed, now: datetime) -> NewPost:
        """The outbox row of one post to a subscription's channel."""
        return NewPost(
            kind=KIND,
            ref=subscription.id,
            guild_id=subscription.guild_id,
            channel_id=subscription.channel_id,
            due_at=now,
            give_up_at=now + GRACE,
            payload=Rendered.of(None, [embed]),
        )

    # ------------------------------------------------------------------------------ channels

    async def _channel_for(
        self, subscription: Subscription, now: datetime
    ) -> discord.abc.Messageable | None:
        """The channel to post in; None to skip this time; raises _Paused when it is unusable."""
        guild = self.bot.get_guild(subscription.guild_id)
        if guild is None or guild.unavailable:
            return None  # not in that server (any more) or it is in an outage: skip quietly
        channel = guild.get_channel(subscription.channel_id)
        if channel is None:
            await self._pause(subscription, now, "the channel was deleted")
        if not isinstance(channel, PostableChannel):
            await self._pause(subscription, now, "it is no longer a text channel")
        missing = missing_post_permissions(channel)
        if missing:
            await self._pause(subscription, now, f"StudyBot lacks {', '.join(missing)} there")
        return channel

    # ------------------------------------------------------------------ the outbox's post kind

    async def render(self, post: Post) -> Rendered | None:
        """Kaggle posts are rendered when they are claimed."""
        return None

    async def delivered(self, post: Post, message_id: int, thread_id: int | None) -> None:
        """Nothing more to record: the claim stands."""

    async def failed(self, post: Post, reason: Failure, detail: str) -> None:
        """Pause a subscription whose channel is gone or closed; else tell the admins once."""
        if post.ref is None:
            return
        subscription = await self.repo.subscription(post.ref)
        if subscription is None or subscription.channel_id != post.channel_id:
            return  # unsubscribed meanwhile (SQLite may even have given its id to another)
        if reason in ("gone", "forbidden"):
            why = (
                "the channel was deleted"
                if reason == "gone"
                else ("StudyBot may not post there any more")
            )
            with contextlib.suppress(_Paused):
                await self._pause(subscription, self.bot.clock(), why)
            return
        day = self.bot.clock().date().isoformat()
        if await self.bot.db.add_meta(f"kaggle:failed-notice:{subscription.id}:{day}", detail):
            await pause_and_notify(
                self.bot,
                guild_id=subscription.guild_id,
                pause=None,
                text=(
                    f"StudyBot could not post a Kaggle update in <#{subscription.channel_id}> "
                    f"({detail}). The subscription carries on with the next ones."
                ),
                fallback_user_id=subscription.subscribed_by,
            )

    async def _pause(self, subscription: Subscription, now: datetime, reason: str) -> NoReturn:
        """Pause a subscription, tell its server's admins once, and stop delivering to it."""
        text = (
            f"StudyBot paused the Kaggle posts for <#{subscription.channel_id}>: {reason}. "
            "An admin can resume them with `/admin kaggle subscribe` in a channel StudyBot can "
            "post in (it needs View Channel, Send Messages and Embed Links)."
        )
        await pause_and_notify(
            self.bot,
            guild_id=subscription.guild_id,
            pause=lambda: self.repo.pause(subscription.id, reason, now),
            text=text,
            fallback_user_id=subscription.subscribed_by,
        )
        raise _Paused
