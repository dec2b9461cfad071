"""Group progress at scale, on SQLite and PostgreSQL side by side: boards, /progress, /done.

The database: a guild with 100,000 members and 1,500,000 completions (spread over the past
year, so this week's and this month's boards are partial), plus three smaller guilds beside
it; counters rebuilt by the bot's own code. The SQLite file is built once (about a minute) and
cached under /tmp keyed by the schema, the roadmap and this generator, then copied for each
run. The PostgreSQL database is created fresh for the run (on
postgresql://postgres@127.0.0.1:5432/postgres, or the server `STUDYBOT_BENCH_POSTGRES` names),
filled with the same rows from that file, its counters rebuilt by `ProgressRepo`, and dropped
at the end. Without a server the PostgreSQL half is skipped with one line.

Figures, for each engine:
* DB time of one leaderboard view — the statement `ProgressRepo.board` runs for a first page
  (the period's levels, the top of the board and the caller's own line, in one statement) and
  the ranks worked out from it — p95 over random callers, per period: on a plain sqlite3
  connection, and on one asyncpg connection with the statement prepared (a loopback round trip
  included); against a naive `GROUP BY user_id ORDER BY COUNT(*) DESC` page plus the caller's
  rank from the same raw completions, measured in the same run. Goal: under 5 ms on both.
* The same view through `ProgressRepo.board` on the seam (aiosqlite's thread hand-off, or the
  asyncpg pool), and /rank's standing and /topic's finished count through the repository.
* /topic, /progress (each period) and /done through the simulator with the real bot on that
  database: median and p99 from dispatch to first response, against /noop in the same guild,
  run round-robin.
* 1,000 members sending /done at once (asyncio.gather): how many were acknowledged, how many
  are on disk afterwards, and the throughput.
* What durability costs on SQLite: the bot's connection runs `synchronous = FULL` (every commit
  syncs the write-ahead log before /done replies). Each round also times one /done with the
  same connection switched to `NORMAL`, and the rush runs four times, FULL, NORMAL, NORMAL,
  FULL: the NORMAL runs are the baselines. (PostgreSQL syncs its log at every commit, its
  default `synchronous_commit = on`; it runs the rush twice.)

`python -m benchmarks.bench_progress [smoke|quick|long]`
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.common import (
    Figure,
    Report,
    bench_world,
    latency_figures,
    median,
    percentile,
)
from bot.clock import FakeClock
from bot.database import Database, load_migrations, redact, to_postgres
from cogs.progress.repo import FIRST_PAGE_SQL, ME, PAGE, ProgressRepo
from cogs.progress.stats import (
    PERIODS,
    Level,
    Period,
    db_time,
    month_key,
    period_end,
    period_key,
    period_start,
    rank_of,
    week_key,
)
from roadmap.parser import load_roadmap
from tests.engines import with_database
from tests.simulator import DiscordSimulator, SimGuild, SimUser
from tests.simulator import models as sim_models

GENERATOR_VERSION = 2
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday: the week is half gone
BIG_GUILD = 1_100_000_000_000_000_001
MEMBERS = 100_000
COMPLETIONS = 1_500_000
USER_BASE = 1_200_000_000_000_000_000
OTHER_GUILDS = 3
OTHER_MEMBERS = 5_000
OTHER_COMPLETIONS = 50_000
DB_GOAL_MS = 5.0
SIM_GOAL = {"topic": 1.5, "progress": 2.0, "done": 2.5}
RUSH = 1_000
CACHE_DIR = Path(tempfile.gettempdir()) / "studybot-bench"
POSTGRES_ENV = "STUDYBOT_BENCH_POSTGRES"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
COPY_CHUNK = 50_000

PROFILES = {
    # DB samples per period, naive samples per period, simulator rounds, rush size
    "smoke": (50, 3, 30, 200),
    "quick": (300, 5, 150, RUSH),
    "long": (1000, 10, 500, RUSH),
}


def _profile(name: str) -> tuple[int, int, int, int]:
    return PROFILES.get(name, PROFILES["quick"])


@dataclass(frozen=True)
class Engine:
    """One engine's copy of the big database."""

    name: str  # "SQLite" or "PostgreSQL"
    target: Path | str

    @property
    def postgres(self) -> bool:
        """Whether this is the PostgreSQL copy."""
        return isinstance(self.target, str)


# -- building the database ------------------------------------------------------------------


