"""Two `Database` objects on one database racing on the paper club's read-then-write steps.

Each test opens two independent connections (two SQLite connections to one file, or two
PostgreSQL pools at READ COMMITTED: what two processes of the bot would have), lets both read
the same state, then runs the same step on both at once with `asyncio.gather`. Whatever the
interleaving, the outcome is the one a single writer would give: one claim per occurrence,
one vote per member, a paper given to a server once, one schedule per channel, and an
outbox row in the hands of one process at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.database import Database
from bot.outbox import NewPost, Outbox
from cogs.papers.arxiv import ArxivPaper
from cogs.papers.repo import (
    Claim,
    PaperRepo,
    QueueEntry,
    QueuePick,
    QueueRefusal,
    ReadingPick,
    Schedule,
)
from roadmap.reading_list import ReadingPaper, load_reading_list
from tests.engines import Target, query

GUILD = 111
ADMIN = 900
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
# Tuesday 2026-11-24 17:00 UTC is the first occurrence of "Tuesday 17:00 UTC" after NOW.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
ROUNDS = 8


@pytest.fixture
async def repos(database_target: Target) -> AsyncIterator[tuple[PaperRepo, PaperRepo]]:
    """Two repositories over two independent connections to one migrated database."""
    first, second = Database(database_target), Database(database_target)
    await first.connect()
    await first.migrate()
    await second.connect()
    try:
        yield PaperRepo(first), PaperRepo(second)
    finally:
        await first.close()
        await second.close()


def arxiv_paper(n: int) -> ArxivPaper:
    """A made-up arXiv paper."""
    return ArxivPaper(
        arxiv_id=f"2601.{n:05d}",
        title=f"Paper number {n}",
        authors=["A. Author"],
        summary="Something new.",
        published=datetime(2026, 1, 1, tzinfo=UTC),
        abs_url=f"https://arxiv.org/abs/2601.{n:05d}",
        pdf_url=f"https://arxiv.org/pdf/2601.{n:05d}",
        primary_category="cs.LG",
    )


async def schedule(repo: PaperRepo, channel_id: int, guild_id: int = GUILD) -> Schedule:
    """A weekly post on Tuesdays 17:00 UTC in a channel."""
    change = await repo.save_schedule(
        guild_id=guild_id,
        channel_id=channel_id,
        weekday=1,
        at=time(17, 0),
        timezone="UTC",
        role_id=None,
        created_by=ADMIN,
        now=NOW,
    )
    return change.schedule


async def claim(
    repo: PaperRepo, due: Schedule, reading_list: list[ReadingPaper], occurrence: datetime = DUE
) -> Claim | None:
    """Claim an occurrence the way the delivery does."""
    return await repo.claim(
        due,
        occurrence,
        late=False,
        now=occurrence,
        next_due=occurrence + timedelta(weeks=1),
        give_up_at=occurrence + timedelta(hours=6),
        reading_list=reading_list,
        thread_name="Paper of the week",
    )


def picked(result: Claim | None) -> str:
    """What a claim's post gives the server: an arXiv id or a reading-list key."""
    assert result is not None
    if isinstance(result.pick, QueuePick):
        return result.pick.paper.arxiv_id
    assert isinstance(result.pick, ReadingPick)
    return result.pick.paper.key


