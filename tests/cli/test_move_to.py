"""`bot.transfer.move_to` on a small schema in StudyBot's shapes (tests/cli/data/migrations).

The schema is the test's own, so these tests hold whatever the shipped migrations become: a
rowid table and one with a GENERATED ALWAYS identity on PostgreSQL, children named before
their parents, a WITHOUT ROWID table with a composite key and a generated column, a counter
kept by a trigger on both engines, and a row the migration writes itself. The source is made
at version 1 and filled; the move migrates it to version 2 first. test_move_to_cli.py moves a
database of the shipped schema through the real command line.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.database import DatabaseError
from bot.transfer import MoveFailed, MoveRefused, foreign_key_order, move_to
from tests.cli.helpers import columns_of, snapshot, table_rows, tables_of
from tests.engines import query

MIGRATIONS = Path(__file__).parent / "data" / "migrations"
SECRET = "pw-Zq8-move-secret"
TIME = "2026-11-24T12:00:00.000000+00:00"
BIG = 2**63 - 1  # the largest snowflake either engine stores


def done_at(n: int) -> str:
    """A different instant for every n, in the one time encoding."""
    return f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}T{n % 24:02d}:00:00.{n % 10**6:06d}+00:00"


def make_source(tmp_path: Path, completions: int = 23, orphan: bool = False) -> Path:
    """An SQLite file at version 1 of the test schema with rows in every table."""
    path = tmp_path / "studybot.db"
    script = (MIGRATIONS / "sqlite" / "0001_initial.sql").read_text("utf-8")
    with sqlite3.connect(path) as conn:
        conn.executescript(script + "\nPRAGMA user_version = 1;")
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [("command_hash", "abc123"), ("naïve ✓", 'it\'s "quoted"\nand two lines')],
        )
        conn.executemany(
            "INSERT INTO z_schedules (id, guild_id, channel_id, timezone, role_id, active_since,"
            " paused, weight, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (3, BIG, BIG - 1, "Europe/Berlin", None, TIME, 0, 0.1, '{"ping": "@readers"}'),
                (7, 111, 222, "America/New_York", 333, TIME, 1, None, None),
                (40, 111, 223, "Asia/Kolkata", BIG, TIME, 0, -2.5e-300, "[]"),
            ],
        )
        conn.executemany(
            "INSERT INTO a_claims (id, schedule_id, occurrence) VALUES (?, ?, ?)",
            [(1, 3, TIME), (2, 3, "2026-12-01T12:00:00.000000+00:00"), (9, 40, TIME)],
        )
        conn.executemany(
            "INSERT INTO m_completions (guild_id, user_id, section_id, done_at) "
            "VALUES (?, ?, ?, ?)",
            [(111, BIG - n, f"{n % 3 + 1}.{n % 5}", done_at(n)) for n in range(completions)],
        )
        conn.execute("UPDATE status SET last_success = ?, failure = ? WHERE id = 1", (TIME, "x"))
        if orphan:  # a claim whose schedule is gone: SQLite did not check (foreign_keys off)
            conn.execute("INSERT INTO a_claims (id, schedule_id, occurrence) VALUES (50, 999, 'o')")
    conn.close()
    return path


def assert_identical(path: Path, url: str) -> None:
    """Every table of the SQLite file arrived on PostgreSQL with the same rows."""
    assert set(tables_of(path)) <= set(tables_of(url))
    for table in tables_of(path):
        columns = [c for c in columns_of(path, table) if c in columns_of(url, table)]
        assert table_rows(url, table, columns) == table_rows(path, table, columns), table


class Recorder:
    """A progress report kept for the test."""

    def __init__(self) -> None:
        self.total: int | None = None
        self.tables: list[str] = []
        self.batches: list[int] = []
        self.closed = False

    def start(self, total: int) -> None:
        self.total = total

    def table(self, name: str) -> None:
        self.tables.append(name)

    def advance(self, rows: int) -> None:
        self.batches.append(rows)

    def close(self) -> None:
        self.closed = True


@pytest.mark.postgres_only
async def test_every_row_arrives_identical(tmp_path: Path, database_target: str) -> None:
    source = make_source(tmp_path)
    progress = Recorder()
    result = await move_to(
        source, database_target, migrations_dir=MIGRATIONS, progress=progress, batch_rows=5
    )

    # the source was migrated to the current version first (0002 filled next_due)
    assert query(source, "PRAGMA user_version") == [(2,)]
    assert query(source, "SELECT COUNT(*) FROM z_schedules WHERE next_due IS NULL") == [(0,)]
    assert query(database_target, "SELECT version FROM schema_version") == [(2,)]
    assert result.version == 2
    assert_identical(source, database_target)
    counts = {t.name: t.rows for t in result.tables}
    assert counts == {t: query(source, f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in counts}
    assert counts["m_completions"] == 23 and counts["status"] == 1

    # the counter was copied, not counted again by PostgreSQL's trigger
    assert table_rows(database_target, "m_totals", ["section_id", "members"]) == table_rows(
        source, "m_totals", ["section_id", "members"]
    )
    # what PostgreSQL computes itself is computed from the copied values
    assert query(database_target, "SELECT shard_key FROM z_schedules WHERE id = 7") == [(0,)]
    # parents before children, in batches of at most 5, all of them reported
    order = progress.tables
    assert order.index("z_schedules") < order.index("a_claims")
    assert progress.total == result.rows == sum(progress.batches)
    assert max(progress.batches) == 5 and progress.closed
    # the trigger is on again: a completion made after the move counts
    query(
        database_target,
        "INSERT INTO m_completions VALUES (5, 6, '9.9', ?, '2026-11')",
        (TIME,),
    )
    assert query(database_target, "SELECT members FROM m_totals WHERE guild_id = 5") == [(1,)]


@pytest.mark.postgres_only
async def test_new_rows_after_the_move_get_fresh_ids(tmp_path: Path, database_target: str) -> None:
    await move_to(make_source(tmp_path), database_target, migrations_dir=MIGRATIONS)
    [(schedule,)] = query(
        database_target,
        "INSERT INTO z_schedules (guild_id, channel_id, timezone, active_since) "
        "VALUES (1, 2, 'UTC', ?) RETURNING id",
        (TIME,),
    )
    assert schedule == 41  # the largest copied id was 40
    [(claim,)] = query(
        database_target,
        "INSERT INTO a_claims (schedule_id, occurrence) VALUES (?, 'new') RETURNING id",
        (schedule,),
    )
    assert claim == 10


@pytest.mark.postgres_only
async def test_a_target_that_was_only_migrated_counts_as_empty(
    tmp_path: Path, database_target: str
) -> None:
    # `studybot migrate` ran against it (the migration wrote the status row), nothing else did
    from bot.database import Database

    async with Database(database_target, migrations_dir=MIGRATIONS) as db:
        await db.migrate()
    assert query(database_target, "SELECT * FROM status") == [(1, None, None)]
    source = make_source(tmp_path)
    await move_to(source, database_target, migrations_dir=MIGRATIONS)
    assert query(database_target, "SELECT * FROM status") == [(1, TIME, "x")]
    assert_identical(source, database_target)


@pytest.mark.postgres_only
@pytest.mark.parametrize("where", ["meta", "a child table", "the status row"])
async def test_a_target_with_data_is_refused_and_nothing_changes(
    tmp_path: Path, database_target: str, where: str
) -> None:
    from bot.database import Database

    async with Database(database_target, migrations_dir=MIGRATIONS) as db:
        await db.migrate()
        if where == "meta":
            await db.set_meta("command_hash", "from a bot that ran here")
        elif where == "a child table":
            await db.execute(
                "INSERT INTO z_schedules (guild_id, channel_id, timezone, active_since) "
                "VALUES (1, 2, 'UTC', ?)",
                (TIME,),
            )
            await db.execute("INSERT INTO a_claims (schedule_id, occurrence) VALUES (1, 'x')")
        else:
            await db.execute("UPDATE status SET failure = 'Kaggle said no'")
    source = make_source(tmp_path)
    target_before, source_before = snapshot(database_target), snapshot(source)

    with pytest.raises(MoveRefused) as info:
        await move_to(source, database_target, migrations_dir=MIGRATIONS)

    message = str(info.value)
    assert "\n" not in message
    assert "is not empty" in message and "nothing was changed" in message
    assert snapshot(database_target) == target_before
    assert snapshot(source) == source_before
    assert query(source, "PRAGMA user_version") == [(1,)]  # not even migrated


@pytest.mark.postgres_only
async def test_a_failed_copy_leaves_no_row_and_can_be_run_again(
    tmp_path: Path, database_target: str
) -> None:
    source = make_source(tmp_path, orphan=True)
    with pytest.raises(MoveFailed) as info:
        await move_to(source, database_target, migrations_dir=MIGRATIONS, batch_rows=2)
    message = str(info.value)
    assert "\n" not in message
    assert "copying a_claims failed" in message and "foreign key" in message
    assert "nothing was copied" in message and "can run again" in message
    # the migrations had committed: an empty schema, with only what they wrote
    assert query(database_target, "SELECT version FROM schema_version") == [(2,)]
    rows = {t: query(database_target, f'SELECT COUNT(*) FROM "{t}"')[0][0] for t in tables_of(
        database_target)}  # fmt: skip
    assert rows == {t: int(t in ("schema_version", "status")) for t in rows}
    assert query(database_target, "SELECT * FROM status") == [(1, None, None)]

    # fix the cause, run again: the empty schema is accepted
    query(source, "DELETE FROM a_claims WHERE id = 50")
    await move_to(source, database_target, migrations_dir=MIGRATIONS)
    assert_identical(source, database_target)


@pytest.mark.postgres_only
async def test_many_rows_in_many_batches(tmp_path: Path, database_target: str) -> None:
    source = make_source(tmp_path, completions=12_345)
    progress = Recorder()
    result = await move_to(
        source, database_target, migrations_dir=MIGRATIONS, progress=progress, batch_rows=1000
    )
    assert {t.name: t.rows for t in result.tables}["m_completions"] == 12_345
    assert progress.batches.count(1000) == 12
    assert_identical(source, database_target)


@pytest.mark.postgres_only
async def test_a_source_newer_than_the_code_is_refused(
    tmp_path: Path, database_target: str
) -> None:
    source = make_source(tmp_path)
    query(source, "PRAGMA user_version = 99")
    with pytest.raises(MoveRefused, match=r"schema version 99, newer than this StudyBot"):
        await move_to(source, database_target, migrations_dir=MIGRATIONS)
    assert tables_of(database_target) == []


@pytest.mark.postgres_only
async def test_a_target_newer_than_the_code_is_refused(
    tmp_path: Path, database_target: str
) -> None:
    query(database_target, "CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER)")
    query(database_target, "INSERT INTO schema_version VALUES (1, 50)")
    source = make_source(tmp_path)
    with pytest.raises(MoveRefused, match=r"schema version 50, newer than this StudyBot"):
        await move_to(source, database_target, migrations_dir=MIGRATIONS)
    assert tables_of(database_target) == ["schema_version"]
    assert query(source, "PRAGMA user_version") == [(1,)]


@pytest.mark.postgres_only
async def test_a_table_postgresql_lacks_fails_the_move(
    tmp_path: Path, database_target: str
) -> None:
    folder = tmp_path / "lacking"
    shutil.copytree(MIGRATIONS, folder)
    first = folder / "postgresql" / "0001_initial.sql"
    sql = first.read_text("utf-8")
    first.write_text(sql[: sql.index("CREATE TABLE status")], "utf-8")
    with pytest.raises(MoveFailed, match=r"the PostgreSQL schema has no table status;"):
        await move_to(make_source(tmp_path), database_target, migrations_dir=folder)


@pytest.mark.postgres_only
async def test_the_sqlite_file_must_exist(tmp_path: Path, database_target: str) -> None:
    with pytest.raises(MoveRefused, match="there is no SQLite database at"):
        await move_to(tmp_path / "missing.db", database_target, migrations_dir=MIGRATIONS)
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.postgres_only
async def test_engines_at_different_versions_refuse_before_anything(
    tmp_path: Path, database_target: str
) -> None:
    folder = tmp_path / "behind"
    shutil.copytree(MIGRATIONS, folder)
    (folder / "postgresql" / "0002_next_due.sql").unlink()
    source = make_source(tmp_path)
    with pytest.raises(MoveRefused) as info:
        await move_to(source, database_target, migrations_dir=folder)
    assert "PostgreSQL schema ends at version 1 but its SQLite schema at 2" in str(info.value)
    assert tables_of(database_target) == []
    assert query(source, "PRAGMA user_version") == [(1,)]


async def test_an_unreachable_target_is_one_line_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://studybot:{SECRET}@127.0.0.1:1/studybot"
    with pytest.raises(DatabaseError) as info:
        await move_to(make_source(tmp_path), url, migrations_dir=MIGRATIONS)
    message = str(info.value)
    assert message.startswith("cannot open the database postgresql://studybot:***@127.0.0.1:1/")
    assert SECRET not in message and "\n" not in message


def test_foreign_key_order_puts_parents_first() -> None:
    parents = {
        "a_votes": {"m_queue"},
        "m_queue": {"z_papers"},
        "z_papers": set(),
        "b_reads": {"c_posts", "b_reads"},  # a reference to itself is no ordering constraint
        "c_posts": {"m_queue", "outside"},  # a parent outside the set is ignored
    }
    order = foreign_key_order(parents)
    assert order == ["z_papers", "m_queue", "a_votes", "c_posts", "b_reads"]
    cycle = foreign_key_order({"x": {"y"}, "y": {"x"}, "w": set()})
    assert cycle == ["w", "x", "y"]
