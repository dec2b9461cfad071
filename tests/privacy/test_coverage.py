"""Every table is accounted for: each one that names a member is some feature's member data.

The schema is the migrated database itself (every table in sqlite_master, so a new migration
is walked too), and the declarations are those the running bot's features registered. A table
that names a member (a column like user_id, created_by, suggested_by …) must be declared by
exactly one feature's `MemberData.personal_columns`, every member column included; any other
table must be listed in `NO_MEMBER_COLUMN` below with the reason it holds no member data.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.database import Database
from bot.settings import Settings
from tests.conftest import BotHarness, TestStudyBot, World
from tests.papers.conftest import paper_club, schedule_posts
from tests.privacy.conftest import DUE, delete_confirmed
from tests.simulator import DiscordSimulator

#: A column holding a member's Discord id, by the way StudyBot names them. (A false match, like
#: a `sort_by` column, fails the walk too: rename the column or declare it.)
MEMBER_ID = re.compile(
    r"(^|_)(user|member|author|owner|creator|admin|voter|reader|sender|recipient|reviewer"
    r"|requester|inviter|invitee)(_ids?)?$"
    r"|_by(_id)?$"
)
#: A column holding a member's name.
MEMBER_NAME = re.compile(r"(^|_)(display_name|username|global_name|nick|nickname)$")

#: The tables that name no member, and why.
NO_MEMBER_COLUMN: dict[str, str] = {
    "meta": "StudyBot's own facts: the synced command hash, the sections fingerprint",
    "progress_sections": "the roadmap sections that count",
    "progress_levels": "how many members hold each points value: counts, nobody named",
    "progress_section_totals": "how many members finished each section: counts",
    "arxiv_papers": "arXiv's public metadata of papers",
    "paper_claims": "which weekly occurrence of a schedule was claimed",
    "paper_posts": "the paper of the week each channel was given",
    "kaggle_competitions": "Kaggle's public competition list",
    "kaggle_deliveries": "which competition posts each subscription was given",
    "kaggle_status": "how the last Kaggle polls went",
    "outbox": (
        "scheduled posts per channel; the text of a paper post can mention who suggested the "
        "paper, which PaperClub's delete_member scrubs (test_delete_leaves_no_trace_of_a_member)"
    ),
}


def tables(conn: sqlite3.Connection) -> dict[str, list[str]]:
    """Every table of the schema with its columns (generated ones too)."""
    names = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    return {name: [row[1] for row in conn.execute(f"PRAGMA table_xinfo({name})")] for name in names}


def coverage_problems(
    conn: sqlite3.Connection,
    declared: Mapping[str, Sequence[str]],
    no_member: Mapping[str, str] = NO_MEMBER_COLUMN,
) -> list[str]:
    """What keeps the schema from being fully accounted for; empty when it is."""
    schema = tables(conn)
    problems = []
    for table, columns in schema.items():
        ids = [c for c in columns if MEMBER_ID.search(c)]
        names = [c for c in columns if MEMBER_NAME.search(c)]
        if table in declared:
            problems += [
                f"{table}.{c} is declared, but the table has no such column"
                for c in declared[table]
                if c not in columns
            ]
            problems += [
                f"{table}.{c} names a member, but its feature does not declare that column"
                for c in ids
                if c not in declared[table]
            ]
            if table in no_member:
                problems.append(f"{table} is declared by a feature and listed as naming nobody")
        elif table in no_member:
            problems += [
                f"{table}.{c} names a member, but the table is listed as naming nobody"
                for c in ids + names
            ]
        else:
            problems.append(
                f"{table} is accounted for nowhere: declare it in its feature's "
                "personal_columns, or list it in NO_MEMBER_COLUMN with the reason"
                + (f" (member columns: {', '.join(ids + names)})" if ids or names else "")
            )
    problems += [f"{t} is declared, but no such table exists" for t in declared if t not in schema]
    problems += [f"{t} is listed, but no such table exists" for t in no_member if t not in schema]
    return problems


async def migrated(path: Path) -> None:
    """Create a database file with every migration applied."""
    async with Database(path) as db:
        await db.migrate()


async def test_every_table_is_some_feature_s_member_data_or_names_nobody(
    bot: TestStudyBot, settings: Settings
) -> None:
    declared = bot.member_data.personal_columns()
    assert declared, "the features registered no member data"
    with sqlite3.connect(settings.database) as conn:
        assert coverage_problems(conn, declared) == []


async def test_the_walk_finds_a_table_or_column_nobody_accounts_for(
    bot: TestStudyBot, tmp_path: Path
) -> None:
    path = tmp_path / "later.db"
    await migrated(path)
    with sqlite3.connect(path) as conn:
        # What a later migration might add without its feature declaring it.
        conn.execute("CREATE TABLE cohort_members (guild_id INTEGER, user_id INTEGER, name TEXT)")
        conn.execute("CREATE TABLE cohort_names (guild_id INTEGER, name TEXT)")
        conn.execute("ALTER TABLE kaggle_status ADD COLUMN checked_by INTEGER")
        conn.execute("ALTER TABLE paper_votes ADD COLUMN proxy_voter_id INTEGER")
        declared = {**bot.member_data.personal_columns(), "cohort_invites": ("user_id",)}
        declared["paper_reads"] = ("user_id", "reader")
        assert coverage_problems(conn, declared) == [
            "cohort_members is accounted for nowhere: declare it in its feature's "
            "personal_columns, or list it in NO_MEMBER_COLUMN with the reason "
            "(member columns: user_id)",
            "cohort_names is accounted for nowhere: declare it in its feature's "
            "personal_columns, or list it in NO_MEMBER_COLUMN with the reason",
            "kaggle_status.checked_by names a member, but the table is listed as naming nobody",
            "paper_reads.reader is declared, but the table has no such column",
            "paper_votes.proxy_voter_id names a member, but its feature does not declare that "
            "column",
            "cohort_invites is declared, but no such table exists",
        ]
        stale = coverage_problems(conn, declared, {"gone": "a table a later migration dropped"})
        assert stale[-1] == "gone is listed, but no such table exists"


@pytest.mark.parametrize(
    "column",
    ["user_id", "member_id", "author_id", "owner_id", "created_by", "suggested_by",
     "subscribed_by", "granted_by_id", "reviewer_id", "user_ids", "buddy_user_id"],
)  # fmt: skip
def test_member_columns_are_recognised(column: str) -> None:
    assert MEMBER_ID.search(column)


@pytest.mark.parametrize(
    "column",
    ["id", "guild_id", "channel_id", "role_id", "message_id", "thread_id", "queue_id",
     "post_id", "subscription_id", "claimed_at", "users_count", "members", "hidden"],
)  # fmt: skip
def test_other_columns_are_not_taken_for_members(column: str) -> None:
    assert not MEMBER_ID.search(column) and not MEMBER_NAME.search(column)


def traces(conn: sqlite3.Connection, guild_id: int, needles: Sequence[str]) -> list[str]:
    """Every column holding one of `needles` in some row: of the guild, where rows have one."""
    found = []
    for table, columns in tables(conn).items():
        scope, params = ("guild_id = ? AND ", [guild_id]) if "guild_id" in columns else ("", [])
        for column in columns:
            for needle in needles:
                (count,) = conn.execute(
                    f"SELECT COUNT(*) FROM {table} "
                    f"WHERE {scope}instr(CAST({column} AS TEXT), ?) > 0",
                    (*params, needle),
                ).fetchone()
                if count:
                    found.append(f"{table}.{column}")
    return sorted(set(found))


def naming(conn: sqlite3.Connection, table: str, column: str, guild_id: int, user_id: int) -> int:
    """Rows of a guild whose member column is that member."""
    (count,) = conn.execute(
        f"SELECT COUNT(*) FROM {table} WHERE guild_id = ? AND {column} = ?", (guild_id, user_id)
    ).fetchone()
    return int(count)


async def test_delete_leaves_no_trace_of_a_member(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock, settings: Settings
) -> None:
    bot = await harness.start()
    g, alice, bob, admin = world.guild, world.alice, world.bob, world.admin
    sim.add_member(world.other_guild, "alice", user=alice)
    # Everything a member and an admin can leave behind, in every feature.
    await sim.invoke(g, alice, "done", {"section": "1.1"})
    await sim.invoke(g, alice, "done", {"section": "4.5"})
    await sim.invoke(world.other_guild, alice, "done", {"section": "1.1"})
    await sim.invoke(g, bob, "done", {"section": "1.1"})
    await schedule_posts(sim, g, admin, world.papers)
    await sim.invoke(g, admin, "admin kaggle subscribe", {"channel": world.kaggle})
    await sim.invoke(g, alice, "paper suggest", {"paper": "1706.03762"})
    await sim.invoke(g, bob, "paper suggest", {"paper": "1810.04805"})
    await sim.invoke(g, alice, "paper vote", {"paper": "1810.04805"})
    await sim.invoke(g, bob, "paper vote", {"paper": "1706.03762"})
    clock.set(DUE)
    await paper_club(bot).run_due()  # alice's suggestion is posted, and the post names her
    await sim.invoke(g, alice, "paper read")

    declared = bot.member_data.personal_columns()
    leavers = {alice.id: [str(alice.id), "Alice"], admin.id: [str(admin.id), "Boss"]}
    with sqlite3.connect(settings.database) as conn:
        untried = [
            f"{table}.{column}"
            for table, columns in declared.items()
            for column in columns
            if not any(naming(conn, table, column, g.id, member) for member in leavers)
        ]
        assert untried == [], "extend the scenario: delete is not tried on these columns"
        assert "outbox.payload" in traces(conn, g.id, leavers[alice.id])

    for member in (alice, admin):
        deleted = await delete_confirmed(sim, g, member)
        assert deleted.message is not None and "Deleted" in deleted.message.content

    with sqlite3.connect(settings.database) as conn:
        for needles in leavers.values():
            assert traces(conn, g.id, needles) == []
        # Other members, and the same member in another server, keep theirs.
        assert "paper_queue.suggested_by" in traces(conn, g.id, [str(bob.id)])
        assert "progress_completions.user_id" in traces(conn, world.other_guild.id, [str(alice.id)])