def cache_key(section_ids: list[str]) -> str:
    """What the cached database depends on: schema, roadmap sections and this generator."""
    digest = hashlib.sha256()
    for migration in load_migrations(None, "sqlite"):
        digest.update(migration.sql.encode())
    digest.update(json.dumps(sorted(section_ids)).encode())
    digest.update(f"{GENERATOR_VERSION}:{MEMBERS}:{COMPLETIONS}:{NOW.isoformat()}".encode())
    return digest.hexdigest()[:16]


def _counts(rng: random.Random, members: int, total: int, most: int) -> list[int]:
    """Sections done per member: spread around the mean, 1..most, summing to `total`."""
    mean = total / members
    counts = [max(1, min(most, round(rng.gauss(mean, mean / 2)))) for _ in range(members)]
    gap = total - sum(counts)
    while gap:
        index = rng.randrange(members)
        if gap > 0 and counts[index] < most:
            counts[index] += 1
            gap -= 1
        elif gap < 0 and counts[index] > 1:
            counts[index] -= 1
            gap += 1
    return counts


def _rows(
    rng: random.Random, guild_id: int, first_user: int, counts: list[int], section_ids: list[str]
) -> Iterator[tuple[int, int, str, str, str, str]]:
    """Completions of a guild: each member's sections mostly in roadmap order, over a year."""
    year = 365 * 24 * 3600
    for offset, count in enumerate(counts):
        user_id = first_user + offset
        chosen = section_ids[:count] if rng.random() < 0.7 else rng.sample(section_ids, count)
        for section_id in chosen:
            moment = NOW - timedelta(seconds=rng.randrange(year))
            yield (
                guild_id,
                user_id,
                section_id,
                db_time(moment),
                week_key(moment),
                month_key(moment),
            )


def _member_rows(
    guild_id: int, first_user: int, members: int, stamp: str
) -> Iterator[tuple[int, int, str, int, str, str]]:
    for offset in range(members):
        name = f"member {offset}" if offset % 50 else f"**member {offset}** @everyone"
        hidden = 1 if offset % 997 == 0 else 0
        yield (guild_id, first_user + offset, name, hidden, stamp, stamp)


async def build_database(path: Path, section_ids: list[str]) -> float:
    """Create the big SQLite database at `path`; returns the seconds it took."""
    started = time.perf_counter()
    async with Database(path) as db:
        await db.migrate()
    rng = random.Random(20261126)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    stamp = db_time(NOW - timedelta(days=400))
    guilds = [(BIG_GUILD, USER_BASE, MEMBERS, COMPLETIONS)]
    for n in range(OTHER_GUILDS):
        first = USER_BASE + 10_000_000 * (n + 1)
        guilds.append((BIG_GUILD + n + 1, first, OTHER_MEMBERS, OTHER_COMPLETIONS))
    # progress_sections is still empty: the completion triggers count nothing yet.
    with conn:
        for guild_id, first_user, members, total in guilds:
            conn.executemany(
                "INSERT INTO progress_members VALUES (?, ?, ?, ?, ?, ?)",
                _member_rows(guild_id, first_user, members, stamp),
            )
            counts = _counts(rng, members, total, len(section_ids))
            conn.executemany(
                "INSERT INTO progress_completions VALUES (?, ?, ?, ?, ?, ?)",
                _rows(rng, guild_id, first_user, counts, section_ids),
            )
    conn.close()
    async with Database(path) as db:
        await ProgressRepo(db, section_ids).rebuild_counters()
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn = sqlite3.connect(path)
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


