"""The database manager and migration runner against real SQLite files."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.database import Database, DatabaseError, backup, load_migrations, open_file


def write_migrations(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, sql in files.items():
        (folder / name).write_text(sql, "utf-8")
    return folder


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {r[0] for r in rows}


def user_version(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])


async def test_shipped_migrations_apply_and_set_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "studybot.db"
    async with Database(path) as db:
        applied = await db.migrate()
        assert applied == [m.version for m in load_migrations()]
        assert await db.user_version() == applied[-1]
        assert (await db.fetch_value("PRAGMA journal_mode")) == "wal"
        assert (await db.fetch_value("PRAGMA foreign_keys")) == 1
        assert (await db.fetch_value("PRAGMA busy_timeout")) == 5000
        # 2 is FULL: in WAL mode every commit syncs the log before it returns (NORMAL, 1,
        # syncs only at checkpoints, so an acknowledged write could vanish on power loss).
        assert (await db.fetch_value("PRAGMA synchronous")) == 2
        # a second run applies nothing
        assert await db.migrate() == []
    assert "meta" in tables(path)


async def test_failing_migration_leaves_no_partial_table_and_old_version(tmp_path: Path) -> None:
    folder = write_migrations(
        tmp_path / "migrations",
        {
            "0001_first.sql": "CREATE TABLE a (x INTEGER);",
            "0002_broken.sql": "CREATE TABLE b (y INTEGER);\nINSERT INTO nowhere VALUES (1);",
        },
    )
    path = tmp_path / "db.sqlite"
    async with Database(path, migrations_dir=folder) as db:
        with pytest.raises(DatabaseError, match=r"0002_broken\.sql failed"):
            await db.migrate()
        assert await db.user_version() == 1
        # the connection is usable afterwards and not stuck in a transaction
        assert not db.conn.in_transaction
    assert tables(path) == {"a"}
    assert user_version(path) == 1


async def test_database_newer_than_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    async with Database(path) as db:
        with pytest.raises(DatabaseError, match="schema version 999, newer than this StudyBot"):
            await db.migrate()
    assert user_version(path) == 999


def test_out_of_sequence_migrations_are_rejected(tmp_path: Path) -> None:
    folder = write_migrations(
        tmp_path / "m", {"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"}
    )
    with pytest.raises(DatabaseError, match="out of sequence"):
        load_migrations(folder)


async def test_transaction_commits_or_rolls_back(tmp_path: Path) -> None:
    async with Database(tmp_path / "db.sqlite") as db:
        await db.migrate()
        async with db.transaction() as conn:
            await conn.execute("INSERT INTO meta (key, value) VALUES ('a', '1')")
        with pytest.raises(RuntimeError):
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO meta (key, value) VALUES ('b', '2')")
                raise RuntimeError("boom")
        assert await db.get_meta("a") == "1"
        assert await db.get_meta("b") is None


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


def test_backup_of_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="there is no database"):
        backup(tmp_path / "missing.db", tmp_path / "b.db")


async def test_read_only_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    async with Database(path) as db:
        await db.migrate()
    # chattr +i makes the file read-only even for root, who ignores mode bits.
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not permitted on this file system")
    try:
        db = Database(path)
        with pytest.raises(DatabaseError, match=r"cannot open the database .*readonly"):
            await db.connect()
        assert db._conn is None
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


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


async def test_checkpoint_never_creates_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    async with Database(path) as db:
        await db.migrate()
        moved = tmp_path / "elsewhere.sqlite"
        path.rename(moved)
        await db.checkpoint()  # logs a warning, raises nothing
        assert not path.exists()


# A folder name that breaks an unquoted `file:` URI: `?` starts the query, `#` the fragment,
# and `%41` would be read as an escaped "A".
ODD_FOLDER = "study?group#1 100%41 done"


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


def test_side_connections_never_create_a_file(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        open_file(tmp_path / "missing.db", "rw")
    assert not (tmp_path / "missing.db").exists()


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
