"""SQL for the Kaggle feature: cached competitions, subscriptions, post claims and poll status."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

import aiosqlite

from bot.database import Database
from bot.outbox import NewPost, Outbox
from cogs.kaggle.client import Competition

#: The categories a subscription can follow ("all" follows every category).
CATEGORIES: tuple[str, ...] = ("all", "featured", "research", "playground", "getting-started")

ANNOUNCE = "announce"
REMIND_WEEK = "remind7"
REMIND_DAY = "remind1"
WEEKLY_PREFIX = "weekly:"

WEEK = timedelta(days=7)
DAY = timedelta(days=1)
# Competitions Kaggle stopped listing are forgotten this long after their deadline.
FORGET_AFTER = timedelta(days=180)


def to_epoch(moment: datetime) -> int:
    """Whole epoch seconds of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    """An aware UTC datetime from epoch seconds (None stays None)."""
    return None if value is None else datetime.fromtimestamp(value, UTC)


def weekly_kind(iso_year: int, iso_week: int) -> str:
    """The claim kind of a weekly challenge, e.g. "weekly:2026-W48"."""
    return f"{WEEKLY_PREFIX}{iso_year}-W{iso_week:02d}"


def reminder_kinds_due(deadline: datetime | None, now: datetime) -> list[str]:
    """The reminder kinds whose window has opened (deadline in the future, ≤ 7 d / ≤ 1 d away)."""
    if deadline is None or deadline <= now:
        return []
    left = deadline - now
    kinds = []
    if left <= WEEK:
        kinds.append(REMIND_WEEK)
    if left <= DAY:
        kinds.append(REMIND_DAY)
    return kinds


def category_matches(wanted: str, category: str | None) -> bool:
    """Whether a competition of `category` belongs to a subscription following `wanted`."""
    return wanted == "all" or category == wanted


@dataclass(frozen=True)
class Subscription:
    """A channel that receives Kaggle posts."""

    id: int
    guild_id: int
    channel_id: int
    category: str
    subscribed_by: int | None
    created_at: datetime
    summarised: bool
    paused_at: datetime | None
    pause_reason: str | None

    @property
    def paused(self) -> bool:
        """Whether posts to this channel are stopped until an admin subscribes again."""
        return self.paused_at is not None

    def wants(self, category: str | None) -> bool:
        """Whether a competition of this category is announced here."""
        return category_matches(self.category, category)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Subscription:
        """Build from a kaggle_subscriptions row."""
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            category=row["category"],
            subscribed_by=row["subscribed_by"],
            created_at=from_epoch(row["created_at"]) or datetime.min.replace(tzinfo=UTC),
            summarised=row["summarised_at"] is not None,
            paused_at=from_epoch(row["paused_at"]),
            pause_reason=row["pause_reason"],
        )


@dataclass(frozen=True)
class StoredCompetition:
    """A competition as last seen on Kaggle, with the roadmap sections it exercises."""

    ref: str
    title: str
    url: str
    description: str | None
    category: str | None
    reward: str | None
    deadline: datetime | None
    enabled_date: datetime | None
    team_count: int | None
    tags: tuple[str, ...]
    sections: tuple[str, ...]
    first_seen: datetime

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> StoredCompetition:
        """Build from a kaggle_competitions row."""
        return cls(
            ref=row["ref"],
            title=row["title"],
            url=row["url"],
            description=row["description"],
            category=row["category"],
            reward=row["reward"],
            deadline=from_epoch(row["deadline"]),
            enabled_date=from_epoch(row["enabled_date"]),
            team_count=row["team_count"],
            tags=tuple(_json_list(row["tags"])),
            sections=tuple(_json_list(row["sections"])),
            first_seen=from_epoch(row["first_seen"]) or datetime.min.replace(tzinfo=UTC),
        )


@dataclass(frozen=True)
class DueReminder:
    """A reminder to post now for a competition announced in a subscription."""

    competition: StoredCompetition
    kind: str  # REMIND_WEEK or REMIND_DAY
    also_claim: tuple[str, ...]  # earlier windows that passed unsent: claimed, never sent


