"""Storage of group progress: completions, members as last seen, and maintained counters.

Leaderboards read counters, never raw completions:

* ``progress_points`` holds each visible member's points per period ('all', ISO week, month);
  a page is a walk down the ``(guild_id, period, points DESC, user_id)`` index.
* ``progress_levels`` counts visible members per points value and period, so a rank is
  1 + the members above: a sum over at most one row per possible points value.
* ``progress_section_totals`` counts visible finishers per section for /topic.

The database keeps the counters itself: triggers (migrations/0002_progress.sql) move them with
every insert or delete of a completion and every change of the hidden flag, inside the same
transaction, so a crash leaves either both or neither, and no code path can forget them. The
repository only writes members and completions.

Only sections in ``progress_sections`` (the current roadmap's) count. When the roadmap's
section set changes (a custom roadmap was edited), ``ensure_counters`` rewrites that table and
rebuilds every counter at start-up. Rows of removed sections are kept, and count again if the
section comes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

import aiosqlite

from bot.database import Database
from cogs.progress.stats import (
    ALL_TIME,
    Level,
    db_time,
    locate,
    parse_db_time,
    rank_of,
    sections_fingerprint,
)

log = logging.getLogger(__name__)

FINGERPRINT_KEY = "progress:sections"
NAME_LIMIT = 100
NAME_CACHE_LIMIT = 50_000
BATCH_LIMIT = 250

# What the counters must hold, recounted from the completions (rebuilds and audits).
_COUNTED = """
    SELECT c.guild_id, c.user_id, c.section_id, c.week, c.month
    FROM progress_completions AS c
    JOIN progress_members AS m ON m.guild_id = c.guild_id AND m.user_id = c.user_id
    JOIN progress_sections AS s ON s.section_id = c.section_id
    WHERE m.hidden = 0
"""
_EXPECTED_POINTS = f"""
    SELECT guild_id, user_id, '{ALL_TIME}' AS period, COUNT(*) AS points
        FROM progress_counted GROUP BY guild_id, user_id
    UNION ALL
    SELECT guild_id, user_id, week, COUNT(*) FROM progress_counted GROUP BY guild_id, user_id, week
    UNION ALL
    SELECT guild_id, user_id, month, COUNT(*)
        FROM progress_counted GROUP BY guild_id, user_id, month
"""
_EXPECTED_LEVELS = """
    SELECT guild_id, period, points, COUNT(*) AS members
    FROM progress_points GROUP BY guild_id, period, points
"""
_EXPECTED_TOTALS = """
    SELECT guild_id, section_id, COUNT(*) AS members
    FROM progress_counted GROUP BY guild_id, section_id
"""

# The leaderboard reads (also timed by benchmarks/bench_progress.py).
LEVELS_SQL = """
    SELECT points, members FROM progress_levels
    WHERE guild_id = ? AND period = ? AND members > 0
    ORDER BY points DESC
"""
PAGE_SQL = """
    SELECT p.user_id, p.points, m.display_name
    FROM progress_points AS p
    JOIN progress_members AS m ON m.guild_id = p.guild_id AND m.user_id = p.user_id
    WHERE p.guild_id = ? AND p.period = ? AND p.points <= ?
    ORDER BY p.points DESC, p.user_id
    LIMIT ? OFFSET ?
"""
ME_SQL = """
    SELECT m.display_name, m.hidden, p.points
    FROM progress_members AS m
    LEFT JOIN progress_points AS p
        ON p.guild_id = m.guild_id AND p.user_id = m.user_id AND p.period = ?
    WHERE m.guild_id = ? AND m.user_id = ?
"""


@dataclass(frozen=True)
class Standing:
    """A member's all-time position: sections done, and rank unless hidden or at zero."""

    done: int
    total: int
    hidden: bool
    rank: int | None
    board_size: int


@dataclass(frozen=True)
class Change:
    """The outcome of /done or /undo: whether anything changed, and the new standing."""

    changed: bool
    standing: Standing
    done_at: datetime | None = None


@dataclass(frozen=True)
class BoardEntry:
    """One leaderboard line."""

    rank: int
    user_id: int
    name: str
    points: int


@dataclass(frozen=True)
class Board:
    """One page of a period's leaderboard plus the caller's own line."""

    period_key: str
    page: int
    page_count: int
    size: int
    entries: list[BoardEntry]
    me: BoardEntry | None
    me_hidden: bool