async def cached_database(section_ids: list[str]) -> tuple[Path, float | None]:
    """The cached big database (built when missing); build seconds or None when reused."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"progress-{cache_key(section_ids)}.db"
    if path.exists():
        return path, None
    partial = path.with_suffix(".building")
    for leftover in CACHE_DIR.glob(partial.name + "*"):
        leftover.unlink()
    print(f"building {MEMBERS:,} members / {COMPLETIONS:,} completions at {path} …", flush=True)
    seconds = await build_database(partial, section_ids)
    partial.rename(path)
    return path, seconds


def copy_database(source: Path, folder: Path) -> Path:
    """A private copy of the cached database for a run that writes."""
    target = folder / "progress.db"
    shutil.copyfile(source, target)
    return target


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str | None]:
    """A fresh, empty PostgreSQL database for this run (dropped after), or None without one."""
    import asyncpg

    server = os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES
    name = f"studybot_bench_progress_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        conn = await asyncpg.connect(server, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        print(
            f"PostgreSQL half skipped: {redact(server)} is not usable ({exc}); "
            f"set {POSTGRES_ENV}=postgresql://user@host:5432/dbname to run it",
            flush=True,
        )
        yield None
        return
    try:
        yield with_database(server, name)
    finally:
        conn = await asyncpg.connect(server, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _chunks(conn: sqlite3.Connection, sql: str) -> Iterator[list[tuple[Any, ...]]]:
    cursor = conn.execute(sql)
    while rows := cursor.fetchmany(COPY_CHUNK):
        yield rows


async def build_postgres(url: str, source: Path, section_ids: list[str]) -> float:
    """Fill the PostgreSQL database with the SQLite file's members and completions."""
    import asyncpg

    started = time.perf_counter()
    async with Database(url) as db:
        await db.migrate()
    lite = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    conn = await asyncpg.connect(url)
    try:
        # progress_sections is still empty: the completion triggers count nothing yet.
        for table, columns in (
            (
                "progress_members",
                ("guild_id", "user_id", "display_name", "hidden", "first_seen", "updated_at"),
            ),
            (
                "progress_completions",
                ("guild_id", "user_id", "section_id", "done_at", "week", "month"),
            ),
        ):
            for rows in _chunks(lite, f"SELECT {', '.join(columns)} FROM {table}"):
                await conn.copy_records_to_table(table, records=rows, columns=columns)
    finally:
        await conn.close()
        lite.close()
    async with Database(url) as db:
        await ProgressRepo(db, section_ids).rebuild_counters()
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("VACUUM ANALYZE")
        # Write the load out now rather than during the measurements (needs a superuser or
        # pg_checkpoint; without it the server checkpoints on its own schedule).
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CHECKPOINT")
    finally:
        await conn.close()
    return time.perf_counter() - started


# -- DB time ----------------------------------------------------------------------------------


def _first_page_params(guild_id: int, key: str, caller: int) -> tuple[Any, ...]:
    return (guild_id, key, guild_id, key, 10, key, guild_id, caller)


def _ranks(rows: list[Any]) -> int:
    """What `ProgressRepo.board` works out from the first-page statement: every rank."""
    levels = sorted(
        (Level(int(r[1]), int(r[2])) for r in rows if r[0] == 0), key=lambda lv: -lv.points
    )
    ranks = [rank_of(levels, int(r[1])) for r in rows if r[0] == PAGE]
    ranks += [rank_of(levels, int(r[1])) for r in rows if r[0] == ME and r[1] is not None]
    return len(ranks)


def _naive_sql(bounds: tuple[str, str] | None) -> tuple[str, str, str]:
    where = "guild_id = ?" + (" AND done_at >= ? AND done_at < ?" if bounds else "")
    return (
        f"SELECT user_id, COUNT(*) AS points FROM progress_completions WHERE {where} "
        "GROUP BY user_id ORDER BY points DESC, user_id LIMIT 10",
        f"SELECT COUNT(*) FROM progress_completions WHERE {where} AND user_id = ?",
        f"SELECT COUNT(*) FROM (SELECT user_id FROM progress_completions WHERE {where} "
        "GROUP BY user_id HAVING COUNT(*) > ?) AS above",
    )


def _bounds(period: Period) -> tuple[str, str] | None:
    start, end = period_start(period, NOW), period_end(period, NOW)
    if start is None or end is None:
        return None
    return db_time(start), db_time(end)


