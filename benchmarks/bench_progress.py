"""Group progress at scale: leaderboard reads, /progress and /done end to end, a /done rush.

The database: a guild with 100,000 members and 1,500,000 completions (spread over the past
year, so this week's and this month's boards are partial), plus three smaller guilds beside
it; counters rebuilt by the bot's own code. It is built once (about a minute) and cached under
/tmp keyed by the schema, the roadmap and this generator, then copied for each run.

Figures:
* DB time of one leaderboard view — the first page plus the caller's rank, i.e. the statements
  `ProgressRepo.board` runs — p95 over random callers, per period, on a plain sqlite3
  connection; against a naive `GROUP BY user_id ORDER BY COUNT(*) DESC` page plus the caller's
  rank from the same raw completions, measured in the same run. Goal: under 10 ms.
* The same view through `ProgressRepo.board` on the bot's aiosqlite connection (DB time plus
  the thread hand-offs).
* /progress (each period) and /done through the simulator with the real bot on that database:
  median and p99 from dispatch to first response, against /noop in the same guild, run
  round-robin. Goal: median within 3x of the floor.
* 1,000 members sending /done at once (asyncio.gather): how many were acknowledged, how many
  are on disk afterwards, and the throughput.
* What durability costs: the bot's connection runs `synchronous = FULL` (every commit syncs
  the write-ahead log before /done replies). Each round also times one /done with the same
  connection switched to `NORMAL` (the log synced only at checkpoints: an acknowledged /done
  can be lost on power loss), and the rush runs four times, FULL, NORMAL, NORMAL, FULL: the
  NORMAL runs are the baselines.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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
from bot.database import Database, load_migrations
from cogs.progress.repo import LEVELS_SQL, ME_SQL, PAGE_SQL, ProgressRepo
from cogs.progress.stats import (
    PERIODS,
    Level,
    Period,
    db_time,
    locate,
    period_end,
    period_key,
    period_start,
    rank_of,
)
from roadmap.parser import load_roadmap
from tests.simulator import DiscordSimulator, SimGuild, SimUser
from tests.simulator import models as sim_models

GENERATOR_VERSION = 1
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday: the week is half gone
BIG_GUILD = 1_100_000_000_000_000_001
MEMBERS = 100_000
COMPLETIONS = 1_500_000
USER_BASE = 1_200_000_000_000_000_000
OTHER_GUILDS = 3
OTHER_MEMBERS = 5_000
OTHER_COMPLETIONS = 50_000
DB_GOAL_MS = 10.0
SIM_GOAL = 3.0
RUSH = 1_000
CACHE_DIR = Path(tempfile.gettempdir()) / "studybot-bench"

PROFILES = {
    # DB samples per period, naive samples per period, simulator rounds, rush size
    "smoke": (50, 3, 30, 200),
    "quick": (300, 5, 150, RUSH),
    "long": (1000, 10, 500, RUSH),
}


def _profile(name: str) -> tuple[int, int, int, int]:
    return PROFILES.get(name, PROFILES["quick"])


# -- building the database ------------------------------------------------------------------


def cache_key(section_ids: list[str]) -> str:
    """What the cached database depends on: schema, roadmap sections and this generator."""
    digest = hashlib.sha256()
    for migration in load_migrations():
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
) -> Iterator[tuple[int, int, str, str]]:
    """Completions of a guild: each member's sections mostly in roadmap order, over a year."""
    year = 365 * 24 * 3600
    for offset, count in enumerate(counts):
        user_id = first_user + offset
        chosen = section_ids[:count] if rng.random() < 0.7 else rng.sample(section_ids, count)
        for section_id in chosen:
            moment = NOW - timedelta(seconds=rng.randrange(year))
            yield (guild_id, user_id, section_id, db_time(moment))


def _member_rows(
    guild_id: int, first_user: int, members: int, stamp: str
) -> Iterator[tuple[int, int, str, int, str, str]]:
    for offset in range(members):
        name = f"member {offset}" if offset % 50 else f"**member {offset}** @everyone"
        hidden = 1 if offset % 997 == 0 else 0
        yield (guild_id, first_user + offset, name, hidden, stamp, stamp)