@dataclass(frozen=True)
class Finisher:
    """A visible member who finished a section, and when."""

    user_id: int
    name: str
    done_at: datetime


@dataclass(frozen=True)
class Completion:
    """A finished section of one member."""

    section_id: str
    done_at: datetime


@dataclass(frozen=True)
class MemberRecord:
    """Everything stored about one member of one guild."""

    guild_id: int
    user_id: int
    display_name: str
    hidden: bool
    first_seen: datetime
    updated_at: datetime
    completions: list[Completion]


@dataclass(frozen=True)
class DoneRequest:
    """A member marking a section done at a moment."""

    guild_id: int
    user_id: int
    name: str
    section_id: str
    now: datetime


@dataclass
class _MemberState:
    """A member as one batch of /done sees them: hidden flag and finished sections."""

    exists: bool = False
    hidden: bool = False
    done: dict[str, str] = field(default_factory=dict)

    def counted(self, sections: frozenset[str]) -> int:
        """How many of the finished sections count."""
        return sum(1 for section in self.done if section in sections)


class GroupCommit:
    """Runs concurrent requests in shared transactions: whoever arrives during a write waits
    for the next one, which takes everything queued (up to `limit`). No request waits for a
    timer: alone, a request is written at once."""

    def __init__(
        self,
        write: Callable[[Sequence[DoneRequest]], Awaitable[list[Change]]],
        limit: int = 250,
    ) -> None:
        self._write = write
        self._limit = limit
        self._queue: list[tuple[DoneRequest, asyncio.Future[Change]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, request: DoneRequest) -> Change:
        """Queue a request and wait until its transaction committed."""
        future: asyncio.Future[Change] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain(), name="progress-group-commit")
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._limit], self._queue[self._limit :]
            try:
                changes = await self._write([request for request, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as error:
                if len(batch) == 1:
                    _settle_error(batch[0][1], error)
                    continue
                # One bad request must not fail the others: write them one by one.
                log.warning("a batch of %d /done failed; retrying one by one", len(batch))
                for request, future in batch:
                    try:
                        (change,) = await self._write([request])
                    except Exception as error:
                        _settle_error(future, error)
                    else:
                        _settle(future, change)
                continue
            for (_, future), change in zip(batch, changes, strict=True):
                _settle(future, change)


def _settle(future: asyncio.Future[Change], change: Change) -> None:
    if not future.done():
        future.set_result(change)


def _settle_error(future: asyncio.Future[Change], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


def clean_name(name: str) -> str:
    """A display name as stored: one line, clipped (rendering escapes it separately)."""
    flat = " ".join(name.split()) or "(no name)"
    return flat[:NAME_LIMIT]


class ProgressRepo:
    """Progress storage for every guild; `section_ids` are the sections that count.

    `titles` (section id → title) only label the sections in a member's export.
    """

    #: Member data (bot.personal.MemberData): the counters' other tables name nobody.
    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "progress_members": ("user_id",),
        "progress_completions": ("user_id",),
        "progress_points": ("user_id",),
    }
    personal_summary: ClassVar[str] = "your finished sections and your leaderboard entries"

    def __init__(
        self,
        db: Database,
        section_ids: Sequence[str],
        titles: Mapping[str, str] | None = None,
    ) -> None:
        self.db = db
        self.section_ids = list(section_ids)
        self.counted = frozenset(section_ids)
        self.titles = dict(titles or {})
        self._names: dict[tuple[int, int], str] = {}
        self._done_queue = GroupCommit(self.mark_done_many, BATCH_LIMIT)

    # -- counters ---------------------------------------------------------------------------

    async def ensure_counters(self) -> bool:
        """Rebuild the counters when the roadmap's section set changed; True if rebuilt."""
        if await self.db.get_meta(FINGERPRINT_KEY) == sections_fingerprint(self.counted):
            return False
        await self.rebuild_counters()
        return True

    async def rebuild_counters(self) -> None:
        """Count the current sections and recompute every counter, in one transaction."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM progress_sections")
            await conn.executemany(
                "INSERT INTO progress_sections (section_id) VALUES (?)",
                [(section_id,) for section_id in sorted(self.counted)],
            )
            await conn.execute("DELETE FROM progress_points")
            await conn.execute("DELETE FROM progress_levels")
            await conn.execute("DELETE FROM progress_section_totals")
            await _create_counted(conn)
            # The points triggers fill progress_levels as the rows go in.
            await conn.execute(
                f"INSERT INTO progress_points (guild_id, user_id, period, points) "
                f"{_EXPECTED_POINTS}"
            )
            await conn.execute(
                "INSERT INTO progress_section_totals (guild_id, section_id, members) "
                f"{_EXPECTED_TOTALS}"
            )
            await conn.execute("DROP TABLE temp.progress_counted")
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (FINGERPRINT_KEY, sections_fingerprint(self.counted)),
            )
        log.info("rebuilt progress counters for %d roadmap sections", len(self.counted))

    async def counter_problems(self) -> list[str]:
        """Differences between the counters and a recount from the completions (for audits)."""
        async with self.db.transaction() as conn:
            await _create_counted(conn)
            expected_points = await _rows(conn, _EXPECTED_POINTS)
            expected_totals = await _rows(conn, _EXPECTED_TOTALS)
            await conn.execute("DROP TABLE temp.progress_counted")
            expected_levels = await _rows(conn, _EXPECTED_LEVELS)
            points = await _rows(
                conn, "SELECT guild_id, user_id, period, points FROM progress_points"
            )
            levels = await _rows(
                conn,
                "SELECT guild_id, period, points, members FROM progress_levels WHERE members != 0",
            )
            totals = await _rows(
                conn,
                "SELECT guild_id, section_id, members FROM progress_section_totals "
                "WHERE members != 0",
            )
            sections = await _rows(conn, "SELECT section_id FROM progress_sections")
        problems = []
        for name, want, have in (
            ("counted sections", {(s,) for s in self.counted}, sections),
            ("points", expected_points, points),
            ("levels", expected_levels, levels),
            ("section totals", expected_totals, totals),
        ):
            if want != have:
                missing, extra = sorted(want - have)[:5], sorted(have - want)[:5]
                problems.append(f"{name}: missing {missing}, unexpected {extra}")
        return problems

    # -- members ----------------------------------------------------------------------------

    async def _touch(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int, name: str, now: datetime
    ) -> bool:
        """Create or refresh a member row with the name as seen now; returns the hidden flag."""
        name = clean_name(name)
        stamp = db_time(now)
        rows = await conn.execute_fetchall(
            "INSERT INTO progress_members "
            "(guild_id, user_id, display_name, hidden, first_seen, updated_at) "
            "VALUES (?, ?, ?, 0, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "display_name = excluded.display_name, updated_at = excluded.updated_at "
            "RETURNING hidden",
            (guild_id, user_id, name, stamp, stamp),
        )
        self._remember(guild_id, user_id, name)
        return bool(next(iter(rows))[0])

    def _remember(self, guild_id: int, user_id: int, name: str) -> None:
        if len(self._names) >= NAME_CACHE_LIMIT:
            self._names.clear()
        self._names[(guild_id, user_id)] = name

    async def refresh_name(self, guild_id: int, user_id: int, name: str, now: datetime) -> None:
        """Store a member's display name as seen now, if they have a row and it changed."""
        name = clean_name(name)
        if self._names.get((guild_id, user_id)) == name:
            return
        await self.db.execute(
            "UPDATE progress_members SET display_name = ?, updated_at = ? "
            "WHERE guild_id = ? AND user_id = ? AND display_name IS NOT ?",
            (name, db_time(now), guild_id, user_id, name),
        )
        self._remember(guild_id, user_id, name)

    async def _completions(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int
    ) -> list[Completion]:
        rows = await conn.execute_fetchall(
            "SELECT section_id, done_at FROM progress_completions "
            "WHERE guild_id = ? AND user_id = ? ORDER BY done_at",
            (guild_id, user_id),
        )
        return [Completion(str(row[0]), parse_db_time(str(row[1]))) for row in rows]

    async def _standing(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int, hidden: bool
    ) -> Standing:
        rows = await conn.execute_fetchall(
            "SELECT section_id FROM progress_completions WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        done = sum(1 for row in rows if row[0] in self.counted)
        total = len(self.counted)
        if hidden:
            return Standing(done, total, True, None, 0)
        sums = await conn.execute_fetchall(
            "SELECT COALESCE(SUM(CASE WHEN points > ? THEN members ELSE 0 END), 0), "
            "COALESCE(SUM(members), 0) "
            "FROM progress_levels WHERE guild_id = ? AND period = ?",
            (done, guild_id, ALL_TIME),
        )
        above, size = (int(value) for value in next(iter(sums)))
        rank = above + 1 if done > 0 else None
        return Standing(done, total, False, rank, size)

    async def standing(self, guild_id: int, user_id: int) -> Standing:
        """A member's all-time standing now."""
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                "SELECT hidden FROM progress_members WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            hidden = bool(next(iter(rows))[0]) if rows else False
            return await self._standing(conn, guild_id, user_id, hidden)

    # -- completions ------------------------------------------------------------------------

    async def mark_done(
        self, guild_id: int, user_id: int, name: str, section_id: str, now: datetime
    ) -> Change:
        """Record a finished section (idempotent); returns once it and the counters are committed.

        Calls that arrive while a write is in progress are committed together in the next
        transaction (group commit), so a rush of /done costs a few statements per batch rather
        than per member.
        """
        return await self._done_queue.submit(DoneRequest(guild_id, user_id, name, section_id, now))

    async def mark_done_many(self, requests: Sequence[DoneRequest]) -> list[Change]:
        """Record finished sections in one transaction, in order; counters move with them."""
        if not requests:
            return []
        async with self.db.transaction() as conn:
            return await self._mark_batch(conn, requests)

    async def _mark_batch(
        self, conn: aiosqlite.Connection, requests: Sequence[DoneRequest]
    ) -> list[Change]:
        # Each statement costs a hand-off to aiosqlite's thread and back, so one read fetches
        # the members' finished sections together with their guilds' all-time levels, and the
        # replies' ranks are worked out from those rather than read again after the writes.
        members = list(dict.fromkeys((r.guild_id, r.user_id) for r in requests))
        guilds = list(dict.fromkeys(r.guild_id for r in requests))
        wanted = ", ".join("(?, ?)" for _ in members)
        rows = await conn.execute_fetchall(
            f"WITH wanted (guild_id, user_id) AS (VALUES {wanted}) "
            "SELECT 0, w.guild_id, w.user_id, m.hidden, c.section_id, c.done_at "
            "FROM wanted AS w "
            "CROSS JOIN progress_members AS m "
            "    ON m.guild_id = w.guild_id AND m.user_id = w.user_id "
            "LEFT JOIN progress_completions AS c "
            "    ON c.guild_id = m.guild_id AND c.user_id = m.user_id "
            "UNION ALL "
            "SELECT 1, guild_id, points, members, NULL, NULL FROM progress_levels "
            f"WHERE guild_id IN ({', '.join('?' * len(guilds))}) AND period = ? AND members > 0",
            [*(value for member in members for value in member), *guilds, ALL_TIME],
        )
        states = {member: _MemberState() for member in members}
        ladder: Counter[tuple[int, int]] = Counter()
        for kind, guild_id, second, third, section_id, done_at in rows:
            if kind == 1:
                ladder[(int(guild_id), int(second))] += int(third)
                continue
            state = states[(guild_id, second)]
            state.exists = True
            state.hidden = bool(third)
            if section_id is not None:
                state.done[str(section_id)] = str(done_at)

        profiles: dict[tuple[int, int], tuple[str, str]] = {}
        completions: list[tuple[int, int, str, str]] = []
        outcomes: list[tuple[DoneRequest, bool, str, int, bool]] = []
        for request in requests:
            member = (request.guild_id, request.user_id)
            state = states[member]
            stamp = db_time(request.now)
            name = clean_name(request.name)
            if not state.exists or self._names.get(member) != name:
                profiles[member] = (name, stamp)
            done_before = state.counted(self.counted)
            inserted = request.section_id not in state.done
            if inserted:
                state.done[request.section_id] = stamp
                completions.append((*member, request.section_id, stamp))
                if request.section_id in self.counted and not state.hidden:
                    # What the points triggers do to the all-time levels.
                    if done_before > 0:
                        ladder[(request.guild_id, done_before)] -= 1
                    ladder[(request.guild_id, done_before + 1)] += 1
            done = state.counted(self.counted)
            outcomes.append((request, inserted, state.done[request.section_id], done, state.hidden))

        if profiles:
            await conn.executemany(
                "INSERT INTO progress_members "
                "(guild_id, user_id, display_name, hidden, first_seen, updated_at) "
                "VALUES (?, ?, ?, 0, ?, ?) "
                "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
                "display_name = excluded.display_name, updated_at = excluded.updated_at",
                [(*member, name, stamp, stamp) for member, (name, stamp) in profiles.items()],
            )
        if completions:
            await conn.executemany(
                "INSERT INTO progress_completions (guild_id, user_id, section_id, done_at) "
                "VALUES (?, ?, ?, ?)",
                completions,
            )
        for member, (name, _) in profiles.items():
            self._remember(*member, name)

        levels: dict[int, list[Level]] = {guild: [] for guild in guilds}
        for (guild_id, value), count in ladder.items():
            if count > 0:
                levels[guild_id].append(Level(value, count))
        changes = []
        for request, inserted, stamp, done, hidden in outcomes:
            here = levels[request.guild_id]
            rank, size = None, 0
            if not hidden:
                rank = None if done == 0 else rank_of(here, done)
                size = sum(level.members for level in here)
                # Every reply is ranked on the board as committed, but a member twice in the
                # batch sits there at their final count: an earlier reply takes them off that
                # spot and puts them at the count it reports, never above themselves.
                final = states[(request.guild_id, request.user_id)].counted(self.counted)
                if final > done:
                    if rank is not None:
                        rank -= 1
                    if done == 0:
                        size -= 1
            standing = Standing(done, len(self.counted), hidden, rank, size)
            changes.append(Change(inserted, standing, parse_db_time(stamp)))
        return changes

    async def undo(
        self, guild_id: int, user_id: int, name: str, section_id: str, now: datetime
    ) -> Change:
        """Remove a finished section; its points leave the periods it was done in."""
        async with self.db.transaction() as conn:
            hidden = await self._touch(conn, guild_id, user_id, name, now)
            rows = await conn.execute_fetchall(
                "DELETE FROM progress_completions "
                "WHERE guild_id = ? AND user_id = ? AND section_id = ? RETURNING done_at",
                (guild_id, user_id, section_id),
            )
            removed = [parse_db_time(str(row[0])) for row in rows]
            standing = await self._standing(conn, guild_id, user_id, hidden)
        return Change(bool(removed), standing, removed[0] if removed else None)

    # -- reads ------------------------------------------------------------------------------

    async def board(
        self, guild_id: int, period_key: str, page: int, caller_id: int, per_page: int = 10
    ) -> Board:
        """One page of a period's leaderboard (0-based `page`) and the caller's own line."""
        async with self.db.transaction() as conn:
            level_rows = await conn.execute_fetchall(LEVELS_SQL, (guild_id, period_key))
            levels = [Level(int(row[0]), int(row[1])) for row in level_rows]
            size = sum(level.members for level in levels)
            page_count = max(1, -(-size // per_page))
            page = min(max(0, page), page_count - 1)
            entries: list[BoardEntry] = []
            start = locate(levels, page * per_page)
            if start is not None:
                top, skip = start
                rows = await conn.execute_fetchall(
                    PAGE_SQL, (guild_id, period_key, top, per_page, skip)
                )
                entries = [
                    BoardEntry(rank_of(levels, int(row[1])), int(row[0]), str(row[2]), int(row[1]))
                    for row in rows
                ]
            me_rows = list(await conn.execute_fetchall(ME_SQL, (period_key, guild_id, caller_id)))
        me: BoardEntry | None = None
        me_hidden = False
        if me_rows:
            name, hidden, points = me_rows[0]
            me_hidden = bool(hidden)
            if points is not None and not me_hidden:
                me = BoardEntry(rank_of(levels, int(points)), caller_id, str(name), int(points))
        return Board(period_key, page, page_count, size, entries, me, me_hidden)

    async def finished_count(self, guild_id: int, section_id: str) -> int:
        """How many visible members finished a section."""
        value = await self.db.fetch_value(
            "SELECT members FROM progress_section_totals WHERE guild_id = ? AND section_id = ?",
            (guild_id, section_id),
        )
        return max(0, int(value or 0))

    async def finishers(
        self, guild_id: int, section_id: str, offset: int = 0, limit: int = 10
    ) -> list[Finisher]:
        """Visible members who finished a section, most recent first."""
        rows = await self.db.fetch_all(
            "SELECT c.user_id, m.display_name, c.done_at "
            "FROM progress_completions AS c "
            "JOIN progress_members AS m ON m.guild_id = c.guild_id AND m.user_id = c.user_id "
            "WHERE c.guild_id = ? AND c.section_id = ? AND m.hidden = 0 "
            "ORDER BY c.done_at DESC, c.user_id LIMIT ? OFFSET ?",
            (guild_id, section_id, limit, offset),
        )
        return [Finisher(int(r[0]), str(r[1]), parse_db_time(str(r[2]))) for r in rows]

    async def member(self, guild_id: int, user_id: int) -> MemberRecord | None:
        """Everything stored about a member in a guild, or None."""
        async with self.db.transaction() as conn:
            rows = list(
                await conn.execute_fetchall(
                    "SELECT display_name, hidden, first_seen, updated_at FROM progress_members "
                    "WHERE guild_id = ? AND user_id = ?",
                    (guild_id, user_id),
                )
            )
            if not rows:
                return None
            completions = await self._completions(conn, guild_id, user_id)
        name, hidden, first_seen, updated_at = rows[0]
        return MemberRecord(
            guild_id,
            user_id,
            str(name),
            bool(hidden),
            parse_db_time(str(first_seen)),
            parse_db_time(str(updated_at)),
            completions,
        )

    # -- privacy ----------------------------------------------------------------------------

    async def set_hidden(
        self, guild_id: int, user_id: int, name: str, hidden: bool, now: datetime
    ) -> bool:
        """Leave (hidden) or rejoin the leaderboards; False when it already was so."""
        async with self.db.transaction() as conn:
            if hidden:
                was_hidden = await self._touch(conn, guild_id, user_id, name, now)
            else:
                # Rejoining needs no row: a member who never hid is already on the boards.
                rows = list(
                    await conn.execute_fetchall(
                        "UPDATE progress_members SET display_name = ?, updated_at = ? "
                        "WHERE guild_id = ? AND user_id = ? RETURNING hidden",
                        (clean_name(name), db_time(now), guild_id, user_id),
                    )
                )
                was_hidden = bool(rows and rows[0][0])
            if was_hidden == hidden:
                return False
            # The hidden/shown triggers take the member off the counters or count them again.
            await conn.execute(
                "UPDATE progress_members SET hidden = ? WHERE guild_id = ? AND user_id = ?",
                (int(hidden), guild_id, user_id),
            )
        return True

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """A member's record and finished sections in a guild, ready for JSON."""
        record = await self.member(guild_id, user_id)
        if record is None:
            return {"member": None, "completions": []}
        return {
            "member": {
                "display_name": record.display_name,
                "hidden": record.hidden,
                "first_seen": record.first_seen.isoformat(),
                "updated_at": record.updated_at.isoformat(),
            },
            "completions": [
                {
                    "section_id": completion.section_id,
                    "title": self.titles.get(completion.section_id),
                    "done_at": completion.done_at.isoformat(),
                    "counts": completion.section_id in self.counted,
                }
                for completion in record.completions
            ],
        }

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Delete everything stored about a member in a guild; returns the rows removed.

        Their points go with them (a trigger), so no table of progress names them after this.
        """
        async with self.db.transaction() as conn:
            count = await conn.execute_fetchall(
                "SELECT COUNT(*) FROM progress_completions WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            completions = int(next(iter(count))[0])
            # A trigger deletes the completions first, taking them off the counters.
            cursor = await conn.execute(
                "DELETE FROM progress_members WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            members = cursor.rowcount
            await cursor.close()
        self._names.pop((guild_id, user_id), None)
        return completions + members if members else 0


async def _create_counted(conn: aiosqlite.Connection) -> None:
    await conn.execute("DROP TABLE IF EXISTS temp.progress_counted")
    await conn.execute(f"CREATE TEMP TABLE progress_counted AS {_COUNTED}")


async def _rows(conn: aiosqlite.Connection, sql: str) -> set[tuple[object, ...]]:
    return {tuple(row) for row in await conn.execute_fetchall(sql)}