class SqliteViews:
    """The leaderboard view and its naive twin on a plain sqlite3 connection."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)

    async def view(self, key: str, caller: int) -> int:
        return _ranks(
            self.conn.execute(FIRST_PAGE_SQL, _first_page_params(BIG_GUILD, key, caller)).fetchall()
        )

    async def naive(self, bounds: tuple[str, str] | None, caller: int) -> int:
        page, mine, above = _naive_sql(bounds)
        params: list[Any] = [BIG_GUILD, *(bounds or ())]
        rows = self.conn.execute(page, params).fetchall()
        points = self.conn.execute(mine, [*params, caller]).fetchone()[0]
        self.conn.execute(above, [*params, points]).fetchone()
        return len(rows)

    async def close(self) -> None:
        self.conn.close()


class PostgresViews:
    """The same on one asyncpg connection, the board statement prepared once."""

    def __init__(self, conn: Any, statement: Any) -> None:
        self.conn, self.statement = conn, statement

    @classmethod
    async def open(cls, url: str) -> PostgresViews:
        import asyncpg

        conn = await asyncpg.connect(url)
        return cls(conn, await conn.prepare(to_postgres(FIRST_PAGE_SQL)))

    async def view(self, key: str, caller: int) -> int:
        return _ranks(await self.statement.fetch(*_first_page_params(BIG_GUILD, key, caller)))

    async def naive(self, bounds: tuple[str, str] | None, caller: int) -> int:
        page, mine, above = (to_postgres(sql) for sql in _naive_sql(bounds))
        params: list[Any] = [BIG_GUILD, *(bounds or ())]
        rows = await self.conn.fetch(page, *params)
        points = await self.conn.fetchval(mine, *params, caller)
        await self.conn.fetchval(above, *params, points)
        return len(rows)

    async def close(self) -> None:
        await self.conn.close()


async def timed(fn: Callable[..., Awaitable[object]], calls: list[tuple[Any, ...]]) -> list[float]:
    """Seconds taken by each call `await fn(*args)`, one per entry of `calls`."""
    samples = []
    for args in calls:
        started = time.perf_counter()
        await fn(*args)
        samples.append(time.perf_counter() - started)
    return samples


async def db_figures(report: Report, engine: Engine, samples: int, naive_samples: int) -> None:
    """p95 DB time of the leaderboard view per period, against the naive query."""
    views: SqliteViews | PostgresViews
    if isinstance(engine.target, str):
        views = await PostgresViews.open(engine.target)
        how = "one asyncpg connection, prepared, loopback round trip included"
    else:
        views = SqliteViews(engine.target)
        how = "a plain sqlite3 connection"
    rng = random.Random(7)
    try:
        for period in PERIODS:
            key = period_key(period, NOW)
            callers = [USER_BASE + rng.randrange(MEMBERS) for _ in range(samples)]
            await timed(views.view, [(key, callers[0])] * 20)  # warm the cache
            fast = await timed(views.view, [(key, caller) for caller in callers])
            naive = await timed(
                views.naive, [(_bounds(period), caller) for caller in callers[:naive_samples]]
            )
            value, base = percentile(fast, 95) * 1000, percentile(naive, 95) * 1000
            report.add(
                Figure(
                    f"/progress {period}: first page + caller's rank, DB time p95 ({engine.name})",
                    value,
                    "ms",
                    goal=f"< {DB_GOAL_MS:g} ms",
                    baseline=base,
                    baseline_name="naive GROUP BY",
                    ok=value < DB_GOAL_MS,
                    note=f"one statement on {how}; median "
                    f"{statistics.median(fast) * 1000:.3f} ms over {samples} callers; naive "
                    f"median {statistics.median(naive) * 1000:.0f} ms over {naive_samples}",
                )
            )
    finally:
        await views.close()


async def repo_figures(
    report: Report, engine: Engine, samples: int, section_ids: list[str]
) -> None:
    """The same view, /rank's standing and /topic's count through ProgressRepo on the seam."""
    rng = random.Random(11)
    seam = "asyncpg pool" if engine.postgres else "aiosqlite"
    async with Database(engine.target) as db:
        repo = ProgressRepo(db, section_ids)
        reads: list[tuple[str, Callable[[int], Awaitable[object]], str]] = [
            (
                "ProgressRepo.board all",
                lambda caller: repo.board(BIG_GUILD, "all", 0, caller),
                "one statement",
            ),
            (
                "ProgressRepo.board week",
                lambda caller: repo.board(BIG_GUILD, period_key("week", NOW), 0, caller),
                "one statement",
            ),
            (
                "ProgressRepo.board all, page 50",
                lambda caller: repo.board(BIG_GUILD, "all", 50, caller),
                "two statements",
            ),
            (
                "ProgressRepo.standing",
                lambda caller: repo.standing(BIG_GUILD, caller),
                "one statement",
            ),
            (
                "ProgressRepo.finished_count",
                lambda caller: repo.finished_count(BIG_GUILD, section_ids[caller % 30]),
                "kept in memory after the first",
            ),
        ]
        for label, read, how in reads:
            times = []
            for n in range(samples + 20):
                caller = USER_BASE + rng.randrange(MEMBERS)
                started = time.perf_counter()
                await read(caller)
                if n >= 20:
                    times.append(time.perf_counter() - started)
            report.add(
                Figure(
                    f"{label} ({engine.name}, {seam}) p95",
                    percentile(times, 95) * 1000,
                    "ms",
                    note=f"{how}; median {median(times) * 1000:.3f} ms",
                )
            )


# -- through the simulator ------------------------------------------------------------------


def add_guild_with_id(sim: DiscordSimulator, name: str, guild_id: int) -> SimGuild:
    """A simulated guild whose id is the big guild's in the cached database."""
    original = sim_models.snowflakes.next
    handed_out = False

    def next_id() -> int:
        nonlocal handed_out
        if handed_out:
            return original()
        handed_out = True
        return guild_id

    sim_models.snowflakes.next = next_id  # type: ignore[method-assign]
    try:
        return sim.add_guild(name)
    finally:
        sim_models.snowflakes.next = original  # type: ignore[method-assign]


