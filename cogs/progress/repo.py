"""Storage of group progress: completions, members as last seen, and maintained counters.

Leaderboards read counters, never raw completions:

* ``progress_points`` holds each visible member's points per period ('all', ISO week, month);
  a page is a walk down the ``(guild_id, period, points DESC, user_id)`` index.
* ``progress_levels`` counts visible members per points value and period, so a rank is
  1 + the members above: a sum over at most one row per possible points value.
* ``progress_section_totals`` counts visible finishers per section for /topic.

The database keeps the counters itself: triggers (``migrations/<engine>/0002_progress.sql``)
move them with every insert or delete of a completion and every change of the hidden flag,
inside the same transaction, so a crash leaves either both or neither, and no code path can
forget them. The repository only writes members and completions (with their week and month,
from ``stats.week_key`` and ``stats.month_key``: the one definition of both).

Both engines run the same statements (``bot.database``). What differs is how writers are kept
apart, in one small dialect branch at the end of this module: SQLite has one writer at a time
(``BEGIN IMMEDIATE``); on PostgreSQL (READ COMMITTED, a pool, several processes) every
transaction that writes a guild's members or completions first takes, in a statement of its
own, transaction-scoped advisory locks: the counters' lock shared and the guild's alone
(`_lock_guilds`). So its reads of members' completions and of the guild's levels, the writes it
decides from them and the replies' ranks it works out belong to one serial order; the triggers
of two writers never lock the guild's shared level rows in opposite orders (no deadlocks); and a
rebuild of the counters, which takes the counters' lock alone, never meets a writer halfway. A
guild's lock costs nothing in practice: its interactions all reach the one process that runs
its shard.

Only sections in ``progress_sections`` (the current roadmap's) count. When the roadmap's
section set changes (a custom roadmap was edited), ``ensure_counters`` rewrites that table and
rebuilds every counter at start-up. Rows of removed sections are kept, and count again if the
section comes back.

Every command costs as few statements as it can: /progress's first page is one statement, /rank's
standing one, /done's group commit one read and one batched insert per batch (plus the member
rows that are new or renamed), and /topic's finished count usually none (`SectionTotals`: each
guild's section totals kept in memory, moved by this process's own /done and /undo as they
commit, so exact for them, and reloaded when another process may have written, after
``TOTALS_TTL_SECONDS``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from bot.database import Database, IntegrityError, Tx
from cogs.progress.stats import (
    ALL_TIME,
    Level,
    db_time,
    locate,
    month_key,
    parse_db_time,
    rank_of,
    sections_fingerprint,
    week_key,
)

log = logging.getLogger(__name__)

FINGERPRINT_KEY = "progress:sections"
NAME_LIMIT = 100
NAME_CACHE_LIMIT = 50_000
BATCH_LIMIT = 250
#: The most member rows one INSERT of a batch carries (a power of two; 256 rows × 6 columns of
#: parameters stay far below both engines' limits).
INSERT_CHUNK = 256
#: How long /topic may show a finished count that another process's write has changed.
TOTALS_TTL_SECONDS = 5.0
TOTALS_CACHE_LIMIT = 20_000
#: Salt of progress's advisory lock keys on PostgreSQL (apart from other features' keys).
LOCK_SALT = b"studybot.progress:"

# What the counters must hold, recounted from the completions (rebuilds and audits).
_COUNTED = """
    counted AS (
        SELECT c.guild_id, c.user_id, c.section_id, c.week, c.month
        FROM progress_completions AS c
        JOIN progress_members AS m ON m.guild_id = c.guild_id AND m.user_id = c.user_id
        JOIN progress_sections AS s ON s.section_id = c.section_id
        WHERE m.hidden = 0
    )
"""
_EXPECTED_POINTS = f"""
    WITH {_COUNTED}
    SELECT guild_id, user_id, '{ALL_TIME}' AS period, COUNT(*) AS points
        FROM counted GROUP BY guild_id, user_id
    UNION ALL
    SELECT guild_id, user_id, week, COUNT(*) FROM counted GROUP BY guild_id, user_id, week
    UNION ALL
    SELECT guild_id, user_id, month, COUNT(*) FROM counted GROUP BY guild_id, user_id, month
"""
_EXPECTED_LEVELS = """
    SELECT guild_id, period, points, COUNT(*) AS members
    FROM progress_points GROUP BY guild_id, period, points
