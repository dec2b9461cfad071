"""ProgressRepo on both engines: counters always agree with a recount, boards read the index."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import parse_db_time
from bot.database import Database
from cogs.progress.repo import (
    FIRST_PAGE_SQL,
    PAGE_SQL,
    DoneRequest,
    ProgressRepo,
    SectionTotals,
)
from cogs.progress.stats import month_key, period_keys, week_key
from roadmap.parser import load_roadmap
from tests.engines import Target, query

SECTIONS = [section.id for section in load_roadmap(None).sections]
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
G1, G2 = 111, 222


@pytest.fixture
async def repo(db: Database) -> ProgressRepo:
    progress = ProgressRepo(db, SECTIONS)
    await progress.ensure_counters()
    return progress


async def naive_points(db: Database, guild_id: int, key: str, sections: list[str]) -> Counter[int]:
    """Points per visible member recounted from the raw completions."""
    rows = await db.fetch_all(
        "SELECT c.user_id, c.section_id, c.done_at FROM progress_completions AS c "
        "JOIN progress_members AS m ON m.guild_id = c.guild_id AND m.user_id = c.user_id "
        "WHERE c.guild_id = ? AND m.hidden = 0",
        (guild_id,),
    )
    points: Counter[int] = Counter()
    for user_id, section_id, done_at in rows:
        if section_id in sections and key in period_keys(parse_db_time(done_at)):
            points[int(user_id)] += 1
    return points


def competition_ranks(points: Counter[int]) -> dict[int, int]:
    """1, 2, 2, 4 ranks of a points table."""
    return {user: 1 + sum(1 for p in points.values() if p > mine) for user, mine in points.items()}


async def test_week_and_month_are_written_from_stats(repo: ProgressRepo, db: Database) -> None:
    moments = [
        datetime(2026, 11, 29, 23, 59, 59, 999999, tzinfo=UTC),  # Sunday night: week 48
        datetime(2026, 11, 30, 0, 0, tzinfo=UTC),  # Monday: week 49
        datetime(2027, 1, 1, 8, 0, tzinfo=UTC),  # a Friday: still 2026's week 53
        datetime(2024, 12, 30, 8, 0, tzinfo=UTC),  # a Monday: 2025's week 1
    ]
    for n, moment in enumerate(moments):
        await repo.mark_done(G1, 1, "a", SECTIONS[n], moment)
    rows = await db.fetch_all(
        "SELECT section_id, done_at, week, month FROM progress_completions ORDER BY section_id"
    )
    assert [(str(r[2]), str(r[3])) for r in rows] == [
        ("2026-W48", "2026-11"),
        ("2026-W49", "2026-11"),
        ("2026-W53", "2027-01"),
        ("2025-W01", "2024-12"),
    ]
    for section_id, done_at, week, month in rows:
        moment = moments[SECTIONS.index(section_id)]
        assert done_at == f"{moment:%Y-%m-%dT%H:%M:%S.%f}+00:00"
        assert (week, month) == (week_key(moment), month_key(moment))
    assert await repo.counter_problems() == []


async def run_random_operations(
    db: Database, repo: ProgressRepo, seed: int, steps: int, check_every: int
) -> None:
    """Random /done, /undo, hide, show, delete and time passing; counters checked on the way."""
    rng = random.Random(seed)
    now = START
    users = [(G1, u) for u in range(1, 30)] + [(G2, u) for u in range(1, 8)]
    for step in range(steps):
        guild_id, user_id = rng.choice(users)
        section = rng.choice(SECTIONS)
        roll = rng.random()
        if roll < 0.55:
            await repo.mark_done(guild_id, user_id, f"user {user_id}", section, now)
        elif roll < 0.75:
            await repo.undo(guild_id, user_id, f"user {user_id}", section, now)
        elif roll < 0.85:
            await repo.set_hidden(guild_id, user_id, "x", rng.random() < 0.5, now)
        elif roll < 0.88:
            await repo.delete_member(guild_id, user_id)
        else:
            now += timedelta(hours=rng.randrange(1, 200))
        if step % check_every == check_every - 1:
            assert await repo.counter_problems() == []
    assert await repo.counter_problems() == []
    for guild_id in (G1, G2):
        for key in period_keys(now):
            expected = await naive_points(db, guild_id, key, SECTIONS)
            ranks = competition_ranks(expected)
            board = await repo.board(guild_id, key, 0, 1, per_page=100)
            assert {e.user_id: e.points for e in board.entries} == dict(expected)
            assert {e.user_id: e.rank for e in board.entries} == ranks
            order = [(-e.points, e.user_id) for e in board.entries]
            assert order == sorted(order)
            for user_id in {user for guild, user in users if guild == guild_id}:
                standing = await repo.standing(guild_id, user_id)
                if key == "all" and not standing.hidden and standing.done:
                    assert standing.rank == ranks[user_id]


async def test_random_operations_keep_counters_equal_to_a_recount(
    db: Database, repo: ProgressRepo
) -> None:
    await run_random_operations(db, repo, seed=42, steps=600, check_every=100)


async def test_concurrent_marks_share_transactions_and_all_land(
    db: Database, repo: ProgressRepo
) -> None:
    requests = [(G1, user, SECTIONS[user % len(SECTIONS)]) for user in range(1, 301)]
    requests += [(G1, 5, SECTIONS[5])]  # the same section twice at once
    changes = await asyncio.gather(
        *(repo.mark_done(g, u, f"user {u}", s, START) for g, u, s in requests)
    )
    assert sum(1 for change in changes if change.changed) == 300
    assert await db.fetch_value("SELECT COUNT(*) FROM progress_completions") == 300
    assert await repo.counter_problems() == []
    # everyone has one section, so everyone shares rank 1 of 300
    assert {change.standing.rank for change in changes} == {1}
    assert {change.standing.board_size for change in changes[-5:]} == {300}


async def test_a_member_twice_in_one_batch_is_never_ranked_below_themselves(
    database_target: Target,
) -> None:
    """Two /done of one member in one batch get the replies they get one after the other."""
    bursts = [
        (1, "1.1"),  # already done by member 1 before the burst: a no-op
        (2, "1.1"),
        (2, "1.2"),
        (3, "1.1"),
        (2, "1.3"),
    ]

    async def replies(guild: int, together: bool) -> list[tuple[bool, int, int | None, int]]:
        async with Database(database_target) as database:
            await database.migrate()
            progress = ProgressRepo(database, SECTIONS)
            await progress.ensure_counters()
            await progress.mark_done(guild, 1, "user 1", "1.1", START)
            await progress.mark_done(guild, 1, "user 1", "2.1", START)
            calls = [progress.mark_done(guild, u, f"user {u}", s, START) for u, s in bursts]
            if together:
                changes = list(await asyncio.gather(*calls))
            else:
                changes = [await call for call in calls]
            assert await progress.counter_problems() == []
        return [
            (c.changed, c.standing.done, c.standing.rank, c.standing.board_size) for c in changes
        ]

    one_by_one = await replies(G1, together=False)
    assert one_by_one == [
        (False, 2, 1, 1),
        (True, 1, 2, 2),
        (True, 2, 1, 2),
        (True, 1, 3, 3),
        (True, 3, 1, 3),
    ]
    in_one_batch = await replies(G2, together=True)
    # One batch ranks every reply on the board as committed (member 3 is on it from the first
    # reply: proof that the five landed together); member 2's earlier replies are not ranked
    # below member 2's own later count.
    assert in_one_batch == [
        (False, 2, 2, 3),
        (True, 1, 2, 3),
        (True, 2, 1, 3),
        (True, 1, 3, 3),
        (True, 3, 1, 3),
    ]


async def test_a_failing_request_does_not_fail_its_batch(repo: ProgressRepo) -> None:
    good = DoneRequest(G1, 1, "a", "1.1", START)
    bad = DoneRequest(G1, 2, "b", "1.1", datetime(2026, 1, 1))  # naive: refused
    results = await asyncio.gather(
        repo.mark_done(*vars(good).values()),
        repo.mark_done(*vars(bad).values()),
        return_exceptions=True,
    )
    assert not isinstance(results[0], BaseException) and results[0].changed
    assert isinstance(results[1], ValueError)
    assert await repo.counter_problems() == []


async def test_undo_takes_the_point_off_the_original_week_and_month(repo: ProgressRepo) -> None:
    last_month = datetime(2026, 10, 30, 9, 0, tzinfo=UTC)  # week 44, October
    await repo.mark_done(G1, 1, "a", "1.1", last_month)
    await repo.mark_done(G1, 1, "a", "1.2", START)
    assert (await repo.board(G1, "2026-W44", 0, 1)).me is not None
    change = await repo.undo(G1, 1, "a", "1.1", START)
    assert change.changed and change.done_at == last_month
    assert (change.standing.done, change.standing.rank, change.standing.board_size) == (1, 1, 1)
    assert (await repo.board(G1, "2026-W44", 0, 1)).size == 0
    assert (await repo.board(G1, "2026-10", 0, 1)).size == 0
    board = await repo.board(G1, "2026-W48", 0, 1)
    assert board.me is not None and board.me.points == 1
    assert await repo.counter_problems() == []


async def test_later_pages_start_inside_a_tie(repo: ProgressRepo) -> None:
    # 25 members: 5 with three sections, 20 with one; pages of 10 split the big tie.
    for user in range(1, 26):
        for section in SECTIONS[: 3 if user <= 5 else 1]:
            await repo.mark_done(G1, user, f"u{user}", section, START)
    pages = [await repo.board(G1, "all", page, 7, per_page=10) for page in range(4)]
    assert [p.page for p in pages] == [0, 1, 2, 2]  # past the end: the last page
    assert {p.page_count for p in pages} == {3} and {p.size for p in pages} == {25}
    walked = [(e.user_id, e.points, e.rank) for p in pages[:3] for e in p.entries]
    assert walked == [(u, 3, 1) for u in range(1, 6)] + [(u, 1, 6) for u in range(6, 26)]
    assert pages[3].entries == pages[2].entries
    assert all(p.me is not None and (p.me.user_id, p.me.rank) == (7, 6) for p in pages)


async def test_changed_roadmap_recounts_and_keeps_rows(db: Database, repo: ProgressRepo) -> None:
    await repo.mark_done(G1, 1, "a", "4.6", START)
    await repo.mark_done(G1, 1, "a", "1.1", START)
    await repo.mark_done(G1, 2, "b", "4.6", START)
    assert await repo.finished_count(G1, "4.6") == 2
    smaller = ProgressRepo(db, [s for s in SECTIONS if s != "4.6"])
    assert await smaller.ensure_counters()
    assert not await smaller.ensure_counters()  # the fingerprint is stored
    board = await smaller.board(G1, "all", 0, 1)
    assert [(e.user_id, e.points) for e in board.entries] == [(1, 1)]
    assert await smaller.finished_count(G1, "4.6") == 0
    assert (await smaller.standing(G1, 1)).total == len(SECTIONS) - 1
    assert await db.fetch_value("SELECT COUNT(*) FROM progress_completions") == 3
    assert await smaller.counter_problems() == []
    again = ProgressRepo(db, SECTIONS)
    assert await again.ensure_counters()
    assert await again.finished_count(G1, "4.6") == 2


async def test_finished_counts_come_from_memory_and_follow_own_writes(
    database_target: Target,
) -> None:
    """/topic's count: this process's writes show at once, another's within the TTL."""
    now = [0.0]
    async with Database(database_target) as one, Database(database_target) as other:
        await one.migrate()
        mine = ProgressRepo(one, SECTIONS, totals_ttl=5.0, timer=lambda: now[0])
        theirs = ProgressRepo(other, SECTIONS)
        await mine.ensure_counters()
        assert await mine.finished_count(G1, "1.1") == 0
        await mine.mark_done(G1, 1, "a", "1.1", START)
        assert await mine.finished_count(G1, "1.1") == 1  # own write: at once
        await theirs.mark_done(G1, 2, "b", "1.1", START)
        assert await mine.finished_count(G1, "1.1") == 1  # another process's: not yet
        now[0] += 5.1
        assert await mine.finished_count(G1, "1.1") == 2  # after the TTL
        await mine.set_hidden(G1, 1, "a", True, START)
        assert await mine.finished_count(G1, "1.1") == 1
        await mine.undo(G1, 2, "b", "1.1", START)
        assert await mine.finished_count(G1, "1.1") == 0
        await mine.set_hidden(G1, 1, "a", False, START)
        assert await mine.finished_count(G1, "1.1") == 1
        await mine.delete_member(G1, 1)
        assert await mine.finished_count(G1, "1.1") == 0