@dataclass(frozen=True)
class KaggleStatus:
    """How polling Kaggle went lately."""

    last_success: datetime | None
    last_failure: datetime | None
    failure: str | None
    auth_error: str | None
    auth_error_since: datetime | None

    @property
    def failing(self) -> bool:
        """Whether the latest poll failed (the cached list is older than that attempt)."""
        return self.last_failure is not None


class SubscribeOutcome(StrEnum):
    """What /kaggle subscribe changed."""

    CREATED = "created"
    UPDATED = "updated"  # the category changed or a paused subscription resumed
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class SubscribeResult:
    """The subscription after /kaggle subscribe, and what changed."""

    subscription: Subscription
    outcome: SubscribeOutcome
    previous_category: str | None
    resumed: bool


def _json_list(text: str | None) -> list[str]:
    """A JSON list of strings stored in a column; anything else gives []."""
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


class KaggleRepo:
    """Parameterised SQL for the Kaggle tables."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---------------------------------------------------------------------- subscriptions

    async def subscribe(
        self, guild_id: int, channel_id: int, category: str, user_id: int, now: datetime
    ) -> SubscribeResult:
        """Create or update the channel's subscription; a change or a resume re-summarises."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        stamp = to_epoch(now)
        async with self.db.transaction() as conn:
            async with conn.execute(
                "SELECT * FROM kaggle_subscriptions WHERE channel_id = ?", (channel_id,)
            ) as cursor:
                existing = await cursor.fetchone()
            if existing is None:
                await conn.execute(
                    "INSERT INTO kaggle_subscriptions "
                    "(guild_id, channel_id, category, subscribed_by, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (guild_id, channel_id, category, user_id, stamp, stamp),
                )
                outcome, previous, resumed = SubscribeOutcome.CREATED, None, False
            else:
                previous = existing["category"]
                resumed = existing["paused_at"] is not None
                changed = previous != category or resumed
                # A new category or a resume posts a fresh summary instead of announcing, one
                # by one, everything that appeared meanwhile.
                await conn.execute(
                    "UPDATE kaggle_subscriptions SET category = ?, subscribed_by = ?, "
                    "updated_at = ?, paused_at = NULL, pause_reason = NULL, "
                    "summarised_at = CASE WHEN ? THEN NULL ELSE summarised_at END "
                    "WHERE id = ?",
                    (category, user_id, stamp, int(changed), existing["id"]),
                )
                outcome = SubscribeOutcome.UPDATED if changed else SubscribeOutcome.UNCHANGED
            async with conn.execute(
                "SELECT * FROM kaggle_subscriptions WHERE channel_id = ?", (channel_id,)
            ) as cursor:
                row = await cursor.fetchone()
        assert row is not None
        return SubscribeResult(Subscription.from_row(row), outcome, previous, resumed)

    async def unsubscribe(self, guild_id: int, channel_id: int) -> Subscription | None:
        """Delete the channel's subscription (and its claims); the removed one, if any."""
        async with self.db.transaction() as conn:
            async with conn.execute(
                "DELETE FROM kaggle_subscriptions WHERE guild_id = ? AND channel_id = ? "
                "RETURNING *",
                (guild_id, channel_id),
            ) as cursor:
                row = await cursor.fetchone()
        return None if row is None else Subscription.from_row(row)

    async def subscription(self, subscription_id: int) -> Subscription | None:
        """One subscription by id."""
        row = await self.db.fetch_one(
            "SELECT * FROM kaggle_subscriptions WHERE id = ?", (subscription_id,)
        )
        return None if row is None else Subscription.from_row(row)

    async def guild_subscriptions(self, guild_id: int) -> list[Subscription]:
        """A guild's subscriptions, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM kaggle_subscriptions WHERE guild_id = ? ORDER BY id", (guild_id,)
        )
        return [Subscription.from_row(row) for row in rows]

    async def active_subscriptions(self) -> list[Subscription]:
        """Every subscription that is not paused, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM kaggle_subscriptions WHERE paused_at IS NULL ORDER BY id"
        )
        return [Subscription.from_row(row) for row in rows]

    async def pause(self, subscription_id: int, reason: str, now: datetime) -> bool:
        """Pause a subscription; True only for the call that paused it (so admins hear once)."""
        changed = await self.db.execute(
            "UPDATE kaggle_subscriptions SET paused_at = ?, pause_reason = ? "
            "WHERE id = ? AND paused_at IS NULL",
            (to_epoch(now), reason, subscription_id),
        )
        return changed == 1

    async def subscriptions_by(self, guild_id: int, user_id: int) -> list[Subscription]:
        """The subscriptions a member set up last in a guild."""
        rows = await self.db.fetch_all(
            "SELECT * FROM kaggle_subscriptions WHERE guild_id = ? AND subscribed_by = ? "
            "ORDER BY id",
            (guild_id, user_id),
        )
        return [Subscription.from_row(row) for row in rows]

    # Member data (bot.personal.MemberData): only who set a subscription up names a member.
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "kaggle_subscriptions": ("subscribed_by",),
    }
    personal_summary: ClassVar[str] = (
        "your name on the Kaggle subscriptions you set up (they keep running)"
    )

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The Kaggle subscriptions a member set up in a guild, ready for JSON."""
        return {
            "kaggle_subscriptions_set_up": [
                {
                    "channel_id": str(s.channel_id),
                    "category": s.category,
                    "since": s.created_at.isoformat(),
                    "paused": s.paused,
                }
                for s in await self.subscriptions_by(guild_id, user_id)
            ]
        }

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Drop a member's id from the subscriptions they set up; how many were changed."""
        return await self.db.execute(
            "UPDATE kaggle_subscriptions SET subscribed_by = NULL "
            "WHERE guild_id = ? AND subscribed_by = ?",
            (guild_id, user_id),
        )

    # ----------------------------------------------------------------------- competitions

    async def store_competitions(
        self,
        competitions: Sequence[Competition],
        sections: dict[str, list[str]],
        now: datetime,
    ) -> int:
        """Replace the listed set with Kaggle's latest answer; returns how many are new."""
        stamp = to_epoch(now)
        rows = [
            (
                c.ref,
                c.title,
                c.url,
                c.description,
                c.category,
                c.reward,
                None if c.deadline is None else to_epoch(c.deadline),
                None if c.enabled_date is None else to_epoch(c.enabled_date),
                c.team_count,
                json.dumps(c.tags),
                json.dumps(sections.get(c.ref, [])),
                stamp,
                stamp,
            )
            for c in competitions
        ]
        async with self.db.transaction() as conn:
            known = {
                row[0] for row in await conn.execute_fetchall("SELECT ref FROM kaggle_competitions")
            }
            await conn.execute("UPDATE kaggle_competitions SET listed = 0 WHERE listed = 1")
            await conn.executemany(
                "INSERT INTO kaggle_competitions (ref, title, url, description, category, "
                "reward, deadline, enabled_date, team_count, tags, sections, first_seen, "
                "last_seen, listed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
                "ON CONFLICT (ref) DO UPDATE SET title = excluded.title, url = excluded.url, "
                "description = excluded.description, category = excluded.category, "
                "reward = excluded.reward, deadline = excluded.deadline, "
                "enabled_date = excluded.enabled_date, team_count = excluded.team_count, "
                "tags = excluded.tags, sections = excluded.sections, "
                "last_seen = excluded.last_seen, listed = 1",
                rows,
            )
            await conn.execute(
                "DELETE FROM kaggle_competitions WHERE listed = 0 AND deadline < ?",
                (to_epoch(now - FORGET_AFTER),),
            )
        return len({c.ref for c in competitions} - known)

    async def active_competitions(
        self, now: datetime, category: str = "all"
    ) -> list[StoredCompetition]:
        """Listed competitions whose deadline has not passed, soonest deadline first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM kaggle_competitions WHERE listed = 1 "
            "AND (deadline IS NULL OR deadline > ?) "
            "ORDER BY deadline IS NULL, deadline, first_seen, ref",
            (to_epoch(now),),
        )
        competitions = [StoredCompetition.from_row(row) for row in rows]
        return [c for c in competitions if category_matches(category, c.category)]

    async def active_page(
        self, now: datetime, offset: int, limit: int
    ) -> tuple[list[StoredCompetition], int]:
        """One page of the open competitions, in list order, and how many are open in all."""
        rows = await self.db.fetch_all(
            "SELECT *, COUNT(*) OVER () AS total FROM kaggle_competitions WHERE listed = 1 "
            "AND (deadline IS NULL OR deadline > ?) "
            "ORDER BY deadline IS NULL, deadline, first_seen, ref LIMIT ? OFFSET ?",
            (to_epoch(now), limit, offset),
        )
        total = int(rows[0]["total"]) if rows else 0
        return [StoredCompetition.from_row(row) for row in rows], total

    async def unannounced(
        self, subscription: Subscription, now: datetime
    ) -> list[StoredCompetition]:
        """Active competitions of the subscription's category not yet announced there."""
        rows = await self.db.fetch_all(
            "SELECT c.* FROM kaggle_competitions c WHERE c.listed = 1 "
            "AND (c.deadline IS NULL OR c.deadline > ?) "
            "AND NOT EXISTS (SELECT 1 FROM kaggle_deliveries d WHERE d.subscription_id = ? "
            "AND d.competition_ref = c.ref AND d.kind = ?) "
            "ORDER BY c.first_seen, c.enabled_date, c.ref",
            (to_epoch(now), subscription.id, ANNOUNCE),
        )
        competitions = [StoredCompetition.from_row(row) for row in rows]
        return [c for c in competitions if subscription.wants(c.category)]

    async def due_reminders(self, subscription_id: int, now: datetime) -> list[DueReminder]:
        """Reminders due now for competitions announced in a subscription, once each."""
        rows = await self.db.fetch_all(
            "SELECT c.*, "
            "EXISTS (SELECT 1 FROM kaggle_deliveries r WHERE r.subscription_id = d.subscription_id "
            "AND r.competition_ref = c.ref AND r.kind = ?) AS has_week, "
            "EXISTS (SELECT 1 FROM kaggle_deliveries r WHERE r.subscription_id = d.subscription_id "
            "AND r.competition_ref = c.ref AND r.kind = ?) AS has_day "
            "FROM kaggle_deliveries d JOIN kaggle_competitions c ON c.ref = d.competition_ref "
            "WHERE d.subscription_id = ? AND d.kind = ? AND c.listed = 1 "
            "AND c.deadline > ? AND c.deadline <= ? ORDER BY c.deadline, c.ref",
            (
                REMIND_WEEK,
                REMIND_DAY,
                subscription_id,
                ANNOUNCE,
                to_epoch(now),
                to_epoch(now + WEEK),
            ),
        )
        due: list[DueReminder] = []
        for row in rows:
            competition = StoredCompetition.from_row(row)
            kinds = reminder_kinds_due(competition.deadline, now)
            claimed = {REMIND_WEEK} if row["has_week"] else set()
            if row["has_day"]:
                claimed.add(REMIND_DAY)
            if REMIND_DAY in kinds and REMIND_DAY not in claimed:
                # The bot was down through the 7-day window: only the 1-day reminder is sent.
                skipped = (REMIND_WEEK,) if REMIND_WEEK not in claimed else ()
                due.append(DueReminder(competition, REMIND_DAY, skipped))
            elif REMIND_WEEK in kinds and REMIND_DAY not in kinds and REMIND_WEEK not in claimed:
                due.append(DueReminder(competition, REMIND_WEEK, ()))
        return due

    # ----------------------------------------------------------------------------- claims

    async def claim(
        self,
        subscription_id: int,
        ref: str,
        kind: str,
        now: datetime,
        also: Iterable[str] = (),
        post: NewPost | None = None,
    ) -> bool:
        """Commit a claim for one post (plus silent `also` kinds) and its outbox row.

        False if already claimed; the claim and the outbox row commit together, so the post
        goes out exactly once.
        """
        stamp = to_epoch(now)
        insert = (
            "INSERT INTO kaggle_deliveries (subscription_id, competition_ref, kind, claimed_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
        )
        extras = [(subscription_id, ref, extra, stamp) for extra in also]
        try:
            async with self.db.transaction() as conn:
                cursor = await conn.execute(insert, (subscription_id, ref, kind, stamp))
                claimed = cursor.rowcount == 1
                await cursor.close()
                if not claimed:
                    return False
                if extras:
                    await conn.executemany(insert, extras)
                if post is not None:
                    await Outbox.enqueue(conn, post, now)
        except sqlite3.IntegrityError:
            return False  # the subscription was removed meanwhile
        return True

    async def claim_summary(
        self,
        subscription_id: int,
        claims: Iterable[tuple[str, str]],
        now: datetime,
        post: NewPost | None = None,
    ) -> bool:
        """Mark a subscription summarised, claim (ref, kind) pairs and queue the summary post.

        False if done already.
        """
        stamp = to_epoch(now)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE kaggle_subscriptions SET summarised_at = ? "
                "WHERE id = ? AND summarised_at IS NULL AND paused_at IS NULL",
                (stamp, subscription_id),
            )
            if cursor.rowcount != 1:
                return False
            await conn.executemany(
                "INSERT INTO kaggle_deliveries (subscription_id, competition_ref, kind, "
                "claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(subscription_id, ref, kind, stamp) for ref, kind in claims],
            )
            if post is not None:
                await Outbox.enqueue(conn, post, now)
        return True

    async def weekly_claimed(self, subscription_id: int, kind: str) -> bool:
        """Whether this week's challenge was already claimed for a subscription."""
        value = await self.db.fetch_value(
            "SELECT 1 FROM kaggle_deliveries WHERE subscription_id = ? AND kind = ?",
            (subscription_id, kind),
        )
        return value is not None

    async def offered_challenges(self, subscription_id: int) -> list[str]:
        """Slugs of the weekly challenges offered to a subscription, oldest first."""
        rows = await self.db.fetch_all(
            "SELECT competition_ref FROM kaggle_deliveries "
            "WHERE subscription_id = ? AND kind LIKE 'weekly:%' ORDER BY claimed_at, kind",
            (subscription_id,),
        )
        return [row[0] for row in rows]

    async def guild_challenge(self, guild_id: int, kind: str) -> str | None:
        """The slug of the weekly challenge posted in a guild for a week, if any."""
        value = await self.db.fetch_value(
            "SELECT d.competition_ref FROM kaggle_deliveries d "
            "JOIN kaggle_subscriptions s ON s.id = d.subscription_id "
            "WHERE s.guild_id = ? AND d.kind = ? ORDER BY d.claimed_at LIMIT 1",
            (guild_id, kind),
        )
        return None if value is None else str(value)

    async def claims(self, subscription_id: int) -> list[tuple[str, str]]:
        """Every (ref, kind) claimed for a subscription, for inspection."""
        rows = await self.db.fetch_all(
            "SELECT competition_ref, kind FROM kaggle_deliveries WHERE subscription_id = ? "
            "ORDER BY claimed_at, competition_ref, kind",
            (subscription_id,),
        )
        return [(row[0], row[1]) for row in rows]

    # ----------------------------------------------------------------------------- status

    async def status(self) -> KaggleStatus:
        """The poll status row."""
        row = await self.db.fetch_one("SELECT * FROM kaggle_status WHERE id = 1")
        if row is None:
            return KaggleStatus(None, None, None, None, None)
        return KaggleStatus(
            last_success=from_epoch(row["last_success"]),
            last_failure=from_epoch(row["last_failure"]),
            failure=row["failure"],
            auth_error=row["auth_error"],
            auth_error_since=from_epoch(row["auth_error_since"]),
        )

    async def record_success(self, now: datetime) -> None:
        """Kaggle answered: clear any failure or refused credentials."""
        await self.db.execute(
            "UPDATE kaggle_status SET last_success = ?, last_failure = NULL, failure = NULL, "
            "auth_error = NULL, auth_error_since = NULL WHERE id = 1",
            (to_epoch(now),),
        )

    async def record_failure(self, now: datetime, reason: str) -> None:
        """Kaggle could not be reached."""
        await self.db.execute(
            "UPDATE kaggle_status SET last_failure = ?, failure = ? WHERE id = 1",
            (to_epoch(now), reason),
        )

    async def record_auth_error(self, now: datetime, reason: str) -> None:
        """Kaggle refused the credentials (the first time is kept as `since`)."""
        stamp = to_epoch(now)
        await self.db.execute(
            "UPDATE kaggle_status SET last_failure = ?, failure = ?, auth_error = ?, "
            "auth_error_since = COALESCE(auth_error_since, ?) WHERE id = 1",
            (stamp, reason, reason, stamp),
        )