"""
_EXPECTED_TOTALS = f"""
    WITH {_COUNTED}
    SELECT guild_id, section_id, COUNT(*) AS members
    FROM counted GROUP BY guild_id, section_id
"""

# The leaderboard reads (also timed by benchmarks/bench_progress.py). The first page of a
# board is one statement: the period's levels (for ranks and the page count), the top of the
# points index, and the caller's own line; rows tell their part by the first column.
_LEVELS_PART = """
    SELECT 0 AS part, points, members AS number, NULL AS name
    FROM progress_levels
    WHERE guild_id = ? AND period = ? AND members > 0
"""
_ME_PART = """
    SELECT 2, p.points, m.hidden, m.display_name
    FROM progress_members AS m
    LEFT JOIN progress_points AS p
        ON p.guild_id = m.guild_id AND p.user_id = m.user_id AND p.period = ?
    WHERE m.guild_id = ? AND m.user_id = ?
"""
FIRST_PAGE_SQL = f"""{_LEVELS_PART}    UNION ALL
    SELECT 1, points, user_id, display_name FROM (
        SELECT p.points, p.user_id, m.display_name
        FROM progress_points AS p
        JOIN progress_members AS m ON m.guild_id = p.guild_id AND m.user_id = p.user_id
        WHERE p.guild_id = ? AND p.period = ?
        ORDER BY p.points DESC, p.user_id
        LIMIT ?
    ) AS page
    UNION ALL{_ME_PART}"""
# A later page: the levels and the caller's line first, then the page from where it starts.
LEVELS_AND_ME_SQL = f"""{_LEVELS_PART}    UNION ALL{_ME_PART}"""
PAGE_SQL = """
    SELECT p.user_id, p.points, m.display_name
    FROM progress_points AS p
    JOIN progress_members AS m ON m.guild_id = p.guild_id AND m.user_id = p.user_id
    WHERE p.guild_id = ? AND p.period = ? AND p.points <= ?
    ORDER BY p.points DESC, p.user_id
    LIMIT ? OFFSET ?