def add_known_member(sim: DiscordSimulator, guild: SimGuild, user_id: int) -> SimUser:
    """A simulated member whose id is one of the database's members."""
    user = SimUser(id=user_id, name=f"member-{user_id - USER_BASE}")
    sim.users[user.id] = user
    return sim.add_member(guild, user.name, user=user)


def pending_sections(path: Path, users: list[int], section_ids: list[str]) -> dict[int, list[str]]:
    """For each user, the roadmap sections they have not done yet, in roadmap order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    done: dict[int, set[str]] = {user: set() for user in users}
    for chunk in range(0, len(users), 500):
        part = users[chunk : chunk + 500]
        marks = ",".join("?" * len(part))
        for user_id, section_id in conn.execute(
            "SELECT user_id, section_id FROM progress_completions "
            f"WHERE guild_id = ? AND user_id IN ({marks})",
            (BIG_GUILD, *part),
        ):
            done[user_id].add(section_id)
    conn.close()
    return {user: [s for s in section_ids if s not in done[user]] for user in users}


async def stored_pairs(target: Path | str, users: list[int]) -> set[tuple[int, str]]:
    """(user, section) of the users' stored completions in the big guild."""
    pairs: set[tuple[int, str]] = set()
    async with Database(target) as db:
        for chunk in range(0, len(users), 500):
            part = users[chunk : chunk + 500]
            rows = await db.fetch_all(
                "SELECT user_id, section_id FROM progress_completions "
                f"WHERE guild_id = ? AND user_id IN ({','.join('?' * len(part))})",
                (BIG_GUILD, *part),
            )
            pairs.update((int(row[0]), str(row[1])) for row in rows)
    return pairs


