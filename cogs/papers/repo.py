"""The paper club's SQL: schedules, delivery claims, the voted queue, posts and reads."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, ClassVar

from bot.clock import db_time, parse_db_time, parse_db_time_or_none
from bot.database import Database, Row, Tx
from bot.outbox import NewPost, Outbox
from cogs.papers.arxiv import ArxivPaper
from cogs.papers.schedule import WEEKDAYS, next_occurrence, parse_timezone
from roadmap.reading_list import ReadingPaper

# Claim states: 'claimed' while sending, then 'posted', 'failed' (the channel refused it),
# 'skipped' (missed by more than the grace period) or 'empty' (nothing left to post).
ClaimStatus = str


@dataclass(frozen=True, slots=True)
class Schedule:
    """A weekly paper post in one channel."""

    id: int
    guild_id: int
    channel_id: int
    weekday: int
    at: time
    timezone: str
    role_id: int | None
    created_by: int
    active_since: datetime
    paused_at: datetime | None
    pause_reason: str | None
    last_claimed: datetime | None = None
    next_due: datetime | None = None
    #: How many times the channel's schedule was replaced; a claim made from an older reading
    #: of the schedule is refused.
    revision: int = 0

    @property
    def paused(self) -> bool:
        """Whether delivery is stopped until an admin schedules it again."""
        return self.paused_at is not None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A paper waiting in a server's queue, with its votes."""

    id: int
    guild_id: int
    arxiv_id: str
    title: str
    abs_url: str
    suggested_by: int | None
    suggested_at: datetime
    votes: int


class QueueRefusal(enum.StrEnum):
    """Why a suggestion did not join the queue."""

    QUEUED = "already in the queue"
    HAD = "the server already had it"
    FULL = "the queue is full"


@dataclass(frozen=True, slots=True)
class PostRecord:
    """A paper of the week a server was given."""

    id: int
    guild_id: int
    channel_id: int
    title: str
    url: str
    section: str | None
    arxiv_id: str | None
    reading_key: str | None
    posted_at: datetime | None
    message_id: int | None
    thread_id: int | None
    readers: int


@dataclass(frozen=True, slots=True)
class QueuePick:
    """The queue's top paper, chosen for a post (it has left the queue)."""

    queue_id: int
    paper: ArxivPaper
    suggested_by: int | None
    votes: int


@dataclass(frozen=True, slots=True)
class ReadingPick:
    """The next reading-list paper the server has not had."""

    paper: ReadingPaper


@dataclass(frozen=True, slots=True)
class Claim:
    """A committed claim on one occurrence; `post_id` is None when nothing was left to post."""

    id: int
    schedule: Schedule
    occurrence: datetime
    late: bool
    post_id: int | None
    pick: QueuePick | ReadingPick | None
    outbox_id: int | None = None


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """The stored schedule after /paper schedule, and whether it replaced an earlier one."""

    schedule: Schedule
    replaced: bool


def _schedule(row: Row) -> Schedule:
    hour, minute = (int(part) for part in str(row["at_time"]).split(":"))
    keys = row.keys()
    last = row["last_claimed"] if "last_claimed" in keys else None
    return Schedule(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        weekday=row["weekday"],
        at=time(hour, minute),
        timezone=row["timezone"],
        role_id=row["role_id"],
        created_by=row["created_by"],
        active_since=parse_db_time(row["active_since"]),
        paused_at=parse_db_time_or_none(row["paused_at"]),
        pause_reason=row["pause_reason"],
        last_claimed=parse_db_time_or_none(last),
        next_due=parse_db_time_or_none(row["next_due_utc"]),
        revision=row["revision"],
    )


def _paper(row: Row) -> ArxivPaper:
    arxiv_id = row["arxiv_id"]
    return ArxivPaper(
        arxiv_id=arxiv_id,
        title=row["title"],
        authors=json.loads(row["authors"]),
        summary=row["summary"],
        published=parse_db_time(row["published"]),
        abs_url=row["abs_url"],
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        primary_category=row["primary_category"],
    )


def _entry(row: Row) -> QueueEntry:
    return QueueEntry(
        id=row["id"],
        guild_id=row["guild_id"],
        arxiv_id=row["arxiv_id"],
        title=row["title"],
        abs_url=row["abs_url"],
        suggested_by=row["suggested_by"],
        suggested_at=parse_db_time(row["suggested_at"]),
        votes=int(row["votes"]),
    )


