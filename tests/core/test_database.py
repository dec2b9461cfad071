"""The storage seam and the migration runner, on both engines: an SQLite file and PostgreSQL.

Every test that takes `database_target` runs twice, once per engine. What is stored is read
back outside the seam (`tests.engines.query`: plain sqlite3 or psycopg), so a test never trusts
the code it checks. Tests about the SQLite file itself (WAL, the backup API, checkpoints,
read-only files, side connections) are marked `sqlite_only`.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.database import (
    Database,
    DatabaseError,
    IntegrityError,
    PostgresDatabase,
    SqliteDatabase,
    backup,
    load_migrations,
    open_file,
    to_postgres,
)
from tests.engines import Target, is_postgres, query

#: StudyBot's bookkeeping tables: the version record (PostgreSQL) and the key-value facts.
BOOKKEEPING = {"meta", "schema_version"}

#: A table exercising every kind of constraint, written once for both engines.
ITEMS = """
CREATE TABLE items (
    id     INTEGER PRIMARY KEY,
    name   TEXT    NOT NULL UNIQUE,
    n      INTEGER NOT NULL DEFAULT 0 CHECK (n >= 0),
    parent INTEGER REFERENCES items (id)
);
"""


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, "utf-8")
    return folder


def stored_version(target: Target) -> int:
    """The schema version as the engine records it, read outside the seam."""
    if is_postgres(target):
        [(exists,)] = query(target, "SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        [(version,)] = query(target, "SELECT version FROM schema_version")
        return int(version)
    [(version,)] = query(target, "PRAGMA user_version")
    return int(version)


def set_stored_version(target: Target, version: int) -> None:
    """Record a schema version directly, as a newer StudyBot would have."""
    if is_postgres(target):
        query(target, "UPDATE schema_version SET version = ?", (version,))
    else:
        query(target, f"PRAGMA user_version = {int(version)}")


def stored_tables(target: Target) -> set[str]:
    """The tables in the database (SQLite) or the test's schema (PostgreSQL)."""
    if is_postgres(target):
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return {str(name) for (name,) in query(target, sql)}


async def items_db(target: Target, tmp_path: Path) -> Database:
    """A connected database on `target` with only the `items` table migrated."""
    folder = write_migrations(tmp_path / "items-migrations", {"0001_items.sql": ITEMS})
    db = Database(target, migrations_dir=folder)
    await db.connect()
    await db.migrate()
    return db


# -- migrations -----------------------------------------------------------------------------


async def test_shipped_migrations_apply_once_each_with_their_version(
    database_target: Target, engine: str
) -> None:
    async with Database(database_target) as db:
        assert db.dialect == engine
        assert await db.schema_version() == 0
        applied = await db.migrate()
        assert applied == [m.version for m in load_migrations(None, db.dialect)]
        assert await db.schema_version() == applied[-1]
        assert await db.migrate() == [], "a second run applies nothing"
    assert stored_version(database_target) == applied[-1]
    assert "meta" in stored_tables(database_target)


@pytest.mark.sqlite_only
async def test_sqlite_connection_pragmas(database_target: Target) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        assert (await db.fetch_value("PRAGMA journal_mode")) == "wal"
        assert (await db.fetch_value("PRAGMA foreign_keys")) == 1
        assert (await db.fetch_value("PRAGMA busy_timeout")) == 5000
        # 2 is FULL: in WAL mode every commit syncs the log before it returns (NORMAL, 1,
        # syncs only at checkpoints, so an acknowledged write could vanish on power loss).
        assert (await db.fetch_value("PRAGMA synchronous")) == 2


@pytest.mark.postgres_only
async def test_postgres_connections_read_committed_and_durable(database_target: Target) -> None:
    async with Database(database_target) as db:
        assert isinstance(db, PostgresDatabase)
        async with db.transaction() as tx:
            level = await tx.fetch_value("SHOW transaction_isolation")
            assert level == "read committed"
        # A commit returns only once the server flushed its log: an acknowledged write is on disk.
        assert await db.fetch_value("SHOW synchronous_commit") == "on"
        assert await db.fetch_value("SHOW fsync") == "on"