async def sim_figures(
    report: Report,
    engine: Engine,
    pristine: Path,
    rounds: int,
    rush: int,
    section_ids: list[str],
) -> None:
    """/topic, /progress and /done against /noop, then rushes of simultaneous /done."""
    rng = random.Random(3)
    candidates = rng.sample(range(MEMBERS), 4 * (rounds + rush) + 50)
    users = [USER_BASE + offset for offset in candidates if offset % 997]
    pending = pending_sections(pristine, users, section_ids)
    users = [user for user in users if len(pending[user]) >= 4]
    callers, doers, rushers = users[:20], users[20 : 20 + rounds + 30], users[-rush:]
    members: dict[int, SimUser] = {}
    holder: dict[str, SimGuild] = {}
    name = engine.name

    async def prepare(sim: DiscordSimulator) -> None:
        guild = add_guild_with_id(sim, "Big Study Group", BIG_GUILD)
        holder["guild"] = guild
        for user_id in dict.fromkeys(callers + doers + rushers):
            members[user_id] = add_known_member(sim, guild, user_id)

    async with bench_world(
        database=engine.target,
        clock=FakeClock(NOW),
        cogs=("cogs.roadmap", "cogs.progress"),
        prepare=prepare,
    ) as world:
        sim, guild = world.sim, holder["guild"]

        async def latency(user_id: int, command: str, options: dict[str, Any]) -> float:
            res = await sim.invoke(guild, members[user_id], command, options)
            assert res.latency is not None, f"/{command} got no answer"
            return res.latency

        db = world.bot.db
        if not engine.postgres:
            assert await db.fetch_value("PRAGMA synchronous") == 2, "the bot should run FULL"

        async def sync_mode(mode: str) -> None:
            await db.execute(f"PRAGMA synchronous = {mode}")

        async def done_without_sync(user_id: int, section_id: str) -> float:
            """One /done with the log synced only at checkpoints (the baseline)."""
            await sync_mode("NORMAL")
            try:
                return await latency(user_id, "done", {"section": section_id})
            finally:
                await sync_mode("FULL")

        done_queue = iter(doers)
        floor: list[float] = []
        topics: list[float] = []
        boards: dict[str, list[float]] = {"week": [], "month": [], "all": []}
        marks: list[float] = []
        marks_normal: list[float] = []
        for n in range(rounds + 20):
            caller = callers[n % len(callers)]
            doer = next(done_queue)
            samples = [
                await latency(caller, "noop", {}),
                await latency(caller, "topic", {"section": section_ids[n % len(section_ids)]}),
                await latency(caller, "progress", {"period": "all"}),
                await latency(caller, "progress", {"period": "week"}),
                await latency(caller, "progress", {"period": "month"}),
            ]
            if engine.postgres:
                samples.append(await latency(doer, "done", {"section": pending[doer][0]}))
            # FULL and NORMAL take turns going first, so neither gains from the other's warm-up.
            elif n % 2:
                normal = await done_without_sync(doer, pending[doer][1])
                samples += [await latency(doer, "done", {"section": pending[doer][0]}), normal]
            else:
                samples.append(await latency(doer, "done", {"section": pending[doer][0]}))
                samples.append(await done_without_sync(doer, pending[doer][1]))
            if n < 20:
                continue  # warm-up
            floor.append(samples[0])
            topics.append(samples[1])
            boards["all"].append(samples[2])
            boards["week"].append(samples[3])
            boards["month"].append(samples[4])
            marks.append(samples[5])
            if not engine.postgres:
                marks_normal.append(samples[6])
        latency_figures(report, f"/topic (simulator, {name})", topics, floor, SIM_GOAL["topic"])
        for period, values in boards.items():
            latency_figures(
                report, f"/progress {period} (simulator, {name})", values, floor,
                SIM_GOAL["progress"],
            )  # fmt: skip
        latency_figures(report, f"/done (simulator, {name})", marks, floor, SIM_GOAL["done"])
        if marks_normal:
            for stat, fn in (("median", median), ("p99", lambda s: percentile(s, 99))):
                report.add(
                    Figure(
                        f"/done (simulator, {name}) {stat}, synchronous=FULL",
                        fn(marks) * 1000,
                        "ms",
                        baseline=fn(marks_normal) * 1000,
                        baseline_name="synchronous=NORMAL",
                        note="the price of syncing the log before each reply"
                        if stat == "median"
                        else "",
                    )
                )

        async def rush_of(section: int) -> tuple[list[Any], float]:
            started = time.perf_counter()
            answers = await asyncio.gather(
                *(
                    sim.invoke(
                        guild,
                        members[user],
                        "done",
                        {"section": pending[user][section]},
                        timeout=60,
                    )
                    for user in rushers
                ),
                return_exceptions=True,
            )
            return answers, time.perf_counter() - started

        async def rush_without_sync(section: int) -> tuple[list[Any], float]:
            await sync_mode("NORMAL")
            try:
                return await rush_of(section)
            finally:
                await sync_mode("FULL")

        # SQLite: FULL, NORMAL, NORMAL, FULL: a drift during the run (a growing log, the
        # machine's load) weighs on both alike. PostgreSQL: two rushes, both synced.
        runs: list[tuple[str, int, list[Any], float]] = []
        plan = (
            [("on", 0), ("on", 3)]
            if engine.postgres
            else [("FULL", 0), ("NORMAL", 1), ("NORMAL", 2), ("FULL", 3)]
        )
        for mode, section in plan:
            answers, wall = await (
                rush_without_sync(section) if mode == "NORMAL" else rush_of(section)
            )
            runs.append((mode, section, answers, wall))

    synced = [run for run in runs if run[0] != "NORMAL"]
    unsynced = [run for run in runs if run[0] == "NORMAL"]
    each = ", ".join(
        f"{mode} {max(_latencies(answers), default=0):.2f} s / {_acknowledged(answers)} ok"
        for mode, _, answers, _ in runs
    )
    results = [answer for run in synced for answer in run[2]]
    wall = sum(run[3] for run in synced) / len(synced)
    acknowledged = {
        (user, pending[user][section])
        for _, section, answers, _ in synced
        for user, res in zip(rushers, answers, strict=True)
        if not isinstance(res, BaseException) and "Marked" in res.content
    }
    wanted = {(user, pending[user][section]) for _, section, _, _ in synced for user in rushers}
    on_disk = len(wanted & await stored_pairs(engine.target, rushers))
    latencies = _latencies(results)
    durable = "synchronous=FULL" if not engine.postgres else "synchronous_commit=on"
    total = len(synced) * len(rushers)
    report.add(
        Figure(
            f"{len(rushers):,} simultaneous /done ({name}, {len(synced)} rushes, {durable}): "
            "acknowledged",
            len(acknowledged),
            "replies",
            goal=f"all {total:,}",
            ok=len(acknowledged) == total,
            note=f"slowest first response {max(latencies, default=0):.2f} s "
            "(Discord's window is 3 s)",
        )
    )
    report.add(
        Figure(
            f"{len(rushers):,} simultaneous /done ({name}): rows on disk",
            on_disk,
            "rows",
            goal="every acknowledged one",
            ok=on_disk >= len(acknowledged),
        )
    )
    if unsynced:
        results_normal = [answer for run in unsynced for answer in run[2]]
        wall_normal = sum(run[3] for run in unsynced) / len(unsynced)
        latencies_normal = _latencies(results_normal)
        report.add(
            Figure(
                f"{len(rushers):,} simultaneous /done ({name}): slowest first response, {durable}",
                max(latencies, default=0),
                "s",
                baseline=max(latencies_normal, default=0),
                baseline_name="synchronous=NORMAL",
                note=f"median {median(latencies) if latencies else 0:.2f} s "
                f"(NORMAL {median(latencies_normal) if latencies_normal else 0:.2f} s); "
                f"slowest and acknowledged per rush, in order: {each}",
            )
        )
        report.add(
            Figure(
                f"simultaneous /done throughput ({name}), {durable}",
                len(rushers) / wall,
                "/done per s",
                baseline=len(rushers) / wall_normal,
                baseline_name="synchronous=NORMAL",
                note=f"NORMAL rushes: {_acknowledged(results_normal)} of "
                f"{len(unsynced) * len(rushers)} acknowledged",
            )
        )
    else:
        report.add(
            Figure(
                f"{len(rushers):,} simultaneous /done ({name}): slowest first response",
                max(latencies, default=0),
                "s",
                note=f"median {median(latencies) if latencies else 0:.2f} s; per rush: {each}",
            )
        )
        report.add(
            Figure(
                f"simultaneous /done throughput ({name}), {durable}",
                len(rushers) / wall,
                "/done per s",
            )
        )