def _post(row: Row) -> PostRecord:
    return PostRecord(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        title=row["title"],
        url=row["url"],
        section=row["section"],
        arxiv_id=row["arxiv_id"],
        reading_key=row["reading_key"],
        posted_at=parse_db_time_or_none(row["posted_at"]),
        message_id=row["message_id"],
        thread_id=row["thread_id"],
        readers=int(row["readers"]),
    )


_SCHEDULE_WITH_LAST = """
    SELECT s.*,
           (SELECT MAX(c.occurrence_utc) FROM paper_claims c WHERE c.schedule_id = s.id)
               AS last_claimed
    FROM paper_schedules s
"""

_QUEUE_SELECT = """
    SELECT q.id, q.guild_id, q.arxiv_id, q.suggested_by, q.suggested_at, a.title, a.abs_url,
           (SELECT COUNT(*) FROM paper_votes v WHERE v.queue_id = q.id) AS votes
    FROM paper_queue q JOIN arxiv_papers a ON a.arxiv_id = q.arxiv_id
    WHERE q.guild_id = ? AND q.posted_at IS NULL
"""
# Most votes first; the oldest suggestion first on ties.
_QUEUE_ORDER = " ORDER BY votes DESC, q.suggested_at ASC, q.id ASC"

_POST_SELECT = """
    SELECT p.*, (SELECT COUNT(*) FROM paper_reads r WHERE r.post_id = p.id) AS readers
    FROM paper_posts p
"""

_HAD = "status IN ('sending', 'posted')"


def _exported(stored: str | None) -> str | None:
    """A stored time as the member export shows times: ISO-8601 UTC to the second."""
    moment = parse_db_time_or_none(stored)
    return None if moment is None else moment.isoformat(timespec="seconds")