async def build_database(path: Path, section_ids: list[str]) -> float:
    """Create the big database at `path`; returns the seconds it took."""
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
    with conn:
        for guild_id, first_user, members, total in guilds:
            conn.executemany(
                "INSERT INTO progress_members VALUES (?, ?, ?, ?, ?, ?)",
                _member_rows(guild_id, first_user, members, stamp),
            )
            counts = _counts(rng, members, total, len(section_ids))
            conn.executemany(
                "INSERT INTO progress_completions VALUES (?, ?, ?, ?)",
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


# -- DB time ----------------------------------------------------------------------------------


def board_view(conn: sqlite3.Connection, guild_id: int, key: str, caller: int) -> int:
    """The statements of one `/progress` first page plus the caller's rank; returns rows."""
    levels = [Level(p, m) for p, m in conn.execute(LEVELS_SQL, (guild_id, key))]
    rows: list[Any] = []
    start = locate(levels, 0)
    if start is not None:
        rows = conn.execute(PAGE_SQL, (guild_id, key, start[0], 10, start[1])).fetchall()
    ranks = [rank_of(levels, row[1]) for row in rows]
    me = conn.execute(ME_SQL, (key, guild_id, caller)).fetchone()
    if me is not None and me[2] is not None:
        ranks.append(rank_of(levels, me[2]))
    return len(rows)


def naive_view(
    conn: sqlite3.Connection, guild_id: int, bounds: tuple[str, str] | None, caller: int
) -> int:
    """The same view aggregated from raw completions at read time."""
    where, params = "guild_id = ?", list[object]([guild_id])
    if bounds is not None:
        where += " AND done_at >= ? AND done_at < ?"
        params += list(bounds)
    rows = conn.execute(
        f"SELECT user_id, COUNT(*) AS points FROM progress_completions WHERE {where} "
        "GROUP BY user_id ORDER BY points DESC, user_id LIMIT 10",
        params,
    ).fetchall()
    mine = conn.execute(
        f"SELECT COUNT(*) FROM progress_completions WHERE {where} AND user_id = ?",
        [*params, caller],
    ).fetchone()[0]
    conn.execute(
        f"SELECT COUNT(*) FROM (SELECT user_id FROM progress_completions WHERE {where} "
        "GROUP BY user_id HAVING COUNT(*) > ?)",
        [*params, mine],
    ).fetchone()
    return len(rows)


def _bounds(period: Period) -> tuple[str, str] | None:
    start, end = period_start(period, NOW), period_end(period, NOW)
    if start is None or end is None:
        return None
    return db_time(start), db_time(end)


def timed(fn: Callable[..., object], calls: list[tuple[Any, ...]]) -> list[float]:
    """Seconds taken by each call `fn(*args)`, one per entry of `calls`."""
    samples = []
    for args in calls:
        started = time.perf_counter()
        fn(*args)
        samples.append(time.perf_counter() - started)
    return samples


def db_figures(report: Report, path: Path, samples: int, naive_samples: int) -> None:
    """p95 DB time of the leaderboard view per period, against the naive query."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rng = random.Random(7)
    for period in PERIODS:
        key = period_key(period, NOW)
        bounds = _bounds(period)
        callers = [USER_BASE + rng.randrange(MEMBERS) for _ in range(samples)]
        timed(board_view, [(conn, BIG_GUILD, key, callers[0])] * 20)  # warm the cache
        fast = timed(board_view, [(conn, BIG_GUILD, key, caller) for caller in callers])
        naive = timed(
            naive_view, [(conn, BIG_GUILD, bounds, caller) for caller in callers[:naive_samples]]
        )
        value, base = percentile(fast, 95) * 1000, percentile(naive, 95) * 1000
        report.add(
            Figure(
                f"/progress {period}: first page + caller's rank, DB time p95",
                value,
                "ms",
                goal=f"< {DB_GOAL_MS:g} ms",
                baseline=base,
                baseline_name="naive GROUP BY",
                ok=value < DB_GOAL_MS,
                note=f"median {statistics.median(fast) * 1000:.3f} ms over {samples} callers; "
                f"naive median {statistics.median(naive) * 1000:.0f} ms over {naive_samples}",
            )
        )
    conn.close()


async def repo_figures(report: Report, path: Path, samples: int, section_ids: list[str]) -> None:
    """The same view through ProgressRepo.board on an aiosqlite connection."""
    rng = random.Random(11)
    async with Database(path) as db:
        repo = ProgressRepo(db, section_ids)
        for period in PERIODS[::2]:  # week and all
            key = period_key(period, NOW)
            times = []
            for _ in range(samples):
                caller = USER_BASE + rng.randrange(MEMBERS)
                started = time.perf_counter()
                await repo.board(BIG_GUILD, key, 0, caller)
                times.append(time.perf_counter() - started)
            report.add(
                Figure(
                    f"ProgressRepo.board {period} (aiosqlite) p95",
                    percentile(times, 95) * 1000,
                    "ms",
                    note="DB time plus the hand-offs to aiosqlite's thread",
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


async def sim_figures(
    report: Report, path: Path, rounds: int, rush: int, section_ids: list[str]
) -> None:
    """/progress and /done against /noop, then a rush of simultaneous /done."""
    rng = random.Random(3)
    candidates = rng.sample(range(MEMBERS), 4 * (rounds + rush) + 50)
    users = [USER_BASE + offset for offset in candidates if offset % 997]
    pending = pending_sections(path, users, section_ids)
    users = [user for user in users if len(pending[user]) >= 4]
    callers, doers, rushers = users[:20], users[20 : 20 + rounds + 30], users[-rush:]
    members: dict[int, SimUser] = {}
    holder: dict[str, SimGuild] = {}

    async def prepare(sim: DiscordSimulator) -> None:
        guild = add_guild_with_id(sim, "Big Study Group", BIG_GUILD)
        holder["guild"] = guild
        for user_id in dict.fromkeys(callers + doers + rushers):
            members[user_id] = add_known_member(sim, guild, user_id)

    async with bench_world(
        database=path, clock=FakeClock(NOW), cogs=("cogs.progress",), prepare=prepare
    ) as world:
        sim, guild = world.sim, holder["guild"]

        async def latency(user_id: int, command: str, options: dict[str, Any]) -> float:
            res = await sim.invoke(guild, members[user_id], command, options)
            assert res.latency is not None, f"/{command} got no answer"
            return res.latency

        db = world.bot.db
        assert await db.fetch_value("PRAGMA synchronous") == 2, "the bot should run FULL"

        async def done_without_sync(user_id: int, section_id: str) -> float:
            """One /done with the log synced only at checkpoints (the baseline)."""
            await db.execute("PRAGMA synchronous = NORMAL")
            try:
                return await latency(user_id, "done", {"section": section_id})
            finally:
                await db.execute("PRAGMA synchronous = FULL")

        done_queue = iter(doers)
        floor: list[float] = []
        boards: dict[str, list[float]] = {"week": [], "month": [], "all": []}
        marks: list[float] = []
        marks_normal: list[float] = []
        for n in range(rounds + 20):
            caller = callers[n % len(callers)]
            doer = next(done_queue)
            samples = [
                await latency(caller, "noop", {}),
                await latency(caller, "progress", {"period": "all"}),
                await latency(caller, "progress", {"period": "week"}),
                await latency(caller, "progress", {"period": "month"}),
            ]
            # FULL and NORMAL take turns going first, so neither gains from the other's warm-up.
            if n % 2:
                normal = await done_without_sync(doer, pending[doer][1])
                samples += [await latency(doer, "done", {"section": pending[doer][0]}), normal]
            else:
                samples.append(await latency(doer, "done", {"section": pending[doer][0]}))
                samples.append(await done_without_sync(doer, pending[doer][1]))
            if n < 20:
                continue  # warm-up
            floor.append(samples[0])
            boards["all"].append(samples[1])
            boards["week"].append(samples[2])
            boards["month"].append(samples[3])
            marks.append(samples[4])
            marks_normal.append(samples[5])
        for period, values in boards.items():
            latency_figures(report, f"/progress {period} (simulator)", values, floor, SIM_GOAL)
        latency_figures(report, "/done (simulator)", marks, floor, SIM_GOAL)
        for stat, fn in (("median", median), ("p99", lambda s: percentile(s, 99))):
            report.add(
                Figure(
                    f"/done (simulator) {stat}, synchronous=FULL",
                    fn(marks) * 1000,
                    "ms",
                    baseline=fn(marks_normal) * 1000,
                    baseline_name="synchronous=NORMAL",
                    note="the price of syncing the log before each reply"
                    if stat == "median"
                    else "",
                )
            )

        async def rush(section: int) -> tuple[list[Any], float]:
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
            await db.execute("PRAGMA synchronous = NORMAL")
            try:
                return await rush(section)
            finally:
                await db.execute("PRAGMA synchronous = FULL")

        # FULL, NORMAL, NORMAL, FULL: a drift during the run (a growing log, the machine's
        # load) weighs on both alike.
        first, first_wall = await rush(0)
        normal_a, normal_a_wall = await rush_without_sync(1)
        normal_b, normal_b_wall = await rush_without_sync(2)
        last, last_wall = await rush(3)
        each = ", ".join(
            f"{mode} {max(_latencies(answers), default=0):.2f} s / {_acknowledged(answers)} ok"
            for mode, answers in (
                ("FULL", first),
                ("NORMAL", normal_a),
                ("NORMAL", normal_b),
                ("FULL", last),
            )
        )
        results, wall = first + last, (first_wall + last_wall) / 2
        results_normal, wall_normal = normal_a + normal_b, (normal_a_wall + normal_b_wall) / 2
        acknowledged = [
            (user, section)
            for section, answers in ((0, first), (3, last))
            for user, res in zip(rushers, answers, strict=True)
            if not isinstance(res, BaseException) and "Marked" in res.content
        ]
        latencies = _latencies(results)
        latencies_normal = _latencies(results_normal)

    conn = sqlite3.connect(path)
    on_disk = sum(
        conn.execute(
            "SELECT COUNT(*) FROM progress_completions "
            "WHERE guild_id = ? AND user_id = ? AND section_id = ?",
            (BIG_GUILD, user, pending[user][section]),
        ).fetchone()[0]
        for user in rushers
        for section in (0, 3)
    )
    conn.close()
    report.add(
        Figure(
            f"{len(rushers):,} simultaneous /done (twice, synchronous=FULL): acknowledged",
            len(acknowledged),
            "replies",
            goal=f"all {2 * len(rushers):,}",
            ok=len(acknowledged) == 2 * len(rushers),
            note=f"slowest first response {max(latencies, default=0):.2f} s "
            "(Discord's window is 3 s)",
        )
    )
    report.add(
        Figure(
            f"{len(rushers):,} simultaneous /done (twice, synchronous=FULL): rows on disk",
            on_disk,
            "rows",
            goal="every acknowledged one",
            ok=on_disk >= len(acknowledged),
        )
    )
    report.add(
        Figure(
            f"{len(rushers):,} simultaneous /done: slowest first response, synchronous=FULL",
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
            "simultaneous /done throughput, synchronous=FULL",
            len(rushers) / wall,
            "/done per s",
            baseline=len(rushers) / wall_normal,
            baseline_name="synchronous=NORMAL",
            note=f"NORMAL rushes: {_acknowledged(results_normal)} of {2 * len(rushers)} "
            "acknowledged",
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
    """Build or reuse the big database and print every figure."""
    samples, naive_samples, rounds, rush = _profile(profile)
    report = Report("Group progress at 100,000 members (bench_progress)")
    section_ids = [section.id for section in load_roadmap(None).sections]
    cached, seconds = await cached_database(section_ids)
    if seconds is not None:
        print(f"built the database in {seconds:.0f} s", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        path = copy_database(cached, Path(folder))
        db_figures(report, path, samples, naive_samples)
        await repo_figures(report, path, samples, section_ids)
        await sim_figures(report, path, rounds, rush, section_ids)
    return report


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "quick"))
