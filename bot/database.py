"""The one database manager: an aiosqlite connection in WAL mode and the migration runner."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiosqlite

log = logging.getLogger(__name__)

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000
# In WAL mode, NORMAL syncs the log only at checkpoints: a commit that was acknowledged can
# vanish on power loss. FULL syncs the log at every commit, before the commit returns, so a
# reply sent after a write means the write is on disk.
SYNCHRONOUS = "FULL"


class DatabaseError(Exception):
    """A database problem that stops start-up, described in one line."""


def _explain(exc: BaseException) -> str:
    """SQLite's message, with a hint where the usual cause is the file system."""
    text = str(exc)
    if any(word in text for word in ("disk I/O", "disk is full", "readonly", "unable to open")):
        text += " (is the disk full, or the file or its folder read-only?)"
    return text


def open_file(path: Path | str, mode: str) -> sqlite3.Connection:
    """A plain sqlite3 connection to an existing file (`mode` "ro" or "rw"), never creating it.

    The path goes into a `file:` URI, so it is URL-quoted: a folder named `a?b`, `#1` or `50%`
    must not turn into query parameters, a fragment or an escape.
    """
    uri = f"file:{quote(str(Path(path).resolve()))}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    return conn


@dataclass(frozen=True)
class Migration:
    """One numbered forward-only SQL migration."""

    version: int
    name: str
    sql: str


def load_migrations(directory: Path | None = None) -> list[Migration]:
    """Read the numbered migrations, in order, from the package or a directory."""
    folder = resources.files("migrations") if directory is None else Path(directory)
    migrations = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match and entry.is_file():
            migrations.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    migrations.sort(key=lambda m: m.version)
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise DatabaseError(f"migration {migration.name} is out of sequence (want {expected})")
    return migrations


class Database:
    """One aiosqlite connection: WAL, foreign keys, a busy timeout and serialised transactions."""

    def __init__(self, path: Path | str, migrations_dir: Path | None = None) -> None:
        self.path = Path(path)
        self._migrations_dir = migrations_dir
        self._conn: aiosqlite.Connection | None = None
        # One connection serves every coroutine: the lock keeps a transaction's statements
        # together so another coroutine's statement never lands inside it.
        self._lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise RuntimeError("the database is not open")
        return self._conn

    async def connect(self) -> None:
        """Open the file (creating its folder) and set the connection's pragmas."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            self._conn.row_factory = aiosqlite.Row
            await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = await self._conn.execute_fetchall("PRAGMA journal_mode = WAL")
            if str(next(iter(mode))[0]).lower() != "wal":
                log.warning("SQLite refused WAL mode for %s", self.path)
            await self._conn.execute("PRAGMA foreign_keys = ON")
            await self._conn.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            # Checkpoints run from a second connection off the event loop's path
            # (`checkpoint`, scheduled by the bot); on this connection they stalled a command.
            await self._conn.execute("PRAGMA wal_autocheckpoint = 0")
            # Rewriting the version header proves the file is writable now rather than at the
            # first member's /done: a read-only file or a full disk stops start-up cleanly.
            version = await self.user_version()
            await self._conn.execute(f"PRAGMA user_version = {version}")
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise DatabaseError(f"cannot open the database {self.path}: {_explain(exc)}") from None

    async def close(self) -> None:
        """Close the connection if it is open."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except (sqlite3.Error, ValueError):
                log.warning("closing the database failed", exc_info=True)

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def user_version(self) -> int:
        """The schema version recorded in the file."""
        rows = await self.conn.execute_fetchall("PRAGMA user_version")
        return int(next(iter(rows))[0])

    async def migrate(self) -> list[int]:
        """Apply every pending migration, each atomically with its version bump."""
        migrations = load_migrations(self._migrations_dir)
        known = migrations[-1].version if migrations else 0
        async with self._lock:
            current = await self.user_version()
            if current > known:
                raise DatabaseError(
                    f"the database {self.path} is at schema version {current}, newer than this "
                    f"StudyBot knows ({known}); upgrade StudyBot or restore a backup"
                )
            applied = []
            for migration in migrations:
                if migration.version <= current:
                    continue
                # executescript commits any open transaction first, so the transaction and
                # the version bump live inside the executed text itself.
                script = (
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n;\n"
                    f"PRAGMA user_version = {migration.version};\nCOMMIT;"
                )
                try:
                    await self.conn.executescript(script)
                except sqlite3.Error as exc:
                    if self.conn.in_transaction:
                        await self.conn.execute("ROLLBACK")
                    raise DatabaseError(
                        f"migration {migration.name} failed: {_explain(exc)}"
                    ) from None
                log.info("applied migration %s", migration.name)
                applied.append(migration.version)
            return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the block in one write transaction, committed on success, rolled back on error."""
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one statement in its own transaction and return the rows it changed."""
        async with self._lock:
            cursor = await self.conn.execute(sql, params)
            count = cursor.rowcount
            await cursor.close()
            return count

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetch_all(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[aiosqlite.Row]:
        """Run a query and return every row."""
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    async def fetch_one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> aiosqlite.Row | None:
        """Run a one-row query (a key look-up, an aggregate, LIMIT 1) and return its row."""
        # One trip to the database thread instead of three (execute, fetchone, close): this
        # look-up sits on the hot path of commands such as /topic.
        async with self._lock:
            rows = await self.conn.execute_fetchall(sql, params)
        for row in rows:
            return row
        return None

    async def fetch_value(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Any:
        """Run a query and return the first column of its first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def checkpoint(self) -> None:
        """Copy the write-ahead log back into the database file from a second connection."""

        def run() -> None:
            # mode=rw: never create a file that was moved away or deleted meanwhile
            conn = open_file(self.path, "rw")
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            finally:
                conn.close()

        if self._conn is None:
            return
        try:
            await asyncio.to_thread(run)
        except sqlite3.Error as exc:
            log.warning("checkpoint of %s failed: %s", self.path, exc)

    async def get_meta(self, key: str) -> str | None:
        """Read a value from the bot's own key-value table."""
        value = await self.fetch_value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        """Write a value to the bot's own key-value table."""
        await self.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def add_meta(self, key: str, value: str) -> bool:
        """Write a value only if the key is new; True for the one call that wrote it."""
        return (
            await self.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, value),
            )
            == 1
        )


def backup(source: Path | str, destination: Path | str) -> int:
    """Copy a live database with SQLite's online backup API; returns the pages copied."""
    src_path, dest_path = Path(source), Path(destination)
    if not src_path.exists():
        raise DatabaseError(f"there is no database at {src_path}")
    if dest_path.resolve() == src_path.resolve():
        raise DatabaseError("the backup must go to a different file than the database")
    dest_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        src = open_file(src_path, "ro")
        try:
            dest = sqlite3.connect(dest_path)
            dest.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
            try:
                src.backup(dest)
                pages = int(dest.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dest.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"backup failed: {exc}") from None
    return pages
