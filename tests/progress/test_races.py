"""Two processes' worth of /done, /undo and /privacy racing on one database, on both engines.

Each side is its own `Database` (its own connection, or pool on PostgreSQL) with its own
`ProgressRepo`, as two bot processes sharing the database would be. After every round the
counters must equal a recount (`counter_problems`), and the replies must be those of some
serial order of the writes.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.database import Database
from cogs.progress.repo import Change, ProgressRepo
from roadmap.parser import load_roadmap
from tests.engines import Target

SECTIONS = [section.id for section in load_roadmap(None).sections]
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
GUILD = 111
ROUNDS = 15


@pytest.fixture
async def pair(database_target: Target) -> AsyncIterator[tuple[ProgressRepo, ProgressRepo]]:
    """Two repositories on two `Database` objects over the same database."""
    async with Database(database_target) as one, Database(database_target) as two:
        await one.migrate()
        first, second = ProgressRepo(one, SECTIONS), ProgressRepo(two, SECTIONS)
        await first.ensure_counters()
        assert not await second.ensure_counters()
        yield first, second


async def test_the_same_section_twice_at_once_counts_once(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(ROUNDS):
        user, section = 1000 + n, SECTIONS[n % len(SECTIONS)]
        a, b = await asyncio.gather(
            one.mark_done(GUILD, user, "a", section, START),
            two.mark_done(GUILD, user, "a", section, START),
        )
        assert sorted([a.changed, b.changed]) == [False, True]
        assert a.standing.done == b.standing.done == 1
        # The no-op reply names the moment the other side's write recorded.
        assert a.done_at == b.done_at == START
        assert a.standing.rank == b.standing.rank == 1
        assert await one.counter_problems() == []
    assert (await one.standing(GUILD, 1000)).done == 1


async def test_two_sections_of_one_member_at_once_both_count(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(ROUNDS):
        user = 2000 + n
        a, b = await asyncio.gather(
            one.mark_done(GUILD, user, "a", "1.1", START),
            two.mark_done(GUILD, user, "a", "1.2", START),
        )
        assert a.changed and b.changed
        # One went first: its reply says 1 section, the other's 2 (never 1 and 1).
        assert sorted([a.standing.done, b.standing.done]) == [1, 2]
        assert (await one.standing(GUILD, user)).done == 2
        assert await two.counter_problems() == []


async def test_hiding_while_marking_done_keeps_the_counters(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(ROUNDS):
        user = 3000 + n
        await one.mark_done(GUILD, user, "a", "1.1", START)
        hide = n % 2 == 0
        if not hide:
            await one.set_hidden(GUILD, user, "a", True, START)
        changed, done = await asyncio.gather(
            one.set_hidden(GUILD, user, "a", hide, START),
            two.mark_done(GUILD, user, "a", SECTIONS[1 + n % 20], START),
        )
        assert changed and done.changed
        assert done.standing.hidden in (True, False)
        assert await one.counter_problems() == []
        board = await two.board(GUILD, "all", 0, user, per_page=100)
        on_board = {entry.user_id for entry in board.entries}
        assert (user in on_board) is (not hide)
        uncached = ProgressRepo(two.db, SECTIONS, totals_ttl=0)
        shown = sum(1 for k in range(n + 1) if k % 2)  # the odd rounds' members are shown
        assert await uncached.finished_count(GUILD, "1.1") == shown


async def test_undo_racing_done_keeps_the_counters(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(ROUNDS):
        user = 4000 + n
        await one.mark_done(GUILD, user, "a", "1.1", START)
        await one.mark_done(GUILD, user, "a", "1.2", START)
        undone, done = await asyncio.gather(
            one.undo(GUILD, user, "a", "1.1", START),
            two.mark_done(GUILD, user, "a", "1.3", START),
        )
        assert undone.changed and done.changed
        # Serially: undo then done gives 1 and 2; done then undo gives 3 and 2.
        assert (undone.standing.done, done.standing.done) in ((1, 2), (2, 3))
        assert (await two.standing(GUILD, user)).done == 2
        assert await one.counter_problems() == []


async def test_undo_and_redo_of_one_section_at_once(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(ROUNDS):
        user = 5000 + n
        await one.mark_done(GUILD, user, "a", "1.1", START)
        undone, done = await asyncio.gather(
            one.undo(GUILD, user, "a", "1.1", START + timedelta(days=8)),
            two.mark_done(GUILD, user, "a", "1.1", START + timedelta(days=8)),
        )
        assert undone.changed
        if done.changed:  # done ran after the undo: the section is done again, this week
            assert (await one.standing(GUILD, user)).done == 1
        else:  # done ran first and found it done; then the undo took it away
            assert (await one.standing(GUILD, user)).done == 0
        assert await two.counter_problems() == []


async def test_deleting_a_member_while_they_mark_done(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(ROUNDS):
        user = 6000 + n
        await one.mark_done(GUILD, user, "a", "1.1", START)
        await asyncio.gather(
            one.delete_member(GUILD, user),
            two.mark_done(GUILD, user, "a", "1.2", START),
        )
        left = (await two.standing(GUILD, user)).done
        assert left in (0, 1)
        assert await one.counter_problems() == []


def serial_sizes(changes: list[Change]) -> bool:
    """Whether the replies' board sizes fit one order of batches, each adding its members.

    Every /done here brings a new member onto the board with one section; a batch's replies
    all report the board as that batch left it. In a serial order, the k-th distinct size is
    reached by exactly (size_k - size_k-1) replies.
    """
    sizes = Counter(change.standing.board_size for change in changes)
    previous = 0
    for size in sorted(sizes):
        if sizes[size] != size - previous:
            return False
        previous = size
    return True


async def test_a_rush_from_two_processes_ranks_like_one_serial_order(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    one, two = pair
    for n in range(5):
        users = range(10_000 + 100 * n, 10_000 + 100 * n + 60)
        calls = [
            (one if user % 2 else two).mark_done(GUILD + 1 + n, user, "m", "1.1", START)
            for user in users
        ]
        changes = list(await asyncio.gather(*calls))
        assert all(change.changed for change in changes)
        assert {change.standing.rank for change in changes} == {1}
        assert serial_sizes(changes), sorted(c.standing.board_size for c in changes)
        assert max(change.standing.board_size for change in changes) == 60
    assert await one.counter_problems() == []


async def test_ranks_in_replies_follow_one_order_of_writes(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    """Two members racing to pass a leader: the later reply knows the earlier write."""
    one, two = pair
    guild = GUILD + 50
    for n in range(ROUNDS):
        leader, a_user, b_user = 20_000 + 3 * n, 20_001 + 3 * n, 20_002 + 3 * n
        guild += 1
        for section in SECTIONS[:2]:
            await one.mark_done(guild, leader, "leader", section, START)
            await one.mark_done(guild, a_user, "a", section, START)
            await one.mark_done(guild, b_user, "b", section, START)
        a, b = await asyncio.gather(
            one.mark_done(guild, a_user, "a", SECTIONS[2], START),
            two.mark_done(guild, b_user, "b", SECTIONS[2], START),
        )
        # Whoever committed first was alone at 3 sections (#1); the second ties them (#1),
        # and both see all three members on the board.
        assert a.standing.rank == b.standing.rank == 1
        assert a.standing.board_size == b.standing.board_size == 3
        ranks = [entry.rank for entry in (await one.board(guild, "all", 0, leader)).entries]
        assert ranks == [1, 1, 3]
    assert await two.counter_problems() == []


async def test_two_processes_rebuilding_for_a_new_roadmap_at_once(
    database_target: Target,
) -> None:
    async with Database(database_target) as one, Database(database_target) as two:
        await one.migrate()
        old = ProgressRepo(one, SECTIONS)
        await old.ensure_counters()
        for user in range(1, 40):
            await old.mark_done(GUILD, user, "m", SECTIONS[user % 5], START)
        smaller = [s for s in SECTIONS if s != SECTIONS[0]]
        a, b = ProgressRepo(one, smaller), ProgressRepo(two, smaller)
        rebuilt = await asyncio.gather(
            a.ensure_counters(),
            b.ensure_counters(),
            a.mark_done(GUILD, 99, "m", SECTIONS[1], START),
            b.mark_done(GUILD, 98, "m", SECTIONS[0], START),
        )
        assert sorted(rebuilt[:2]) == [False, True]  # one rebuilt, the other found it done
        assert await a.counter_problems() == []
        assert await b.finished_count(GUILD, SECTIONS[0]) == 0


async def test_batches_of_several_guilds_from_two_processes_never_deadlock(
    pair: tuple[ProgressRepo, ProgressRepo],
) -> None:
    """Each side's group commit takes several guilds' locks at once, in one order."""
    one, two = pair
    guilds = [GUILD + 100 + g for g in range(4)]
    for n in range(5):
        pairs = [(guilds[user % len(guilds)], 30_000 + user) for user in range(30)]
        calls = [one.mark_done(g, u, "m", SECTIONS[n], START) for g, u in pairs]
        calls += [two.mark_done(g, u, "m", SECTIONS[n], START) for g, u in pairs[::-1]]
        changes = await asyncio.wait_for(asyncio.gather(*calls), 60)
        # Both sides asked for the same (guild, member, section): one of each pair changed.
        assert sum(change.changed for change in changes) == 30
    assert await one.counter_problems() == []
    for guild in guilds:
        board = await two.board(guild, "all", 0, 0, per_page=50)
        assert {entry.points for entry in board.entries} == {5}
