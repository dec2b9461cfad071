"""ProgressRepo against a real SQLite file: counters always agree with a recount."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.database import Database
from cogs.progress.repo import DoneRequest, ProgressRepo
from cogs.progress.stats import db_time, month_key, period_keys, week_key
from roadmap.parser import load_roadmap

SECTIONS = [section.id for section in load_roadmap(None).sections]
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
G1, G2 = 111, 222


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "progress.db") as database:
        await database.migrate()
        yield database


@pytest.fixture
async def repo(db: Database) -> ProgressRepo:
    progress = ProgressRepo(db, SECTIONS)
    await progress.ensure_counters()
    return progress


async def naive_points(db: Database, guild_id: int, key: str, sections: list[str]) -> Counter[int]:
    """Points per visible member recounted from the raw completions."""
    rows = await db.fetch_all(
        "SELECT c.user_id, c.section_id, c.done_at FROM progress_completions AS c "
        "JOIN progress_members AS m USING (guild_id, user_id) "
        "WHERE c.guild_id = ? AND m.hidden = 0",
        (guild_id,),
    )
    points: Counter[int] = Counter()
    for user_id, section_id, done_at in rows:
        if section_id in sections and key in period_keys(datetime.fromisoformat(done_at)):
            points[int(user_id)] += 1
    return points


def competition_ranks(points: Counter[int]) -> dict[int, int]:
    """1, 2, 2, 4 ranks of a points table."""
    return {user: 1 + sum(1 for p in points.values() if p > mine) for user, mine in points.items()}


async def test_stored_week_and_month_match_python(db: Database) -> None:
    first = date(2020, 12, 20)
    moments = [
        datetime(day.year, day.month, day.day, hour, 59, tzinfo=UTC)
        for day in (first + timedelta(days=n) for n in range(0, 3000, 2))
        for hour in (0, 23)
    ]
    await db.execute(
        "INSERT INTO progress_members VALUES (1, 1, 'a', 0, '2020-01-01', '2020-01-01')"
    )
    await db.executemany(
        "INSERT INTO progress_completions (guild_id, user_id, section_id, done_at) "
        "VALUES (1, 1, ?, ?)",
        [(str(n), db_time(moment)) for n, moment in enumerate(moments)],
    )
    rows = await db.fetch_all("SELECT section_id, week, month FROM progress_completions")
    for section_id, week, month in rows:
        moment = moments[int(section_id)]
        assert (week, month) == (week_key(moment), month_key(moment)), moment


async def test_random_operations_keep_counters_equal_to_a_recount(
    db: Database, repo: ProgressRepo
) -> None:
    rng = random.Random(42)
    now = START
    users = [(G1, u) for u in range(1, 30)] + [(G2, u) for u in range(1, 8)]
    for step in range(600):
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
        if step % 100 == 99:
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
    tmp_path: Path,
) -> None:
    """Two /done of one member in one batch get the replies they get one after the other."""
    bursts = [
        (G1, 1, "1.1"),  # already done by member 1 before the burst: a no-op
        (G1, 2, "1.1"),
        (G1, 2, "1.2"),
        (G1, 3, "1.1"),
        (G1, 2, "1.3"),
    ]

    async def replies(path: Path, together: bool) -> list[tuple[bool, int, int | None, int]]:
        async with Database(path) as database:
            await database.migrate()
            progress = ProgressRepo(database, SECTIONS)
            await progress.ensure_counters()
            await progress.mark_done(G1, 1, "user 1", "1.1", START)
            await progress.mark_done(G1, 1, "user 1", "2.1", START)
            calls = [progress.mark_done(g, u, f"user {u}", s, START) for g, u, s in bursts]
            if together:
                changes = list(await asyncio.gather(*calls))
            else:
                changes = [await call for call in calls]
            assert await progress.counter_problems() == []
        return [
            (c.changed, c.standing.done, c.standing.rank, c.standing.board_size) for c in changes
        ]

    one_by_one = await replies(tmp_path / "serial.db", together=False)
    assert one_by_one == [
        (False, 2, 1, 1),
        (True, 1, 2, 2),
        (True, 2, 1, 2),
        (True, 1, 3, 3),
        (True, 3, 1, 3),
    ]
    in_one_batch = await replies(tmp_path / "batch.db", together=True)
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
    await repo.undo(G1, 1, "a", "1.1", START)
    assert (await repo.board(G1, "2026-W44", 0, 1)).size == 0
    assert (await repo.board(G1, "2026-10", 0, 1)).size == 0
    board = await repo.board(G1, "2026-W48", 0, 1)
    assert board.me is not None and board.me.points == 1
    assert await repo.counter_problems() == []


async def test_changed_roadmap_recounts_and_keeps_rows(db: Database, repo: ProgressRepo) -> None:
    await repo.mark_done(G1, 1, "a", "4.6", START)
    await repo.mark_done(G1, 1, "a", "1.1", START)
    await repo.mark_done(G1, 2, "b", "4.6", START)
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


async def test_board_uses_the_index_not_a_sort(db: Database) -> None:
    from cogs.progress.repo import PAGE_SQL

    plan = await db.fetch_all(f"EXPLAIN QUERY PLAN {PAGE_SQL}", (G1, "all", 30, 10, 0))
    text = " ".join(str(row[3]) for row in plan)
    assert "progress_points_board" in text
    assert "TEMP B-TREE" not in text


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