def test_both_engines_have_the_same_numbered_migrations() -> None:
    sqlite = [m.name for m in load_migrations(None, "sqlite")]
    postgresql = [m.name for m in load_migrations(None, "postgresql")]
    assert postgresql == sqlite, "every step needs a file for each engine, same number and name"


async def test_failing_migration_leaves_no_partial_table_and_the_old_version(
    database_target: Target, tmp_path: Path
) -> None:
    folder = write_migrations(
        tmp_path / "migrations",
        {
            "0001_first.sql": "CREATE TABLE a (x INTEGER);",
            "0002_broken.sql": (
                "CREATE TABLE b (y INTEGER);\n"
                "CREATE INDEX b_y ON b (y);\n"
                "INSERT INTO a (x) VALUES (1);\n"
                "INSERT INTO nowhere VALUES (1);"
            ),
        },
    )
    async with Database(database_target, migrations_dir=folder) as db:
        with pytest.raises(DatabaseError, match=r"^migration 0002_broken\.sql failed: ") as info:
            await db.migrate()
        assert "\n" not in str(info.value)
        assert await db.schema_version() == 1
        # the database is usable afterwards, not stuck inside the failed transaction
        if isinstance(db, SqliteDatabase):
            assert not db.conn.in_transaction
        async with db.transaction() as tx:
            assert await tx.execute("INSERT INTO a (x) VALUES (?)", (7,)) == 1
        # a second attempt fails the same way and still changes nothing
        with pytest.raises(DatabaseError, match=r"0002_broken\.sql failed"):
            await db.migrate()
    assert stored_tables(database_target) - BOOKKEEPING == {"a"}
    assert query(database_target, "SELECT x FROM a") == [(7,)], "the failed step's row is gone"
    assert stored_version(database_target) == 1


async def test_the_first_migration_failing_leaves_an_empty_database(
    database_target: Target, tmp_path: Path
) -> None:
    folder = write_migrations(
        tmp_path / "migrations",
        {"0001_broken.sql": "CREATE TABLE a (x INTEGER);\nSELECT * FROM nowhere;"},
    )
    async with Database(database_target, migrations_dir=folder) as db:
        with pytest.raises(DatabaseError, match=r"0001_broken\.sql failed"):
            await db.migrate()
        assert await db.schema_version() == 0
    assert stored_tables(database_target) == set()
    assert stored_version(database_target) == 0


async def test_a_database_newer_than_the_code_is_refused_in_one_line(
    database_target: Target,
) -> None:
    async with Database(database_target) as db:
        known = (await db.migrate())[-1]
    set_stored_version(database_target, 999)
    async with Database(database_target) as db:
        assert await db.schema_version() == 999
        with pytest.raises(DatabaseError) as info:
            await db.migrate()
    assert str(info.value) == (
        f"the database {db.label} is at schema version 999, newer than this StudyBot knows "
        f"({known}); upgrade StudyBot or restore a backup"
    )
    assert stored_version(database_target) == 999, "the refusal changed nothing"


# Several processes share one database only on PostgreSQL (SQLite is one process on one file).
@pytest.mark.postgres_only
async def test_two_processes_migrating_at_once_apply_each_step_once(
    database_target: Target,
) -> None:
    first, second = Database(database_target), Database(database_target)
    async with first, second:
        applied = await asyncio.gather(first.migrate(), second.migrate())
        assert sorted(applied[0] + applied[1]) == [
            m.version for m in load_migrations(None, first.dialect)
        ]
        assert await first.schema_version() == await second.schema_version()


