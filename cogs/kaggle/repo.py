"""SQL for the Kaggle feature: cached competitions, subscriptions, post claims and poll status."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar

from bot.clock import db_time, db_time_or_none, parse_db_time, parse_db_time_or_none
from bot.database import Database, IntegrityError, Row, Tx
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
    def from_row(cls, row: Row) -> Subscription:
        """Build from a kaggle_subscriptions row."""
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            channel_id=row["channel_id"],
            category=row["category"],
            subscribed_by=row["subscribed_by"],
            created_at=parse_db_time(row["created_at"]),
            summarised=row["summarised_at"] is not None,
            paused_at=parse_db_time_or_none(row["paused_at"]),
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
    def from_row(cls, row: Row) -> StoredCompetition:
        """Build from a kaggle_competitions row."""
        return cls(
            ref=row["ref"],
            title=row["title"],
            url=row["url"],
            description=row["description"],
            category=row["category"],
            reward=row["reward"],
            deadline=parse_db_time_or_none(row["deadline"]),
            enabled_date=parse_db_time_or_none(row["enabled_date"]),
            team_count=row["team_count"],
            tags=tuple(_json_list(row["tags"])),
            sections=tuple(_json_list(row["sections"])),
            first_seen=parse_db_time(row["first_seen"]),
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


_SUBSCRIPTION_INSERT = (
    "INSERT INTO kaggle_subscriptions "
    "(guild_id, channel_id, category, subscribed_by, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel_id) DO NOTHING RETURNING *"
)
_RECORD_SUCCESS = (
    "UPDATE kaggle_status SET last_success = ?, last_failure = NULL, failure = NULL, "
    "auth_error = NULL, auth_error_since = NULL WHERE id = 1"
)
_CLAIM = (
    "INSERT INTO kaggle_deliveries (subscription_id, competition_ref, kind, claimed_at) "
    "SELECT id, CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT) FROM kaggle_subscriptions "
    "WHERE id = ? AND paused_at IS NULL ON CONFLICT DO NOTHING"
)
_CLAIM_ALSO = (
    "INSERT INTO kaggle_deliveries (subscription_id, competition_ref, kind, claimed_at) "
    "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


def _locked(tx: Tx) -> str:
    """The row-lock clause for a read that decides a write in the same transaction.

    PostgreSQL runs transactions side by side (READ COMMITTED): the row is locked until the
    commit. SQLite needs none: `BEGIN IMMEDIATE` lets one writer in at a time.
    """
    return " FOR UPDATE" if tx.dialect == "postgresql" else ""


class KaggleRepo:
    """Parameterised SQL for the Kaggle tables, the same on SQLite and PostgreSQL.

    Every step that reads to decide a write is one statement, a unique constraint or a row
    lock, so several connections (a PostgreSQL pool, several processes) never post twice.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    # ---------------------------------------------------------------------- subscriptions

    async def subscribe(
        self, guild_id: int, channel_id: int, category: str, user_id: int, now: datetime
    ) -> SubscribeResult:
        """Create or update the channel's subscription; a change or a resume re-summarises."""
        if category not in CATEGORIES:
            raise ValueError(f"unknown category {category!r}")
        stamp = db_time(now)
        params = (guild_id, channel_id, category, user_id, stamp, stamp)
        async with self.db.transaction() as tx:
            # The channel's unique key decides who creates it; whoever finds it there locks
            # it, so what changed is told from the row as it really was.
            for _ in range(3):
                row = await tx.fetch_one(_SUBSCRIPTION_INSERT, params)
                if row is not None:
                    created = Subscription.from_row(row)
                    return SubscribeResult(created, SubscribeOutcome.CREATED, None, False)
                existing = await tx.fetch_one(
                    "SELECT * FROM kaggle_subscriptions WHERE channel_id = ?" + _locked(tx),
                    (channel_id,),
                )
                if existing is not None:
                    break
                # Unsubscribed between the two statements: try the insert again.
            else:
                raise RuntimeError(f"the subscription of channel {channel_id} keeps vanishing")
            previous = str(existing["category"])
            resumed = existing["paused_at"] is not None
            changed = previous != category or resumed
            # A new category or a resume posts a fresh summary instead of announcing, one by
            # one, everything that appeared meanwhile.
            row = await tx.fetch_one(
                "UPDATE kaggle_subscriptions SET category = ?, subscribed_by = ?, "
                "updated_at = ?, paused_at = NULL, pause_reason = NULL, summarised_at = ? "
                "WHERE id = ? RETURNING *",
                (
                    category,
                    user_id,
                    stamp,
                    None if changed else existing["summarised_at"],
                    existing["id"],
                ),
            )
        assert row is not None  # the row is locked (or the only writer is us)
        outcome = SubscribeOutcome.UPDATED if changed else SubscribeOutcome.UNCHANGED
        return SubscribeResult(Subscription.from_row(row), outcome, previous, resumed)

    async def unsubscribe(self, guild_id: int, channel_id: int) -> Subscription | None:
        """Delete the channel's subscription (and its claims); the removed one, if any."""
        row = await self.db.fetch_one(
            "DELETE FROM kaggle_subscriptions WHERE guild_id = ? AND channel_id = ? RETURNING *",
            (guild_id, channel_id),
        )
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
            (db_time(now), reason, subscription_id),
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
        """Replace the listed set with Kaggle's answer at `now` and record the successful poll.

        Returns how many competitions are new. The list and the time it was checked commit
        together.
        """
        stamp = db_time(now)
        rows = [
            (
                c.ref,
                c.title,
                c.url,
                c.description,
                c.category,
                c.reward,
                db_time_or_none(c.deadline),
                db_time_or_none(c.enabled_date),
                c.team_count,
                json.dumps(c.tags),
                json.dumps(sections.get(c.ref, [])),
                stamp,
                stamp,
            )
            for c in competitions
        ]
        async with self.db.transaction() as tx:
            # Writing the one status row first locks it: two processes storing their answers
            # at once take turns, so the listed set is always one whole answer, never a mix,
            # and the count of new competitions is right for each.
            await tx.execute(_RECORD_SUCCESS, (stamp,))
            known = {row[0] for row in await tx.fetch_all("SELECT ref FROM kaggle_competitions")}
            await tx.execute("UPDATE kaggle_competitions SET listed = 0 WHERE listed = 1")
            await tx.executemany(
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
            await tx.execute(
                "DELETE FROM kaggle_competitions WHERE listed = 0 AND deadline < ?",
                (db_time(now - FORGET_AFTER),),
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
            (db_time(now),),
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
            (db_time(now), limit, offset),
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
            (db_time(now), subscription.id, ANNOUNCE),
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
                db_time(now),
                db_time(now + WEEK),
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

        False if already claimed, or the subscription is paused or gone; the claim and the
        outbox row commit together, so the post goes out exactly once.
        """
        stamp = db_time(now)
        extras = [(subscription_id, ref, extra, stamp) for extra in also]
        try:
            async with self.db.transaction() as tx:
                # The primary key (and one weekly challenge a week) decides between racing
                # claims: the loser's insert does nothing and counts 0.
                if await tx.execute(_CLAIM, (ref, kind, stamp, subscription_id)) != 1:
                    return False
                if extras:
                    await tx.executemany(_CLAIM_ALSO, extras)
                if post is not None:
                    await Outbox.enqueue(tx, post, now)
        except IntegrityError:
            # The subscription was deleted by a transaction that committed after this one
            # looked. On PostgreSQL the error ended the transaction: it is rolled back here,
            # outside it, and nothing more runs in it.
            return False
        return True

    async def claim_summary(
        self,
        subscription_id: int,
        claims: Iterable[tuple[str, str]],
        now: datetime,
        post: NewPost | None = None,
    ) -> bool:
        """Mark a subscription summarised, claim (ref, kind) pairs and queue the summary post.

        False if done already (or the subscription is paused or gone).
        """
        stamp = db_time(now)
        async with self.db.transaction() as tx:
            # One UPDATE both checks and marks: of two racing summaries, the second finds
            # summarised_at set (PostgreSQL re-checks the row after the first commits).
            marked = await tx.execute(
                "UPDATE kaggle_subscriptions SET summarised_at = ? "
                "WHERE id = ? AND summarised_at IS NULL AND paused_at IS NULL",
                (stamp, subscription_id),
            )
            if marked != 1:
                return False
            await tx.executemany(
                _CLAIM_ALSO, [(subscription_id, ref, kind, stamp) for ref, kind in claims]
            )
            if post is not None:
                await Outbox.enqueue(tx, post, now)
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
            last_success=parse_db_time_or_none(row["last_success"]),
            last_failure=parse_db_time_or_none(row["last_failure"]),
            failure=row["failure"],
            auth_error=row["auth_error"],
            auth_error_since=parse_db_time_or_none(row["auth_error_since"]),
        )

    async def record_success(self, now: datetime) -> None:
        """Kaggle answered: clear any failure or refused credentials."""
        await self.db.execute(_RECORD_SUCCESS, (db_time(now),))

    async def record_failure(self, now: datetime, reason: str) -> None:
        """Kaggle could not be reached."""
        await self.db.execute(
            "UPDATE kaggle_status SET last_failure = ?, failure = ? WHERE id = 1",
            (db_time(now), reason),
        )

    async def record_auth_error(self, now: datetime, reason: str) -> None:
        """Kaggle refused the credentials (the first time is kept as `since`)."""
        stamp = db_time(now)
        await self.db.execute(
            "UPDATE kaggle_status SET last_failure = ?, failure = ?, auth_error = ?, "
            "auth_error_since = COALESCE(auth_error_since, ?) WHERE id = 1",
            (stamp, reason, reason, stamp),
        )
