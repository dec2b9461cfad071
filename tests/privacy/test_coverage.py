"""Every table is accounted for: each one that names a member is some feature's member data.

The schema is the migrated database itself, on each engine (every table `Database.tables()`
lists, so a new migration is walked too, and a PostgreSQL migration that differs from its SQLite
twin as well), and the declarations are those the running bot's features registered. A table
that names a member (a column like user_id, created_by, suggested_by …) must be declared by
exactly one feature's `MemberData.personal_columns`, every member column included; any other
table must be listed in `NO_MEMBER_COLUMN` below with the reason it holds no member data.
StudyBot's own bookkeeping (`BOOKKEEPING`) is left out of the walk by name.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence

import pytest

from bot.clock import FakeClock
from bot.database import Database
from bot.settings import Settings
from tests.conftest import BotHarness, TestStudyBot, World
from tests.engines import Target, is_postgres, query
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

#: StudyBot's own bookkeeping, left out of the walk: no feature's data, nobody named.
BOOKKEEPING: dict[str, str] = {
    "meta": "StudyBot's own facts: the synced command hash, the sections fingerprint",
    "schema_version": "the schema version on PostgreSQL (SQLite keeps it in its file header)",
}

#: The tables that name no member, and why.
NO_MEMBER_COLUMN: dict[str, str] = {
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


async def schema(db: Database) -> dict[str, list[str]]:
    """Every table of the schema with its columns (generated ones too), bookkeeping left out."""
    found = {}
    for table in await db.tables():
        if table in BOOKKEEPING:
            continue
        if db.dialect == "postgresql":
            rows = await db.fetch_all(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = ? "
                "ORDER BY ordinal_position",
                (table,),
            )
            found[table] = [str(row[0]) for row in rows]
        else:
            rows = await db.fetch_all(f'PRAGMA table_xinfo("{table}")')
            found[table] = [str(row[1]) for row in rows]
    return found


def coverage_problems(
    schema: Mapping[str, Sequence[str]],
    declared: Mapping[str, Sequence[str]],
    no_member: Mapping[str, str] = NO_MEMBER_COLUMN,
) -> list[str]:
    """What keeps the schema from being fully accounted for; empty when it is."""
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


async def test_every_table_is_some_feature_s_member_data_or_names_nobody(
    bot: TestStudyBot, engine: str
) -> None:
    declared = bot.member_data.personal_columns()
    assert declared, "the features registered no member data"
    assert bot.db.dialect == engine
    tables = await schema(bot.db)
    assert tables, "the walk found no tables"
    assert coverage_problems(tables, declared) == []


async def test_the_walk_leaves_out_only_the_bookkeeping(bot: TestStudyBot) -> None:
    every = set(await bot.db.tables())
    assert "meta" in every
    assert set(await schema(bot.db)) == every - set(BOOKKEEPING)


async def test_the_walk_finds_a_table_or_column_nobody_accounts_for(
    bot: TestStudyBot, settings: Settings
) -> None:
    # What a later migration might add without its feature declaring it. The DDL runs off the
    # event loop: on PostgreSQL it waits for the bot's open transactions, which need the loop.
    for statement in (
        "CREATE TABLE cohort_members (guild_id INTEGER, user_id INTEGER, name TEXT)",
        "CREATE TABLE cohort_names (guild_id INTEGER, name TEXT)",
        "ALTER TABLE kaggle_status ADD COLUMN checked_by INTEGER",
        "ALTER TABLE paper_votes ADD COLUMN proxy_voter_id INTEGER",
    ):
        await asyncio.to_thread(query, settings.database, statement)
    declared = {**bot.member_data.personal_columns(), "cohort_invites": ("user_id",)}
    declared["paper_reads"] = ("user_id", "reader")
    tables = await schema(bot.db)
    assert coverage_problems(tables, declared) == [
        "cohort_members is accounted for nowhere: declare it in its feature's "
        "personal_columns, or list it in NO_MEMBER_COLUMN with the reason "
        "(member columns: user_id)",
        "cohort_names is accounted for nowhere: declare it in its feature's "
        "personal_columns, or list it in NO_MEMBER_COLUMN with the reason",
        "kaggle_status.checked_by names a member, but the table is listed as naming nobody",
        "paper_reads.reader is declared, but the table has no such column",
        "paper_votes.proxy_voter_id names a member, but its feature does not declare that column",
        "cohort_invites is declared, but no such table exists",
    ]
    stale = coverage_problems(tables, declared, {"gone": "a table a later migration dropped"})
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


async def traces(
    db: Database, database: Target, guild_id: int, needles: Sequence[str]
) -> list[str]:
    """Every column holding one of `needles` in some row: of the guild, where rows have one."""
    contains = "strpos" if is_postgres(database) else "instr"
    found = []
    for table, columns in (await schema(db)).items():
        scope, params = ("guild_id = ? AND ", [guild_id]) if "guild_id" in columns else ("", [])
        for column in columns:
            for needle in needles:
                [(count,)] = query(
                    database,
                    f'SELECT COUNT(*) FROM "{table}" '
                    f'WHERE {scope}{contains}(CAST("{column}" AS TEXT), ?) > 0',
                    (*params, needle),
                )
                if count:
                    found.append(f"{table}.{column}")
    return sorted(set(found))


def naming(database: Target, table: str, column: str, guild_id: int, user_id: int) -> int:
    """Rows of a guild whose member column is that member."""
    [(count,)] = query(
        database,
        f'SELECT COUNT(*) FROM "{table}" WHERE guild_id = ? AND "{column}" = ?',
        (guild_id, user_id),
    )
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
    database = settings.database
    untried = [
        f"{table}.{column}"
        for table, columns in declared.items()
        for column in columns
        if not any(naming(database, table, column, g.id, member) for member in leavers)
    ]
    assert untried == [], "extend the scenario: delete is not tried on these columns"
    assert "outbox.payload" in await traces(bot.db, database, g.id, leavers[alice.id])

    for member in (alice, admin):
        deleted = await delete_confirmed(sim, g, member)
        assert deleted.message is not None and "Deleted" in deleted.message.content

    for needles in leavers.values():
        assert await traces(bot.db, database, g.id, needles) == []
    # Other members, and the same member in another server, keep theirs.
    assert "paper_queue.suggested_by" in await traces(bot.db, database, g.id, [str(bob.id)])
    elsewhere = await traces(bot.db, database, world.other_guild.id, [str(alice.id)])
    assert "progress_completions.user_id" in elsewhere