def test_out_of_sequence_migrations_are_rejected(tmp_path: Path) -> None:
    folder = write_migrations(
        tmp_path / "m", {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"}
    )
    with pytest.raises(DatabaseError, match="out of sequence"):
        load_migrations(folder)


def test_each_engine_reads_its_own_folder(tmp_path: Path) -> None:
    write_migrations(tmp_path / "sqlite", {"0001_a.sql": "-- sqlite\nSELECT 1;"})
    write_migrations(tmp_path / "postgresql", {"0001_a.sql": "-- postgresql\nSELECT 1;"})
    write_migrations(tmp_path, {"0001_ignored.sql": "SELECT 1;"})
    [sqlite] = load_migrations(tmp_path, "sqlite")
    [postgresql] = load_migrations(tmp_path, "postgresql")
    assert sqlite.sql.startswith("-- sqlite") and postgresql.sql.startswith("-- postgresql")


# -- placeholders ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "numbered"),
    [
        ("SELECT ?", "SELECT $1"),
        ("UPDATE t SET a = ?, b = ? WHERE c = ?", "UPDATE t SET a = $1, b = $2 WHERE c = $3"),
        ("SELECT '?' || ?", "SELECT '?' || $1"),
        ("SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"),
        ('SELECT "odd?name" FROM t WHERE x = ?', 'SELECT "odd?name" FROM t WHERE x = $1'),
        ("SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"),
        ("SELECT $$ ? $$, ?", "SELECT $$ ? $$, $1"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_placeholders_are_numbered_outside_quoted_text(sql: str, numbered: str) -> None:
    assert to_postgres(sql) == numbered
    assert to_postgres(sql) == numbered, "the cached translation is the same"


async def test_question_marks_in_quoted_text_reach_the_database_unchanged(
    database_target: Target,
) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        await db.set_meta("why?", "because?")
        value = await db.fetch_value(
            "SELECT value || '?' FROM meta WHERE key = ? AND value <> 'not?'", ("why?",)
        )
        assert value == "because??"
        assert await db.fetch_value("SELECT CAST(? AS TEXT) || ' ok?'", ("all",)) == "all ok?"
    assert query(database_target, "SELECT key, value FROM meta WHERE key = ?", ("why?",)) == [
        ("why?", "because?")
    ]


# -- statements, rows, counts ---------------------------------------------------------------


async def test_rows_index_by_position_and_name_and_unpack(
    database_target: Target, tmp_path: Path
) -> None:
    db = await items_db(database_target, tmp_path)
    try:
        await db.execute("INSERT INTO items (id, name, n) VALUES (?, ?, ?)", (1, "one", 5))
        row = await db.fetch_one("SELECT id, name, n FROM items WHERE id = ?", (1,))
        assert row is not None
        assert (row[0], row["name"], row["n"]) == (1, "one", 5)
        ident, name, n = row
        assert (ident, name, n) == (1, "one", 5)
        assert len(row) == 3 and list(row.keys()) == ["id", "name", "n"]
        assert await db.fetch_one("SELECT id FROM items WHERE id = ?", (2,)) is None
        assert await db.fetch_value("SELECT name FROM items WHERE id = ?", (2,)) is None
        assert await db.fetch_all("SELECT id FROM items WHERE n > ?", (10,)) == []
    finally:
        await db.close()


async def test_execute_returns_the_changed_row_count(
    database_target: Target, tmp_path: Path
) -> None:
    db = await items_db(database_target, tmp_path)
    try:
        for ident, name in ((1, "a"), (2, "b"), (3, "c")):
            assert (
                await db.execute("INSERT INTO items (id, name) VALUES (?, ?)", (ident, name)) == 1
            )
        assert await db.execute("UPDATE items SET n = n + 1 WHERE id >= ?", (2,)) == 2
        assert await db.execute("UPDATE items SET n = 9 WHERE id = ?", (99,)) == 0
        ignored = "INSERT INTO items (id, name) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
        assert await db.execute(ignored, (1, "again")) == 0
        upsert = (
            "INSERT INTO items (id, name) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET name = excluded.name"
        )
        assert await db.execute(upsert, (1, "a2")) == 1
        copied = "INSERT INTO items (id, name, parent) SELECT id + 10, name || '!', id FROM items"
        assert await db.execute(copied) == 3
        assert await db.execute("DELETE FROM items WHERE parent IS NOT NULL") == 3
        await db.executemany(
            "INSERT INTO items (id, name) VALUES (?, ?)", [(20, "x"), (21, "y"), (22, "z")]
        )
        await db.executemany("INSERT INTO items (id, name) VALUES (?, ?)", [])
        async with db.transaction() as tx:
            assert await tx.execute("DELETE FROM items WHERE id >= ?", (20,)) == 3
            returned = await tx.fetch_all(
                "UPDATE items SET n = n + 1 WHERE id <= ? RETURNING id", (2,)
            )
            assert sorted(row[0] for row in returned) == [1, 2]
            new_id = await tx.fetch_value(
                "INSERT INTO items (id, name) VALUES (?, ?) RETURNING id", (30, "thirty")
            )
            assert new_id == 30
    finally:
        await db.close()
    assert query(database_target, "SELECT id, name, n FROM items ORDER BY id") == [
        (1, "a2", 1),
        (2, "b", 2),
        (3, "c", 1),
        (30, "thirty", 0),
    ]


@pytest.mark.parametrize(
    ("statement", "params"),
    [
        ("INSERT INTO items (id, name) VALUES (?, ?)", (1, "duplicate id")),
        ("INSERT INTO items (id, name) VALUES (?, ?)", (2, "first")),
        ("INSERT INTO items (id, name, n) VALUES (?, ?, ?)", (3, "negative", -1)),
        ("INSERT INTO items (id, name, parent) VALUES (?, ?, ?)", (4, "orphan", 404)),
        ("UPDATE items SET name = NULL WHERE id = ?", (1,)),
    ],
    ids=["primary key", "unique", "check", "foreign key", "not null"],
)
async def test_constraint_violations_are_integrity_errors_on_both_engines(
    database_target: Target, tmp_path: Path, statement: str, params: tuple[object, ...]
) -> None:
    db = await items_db(database_target, tmp_path)
    try:
        await db.execute("INSERT INTO items (id, name) VALUES (?, ?)", (1, "first"))
        with pytest.raises(IntegrityError):
            await db.execute(statement, params)
        with pytest.raises(IntegrityError):
            await db.fetch_all(statement + " RETURNING id", params)
        with pytest.raises(IntegrityError):
            await db.executemany(statement, [params])
        # Inside a transaction the error rolls back everything before it, on both engines.
        with pytest.raises(IntegrityError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO items (id, name) VALUES (?, ?)", (50, "lost"))
                await tx.execute(statement, params)
        # and the database goes on
        assert await db.execute("INSERT INTO items (id, name) VALUES (?, ?)", (60, "kept")) == 1
    finally:
        await db.close()
    assert query(database_target, "SELECT id, name, n, parent FROM items ORDER BY id") == [
        (1, "first", 0, None),
        (60, "kept", 0, None),
    ]


async def test_transaction_commits_or_rolls_back(database_target: Target) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
            assert await tx.fetch_value("SELECT value FROM meta WHERE key = 'a'") == "1"
        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
                await tx.execute("UPDATE meta SET value = '3' WHERE key = 'a'")
                raise RuntimeError("boom")
        assert await db.get_meta("a") == "1"
        assert await db.get_meta("b") is None
        # A statement outside a transaction is committed when it returns.
        await db.set_meta("c", "3")
        assert query(database_target, "SELECT value FROM meta WHERE key = 'c'") == [("3",)]
        assert await db.add_meta("c", "4") is False
        assert await db.add_meta("d", "4") is True
    assert query(database_target, "SELECT key, value FROM meta ORDER BY key") == [
        ("a", "1"),
        ("c", "3"),
        ("d", "4"),
    ]


async def test_a_rolled_back_transaction_does_not_undo_another_s_commit(
    database_target: Target,
) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        inside = asyncio.Event()

        async def failing() -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('failing', 'x')")
                inside.set()
                await asyncio.sleep(0.05)
                raise RuntimeError("boom")

        async def committing() -> None:
            await inside.wait()
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO meta (key, value) VALUES ('committed', 'y')")

        results = await asyncio.gather(failing(), committing(), return_exceptions=True)
        assert isinstance(results[0], RuntimeError) and results[1] is None
    assert query(database_target, "SELECT key FROM meta ORDER BY key") == [("committed",)]


async def test_a_snapshot_sees_one_committed_state(database_target: Target) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        await db.set_meta("a", "1")
        async with db.snapshot() as snap:
            assert await snap.fetch_value("SELECT COUNT(*) FROM meta") == 1
            await db.set_meta("b", "2")  # committed by another connection meanwhile
            assert await snap.fetch_value("SELECT COUNT(*) FROM meta") == 1
            assert await snap.fetch_value("SELECT value FROM meta WHERE key = ?", ("b",)) is None
        assert await db.fetch_value("SELECT COUNT(*) FROM meta") == 2
        async with db.snapshot() as snap:
            assert await snap.fetch_value("SELECT value FROM meta WHERE key = ?", ("b",)) == "2"


async def test_writes_through_fetch_all_are_committed(database_target: Target) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        written = await db.fetch_all(
            "WITH fresh (key, value) AS (SELECT CAST(? AS TEXT), CAST(? AS TEXT)) "
            "INSERT INTO meta (key, value) SELECT key, value FROM fresh RETURNING key",
            ("k", "v"),
        )
        assert [row[0] for row in written] == ["k"]
        assert await db.get_meta("k") == "v"
    assert query(database_target, "SELECT value FROM meta WHERE key = 'k'") == [("v",)]


async def test_tables_lists_the_schema_sorted(database_target: Target, tmp_path: Path) -> None:
    async with Database(database_target) as db:
        assert await db.tables() == []
        await db.migrate()
        tables = await db.tables()
    assert tables == sorted(tables)
    assert set(tables) == stored_tables(database_target)
    assert "meta" in tables


async def test_tables_lists_exactly_what_the_migrations_made(
    database_target: Target, tmp_path: Path
) -> None:
    db = await items_db(database_target, tmp_path)
    try:
        assert set(await db.tables()) - BOOKKEEPING == {"items"}
    finally:
        await db.close()


@pytest.mark.sqlite_only
async def test_tables_leaves_out_sqlite_s_internal_tables(
    database_target: Target, tmp_path: Path
) -> None:
    folder = write_migrations(
        tmp_path / "m", {"0001_auto.sql": "CREATE TABLE z (id INTEGER PRIMARY KEY AUTOINCREMENT);"}
    )
    async with Database(database_target, migrations_dir=folder) as db:
        await db.migrate()
        await db.execute("INSERT INTO z DEFAULT VALUES")
        assert await db.tables() == ["z"]
    assert query(database_target, "SELECT name FROM sqlite_schema WHERE name = 'sqlite_sequence'")


@pytest.mark.postgres_only
async def test_tables_lists_only_this_database_s_schema(database_target: Target) -> None:
    neighbour = f"neighbour_{uuid.uuid4().hex[:8]}"  # the same database, another schema
    query(database_target, f'CREATE SCHEMA "{neighbour}"')
    try:
        query(database_target, f'CREATE TABLE "{neighbour}".someone_else (x INTEGER)')
        async with Database(database_target) as db:
            await db.migrate()
            tables = await db.tables()
        assert "someone_else" not in tables and "meta" in tables
    finally:
        query(database_target, f'DROP SCHEMA "{neighbour}" CASCADE')


@pytest.mark.postgres_only
async def test_both_engines_migrate_to_the_same_tables_and_columns(
    database_target: Target, tmp_path: Path
) -> None:
    sqlite_file = tmp_path / "same.db"
    for target in (database_target, sqlite_file):
        async with Database(target) as db:
            await db.migrate()
    postgres_columns = {
        table: [str(c) for (c,) in query(
            database_target,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )]
        for table in stored_tables(database_target) - {"schema_version"}
    }  # fmt: skip
    sqlite_columns = {
        table: [str(row[1]) for row in query(sqlite_file, f'PRAGMA table_xinfo("{table}")')]
        for table in stored_tables(sqlite_file)
    }
    assert sorted(postgres_columns) == sorted(sqlite_columns)
    for table, columns in sqlite_columns.items():
        assert sorted(postgres_columns[table]) == sorted(columns), table


# -- the SQLite file ------------------------------------------------------------------------


@pytest.mark.sqlite_only
async def test_backup_copies_a_live_database(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    async with Database(path) as db:
        await db.migrate()
        await db.set_meta("greeting", "hello")
        pages = backup(path, tmp_path / "copies" / "backup.db")
        assert pages > 0
    with sqlite3.connect(tmp_path / "copies" / "backup.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='greeting'").fetchone() == ("hello",)
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.sqlite_only
def test_backup_of_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="there is no database"):
        backup(tmp_path / "missing.db", tmp_path / "b.db")


@pytest.mark.sqlite_only
async def test_read_only_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    async with Database(path) as db:
        await db.migrate()
    # chattr +i makes the file read-only even for root, who ignores mode bits.
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not permitted on this file system")
    try:
        db = Database(path)
        assert isinstance(db, SqliteDatabase)
        with pytest.raises(DatabaseError, match=r"cannot open the database .*readonly"):
            await db.connect()
        assert db._conn is None
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


@pytest.mark.sqlite_only
async def test_checkpoint_copies_the_log_into_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with Database(path) as db:
        await db.migrate()
        for n in range(50):
            await db.set_meta(f"key{n}", "x" * 100)

        def main_file_rows() -> int:
            # immutable=1 reads the main file alone, ignoring the write-ahead log
            with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as conn:
                try:
                    return int(conn.execute("SELECT COUNT(*) FROM meta").fetchone()[0])
                except sqlite3.OperationalError:  # not even the table is in the file yet
                    return 0

        assert main_file_rows() == 0, "autocheckpoint should be off on the bot's connection"
        await db.checkpoint()
        assert main_file_rows() == 50


@pytest.mark.sqlite_only
async def test_checkpoint_never_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with Database(path) as db:
        await db.migrate()
        moved = tmp_path / "elsewhere.sqlite"
        path.rename(moved)
        await db.checkpoint()  # logs a warning, raises nothing
        assert not path.exists()


@pytest.mark.postgres_only
async def test_checkpoint_is_harmless_on_postgres(database_target: Target) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        await db.checkpoint()
        await db.set_meta("after", "checkpoint")
        assert await db.get_meta("after") == "checkpoint"


# A folder name that breaks an unquoted `file:` URI: `?` starts the query, `#` the fragment,
# and `%41` would be read as an escaped "A".
ODD_FOLDER = "study?group#1 100%41 done"


@pytest.mark.sqlite_only
async def test_side_connections_sync_every_commit_too(tmp_path: Path) -> None:
    path = tmp_path / ODD_FOLDER / "db.sqlite"
    async with Database(path) as db:
        await db.migrate()
        for mode in ("ro", "rw"):
            conn = open_file(path, mode)
            try:
                assert conn.execute("PRAGMA synchronous").fetchone() == (2,)
                assert conn.execute("PRAGMA database_list").fetchone()[2] == str(path)
            finally:
                conn.close()


@pytest.mark.sqlite_only
def test_side_connections_never_create_a_file(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        open_file(tmp_path / "missing.db", "rw")
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.sqlite_only
async def test_backup_and_checkpoint_work_under_a_folder_that_needs_quoting(
    tmp_path: Path,
) -> None:
    folder = tmp_path / ODD_FOLDER
    path = folder / "live.db"
    async with Database(path) as db:
        await db.migrate()
        await db.set_meta("greeting", "hello")
        await db.checkpoint()
        # the checkpoint reached the main file (immutable=1 ignores the write-ahead log)
        main_file = f"file:{quote(str(path))}?immutable=1"
        with sqlite3.connect(main_file, uri=True) as conn:
            greeting = conn.execute("SELECT value FROM meta WHERE key='greeting'").fetchone()
        assert greeting == ("hello",)
        pages = backup(path, folder / "copy #2.db")
        assert pages > 0
    with sqlite3.connect(folder / "copy #2.db") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key='greeting'").fetchone() == ("hello",)
    # nothing was created beside the folder by a misread URI
    assert sorted(p.name for p in tmp_path.iterdir()) == [ODD_FOLDER]
