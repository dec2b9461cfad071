"""The one storage seam: SQLite (aiosqlite, one file in WAL mode) or PostgreSQL (asyncpg).

Repositories write portable SQL with `?` placeholders and call the same few methods on a
`Database` or, inside `Database.transaction()`, on the `Tx` it yields. Every dialect
difference lives in this module: placeholders (`$1` on PostgreSQL, translated once per
statement and cached), the changed-row count, integrity errors, transactions (`BEGIN
IMMEDIATE` on one serialised SQLite connection; a pooled connection at READ COMMITTED on
PostgreSQL), the schema version (`PRAGMA user_version`; a one-row table) and the migrations'
folder (`migrations/sqlite`, `migrations/postgresql`: one numbered history, one file per
engine and step).

Every instant is stored the same way on both engines: fixed-width ISO-8601 UTC text with
microseconds (`bot.clock.db_time`), so text order is time order and a copy between engines
moves the values unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import aiosqlite

log = logging.getLogger(__name__)

Dialect = Literal["sqlite", "postgresql"]
Params = Sequence[Any]

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5000
# In WAL mode, NORMAL syncs the log only at checkpoints: a commit that was acknowledged can
# vanish on power loss. FULL syncs the log at every commit, before the commit returns, so a
# reply sent after a write means the write is on disk.
SYNCHRONOUS = "FULL"
#: How long a PostgreSQL connection attempt may take before start-up gives up.
CONNECT_TIMEOUT_SECONDS = 5.0
#: The advisory lock that lets one process at a time migrate a PostgreSQL database.
MIGRATION_LOCK = 0x5354_5544_5942_4F54 & 0x7FFF_FFFF_FFFF_FFFF  # "STUDYBOT"
POSTGRES_SCHEMES = ("postgresql", "postgres")


class DatabaseError(Exception):
    """A database problem that stops start-up, described in one line."""


class IntegrityError(Exception):
    """A statement broke a constraint (unique, foreign key, check, not null), on either engine."""


class Row(Protocol):
    """A result row: by position, by column name, or unpacked (sqlite3.Row, asyncpg.Record)."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Any: ...


def is_postgres_url(target: str | Path) -> bool:
    """Whether a `STUDYBOT_DATABASE` value names a PostgreSQL server rather than a file."""
    return isinstance(target, str) and target.split("://", 1)[0].lower() in POSTGRES_SCHEMES


def redact(url: str) -> str:
    """A database URL safe to print: the password, if any, replaced by `***`."""
    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username or ""
        return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))
    except ValueError:
        return "the PostgreSQL URL in STUDYBOT_DATABASE (unreadable)"


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


def load_migrations(
    directory: Path | Traversable | None = None, dialect: Dialect = "sqlite"
) -> list[Migration]:
    """Read one engine's numbered migrations, in order, from the package or a directory."""
    folder = resources.files("migrations") if directory is None else directory
    if (folder / dialect).is_dir():
        folder = folder / dialect
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


# -- placeholders ---------------------------------------------------------------------------

_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|\$\$.*?\$\$|\?", re.S)
_translated: dict[str, str] = {}


def to_postgres(sql: str) -> str:
    """The statement with `?` placeholders numbered `$1, $2 …` (quoted text left alone)."""
    cached = _translated.get(sql)
    if cached is not None:
        return cached
    counter = 0

    def number(match: re.Match[str]) -> str:
        nonlocal counter
        if match.group(0) != "?":
            return match.group(0)
        counter += 1
        return f"${counter}"

    out = _TOKENS.sub(number, sql)
    if len(_translated) < 4096:
        _translated[sql] = out
    return out


#: A statement that only reads: SELECT or WITH … SELECT, with no RETURNING or write inside.
_READ_ONLY = re.compile(
    r"^\s*(SELECT|WITH)\b(?!.*\b(INSERT|UPDATE|DELETE|REPLACE|RETURNING)\b)", re.I | re.S
)


def _status_count(status: str) -> int:
    """The row count at the end of a PostgreSQL command tag ('UPDATE 3', 'INSERT 0 1')."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


# -- the seam -------------------------------------------------------------------------------


class _Queries:
    """The one-row reads, built on `fetch_all`: shared by `Tx` and `Database`."""

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query (or a statement with RETURNING) and return every row."""
        raise NotImplementedError

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        """Run a one-row query (a key look-up, an aggregate, LIMIT 1) and return its row."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params = ()) -> Any:
        """Run a query and return the first column of its first row, or None."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