async def test_a_count_read_during_a_write_is_not_kept() -> None:
    totals = SectionTotals(ttl=60, timer=lambda: 0.0)
    reading = asyncio.Event()
    release = asyncio.Event()
    loads = 0

    async def slow_load(guild_id: int) -> dict[str, int]:
        nonlocal loads
        loads += 1
        reading.set()
        await release.wait()
        return {"1.1": loads}

    first = asyncio.create_task(totals.get(G1, slow_load))
    await reading.wait()
    totals.invalidate([G1])  # a write of this guild committed while the read was out
    release.set()
    assert await first == {"1.1": 1}  # the caller gets what was read ...
    assert await totals.get(G1, slow_load) == {"1.1": 2}  # ... but it was not kept
    assert await totals.get(G1, slow_load) == {"1.1": 2}  # this one was


@pytest.mark.sqlite_only
async def test_board_reads_use_the_index_not_a_sort_sqlite(db: Database) -> None:
    for sql, params in (
        (FIRST_PAGE_SQL, (G1, "all", G1, "all", 10, "all", G1, 1)),
        (PAGE_SQL, (G1, "all", 30, 10, 0)),
    ):
        plan = await db.fetch_all(f"EXPLAIN QUERY PLAN {sql}", params)
        text = " ".join(str(row[3]) for row in plan)
        assert "progress_points_board" in text
        assert "TEMP B-TREE" not in text