async def test_one_claim_per_occurrence(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = repos
    reading_list = load_reading_list()
    for n in range(ROUNDS):
        await schedule(first, channel_id=1000 + n, guild_id=GUILD + n)
    # Both read the schedule as due before either claims it (two processes waking together).
    due_a, due_b = await first.due_schedules(DUE), await second.due_schedules(DUE)
    assert [s.id for s in due_a] == [s.id for s in due_b] and len(due_a) == ROUNDS
    for a, b in zip(due_a, due_b, strict=True):
        results = await asyncio.gather(
            claim(first, a, reading_list), claim(second, b, reading_list)
        )
        assert sum(result is not None for result in results) == 1, results
    rows = query(
        database_target,
        "SELECT schedule_id, COUNT(*) FROM paper_claims GROUP BY schedule_id ORDER BY schedule_id",
    )
    assert [count for _, count in rows] == [1] * ROUNDS
    [(posts,)] = query(database_target, "SELECT COUNT(*) FROM paper_posts")
    [(outbox,)] = query(database_target, "SELECT COUNT(*) FROM outbox WHERE kind = 'paper'")
    assert posts == outbox == ROUNDS
    # Every schedule moved on to next week, once.
    for due in await first.schedules():
        assert due.next_due == DUE + timedelta(weeks=1)


async def test_a_claim_from_a_reading_made_before_a_reschedule_is_refused(
    repos: tuple[PaperRepo, PaperRepo],
) -> None:
    first, second = repos
    stale = await schedule(first, channel_id=1000)
    # An admin moves the post to Friday while another process still holds the old reading.
    await second.save_schedule(
        guild_id=GUILD, channel_id=1000, weekday=4, at=time(9, 0), timezone="UTC",
        role_id=None, created_by=ADMIN, now=NOW,
    )  # fmt: skip
    assert await claim(first, stale, load_reading_list()) is None
    [current] = await first.schedules()
    assert (current.weekday, current.revision, current.last_claimed) == (4, 1, None)


async def test_two_channels_of_one_server_never_get_the_same_queued_paper(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = repos
    reading_list = load_reading_list()
    papers = [arxiv_paper(n) for n in range(ROUNDS + 1)]
    await first.cache_papers(papers, NOW)
    for paper in papers:
        assert isinstance(
            await first.add_to_queue(GUILD, paper.arxiv_id, 5, NOW, limit=200), QueueEntry
        )
    a = await schedule(first, channel_id=1000)
    b = await schedule(second, channel_id=1001)
    given: list[str] = []
    for week in range(ROUNDS // 2 + 1):
        occurrence = DUE + timedelta(weeks=week)
        current = {s.id: s for s in await first.schedules()}
        due_a, due_b = current[a.id], current[b.id]
        results = await asyncio.gather(
            claim(first, due_a, reading_list, occurrence),
            claim(second, due_b, reading_list, occurrence),
        )
        given += [picked(result) for result in results]
    # Nine queued papers, ten posts: every queued paper once, then the reading list's first.
    assert sorted(given) == sorted([p.arxiv_id for p in papers] + [reading_list[0].key])
    assert await first.queue(GUILD) == []
    [(twice,)] = query(
        database_target,
        "SELECT COUNT(*) FROM (SELECT arxiv_id FROM paper_posts WHERE arxiv_id IS NOT NULL "
        "GROUP BY guild_id, arxiv_id HAVING COUNT(*) > 1) AS t",
    )
    assert twice == 0


async def test_two_channels_of_one_server_never_get_the_same_reading_list_paper(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = repos
    reading_list = load_reading_list()
    channels = [await schedule(first, channel_id=1000 + n) for n in range(2)]
    given: list[str] = []
    for week in range(ROUNDS):
        occurrence = DUE + timedelta(weeks=week)
        current = {s.id: s for s in await first.schedules()}
        results = await asyncio.gather(
            claim(first, current[channels[0].id], reading_list, occurrence),
            claim(second, current[channels[1].id], reading_list, occurrence),
        )
        given += [picked(result) for result in results]
    assert len(given) == 2 * ROUNDS
    assert sorted(given) == sorted(paper.key for paper in reading_list[: 2 * ROUNDS])
    rows = query(
        database_target,
        "SELECT reading_key, COUNT(*) FROM paper_posts GROUP BY reading_key HAVING COUNT(*) > 1",
    )
    assert rows == []


async def test_one_vote_per_member_per_paper(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = repos
    await first.cache_papers([arxiv_paper(1)], NOW)
    entry = await first.add_to_queue(GUILD, arxiv_paper(1).arxiv_id, 5, NOW, limit=200)
    assert isinstance(entry, QueueEntry)
    for member in range(ROUNDS):
        results = await asyncio.gather(
            first.vote(entry, 100 + member, NOW), second.vote(entry, 100 + member, NOW)
        )
        assert sorted(results) == [False, True]
    fresh = await second.queue_entry(GUILD, entry.arxiv_id)
    assert fresh is not None and fresh.votes == ROUNDS
    [(rows,)] = query(database_target, "SELECT COUNT(*) FROM paper_votes")
    assert rows == ROUNDS


async def test_one_schedule_per_channel_and_one_of_two_saves_replaces(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = repos
    for n in range(ROUNDS):
        channel = 2000 + n
        results = await asyncio.gather(
            first.save_schedule(
                guild_id=GUILD, channel_id=channel, weekday=1, at=time(17, 0),
                timezone="UTC", role_id=None, created_by=ADMIN, now=NOW,
            ),
            second.save_schedule(
                guild_id=GUILD, channel_id=channel, weekday=3, at=time(8, 30),
                timezone="Europe/Berlin", role_id=7, created_by=ADMIN + 1, now=NOW,
            ),
        )  # fmt: skip
        assert sorted(change.replaced for change in results) == [False, True]
        assert results[0].schedule.id == results[1].schedule.id
        # The stored schedule is whole: the last save's, never a mix of both.
        [stored] = [s for s in await first.guild_schedules(GUILD) if s.channel_id == channel]
        last = max(results, key=lambda change: change.schedule.revision).schedule
        assert stored == last
    [(rows,)] = query(database_target, "SELECT COUNT(*) FROM paper_schedules")
    assert rows == ROUNDS


async def test_a_paper_suggested_twice_at_once_is_queued_once(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = repos
    papers = [arxiv_paper(n) for n in range(ROUNDS)]
    await first.cache_papers(papers, NOW)
    for paper in papers:
        results = await asyncio.gather(
            first.add_to_queue(GUILD, paper.arxiv_id, 5, NOW, limit=200),
            second.add_to_queue(GUILD, paper.arxiv_id, 6, NOW, limit=200),
        )
        assert sum(isinstance(result, QueueEntry) for result in results) == 1
        assert QueueRefusal.QUEUED in results
    assert await first.queue_size(GUILD) == ROUNDS
    [(rows,)] = query(database_target, "SELECT COUNT(*) FROM paper_queue")
    assert rows == ROUNDS


async def test_the_last_place_in_a_full_queue_goes_to_one_suggestion(
    repos: tuple[PaperRepo, PaperRepo],
) -> None:
    first, second = repos
    limit = 3
    papers = [arxiv_paper(n) for n in range(2 * ROUNDS + limit)]
    await first.cache_papers(papers, NOW)
    for paper in papers[: limit - 1]:
        assert isinstance(
            await first.add_to_queue(GUILD, paper.arxiv_id, 5, NOW, limit=limit), QueueEntry
        )
    rest = papers[limit - 1 :]
    for a, b in zip(rest[::2], rest[1::2], strict=False):
        await asyncio.gather(
            first.add_to_queue(GUILD, a.arxiv_id, 5, NOW, limit=limit),
            second.add_to_queue(GUILD, b.arxiv_id, 6, NOW, limit=limit),
        )
    assert await first.queue_size(GUILD) == limit
    assert await second.add_to_queue(GUILD, papers[-1].arxiv_id, 5, NOW, limit=limit) in (
        QueueRefusal.FULL,
        QueueRefusal.QUEUED,
    )


def outbox_on(db: Database) -> Outbox:
    """An outbox over one connection, for its lease statements (nothing is sent here)."""
    holder: Any = SimpleNamespace(db=db, clock=lambda: DUE)
    return Outbox(cast(Any, holder))


async def test_two_processes_never_take_the_same_outbox_row(
    repos: tuple[PaperRepo, PaperRepo], database_target: Target
) -> None:
    first, second = (outbox_on(repo.db) for repo in repos)
    total = 3 * 64 + 5
    async with repos[0].db.transaction() as tx:
        for n in range(total):
            post = NewPost("paper", n, GUILD, 3000 + n, DUE, DUE + timedelta(hours=6))
            await Outbox.enqueue(tx, post, DUE - timedelta(seconds=n))
    taken: tuple[list[int], list[int]] = ([], [])
    while True:
        batches = await asyncio.gather(first.take(DUE, 16), second.take(DUE, 16))
        for mine, batch in zip(taken, batches, strict=True):
            mine.extend(post.id for post in batch)
        if not any(batches):
            break
    assert not set(taken[0]) & set(taken[1])
    assert len(taken[0]) + len(taken[1]) == total
    holders = dict(
        query(database_target, "SELECT lease_holder, COUNT(*) FROM outbox GROUP BY lease_holder")
    )
    expected = {first.holder: len(taken[0]), second.holder: len(taken[1])}
    assert holders == {holder: count for holder, count in expected.items() if count}
    # A lease held by a live process is not taken; once given back it is.
    assert await first.take(DUE) == []
    await second.release_leases()
    again = [post.id for post in await first.take(DUE)]
    assert set(again) <= set(taken[1]) and len(again) == min(64, len(taken[1]))