class Tx(_Queries, ABC):
    """The statements of one transaction (or of one connection, outside a transaction)."""

    dialect: ClassVar[Dialect]

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement and return the rows it changed."""

    @abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement once per parameter row."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query (or a statement with RETURNING) and return every row."""


class _SqliteTx(Tx):
    dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            cursor = await self.conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc
        count = cursor.rowcount
        await cursor.close()
        return max(count, 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            await self.conn.executemany(sql, rows)
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        # One trip to the database thread instead of three (execute, fetch, close).
        try:
            return list(await self.conn.execute_fetchall(sql, params))
        except sqlite3.IntegrityError as exc:
            raise IntegrityError(str(exc)) from exc


class _ReaderTx(Tx):
    """Reads on a plain sqlite3 connection, run on the calling thread: no hop to a worker."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        raise RuntimeError("a snapshot is read-only")

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        raise RuntimeError("a snapshot is read-only")

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()


class _PostgresTx(Tx):
    dialect = "postgresql"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        import asyncpg

        try:
            status = await self.conn.execute(to_postgres(sql), *params)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc
        return _status_count(status)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        import asyncpg

        batch = [tuple(row) for row in rows]
        if not batch:
            return
        try:
            await self.conn.executemany(to_postgres(sql), batch)
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        import asyncpg

        try:
            return list(await self.conn.fetch(to_postgres(sql), *params))
        except asyncpg.IntegrityConstraintViolationError as exc:
            raise IntegrityError(str(exc)) from exc


class Database(_Queries):
    """The database StudyBot keeps everything in: `Database(target)` picks the engine.

    `target` is an SQLite file path or a `postgresql://user:password@host:port/dbname` URL.
    """

    dialect: ClassVar[Dialect]

    def __new__(cls, target: Path | str, *args: Any, **kwargs: Any) -> Database:
        if cls is Database:
            cls = PostgresDatabase if is_postgres_url(target) else SqliteDatabase
        return super().__new__(cls)

    #: A description of the database safe for logs and messages (never a password).
    label: str

    async def connect(self) -> None:
        """Open the database; a problem is one `DatabaseError` line."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close every connection if open."""
        raise NotImplementedError

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def schema_version(self) -> int:
        """The schema version recorded in the database (0 when new)."""
        raise NotImplementedError

    async def migrate(self) -> list[int]:
        """Apply every pending migration, each atomically with its version record."""
        raise NotImplementedError

    def transaction(self) -> Any:
        """An async context manager yielding a `Tx`: committed on success, rolled back on error."""
        raise NotImplementedError

    def snapshot(self) -> Any:
        """An async context manager yielding a read-only `Tx` that sees one committed state."""
        raise NotImplementedError

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction and return the rows it changed."""
        raise NotImplementedError

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many rows in a single transaction."""
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def checkpoint(self) -> None:
        """Housekeeping the engine needs now and then (SQLite: copy the WAL back)."""
        raise NotImplementedError

    async def tables(self) -> list[str]:
        """The names of StudyBot's tables, sorted."""
        raise NotImplementedError

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

    def _newer(self, current: int, known: int) -> DatabaseError:
        return DatabaseError(
            f"the database {self.label} is at schema version {current}, newer than this "
            f"StudyBot knows ({known}); upgrade StudyBot or restore a backup"
        )


class SqliteDatabase(Database):
    """One aiosqlite connection: WAL, foreign keys, a busy timeout and serialised transactions."""

    dialect = "sqlite"

    def __init__(self, target: Path | str, migrations_dir: Path | None = None) -> None:
        self.path = Path(target)
        self.label = str(self.path)
        self._migrations_dir = migrations_dir
        self._conn: aiosqlite.Connection | None = None
        self._tx: _SqliteTx | None = None
        # One connection serves every coroutine: the lock keeps a transaction's statements
        # together so another coroutine's statement never lands inside it.
        self._lock = asyncio.Lock()
        # Reads outside a transaction run on read-only connections in the event loop's own
        # thread. A key look-up or a leaderboard page takes tens of microseconds in SQLite but
        # ten times that as a round trip through aiosqlite's worker thread; in WAL mode a
        # reader never waits for the writer, so the loop is never held up by a write.
        self._reader: sqlite3.Connection | None = None
        self._idle_readers: list[sqlite3.Connection] = []

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
            self._tx = _SqliteTx(self._conn)
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
            version = await self.schema_version()
            await self._conn.execute(f"PRAGMA user_version = {version}")
        except (OSError, sqlite3.Error) as exc:
            await self.close()
            raise DatabaseError(f"cannot open the database {self.path}: {_explain(exc)}") from None

    def _open_reader(self) -> sqlite3.Connection:
        reader = open_file(self.path, "ro")
        reader.row_factory = sqlite3.Row
        return reader

    async def close(self) -> None:
        """Close the connections if they are open."""
        readers = [*self._idle_readers, *([self._reader] if self._reader else [])]
        self._reader, self._idle_readers = None, []
        for reader in readers:
            reader.close()
        if self._conn is not None:
            conn, self._conn, self._tx = self._conn, None, None
            try:
                await conn.close()
            except (sqlite3.Error, ValueError):
                log.warning("closing the database failed", exc_info=True)

    @property
    def _open_tx(self) -> _SqliteTx:
        if self._tx is None:
            raise RuntimeError("the database is not open")
        return self._tx

    async def schema_version(self) -> int:
        """The schema version recorded in the file's header."""
        rows = await self.conn.execute_fetchall("PRAGMA user_version")
        return int(next(iter(rows))[0])

    async def user_version(self) -> int:
        """The schema version recorded in the file's header (SQLite's name for it)."""
        return await self.schema_version()

    async def migrate(self) -> list[int]:
        """Apply every pending migration, each atomically with its version bump."""
        migrations = load_migrations(self._migrations_dir, "sqlite")
        known = migrations[-1].version if migrations else 0
        async with self._lock:
            current = await self.schema_version()
            if current > known:
                raise self._newer(current, known)
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
    async def transaction(self) -> AsyncIterator[Tx]:
        """Run the block in one write transaction, committed on success, rolled back on error."""
        async with self._lock:
            tx = self._open_tx
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement in its own transaction and return the rows it changed."""
        async with self._lock:
            return await self._open_tx.execute(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row (a plain query runs in this thread, see above)."""
        if _READ_ONLY.match(sql) and self._conn is not None:
            if self._reader is None:
                self._reader = self._open_reader()
            try:
                return self._reader.execute(sql, params).fetchall()
            except sqlite3.IntegrityError as exc:
                raise IntegrityError(str(exc)) from exc
        async with self._lock:
            return await self._open_tx.fetch_all(sql, params)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """A read transaction on a reader of its own: every query sees the same commit."""
        if self._conn is None:
            raise RuntimeError("the database is not open")
        reader = self._idle_readers.pop() if self._idle_readers else self._open_reader()
        reader.execute("BEGIN")
        try:
            yield _ReaderTx(reader)
        finally:
            reader.execute("COMMIT")
            if self._conn is not None and len(self._idle_readers) < 4:
                self._idle_readers.append(reader)
            else:
                reader.close()

    async def tables(self) -> list[str]:
        """The names of StudyBot's tables, sorted."""
        rows = await self.fetch_all(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
        return [str(row[0]) for row in rows]

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


async def _release(conn: Any) -> None:
    """Hand a connection back to the pool without asyncpg's reset query.

    StudyBot keeps nothing per session (its advisory locks are transaction-scoped, it never
    LISTENs or SETs), so the default reset (`pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`) would only add a second round trip to every statement run outside a
    transaction. A transaction left open (a cancelled command) is still rolled back.
    """
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


class PostgresDatabase(Database):
    """A pool of asyncpg connections to one PostgreSQL database (READ COMMITTED)."""

    dialect = "postgresql"
    #: Connections in the pool: enough for the group commit, commands and deliveries at once.
    pool_size = 10

    def __init__(self, target: Path | str, migrations_dir: Path | None = None) -> None:
        self.url = str(target)
        self.label = redact(self.url)
        self._migrations_dir = migrations_dir
        self._pool: Any = None

    @property
    def pool(self) -> Any:
        """The open asyncpg pool."""
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    async def connect(self) -> None:
        """Open the pool, giving up within seconds when the server cannot be reached."""
        import asyncpg

        try:
            self._pool = await asyncio.wait_for(
                asyncpg.create_pool(
                    self.url,
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=CONNECT_TIMEOUT_SECONDS,
                    command_timeout=60,
                    reset=_release,
                ),
                CONNECT_TIMEOUT_SECONDS * 2,
            )
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise DatabaseError(
                f"cannot open the database {self.label}: {self._reason(exc)}"
            ) from None
        except ValueError as exc:  # a URL asyncpg cannot read
            raise DatabaseError(f"cannot read the database URL {self.label}: {exc}") from None
        # Like SQLite's header rewrite: a database that cannot take writes (a hot standby, a
        # read-only default) stops start-up now rather than at the first member's /done.
        if await self.fetch_value("SHOW transaction_read_only") == "on":
            await self.close()
            raise DatabaseError(
                f"cannot open the database {self.label}: it is read-only "
                "(a standby, or default_transaction_read_only is on)"
            )

    def _reason(self, exc: BaseException) -> str:
        text = str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError):
            text = f"no answer within {CONNECT_TIMEOUT_SECONDS:g} s"
        password = urlsplit(self.url).password
        if password:
            text = text.replace(password, "***")
        return text

    async def close(self) -> None:
        """Close the pool if it is open."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            try:
                await asyncio.wait_for(pool.close(), 10)
            except Exception:
                log.warning("closing the database pool failed", exc_info=True)
                pool.terminate()

    async def schema_version(self) -> int:
        """The version in the one-row `schema_version` table (0 before the first migration)."""
        async with self.pool.acquire() as conn:
            return await self._version(conn)

    @staticmethod
    async def _version(conn: Any) -> int:
        exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        if not exists:
            return 0
        value = await conn.fetchval("SELECT version FROM schema_version")
        return int(value or 0)

    async def migrate(self) -> list[int]:
        """Apply pending migrations, each in one transaction with its version record.

        An advisory lock taken in each transaction lets several processes start together: one
        migrates, the others wait and then find nothing left to do.
        """
        import asyncpg

        migrations = load_migrations(self._migrations_dir, "postgresql")
        known = migrations[-1].version if migrations else 0
        applied: list[int] = []
        async with self.pool.acquire() as conn:
            for migration in migrations:
                try:
                    async with conn.transaction():
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                        current = await self._version(conn)
                        if current > known:
                            raise self._newer(current, known)
                        if migration.version <= current:
                            continue
                        await conn.execute(migration.sql)
                        await conn.execute(
                            "CREATE TABLE IF NOT EXISTS schema_version ("
                            " id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)"
                        )
                        await conn.execute(
                            "INSERT INTO schema_version (id, version) VALUES (1, $1) "
                            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                            migration.version,
                        )
                except asyncpg.PostgresError as exc:
                    raise DatabaseError(f"migration {migration.name} failed: {exc}") from None
                log.info("applied migration %s", migration.name)
                applied.append(migration.version)
            if not migrations:
                return applied
            current = await self._version(conn)
            if current > known:
                raise self._newer(current, known)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """Run the block in one transaction on a pooled connection."""
        async with self.pool.acquire() as conn, conn.transaction():
            yield _PostgresTx(conn)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """A read-only REPEATABLE READ transaction: every query sees the same commit."""
        async with (
            self.pool.acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            yield _PostgresTx(conn)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement (autocommitted) and return the rows it changed."""
        async with self.pool.acquire() as conn:
            return await _PostgresTx(conn).execute(sql, params)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query and return every row."""
        async with self.pool.acquire() as conn:
            return await _PostgresTx(conn).fetch_all(sql, params)

    async def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL checkpoints on its own."""

    async def tables(self) -> list[str]:
        """The names of StudyBot's tables in the current schema, sorted."""
        rows = await self.fetch_all(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
        return [str(row[0]) for row in rows]


def backup(source: Path | str, destination: Path | str) -> int:
    """Copy a live SQLite database with SQLite's online backup API; returns the pages copied."""
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