class PaperRepo:
    """Typed, parameterised access to the paper club's tables, on either storage engine.

    Every read-then-write step is one statement, a row lock or a unique constraint, so that
    it stays right with several writers (a PostgreSQL pool, several processes): a claim is
    UNIQUE (schedule, occurrence) and takes the schedule's row lock; the queue's top paper is
    picked with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already
    serialises the transaction); a server is given a paper once by a unique index; a schedule
    is saved by one upsert; a vote or a read is a primary key.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        # The one dialect difference of this module: PostgreSQL locks the picked queue row
        # (skipping one another claim holds); SQLite's write transaction is serialised anyway.
        self._skip_locked = " FOR UPDATE OF q SKIP LOCKED" if db.dialect == "postgresql" else ""

    async def _lock_guild_queue(self, tx: Tx, guild_id: int) -> None:
        """Serialise writers of one server's queue size (PostgreSQL; SQLite has one writer)."""
        if tx.dialect == "postgresql":
            await tx.fetch_value(
                "SELECT pg_advisory_xact_lock(hashtextextended(CAST(? AS TEXT), 0))",
                (f"paper_queue:{guild_id}",),
            )

    # -- arXiv cache --------------------------------------------------------------------------

    async def cached_paper(self, arxiv_id: str) -> ArxivPaper | None:
        """The cached arXiv metadata of a paper, if it was fetched before."""
        row = await self.db.fetch_one("SELECT * FROM arxiv_papers WHERE arxiv_id = ?", (arxiv_id,))
        return _paper(row) if row is not None else None

    async def cached_papers(self, arxiv_ids: Sequence[str]) -> dict[str, ArxivPaper]:
        """The cached metadata of several papers (missing ones left out)."""
        if not arxiv_ids:
            return {}
        marks = ",".join("?" * len(arxiv_ids))
        rows = await self.db.fetch_all(
            f"SELECT * FROM arxiv_papers WHERE arxiv_id IN ({marks})", tuple(arxiv_ids)
        )
        return {row["arxiv_id"]: _paper(row) for row in rows}

    async def cache_papers(self, papers: Sequence[ArxivPaper], now: datetime) -> None:
        """Keep arXiv metadata for good (the first answer stays)."""
        await self.db.executemany(
            "INSERT INTO arxiv_papers (arxiv_id, title, authors, summary, published, abs_url, "
            "primary_category, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (arxiv_id) DO NOTHING",
            [
                (
                    p.arxiv_id,
                    p.title,
                    json.dumps(p.authors, ensure_ascii=False),
                    p.summary,
                    db_time(p.published),
                    p.abs_url,
                    p.primary_category,
                    db_time(now),
                )
                for p in papers
            ],
        )

    # -- schedules ----------------------------------------------------------------------------

    async def save_schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        weekday: int,
        at: time,
        timezone: str,
        role_id: int | None,
        created_by: int,
        now: datetime,
    ) -> ScheduleChange:
        """Create the channel's schedule or replace it (which also unpauses it).

        One upsert on the channel's unique key: of two admins saving at once, one creates the
        schedule and the other replaces it, and `revision` tells them apart.
        """
        next_due = next_occurrence(now, weekday, at, parse_timezone(timezone))
        row = await self.db.fetch_one(
            "INSERT INTO paper_schedules (guild_id, channel_id, weekday, at_time, timezone, "
            "role_id, created_by, active_since, next_due_utc) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (channel_id) DO UPDATE SET weekday = excluded.weekday, "
            "at_time = excluded.at_time, timezone = excluded.timezone, "
            "role_id = excluded.role_id, created_by = excluded.created_by, "
            "active_since = excluded.active_since, next_due_utc = excluded.next_due_utc, "
            "paused_at = NULL, pause_reason = NULL, "
            "revision = paper_schedules.revision + 1 "
            "RETURNING *",
            (
                guild_id,
                channel_id,
                weekday,
                at.strftime("%H:%M"),
                timezone,
                role_id,
                created_by,
                db_time(now),
                db_time(next_due),
            ),
        )
        assert row is not None
        schedule = _schedule(row)
        return ScheduleChange(schedule, replaced=schedule.revision > 0)

    async def delete_schedule(self, guild_id: int, channel_id: int) -> Schedule | None:
        """Remove a channel's schedule (its claims go with it); None when there was none."""
        row = await self.db.fetch_one(
            "DELETE FROM paper_schedules WHERE guild_id = ? AND channel_id = ? RETURNING *",
            (guild_id, channel_id),
        )
        return _schedule(row) if row is not None else None

    async def schedule(self, schedule_id: int) -> Schedule | None:
        """One schedule with its latest claimed occurrence."""
        row = await self.db.fetch_one(_SCHEDULE_WITH_LAST + " WHERE s.id = ?", (schedule_id,))
        return _schedule(row) if row is not None else None

    async def schedules(self, *, active_only: bool = False) -> list[Schedule]:
        """Every schedule (or every unpaused one) with its latest claimed occurrence."""
        where = " WHERE s.paused_at IS NULL" if active_only else ""
        rows = await self.db.fetch_all(_SCHEDULE_WITH_LAST + where + " ORDER BY s.id")
        return [_schedule(row) for row in rows]

    async def guild_schedules(self, guild_id: int) -> list[Schedule]:
        """A server's schedules."""
        rows = await self.db.fetch_all(
            _SCHEDULE_WITH_LAST + " WHERE s.guild_id = ? ORDER BY s.id", (guild_id,)
        )
        return [_schedule(row) for row in rows]

    async def pause_schedule(self, schedule_id: int, reason: str, now: datetime) -> bool:
        """Pause a schedule; True only for the call that actually paused it."""
        changed = await self.db.execute(
            "UPDATE paper_schedules SET paused_at = ?, pause_reason = ? "
            "WHERE id = ? AND paused_at IS NULL",
            (db_time(now), reason, schedule_id),
        )
        return changed == 1

    async def next_due(self) -> datetime | None:
        """The earliest next occurrence over every active schedule."""
        value = await self.db.fetch_value(
            "SELECT MIN(next_due_utc) FROM paper_schedules WHERE paused_at IS NULL"
        )
        return parse_db_time_or_none(value)

    async def due_schedules(self, now: datetime, limit: int = 1000) -> list[Schedule]:
        """Active schedules whose next occurrence is due at `now`, earliest first."""
        rows = await self.db.fetch_all(
            _SCHEDULE_WITH_LAST + " WHERE s.paused_at IS NULL AND s.next_due_utc <= ? "
            "ORDER BY s.next_due_utc, s.id LIMIT ?",
            (db_time(now), limit),
        )
        return [_schedule(row) for row in rows]

    async def fill_next_due(self) -> int:
        """Compute the next occurrence of schedules stored without one; returns how many."""
        rows = await self.db.fetch_all(
            _SCHEDULE_WITH_LAST + " WHERE s.next_due_utc IS NULL ORDER BY s.id"
        )
        if not rows:
            return 0
        filled = 0
        async with self.db.transaction() as tx:
            for schedule in map(_schedule, rows):
                after = max(schedule.active_since, schedule.last_claimed or schedule.active_since)
                tz = parse_timezone(schedule.timezone)
                due = next_occurrence(after, schedule.weekday, schedule.at, tz)
                # Only where it is still missing: another process may have filled it, or an
                # admin saved the schedule again meanwhile.
                filled += await tx.execute(
                    "UPDATE paper_schedules SET next_due_utc = ? "
                    "WHERE id = ? AND next_due_utc IS NULL",
                    (db_time(due), schedule.id),
                )
        return filled

    # -- claims and posts ---------------------------------------------------------------------

    @staticmethod
    async def _advance(tx: Tx, schedule: Schedule, next_due: datetime) -> bool:
        """Move the schedule's next due time on under its row lock; False if it changed.

        The UPDATE takes the schedule's row lock, so claims of one schedule run one after
        the other; a schedule paused, replaced (`revision`) or deleted since it was read is
        not claimed from that reading. The due time only ever moves forward here.
        """
        due = db_time(next_due)
        changed = await tx.execute(
            "UPDATE paper_schedules SET next_due_utc = CASE "
            "WHEN next_due_utc IS NULL OR next_due_utc < CAST(? AS TEXT) THEN CAST(? AS TEXT) "
            "ELSE next_due_utc END "
            "WHERE id = ? AND paused_at IS NULL AND revision = ?",
            (due, due, schedule.id, schedule.revision),
        )
        return changed == 1

    async def skip_occurrence(
        self, schedule: Schedule, occurrence: datetime, now: datetime, next_due: datetime
    ) -> bool:
        """Record a missed occurrence as skipped so it is never sent; True if newly recorded."""
        async with self.db.transaction() as tx:
            if not await self._advance(tx, schedule, next_due):
                return False
            inserted = await tx.execute(
                "INSERT INTO paper_claims (schedule_id, occurrence_utc, claimed_at, late, status) "
                "VALUES (?, ?, ?, 1, 'skipped') "
                "ON CONFLICT (schedule_id, occurrence_utc) DO NOTHING",
                (schedule.id, db_time(occurrence), db_time(now)),
            )
        return inserted == 1

    async def claim(
        self,
        schedule: Schedule,
        occurrence: datetime,
        *,
        late: bool,
        now: datetime,
        next_due: datetime,
        give_up_at: datetime,
        reading_list: Sequence[ReadingPaper],
        thread_name: str,
    ) -> Claim | None:
        """Commit the claim on an occurrence, its paper and its outbox post; None if taken.

        The claim, the paper leaving the queue, the post row, the outbox row that will carry
        the post and the schedule's next due time commit together, before anything is sent:
        a second caller (a restart, a second process) finds the claim and stops, and the
        outbox delivers the post exactly once.
        """
        async with self.db.transaction() as tx:
            if not await self._advance(tx, schedule, next_due):
                return None
            claim_id = await tx.fetch_value(
                "INSERT INTO paper_claims (schedule_id, occurrence_utc, claimed_at, late, status) "
                "VALUES (?, ?, ?, ?, 'claimed') "
                "ON CONFLICT (schedule_id, occurrence_utc) DO NOTHING RETURNING id",
                (schedule.id, db_time(occurrence), db_time(now), int(late)),
            )
            if claim_id is None:
                return None
            picked = await self._pick(tx, schedule, int(claim_id), reading_list, now)
            if picked is None:
                await tx.execute(
                    "UPDATE paper_claims SET status = 'empty' WHERE id = ?", (claim_id,)
                )
            post = NewPost(
                kind="paper",
                ref=int(claim_id),
                guild_id=schedule.guild_id,
                channel_id=schedule.channel_id,
                due_at=occurrence,
                give_up_at=give_up_at,
                thread_name=thread_name if picked is not None else None,
            )
            outbox_id = await Outbox.enqueue(tx, post, now)
        pick, post_id = picked if picked is not None else (None, None)
        return Claim(int(claim_id), schedule, occurrence, late, post_id, pick, outbox_id)

    async def claim_by_id(
        self, claim_id: int, reading_list: Sequence[ReadingPaper]
    ) -> Claim | None:
        """A committed claim with its schedule and paper, read back for delivery."""
        row = await self.db.fetch_one(
            "SELECT c.id, c.schedule_id, c.occurrence_utc, c.late, p.id AS post_id, "
            "p.queue_id, p.reading_key, p.arxiv_id, q.suggested_by, "
            "(SELECT COUNT(*) FROM paper_votes v WHERE v.queue_id = p.queue_id) AS votes "
            "FROM paper_claims c LEFT JOIN paper_posts p ON p.claim_id = c.id "
            "LEFT JOIN paper_queue q ON q.id = p.queue_id WHERE c.id = ?",
            (claim_id,),
        )
        if row is None:
            return None
        schedule = await self.schedule(row["schedule_id"])
        if schedule is None:
            return None
        pick: QueuePick | ReadingPick | None = None
        if row["queue_id"] is not None:
            paper = await self.cached_paper(row["arxiv_id"])
            if paper is not None:
                pick = QueuePick(row["queue_id"], paper, row["suggested_by"], int(row["votes"]))
        elif row["reading_key"] is not None:
            by_key = {paper.key: paper for paper in reading_list}
            if row["reading_key"] in by_key:
                pick = ReadingPick(by_key[row["reading_key"]])
        return Claim(
            row["id"],
            schedule,
            parse_db_time(row["occurrence_utc"]),
            bool(row["late"]),
            row["post_id"],
            pick,
        )

    async def _pick(
        self,
        tx: Tx,
        schedule: Schedule,
        claim_id: int,
        reading_list: Sequence[ReadingPaper],
        now: datetime,
    ) -> tuple[QueuePick | ReadingPick, int] | None:
        """Take the queue's top paper, or the next reading-list paper, for a claim's post.

        Returns the pick and its post row. Another claim of the same server at the same
        moment (another channel, another process) never gets the same paper: it skips the
        queue row this one holds locked, and a paper both would take is refused to the later
        one by the unique indexes of `paper_posts`, which then takes the next.
        """
        guild_id = schedule.guild_id
        while True:
            top = await tx.fetch_one(
                "SELECT a.*, q.id AS queue_id, q.suggested_by, "
                "(SELECT COUNT(*) FROM paper_votes v WHERE v.queue_id = q.id) AS votes "
                "FROM paper_queue q JOIN arxiv_papers a ON a.arxiv_id = q.arxiv_id "
                "WHERE q.guild_id = ? AND q.posted_at IS NULL"
                + _QUEUE_ORDER
                + " LIMIT 1"
                + self._skip_locked,
                (guild_id,),
            )
            if top is None:
                break
            # The paper leaves the queue whether or not the post row below is made: when it is
            # refused, the server already had the paper (given by the reading list meanwhile).
            await tx.execute(
                "UPDATE paper_queue SET posted_at = ? WHERE id = ? AND posted_at IS NULL",
                (db_time(now), top["queue_id"]),
            )
            queue_pick = QueuePick(
                top["queue_id"], _paper(top), top["suggested_by"], int(top["votes"])
            )
            paper = queue_pick.paper
            post_id = await self._insert_post(
                tx, schedule, claim_id, now, top["queue_id"], None, paper.arxiv_id,
                paper.title, paper.abs_url,
            )  # fmt: skip
            if post_id is not None:
                return queue_pick, post_id
        had_keys, had_ids = await self._had(tx, guild_id)
        for reading in reading_list:
            if reading.key in had_keys or (
                reading.arxiv_id is not None and reading.arxiv_id in had_ids
            ):
                continue
            post_id = await self._insert_post(
                tx, schedule, claim_id, now, None, reading.key, reading.arxiv_id,
                reading.title, reading.url,
            )  # fmt: skip
            if post_id is not None:
                return ReadingPick(reading), post_id
        return None

    @staticmethod
    async def _had(tx: Tx, guild_id: int) -> tuple[set[str], set[str]]:
        rows = await tx.fetch_all(
            f"SELECT reading_key, arxiv_id FROM paper_posts WHERE guild_id = ? AND {_HAD}",
            (guild_id,),
        )
        keys = {row["reading_key"] for row in rows if row["reading_key"]}
        ids = {row["arxiv_id"] for row in rows if row["arxiv_id"]}
        return keys, ids

    @staticmethod
    async def _insert_post(
        tx: Tx,
        schedule: Schedule,
        claim_id: int,
        now: datetime,
        queue_id: int | None,
        reading_key: str | None,
        arxiv_id: str | None,
        title: str,
        url: str,
    ) -> int | None:
        """The post row of a claim; None when the server has (or is being given) the paper."""
        post_id = await tx.fetch_value(
            "INSERT INTO paper_posts (guild_id, channel_id, claim_id, queue_id, reading_key, "
            "arxiv_id, title, url, status, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sending', ?) ON CONFLICT DO NOTHING RETURNING id",
            (
                schedule.guild_id,
                schedule.channel_id,
                claim_id,
                queue_id,
                reading_key,
                arxiv_id,
                title,
                url,
                db_time(now),
            ),
        )
        return None if post_id is None else int(post_id)

    async def set_post_content(
        self, post_id: int, title: str, url: str, section: str | None
    ) -> None:
        """Record what a post says (its title and link as rendered, its roadmap section)."""
        await self.db.execute(
            "UPDATE paper_posts SET title = ?, url = ?, section = ? WHERE id = ?",
            (title, url, section, post_id),
        )

    async def mark_posted(
        self, claim_id: int, *, message_id: int, thread_id: int | None, now: datetime
    ) -> None:
        """Record the sent message (and thread) of a claimed occurrence."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "UPDATE paper_claims SET status = CASE WHEN status = 'empty' THEN 'empty' "
                "ELSE 'posted' END WHERE id = ?",
                (claim_id,),
            )
            await tx.execute(
                "UPDATE paper_posts SET status = 'posted', message_id = ?, thread_id = ?, "
                "posted_at = COALESCE(posted_at, ?) WHERE claim_id = ?",
                (message_id, thread_id, db_time(now), claim_id),
            )

    async def mark_failed(self, claim_id: int) -> bool:
        """The post will not be sent: its paper goes back to the queue / reading list.

        True only for the call that changed the claim (so the admins are told once).
        """
        async with self.db.transaction() as tx:
            changed = await tx.execute(
                "UPDATE paper_claims SET status = 'failed' "
                "WHERE id = ? AND status IN ('claimed', 'empty')",
                (claim_id,),
            )
            if changed != 1:
                return False
            await tx.execute(
                "UPDATE paper_queue SET posted_at = NULL WHERE id IN "
                "(SELECT queue_id FROM paper_posts WHERE claim_id = ? AND queue_id IS NOT NULL)",
                (claim_id,),
            )
            await tx.execute(
                "UPDATE paper_posts SET status = 'failed' WHERE claim_id = ?", (claim_id,)
            )
        return True

    async def claims(self, schedule_id: int) -> list[tuple[datetime, bool, ClaimStatus]]:
        """Every claim of a schedule: (occurrence, late, status), oldest first."""
        rows = await self.db.fetch_all(
            "SELECT occurrence_utc, late, status FROM paper_claims WHERE schedule_id = ? "
            "ORDER BY occurrence_utc",
            (schedule_id,),
        )
        return [(parse_db_time(r["occurrence_utc"]), bool(r["late"]), r["status"]) for r in rows]

    async def current_post(self, guild_id: int) -> PostRecord | None:
        """The server's paper of the week: the last one posted."""
        row = await self.db.fetch_one(
            _POST_SELECT + " WHERE p.guild_id = ? AND p.status = 'posted' "
            "ORDER BY p.posted_at DESC, p.id DESC LIMIT 1",
            (guild_id,),
        )
        return _post(row) if row is not None else None

    async def had_paper(self, guild_id: int, arxiv_id: str) -> PostRecord | None:
        """The post that already gave this server a paper, if any."""
        row = await self.db.fetch_one(
            _POST_SELECT + f" WHERE p.guild_id = ? AND p.arxiv_id = ? AND p.{_HAD} "
            "ORDER BY p.id LIMIT 1",
            (guild_id, arxiv_id),
        )
        return _post(row) if row is not None else None

    async def had_reading_keys(self, guild_id: int) -> tuple[set[str], set[str]]:
        """The reading-list keys and arXiv ids a server has had."""
        rows = await self.db.fetch_all(
            f"SELECT reading_key, arxiv_id FROM paper_posts WHERE guild_id = ? AND {_HAD}",
            (guild_id,),
        )
        keys = {row["reading_key"] for row in rows if row["reading_key"]}
        ids = {row["arxiv_id"] for row in rows if row["arxiv_id"]}
        return keys, ids

    async def posts(self, guild_id: int) -> list[PostRecord]:
        """Every paper a server was given, oldest first."""
        rows = await self.db.fetch_all(
            _POST_SELECT + " WHERE p.guild_id = ? AND p.status = 'posted' ORDER BY p.id",
            (guild_id,),
        )
        return [_post(row) for row in rows]

    # -- queue and votes ----------------------------------------------------------------------

    async def queue_entry(self, guild_id: int, arxiv_id: str) -> QueueEntry | None:
        """A paper waiting in the server's queue."""
        row = await self.db.fetch_one(_QUEUE_SELECT + " AND q.arxiv_id = ?", (guild_id, arxiv_id))
        return _entry(row) if row is not None else None

    async def add_to_queue(
        self, guild_id: int, arxiv_id: str, user_id: int, now: datetime, *, limit: int
    ) -> QueueEntry | QueueRefusal:
        """Queue a (cached) paper, unless it is queued, was had, or the queue holds `limit`.

        One INSERT decides all three (UNIQUE (guild_id, arxiv_id) for a paper suggested twice
        at once); on PostgreSQL the server's queue is locked for it so that two suggestions
        at once cannot both take the last place.
        """
        async with self.db.transaction() as tx:
            await self._lock_guild_queue(tx, guild_id)
            queue_id = await tx.fetch_value(
                "INSERT INTO paper_queue (guild_id, arxiv_id, suggested_by, suggested_at) "
                "SELECT CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS TEXT) "
                f"WHERE NOT EXISTS (SELECT 1 FROM paper_posts p WHERE p.guild_id = ? "
                f"AND p.arxiv_id = ? AND p.{_HAD}) "
                "AND (SELECT COUNT(*) FROM paper_queue w "
                "WHERE w.guild_id = ? AND w.posted_at IS NULL) < ? "
                "ON CONFLICT (guild_id, arxiv_id) DO NOTHING RETURNING id",
                (guild_id, arxiv_id, user_id, db_time(now), guild_id, arxiv_id, guild_id, limit),
            )
        if queue_id is not None:
            entry = await self.queue_entry(guild_id, arxiv_id)
            if entry is not None:
                return entry
        if await self.db.fetch_value(
            "SELECT 1 FROM paper_queue WHERE guild_id = ? AND arxiv_id = ?", (guild_id, arxiv_id)
        ):
            return QueueRefusal.QUEUED
        if await self.had_paper(guild_id, arxiv_id) is not None:
            return QueueRefusal.HAD
        return QueueRefusal.FULL

    async def queue(self, guild_id: int, *, limit: int = 10, offset: int = 0) -> list[QueueEntry]:
        """A page of the server's queue, most votes first, oldest first on ties."""
        rows = await self.db.fetch_all(
            _QUEUE_SELECT + _QUEUE_ORDER + " LIMIT ? OFFSET ?", (guild_id, limit, offset)
        )
        return [_entry(row) for row in rows]

    async def queue_size(self, guild_id: int) -> int:
        """How many papers wait in the server's queue."""
        value = await self.db.fetch_value(
            "SELECT COUNT(*) FROM paper_queue WHERE guild_id = ? AND posted_at IS NULL",
            (guild_id,),
        )
        return int(value or 0)

    async def queue_position(self, entry: QueueEntry) -> int:
        """The 1-based place of a queued paper in its server's queue."""
        rows = await self.db.fetch_all(_QUEUE_SELECT + _QUEUE_ORDER, (entry.guild_id,))
        for place, row in enumerate(rows, start=1):
            if row["id"] == entry.id:
                return place
        return len(rows) + 1

    async def vote(self, entry: QueueEntry, user_id: int, now: datetime) -> bool:
        """One vote per member per paper; False when the member had voted already."""
        inserted = await self.db.execute(
            "INSERT INTO paper_votes (queue_id, user_id, guild_id, voted_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (queue_id, user_id) DO NOTHING",
            (entry.id, user_id, entry.guild_id, db_time(now)),
        )
        return inserted == 1

    # -- reads and member data ----------------------------------------------------------------

    async def mark_read(self, post: PostRecord, user_id: int, now: datetime) -> bool:
        """Mark a post's paper read by a member; False when it was already."""
        inserted = await self.db.execute(
            "INSERT INTO paper_reads (post_id, user_id, guild_id, read_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (post_id, user_id) DO NOTHING",
            (post.id, user_id, post.guild_id, db_time(now)),
        )
        return inserted == 1

    async def papers_read(self, guild_id: int, user_id: int) -> int:
        """How many papers of the week a member marked read in a server."""
        value = await self.db.fetch_value(
            "SELECT COUNT(*) FROM paper_reads WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return int(value or 0)

    # Member data (bot.personal.MemberData). A post's text also names the member who suggested
    # its paper ("Suggested by <@id>"): delete_member scrubs it from the outbox as well.
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "paper_schedules": ("created_by",),
        "paper_queue": ("suggested_by",),
        "paper_votes": ("user_id",),
        "paper_reads": ("user_id",),
    }
    personal_summary: ClassVar[str] = (
        "your paper votes and reads, and your name on the papers you suggested and the paper "
        "schedules you set up (the papers and schedules stay)"
    )

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything the paper club holds about a member in a server."""
        suggestions = await self.db.fetch_all(
            "SELECT q.arxiv_id, a.title, q.suggested_at, q.posted_at FROM paper_queue q "
            "JOIN arxiv_papers a ON a.arxiv_id = q.arxiv_id "
            "WHERE q.guild_id = ? AND q.suggested_by = ? ORDER BY q.id",
            (guild_id, user_id),
        )
        votes = await self.db.fetch_all(
            "SELECT q.arxiv_id, a.title, v.voted_at FROM paper_votes v "
            "JOIN paper_queue q ON q.id = v.queue_id "
            "JOIN arxiv_papers a ON a.arxiv_id = q.arxiv_id "
            "WHERE v.guild_id = ? AND v.user_id = ? ORDER BY v.voted_at, q.id",
            (guild_id, user_id),
        )
        reads = await self.db.fetch_all(
            "SELECT p.title, p.url, p.posted_at, r.read_at FROM paper_reads r "
            "JOIN paper_posts p ON p.id = r.post_id "
            "WHERE r.guild_id = ? AND r.user_id = ? ORDER BY r.read_at, p.id",
            (guild_id, user_id),
        )
        schedules = await self.db.fetch_all(
            "SELECT channel_id, weekday, at_time, timezone, active_since, paused_at "
            "FROM paper_schedules WHERE guild_id = ? AND created_by = ? ORDER BY id",
            (guild_id, user_id),
        )
        return {
            "suggestions": [
                {
                    "arxiv_id": r["arxiv_id"],
                    "title": r["title"],
                    "suggested_at": _exported(r["suggested_at"]),
                    "posted_at": _exported(r["posted_at"]),
                }
                for r in suggestions
            ],
            "votes": [
                {
                    "arxiv_id": r["arxiv_id"],
                    "title": r["title"],
                    "voted_at": _exported(r["voted_at"]),
                }
                for r in votes
            ],
            "reads": [
                {
                    "title": r["title"],
                    "url": r["url"],
                    "posted_at": _exported(r["posted_at"]),
                    "read_at": _exported(r["read_at"]),
                }
                for r in reads
            ],
            "schedules_set_up": [
                {
                    "channel_id": str(r["channel_id"]),
                    "weekday": WEEKDAYS[r["weekday"]],
                    "time": r["at_time"],
                    "timezone": r["timezone"],
                    "since": _exported(r["active_since"]),
                    "paused": r["paused_at"] is not None,
                }
                for r in schedules
            ],
        }

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Delete a member's votes and reads, unlink their suggestions and schedules; rows."""
        mention = f"<@{user_id}>"
        async with self.db.transaction() as tx:
            total = 0
            for sql, params in (
                ("DELETE FROM paper_votes WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)),
                ("DELETE FROM paper_reads WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)),
                # The paper stays in the server's queue (others voted for it); only the link
                # to the member goes.
                (
                    "UPDATE paper_queue SET suggested_by = NULL "
                    "WHERE guild_id = ? AND suggested_by = ?",
                    (guild_id, user_id),
                ),
                # The schedule keeps running and names nobody as having set it up. created_by
                # is NOT NULL (migration 0003), so 0, which is no Discord id, stands for "a
                # member who deleted their data".
                (
                    "UPDATE paper_schedules SET created_by = 0 "
                    "WHERE guild_id = ? AND created_by = ?",
                    (guild_id, user_id),
                ),
                # The stored text of a post names the suggester the way the post shows a
                # suggestion whose member is gone. Only the embed's field changes, which is not
                # what finds an unconfirmed post again, so exactly-once delivery is unaffected.
                (
                    "UPDATE outbox SET payload = replace(payload, ?, 'a member') "
                    "WHERE kind = 'paper' AND guild_id = ? AND payload LIKE ?",
                    (mention, guild_id, f"%{mention}%"),
                ),
            ):
                total += await tx.execute(sql, params)
        return total