@pytest.mark.postgres_only
async def test_board_reads_use_the_index_not_a_sort_postgresql(
    db: Database, repo: ProgressRepo
) -> None:
    stamp = "2026-11-24T12:00:00.000000+00:00"
    await db.executemany(
        "INSERT INTO progress_members VALUES (?, ?, ?, 0, ?, ?)",
        [(G1 + g, u, f"m{u}", stamp, stamp) for g in range(20) for u in range(500)],
    )
    await db.executemany(
        "INSERT INTO progress_points (guild_id, user_id, period, points) VALUES (?, ?, ?, ?)",
        [(G1 + g, u, period, 1 + u % 30) for g in range(20) for u in range(500) for period in
         ("all", "2026-W48", "2026-11")],
    )  # fmt: skip
    await db.execute("ANALYZE progress_points")
    await db.execute("ANALYZE progress_members")
    for sql, params in (
        (FIRST_PAGE_SQL, (G1, "all", G1, "all", 10, "all", G1, 1)),
        (PAGE_SQL, (G1, "all", 30, 10, 0)),
    ):
        plan = "\n".join(str(row[0]) for row in await db.fetch_all(f"EXPLAIN {sql}", params))
        assert "progress_points_board" in plan, plan
        assert "Sort" not in plan, plan


@pytest.mark.sqlite_only
def test_database_file_passes_integrity_check(tmp_path: Path) -> None:
    async def fill() -> None:
        async with Database(tmp_path / "x.db") as database:
            await database.migrate()
            progress = ProgressRepo(database, SECTIONS)
            await progress.mark_done(G1, 1, "a", "1.1", START)

    asyncio.run(fill())
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_no_completion_without_its_member(
    database_target: Target, repo: ProgressRepo
) -> None:
    for user in range(1, 6):
        await repo.mark_done(G1, user, "m", "1.1", START)
    await repo.delete_member(G1, 3)
    orphans = query(
        database_target,
        "SELECT COUNT(*) FROM progress_completions AS c WHERE NOT EXISTS ("
        "SELECT 1 FROM progress_members AS m "
        "WHERE m.guild_id = c.guild_id AND m.user_id = c.user_id)",
    )
    assert orphans == [(0,)]
    assert len(query(database_target, "SELECT * FROM progress_members")) == 4