def _latencies(results: list[Any]) -> list[float]:
    """Seconds to the first response of each answered /done of a rush."""
    return [
        res.latency
        for res in results
        if not isinstance(res, BaseException) and res.latency is not None
    ]


def _acknowledged(results: list[Any]) -> int:
    """How many answers of a rush said the section was marked."""
    return sum(
        1 for res in results if not isinstance(res, BaseException) and "Marked" in res.content
    )


async def run(profile: str = "quick") -> Report:
    """Build or reuse the big database, copy it to PostgreSQL, and print every figure."""
    samples, naive_samples, rounds, rush = _profile(profile)
    report = Report("Group progress at 100,000 members, SQLite and PostgreSQL (bench_progress)")
    report.about = (
        "Both engines hold the same rows (the PostgreSQL database is created for the run, "
        "filled from the SQLite file and dropped after); each figure names its engine."
    )
    section_ids = [section.id for section in load_roadmap(None).sections]
    cached, seconds = await cached_database(section_ids)
    if seconds is not None:
        print(f"built the SQLite database in {seconds:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        async with postgres_database() as url:
            engines = [Engine("SQLite", copy_database(cached, Path(folder)))]
            if url is not None:
                print("copying it to a fresh PostgreSQL database …", flush=True)
                seconds = await build_postgres(url, cached, section_ids)
                print(f"filled PostgreSQL and rebuilt its counters in {seconds:.0f} s", flush=True)
                engines.append(Engine("PostgreSQL", url))
            for engine in engines:
                await db_figures(report, engine, samples, naive_samples)
            for engine in engines:
                await repo_figures(report, engine, samples, section_ids)
            for engine in engines:
                await sim_figures(report, engine, cached, rounds, rush, section_ids)
    return report


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "quick"))