"""
LEVELS, PAGE, ME = 0, 1, 2


def _states_sql(members: int, guilds: int) -> str:
    """The members' hidden flags and finished sections, and their guilds' all-time levels.

    One statement serves /done's batches, /undo and /rank's standing. Statement texts are
    cached (prepared) per shape, so callers pad the lists to a power of two (`_padded`).
    """
    wanted = ", ".join("(CAST(? AS BIGINT), CAST(? AS BIGINT))" for _ in range(members))
    return (
        f"WITH wanted (guild_id, user_id) AS (VALUES {wanted}) "
        "SELECT 0, w.guild_id, w.user_id, m.hidden, m.display_name, c.section_id, c.done_at "
        "FROM wanted AS w "
        "JOIN progress_members AS m ON m.guild_id = w.guild_id AND m.user_id = w.user_id "
        "LEFT JOIN progress_completions AS c "
        "    ON c.guild_id = m.guild_id AND c.user_id = m.user_id "
        "UNION ALL "
        "SELECT 1, guild_id, points, members, NULL, NULL, NULL FROM progress_levels "
        f"WHERE guild_id IN ({', '.join('?' * guilds)}) AND period = ? AND members > 0"
    )


def _padded(items: Sequence[Any]) -> list[Any]:
    """The items, the last repeated up to the next power of two (few statement shapes)."""
    size = 1
    while size < len(items):
        size *= 2
    return [*items, *([items[-1]] * (size - len(items)))]


def lock_key(name: object) -> int:
    """A PostgreSQL advisory lock key of progress (a signed 64-bit integer): a guild's, or
    the counters' as a whole."""
    digest = hashlib.blake2b(LOCK_SALT + str(name).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


#: Taken shared by every writer and alone by a rebuild of the counters.
COUNTERS_LOCK = lock_key("counters")


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
    name: str | None = None
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
    """A display name as stored: one line, clipped (rendering escapes it separately).

    NUL characters go: PostgreSQL text cannot hold them, and both engines store the same.
    """
    flat = " ".join(name.replace("\x00", "").split()) or "(no name)"
    return flat[:NAME_LIMIT]


class SectionTotals:
    """Per-guild finished counts (/topic, /who) kept in memory between writes.

    A /done or /undo of this process moves its guild's kept entry by what it committed (the
    entry stays exact and in memory through a rush of /done); other writes of this process
    (hide, show, delete, a rebuild) drop the entry. A write by another process (another shard's
    process on the same PostgreSQL database) is seen when the entry expires, after `ttl`
    seconds. A read that overlapped a write of its guild is not kept, so a count read before a
    commit never outlives it.
    """

    def __init__(
        self, ttl: float = TOTALS_TTL_SECONDS, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self._timer = timer
        self._entries: dict[int, tuple[float, dict[str, int]]] = {}
        self._loads: Counter[int] = Counter()
        self._written: set[int] = set()

    async def get(
        self, guild_id: int, load: Callable[[int], Awaitable[dict[str, int]]]
    ) -> dict[str, int]:
        """The guild's totals per section, from memory or loaded (and kept) now."""
        entry = self._entries.get(guild_id)
        if entry is not None and entry[0] > self._timer():
            return entry[1]
        self._loads[guild_id] += 1
        try:
            totals = await load(guild_id)
        finally:
            self._loads[guild_id] -= 1
            overlapped = guild_id in self._written
            if self._loads[guild_id] <= 0:
                del self._loads[guild_id]
                self._written.discard(guild_id)
        if not overlapped and self.ttl > 0:
            if len(self._entries) >= TOTALS_CACHE_LIMIT:
                self._entries.clear()
            self._entries[guild_id] = (self._timer() + self.ttl, totals)
        return totals

    def move(self, guild_ids: Iterable[int], moved: Mapping[tuple[int, str], int]) -> None:
        """Apply this process's committed change to the guilds' kept totals.

        `moved` holds (guild, section) → finishers gained or lost; what the counters' triggers
        did, worked out under the guilds' locks, so a kept entry stays exact.
        """
        for guild_id in guild_ids:
            if guild_id in self._loads:
                self._written.add(guild_id)
        for (guild_id, section_id), delta in moved.items():
            entry = self._entries.get(guild_id)
            if entry is not None and delta:
                totals = entry[1]
                totals[section_id] = max(0, totals.get(section_id, 0) + delta)

    def invalidate(self, guild_ids: Iterable[int]) -> None:
        """Forget the guilds' totals: this process wrote them."""
        for guild_id in guild_ids:
            self._entries.pop(guild_id, None)
            if guild_id in self._loads:
                self._written.add(guild_id)

    def clear(self) -> None:
        """Forget every guild's totals (the counters were rebuilt)."""
        self._entries.clear()
        self._written.update(self._loads)


class ProgressRepo:
    """Progress storage for every guild; `section_ids` are the sections that count.

    `titles` (section id → title) only label the sections in a member's export.
    `totals_ttl` is how long a guild's section totals stay in memory (0: never kept).
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
        *,
        totals_ttl: float = TOTALS_TTL_SECONDS,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.section_ids = list(section_ids)
        self.counted = frozenset(section_ids)
        self.titles = dict(titles or {})
        self.totals = SectionTotals(totals_ttl, timer)
        self._names: dict[tuple[int, int], str] = {}
        self._done_queue = GroupCommit(self.mark_done_many, BATCH_LIMIT)

    @asynccontextmanager
    async def _writing(
        self, guild_ids: Iterable[int], moved: Counter[tuple[int, str]] | None = None
    ) -> AsyncIterator[Tx]:
        """A transaction that may write the guilds' members and completions (so counters).

        It holds the guilds' locks (`_lock_guilds`) from its first statement. Once it ends,
        the guilds' cached totals follow: moved by `moved` ((guild, section) → finishers
        gained or lost, filled in by the block) when it committed, else forgotten.
        """
        guilds = sorted(set(guild_ids))
        committed = False
        try:
            async with self.db.transaction() as tx:
                await _lock_guilds(tx, guilds)
                yield tx
            committed = True
        finally:
            if committed and moved is not None:
                self.totals.move(guilds, moved)
            else:
                self.totals.invalidate(guilds)

    # -- counters ---------------------------------------------------------------------------

    async def ensure_counters(self) -> bool:
        """Rebuild the counters when the roadmap's section set changed; True if rebuilt."""
        if await self.db.get_meta(FINGERPRINT_KEY) == sections_fingerprint(self.counted):
            return False
        return await self._rebuild(only_if_changed=True)

    async def rebuild_counters(self) -> None:
        """Count the current sections and recompute every counter, in one transaction."""
        await self._rebuild(only_if_changed=False)

    async def _rebuild(self, *, only_if_changed: bool) -> bool:
        fingerprint = sections_fingerprint(self.counted)
        try:
            async with self.db.transaction() as tx:
                await _lock_counters(tx)
                # Another process may have rebuilt for the same roadmap while this one waited.
                stored = await tx.fetch_value(
                    "SELECT value FROM meta WHERE key = ?", (FINGERPRINT_KEY,)
                )
                if only_if_changed and stored == fingerprint:
                    return False
                await tx.execute("DELETE FROM progress_sections")
                await tx.executemany(
                    "INSERT INTO progress_sections (section_id) VALUES (?)",
                    [(section_id,) for section_id in sorted(self.counted)],
                )
                await tx.execute("DELETE FROM progress_points")
                await tx.execute("DELETE FROM progress_levels")
                await tx.execute("DELETE FROM progress_section_totals")
                # The points triggers fill progress_levels as the rows go in.
                await tx.execute(
                    f"INSERT INTO progress_points (guild_id, user_id, period, points) "
                    f"{_EXPECTED_POINTS}"
                )
                await tx.execute(
                    "INSERT INTO progress_section_totals (guild_id, section_id, members) "
                    f"{_EXPECTED_TOTALS}"
                )
                await tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (FINGERPRINT_KEY, fingerprint),
                )
        finally:
            self.totals.clear()
        log.info("rebuilt progress counters for %d roadmap sections", len(self.counted))
        return True

    async def counter_problems(self) -> list[str]:
        """Differences between the counters and a recount from the completions (for audits)."""
        async with self.db.snapshot() as tx:
            expected_points = await _rows(tx, _EXPECTED_POINTS)
            expected_totals = await _rows(tx, _EXPECTED_TOTALS)
            expected_levels = await _rows(tx, _EXPECTED_LEVELS)
            points = await _rows(
                tx, "SELECT guild_id, user_id, period, points FROM progress_points"
            )
            levels = await _rows(
                tx,
                "SELECT guild_id, period, points, members FROM progress_levels WHERE members <> 0",
            )
            totals = await _rows(
                tx,
                "SELECT guild_id, section_id, members FROM progress_section_totals "
                "WHERE members <> 0",
            )
            sections = await _rows(tx, "SELECT section_id FROM progress_sections")
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

    async def _touch(self, tx: Tx, guild_id: int, user_id: int, name: str, now: datetime) -> bool:
        """Create or refresh a member row with the name as seen now; returns the hidden flag."""
        name = clean_name(name)
        stamp = db_time(now)
        hidden = await tx.fetch_value(
            "INSERT INTO progress_members "
            "(guild_id, user_id, display_name, hidden, first_seen, updated_at) "
            "VALUES (?, ?, ?, 0, ?, ?) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "display_name = excluded.display_name, updated_at = excluded.updated_at "
            "RETURNING hidden",
            (guild_id, user_id, name, stamp, stamp),
        )
        self._remember(guild_id, user_id, name)
        return bool(hidden)

    def _remember(self, guild_id: int, user_id: int, name: str) -> None:
        if len(self._names) >= NAME_CACHE_LIMIT:
            self._names.clear()
        self._names[(guild_id, user_id)] = name

    async def refresh_name(self, guild_id: int, user_id: int, name: str, now: datetime) -> None:
        """Store a member's display name as seen now, if they have a row and it changed."""
        name = clean_name(name)
        if self._names.get((guild_id, user_id)) == name:
            return
        # One statement: it changes nothing that counts, so it needs no guild lock.
        await self.db.execute(
            "UPDATE progress_members SET display_name = ?, updated_at = ? "
            "WHERE guild_id = ? AND user_id = ? AND display_name <> ?",
            (name, db_time(now), guild_id, user_id, name),
        )
        self._remember(guild_id, user_id, name)

    async def _states(
        self, conn: Tx | Database, members: Sequence[tuple[int, int]], guilds: Sequence[int]
    ) -> tuple[dict[tuple[int, int], _MemberState], Counter[tuple[int, int]]]:
        """Members as stored (hidden flag, finished sections) and their guilds' all-time
        levels as a ladder (guild, points) → members, in one statement."""
        wanted, guild_list = _padded(members), _padded(guilds)
        rows = await conn.fetch_all(
            _states_sql(len(wanted), len(guild_list)),
            [*(value for member in wanted for value in member), *guild_list, ALL_TIME],
        )
        states = {member: _MemberState() for member in members}
        ladder: Counter[tuple[int, int]] = Counter()
        for kind, guild_id, second, third, name, section_id, done_at in rows:
            if kind == 1:
                ladder[(int(guild_id), int(second))] += int(third)
                continue
            state = states[(int(guild_id), int(second))]
            state.exists = True
            state.hidden = bool(third)
            state.name = str(name)
            if section_id is not None:
                state.done[str(section_id)] = str(done_at)
        return states, ladder

    def _standing(
        self, state: _MemberState, ladder: Counter[tuple[int, int]], guild_id: int
    ) -> Standing:
        """A member's all-time standing from their state and their guild's ladder."""
        done = state.counted(self.counted)
        total = len(self.counted)
        if state.hidden:
            return Standing(done, total, True, None, 0)
        levels = [Level(points, n) for (g, points), n in ladder.items() if g == guild_id and n > 0]
        rank = rank_of(levels, done) if done > 0 else None
        return Standing(done, total, False, rank, sum(level.members for level in levels))

    async def standing(self, guild_id: int, user_id: int) -> Standing:
        """A member's all-time standing now (one statement)."""
        member = (guild_id, user_id)
        states, ladder = await self._states(self.db, [member], [guild_id])
        return self._standing(states[member], ladder, guild_id)

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
        # Refuse a bad request (a naive time) before the transaction, not halfway through it.
        stamps = [(db_time(r.now), week_key(r.now), month_key(r.now)) for r in requests]
        moved: Counter[tuple[int, str]] = Counter()
        async with self._writing((r.guild_id for r in requests), moved) as tx:
            return await self._mark_batch(tx, requests, stamps, moved)

    async def _mark_batch(
        self,
        tx: Tx,
        requests: Sequence[DoneRequest],
        stamps: Sequence[tuple[str, str, str]],
        moved: Counter[tuple[int, str]],
    ) -> list[Change]:
        # One read fetches the members' finished sections together with their guilds'
        # all-time levels, and the replies' ranks are worked out from those rather than read
        # again after the writes. The guilds' locks (held since the transaction began) make
        # that read the state every write of the batch applies to, on either engine.
        members = list(dict.fromkeys((r.guild_id, r.user_id) for r in requests))
        guilds = list(dict.fromkeys(r.guild_id for r in requests))
        states, ladder = await self._states(tx, members, guilds)

        profiles: dict[tuple[int, int], tuple[str, str]] = {}
        completions: list[tuple[int, int, str, str, str, str]] = []
        outcomes: list[tuple[DoneRequest, bool, str, int, bool]] = []
        for request, (stamp, week, month) in zip(requests, stamps, strict=True):
            member = (request.guild_id, request.user_id)
            state = states[member]
            name = clean_name(request.name)
            # The member row is written only when it is new or the name changed.
            if not state.exists or state.name != name:
                profiles[member] = (name, stamp)
                state.exists, state.name = True, name
            done_before = state.counted(self.counted)
            inserted = request.section_id not in state.done
            if inserted:
                state.done[request.section_id] = stamp
                completions.append((*member, request.section_id, stamp, week, month))
                if request.section_id in self.counted and not state.hidden:
                    moved[(request.guild_id, request.section_id)] += 1
                    # What the points triggers do to the all-time levels.
                    if done_before > 0:
                        ladder[(request.guild_id, done_before)] -= 1
                    ladder[(request.guild_id, done_before + 1)] += 1
            done = state.counted(self.counted)
            outcomes.append((request, inserted, state.done[request.section_id], done, state.hidden))

        await _insert_rows(
            tx,
            "INSERT INTO progress_members "
            "(guild_id, user_id, display_name, hidden, first_seen, updated_at) VALUES ",
            "(?, ?, ?, 0, ?, ?)",
            [(*member, name, stamp, stamp) for member, (name, stamp) in profiles.items()],
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET "
            "display_name = excluded.display_name, updated_at = excluded.updated_at",
        )
        if completions:
            # One statement for the batch: the rows padded to a power of two with copies of
            # the last, which the conflict clause skips. Nothing else may be skipped: the
            # guilds' locks made the read above the truth, so a shortfall is an error.
            padded = _padded(completions)
            stored = await tx.fetch_all(
                "INSERT INTO progress_completions "
                "(guild_id, user_id, section_id, done_at, week, month) VALUES "
                + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(padded))
                + " ON CONFLICT (guild_id, user_id, section_id) DO NOTHING RETURNING 1",
                [value for row in padded for value in row],
            )
            if len(stored) != len(completions):
                raise IntegrityError(
                    f"{len(completions) - len(stored)} of {len(completions)} completions "
                    "were already stored by a writer outside the guild's lock"
                )
        for member, state in states.items():
            if state.name is not None:
                self._remember(*member, state.name)

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
        member = (guild_id, user_id)
        db_time(now)  # a naive time is refused before anything is written
        moved: Counter[tuple[int, str]] = Counter()
        async with self._writing([guild_id], moved) as tx:
            removed = await tx.fetch_all(
                "DELETE FROM progress_completions "
                "WHERE guild_id = ? AND user_id = ? AND section_id = ? RETURNING done_at",
                (guild_id, user_id, section_id),
            )
            states, ladder = await self._states(tx, [member], [guild_id])
            state = states[member]
            if state.name != clean_name(name):  # a new member, or a new name
                await self._touch(tx, guild_id, user_id, name, now)
            else:
                self._remember(guild_id, user_id, state.name)
            if removed and section_id in self.counted and not state.hidden:
                moved[(guild_id, section_id)] -= 1
        standing = self._standing(state, ladder, guild_id)
        done_at = parse_db_time(str(removed[0][0])) if removed else None
        return Change(bool(removed), standing, done_at)

    # -- reads ------------------------------------------------------------------------------

    async def board(
        self, guild_id: int, period_key: str, page: int, caller_id: int, per_page: int = 10
    ) -> Board:
        """One page of a period's leaderboard (0-based `page`) and the caller's own line.

        The first page is one statement; a later one two (where it starts depends on the
        levels).
        """
        later = page > 0
        if not later:
            rows = await self.db.fetch_all(
                FIRST_PAGE_SQL,
                (guild_id, period_key, guild_id, period_key, per_page, period_key, guild_id,
                 caller_id),
            )  # fmt: skip
        else:
            rows = await self.db.fetch_all(
                LEVELS_AND_ME_SQL, (guild_id, period_key, period_key, guild_id, caller_id)
            )
        levels: list[Level] = []
        top: list[tuple[int, int, str]] = []
        me_row: tuple[int | None, bool, str] | None = None
        for part, points, number, name in rows:
            if part == LEVELS:
                levels.append(Level(int(points), int(number)))
            elif part == PAGE:
                top.append((int(number), int(points), str(name)))
            else:
                me_row = (None if points is None else int(points), bool(number), str(name))
        levels.sort(key=lambda level: -level.points)
        size = sum(level.members for level in levels)
        page_count = max(1, -(-size // per_page))
        page = min(max(0, page), page_count - 1)
        if later and size:
            start = locate(levels, page * per_page)
            top = []
            if start is not None:
                found = await self.db.fetch_all(
                    PAGE_SQL, (guild_id, period_key, start[0], per_page, start[1])
                )
                top = [(int(r[0]), int(r[1]), str(r[2])) for r in found]
        top.sort(key=lambda entry: (-entry[1], entry[0]))
        entries = [
            BoardEntry(rank_of(levels, points), user_id, name, points)
            for user_id, points, name in top
        ]
        me: BoardEntry | None = None
        me_hidden = False
        if me_row is not None:
            points_or_none, me_hidden, name = me_row
            if points_or_none is not None and not me_hidden:
                me = BoardEntry(rank_of(levels, points_or_none), caller_id, name, points_or_none)
        return Board(period_key, page, page_count, size, entries, me, me_hidden)

    async def finished_count(self, guild_id: int, section_id: str) -> int:
        """How many visible members finished a section (usually from memory: `SectionTotals`)."""
        totals = await self.totals.get(guild_id, self._load_totals)
        return max(0, totals.get(section_id, 0))

    async def _load_totals(self, guild_id: int) -> dict[str, int]:
        rows = await self.db.fetch_all(
            "SELECT section_id, members FROM progress_section_totals WHERE guild_id = ?",
            (guild_id,),
        )
        return {str(row[0]): int(row[1]) for row in rows}

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
        """Everything stored about a member in a guild, or None (one statement)."""
        rows = await self.db.fetch_all(
            "SELECT m.display_name, m.hidden, m.first_seen, m.updated_at, "
            "c.section_id, c.done_at "
            "FROM progress_members AS m "
            "LEFT JOIN progress_completions AS c "
            "    ON c.guild_id = m.guild_id AND c.user_id = m.user_id "
            "WHERE m.guild_id = ? AND m.user_id = ?",
            (guild_id, user_id),
        )
        if not rows:
            return None
        name, hidden, first_seen, updated_at = rows[0][0], rows[0][1], rows[0][2], rows[0][3]
        completions = sorted(
            (
                Completion(str(row[4]), parse_db_time(str(row[5])))
                for row in rows
                if row[4] is not None
            ),
            key=lambda completion: (completion.done_at, completion.section_id),
        )
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
        async with self._writing([guild_id]) as tx:
            if hidden:
                was_hidden = await self._touch(tx, guild_id, user_id, name, now)
            else:
                # Rejoining needs no row: a member who never hid is already on the boards.
                row = await tx.fetch_one(
                    "UPDATE progress_members SET display_name = ?, updated_at = ? "
                    "WHERE guild_id = ? AND user_id = ? RETURNING hidden",
                    (clean_name(name), db_time(now), guild_id, user_id),
                )
                was_hidden = bool(row is not None and row[0])
            if was_hidden == hidden:
                return False
            # The hidden/shown triggers take the member off the counters or count them again.
            await tx.execute(
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

        The completions go first, while the member row still says whether they counted, so
        the triggers take their points and totals with them; no table of progress names the
        member after this.
        """
        async with self._writing([guild_id]) as tx:
            completions = await tx.execute(
                "DELETE FROM progress_completions WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            members = await tx.execute(
                "DELETE FROM progress_members WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        self._names.pop((guild_id, user_id), None)
        return completions + members if members else 0


async def _insert_rows(
    tx: Tx, head: str, values: str, rows: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """Insert rows with multi-row statements: a batch in a few statements, not one per row.

    Chunks are powers of two (at most `INSERT_CHUNK` rows), so few statement texts exist to
    prepare and cache; the database's triggers then run once per statement on PostgreSQL.
    """
    size = INSERT_CHUNK
    start = 0
    while start < len(rows):
        while size > len(rows) - start:
            size //= 2
        chunk = rows[start : start + size]
        start += size
        await tx.execute(
            head + ", ".join([values] * size) + tail, [value for row in chunk for value in row]
        )


async def _rows(tx: Tx, sql: str) -> set[tuple[object, ...]]:
    return {tuple(row) for row in await tx.fetch_all(sql)}


# -- the dialect branch: how writers of one guild are kept apart ------------------------------
# SQLite serialises every write transaction on the file (BEGIN IMMEDIATE), so these do nothing
# there. PostgreSQL runs transactions side by side at READ COMMITTED, each statement seeing what
# was committed when it began.


async def _lock_guilds(tx: Tx, guilds: Sequence[int]) -> None:
    """Take the guilds' progress locks for the rest of the transaction (PostgreSQL).

    Transaction-scoped advisory locks rather than row locks: the rows a /done depends on (the
    member's, the guild's level rows) may not exist yet. First the counters' lock, shared
    (only a rebuild takes it alone), then each guild's, in one order (by key) so that two
    batches of several guilds never wait on each other in a circle. In a statement of their
    own, so that every later statement's snapshot holds what the previous holder committed.
    """
    if tx.dialect != "postgresql" or not guilds:
        return
    keys = sorted({lock_key(guild_id) for guild_id in guilds})
    if len(keys) == 1:
        await tx.execute(
            "SELECT pg_advisory_xact_lock_shared(CAST(? AS BIGINT)), "
            "pg_advisory_xact_lock(CAST(? AS BIGINT))",
            (COUNTERS_LOCK, keys[0]),
        )
        return
    await tx.execute("SELECT pg_advisory_xact_lock_shared(CAST(? AS BIGINT))", (COUNTERS_LOCK,))
    await tx.executemany(
        "SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", [(key,) for key in keys]
    )


async def _lock_counters(tx: Tx) -> None:
    """Wait for every writer of progress to finish and keep new ones out (PostgreSQL).

    A rebuild changes which sections count: a /done that had decided under the old set and
    wrote under the new one would leave a counter off by one. Boards can still be read (they
    see the old counters until the rebuild commits).
    """
    if tx.dialect == "postgresql":
        await tx.execute("SELECT pg_advisory_xact_lock(CAST(? AS BIGINT))", (COUNTERS_LOCK,))
