"""Moving StudyBot's data between engines: `studybot move-to URL` and `pg_dump` backups.

`move_to` copies every row of an SQLite database into an empty PostgreSQL database:

1. checks that change nothing: the source exists and is not newer than the code, the target
   is not newer either and holds no StudyBot data (a target that only `studybot migrate` or an
   earlier, failed move touched is empty: the rows the migrations write themselves, such as a
   status row, do not count), and both engines' migrations end at the same version;
2. migrates the source (as `studybot run` would) and the target (each migration commits on its
   own, so a failure later leaves the target with StudyBot's empty schema, which a second
   `move-to` accepts);
3. copies every table in foreign-key order in ONE PostgreSQL transaction, in batches, with the
   target's tables locked, its own triggers off (counters are copied as they are, not counted
   again) and the SQLite file held by a write transaction (a bot still running cannot write a
   row the copy would miss); then checks every table's row count and moves each identity
   sequence past the largest id. Any failure rolls the whole copy back.

Tables are found in SQLite's schema (its own `sqlite_*` tables left out) and columns matched
by name; PostgreSQL's `schema_version` is the target's bookkeeping and is not copied. Values
are copied unchanged: both engines store the same types (instants are the same text).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from bot.database import (
    Database,
    DatabaseError,
    Row,
    Tx,
    is_postgres_url,
    load_migrations,
    redact,
)

#: Rows read from SQLite and written to PostgreSQL per statement batch.
BATCH_ROWS = 5000
#: How long the copy waits for a lock on the target's tables (a bot using them) before failing.
LOCK_TIMEOUT = "5s"
#: The target's own bookkeeping, never copied (SQLite keeps its version in the file header).
TARGET_BOOKKEEPING = frozenset({"schema_version"})


class MoveRefused(DatabaseError):
    """The move was refused before anything was written anywhere."""


class MoveFailed(DatabaseError):
    """The copy failed and was rolled back: no copied row remains on the target."""


class Progress(Protocol):
    """What the copy reports while it runs (a progress bar, or nothing)."""

    def start(self, total: int) -> None:
        """The copy begins: `total` rows to go."""

    def table(self, name: str) -> None:
        """The copy moves on to a table."""

    def advance(self, rows: int) -> None:
        """A batch of rows was written."""

    def close(self) -> None:
        """The copy ended, well or not."""


class NoProgress:
    """Reports nothing."""

    def start(self, total: int) -> None:
        """Nothing to show."""

    def table(self, name: str) -> None:
        """Nothing to show."""

    def advance(self, rows: int) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to show."""


class BarProgress:
    """A tqdm progress bar on stderr: rows copied of all rows, and the current table."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, total: int) -> None:
        """Draw the bar."""
        import sys

        from tqdm import tqdm

        # 1.2M rows rather than 1234567; small counts as they are (not "62.0")
        self._bar = tqdm(
            total=total,
            unit=" rows",
            unit_scale=total >= 10_000,
            file=sys.stderr,
            dynamic_ncols=True,
        )

    def table(self, name: str) -> None:
        """Show the table being copied."""
        if self._bar is not None:
            self._bar.set_description(name)

    def advance(self, rows: int) -> None:
        """Move the bar on."""
        if self._bar is not None:
            self._bar.update(rows)

    def close(self) -> None:
        """Finish the bar's line, so what follows starts on a line of its own."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@dataclass(frozen=True)
class TableCopy:
    """One table as copied: its name and row count (the same on both ends)."""

    name: str
    rows: int


@dataclass(frozen=True)
class MoveResult:
    """What `move_to` did."""

    source: str
    target: str
    version: int
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """Rows copied in all."""
        return sum(table.rows for table in self.tables)


# -- the source's schema --------------------------------------------------------------------


@dataclass
class SourceTable:
    """An SQLite table: its columns (readable, and which are generated), key and parents."""

    name: str
    columns: list[str]
    generated: set[str]
    key: list[str]  # ["rowid"], or the primary key of a WITHOUT ROWID table
    parents: set[str]
    rows: int = 0


def quote_name(name: str) -> str:
    """An SQL identifier, quoted (works on both engines)."""
    return '"' + name.replace('"', '""') + '"'


async def _source_tables(tx: Tx) -> list[SourceTable]:
    listed = await tx.fetch_all("PRAGMA table_list")
    kinds: dict[str, tuple[str, bool]] = {
        str(row["name"]): (str(row["type"]), bool(row["wr"]))
        for row in listed
        if row["schema"] == "main"
    }
    if not kinds:  # SQLite before 3.37 has no table_list
        rows = await tx.fetch_all(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        kinds = {str(r[0]): ("table", "WITHOUT ROWID" in str(r[1]).upper()) for r in rows}
    tables = []
    for name, (kind, without_rowid) in sorted(kinds.items()):
        if name.startswith("sqlite_") or kind in ("view", "shadow"):
            continue  # SQLite's own bookkeeping and the storage of its virtual tables
        if kind != "table":
            raise MoveRefused(f"the SQLite table {name} is a {kind} table, which cannot be moved")
        info = await tx.fetch_all(f"PRAGMA table_xinfo({quote_name(name)})")
        columns = [str(r["name"]) for r in info if r["hidden"] in (0, 2, 3)]
        generated = {str(r["name"]) for r in info if r["hidden"] in (2, 3)}
        key = ["rowid"]
        if without_rowid:
            key = [str(r["name"]) for r in sorted(info, key=lambda r: r["pk"]) if r["pk"] > 0]
        fks = await tx.fetch_all(f"PRAGMA foreign_key_list({quote_name(name)})")
        parents = {str(r["table"]) for r in fks}
        count = await tx.fetch_value(f"SELECT COUNT(*) FROM {quote_name(name)}")
        tables.append(SourceTable(name, columns, generated, key, parents, int(count)))
    return tables


# -- the target's schema --------------------------------------------------------------------


@dataclass
class TargetTable:
    """A PostgreSQL table: the columns a copy writes, its ids and whether it has triggers."""

    name: str
    insertable: list[str]
    generated: set[str]
    identity: list[str]
    always_identity: bool
    parents: set[str]
    triggers: bool


async def _target_tables(tx: Tx) -> dict[str, TargetTable]:
    columns = await tx.fetch_all(
        "SELECT table_name, column_name, is_generated, is_identity, identity_generation, "
        "column_default FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    )
    tables: dict[str, TargetTable] = {}
    for row in columns:
        name = str(row["table_name"])
        table = tables.setdefault(name, TargetTable(name, [], set(), [], False, set(), False))
        column = str(row["column_name"])
        if row["is_generated"] == "ALWAYS":
            table.generated.add(column)
            continue
        table.insertable.append(column)
        default = str(row["column_default"] or "")
        if row["is_identity"] == "YES" or default.startswith("nextval("):
            table.identity.append(column)
        if row["identity_generation"] == "ALWAYS":
            table.always_identity = True
    fks = await tx.fetch_all(
        "SELECT c.relname, p.relname FROM pg_constraint AS k "
        "JOIN pg_class AS c ON c.oid = k.conrelid JOIN pg_class AS p ON p.oid = k.confrelid "
        "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE k.contype = 'f' AND n.nspname = current_schema()"
    )
    for child, parent in fks:
        if str(child) in tables:
            tables[str(child)].parents.add(str(parent))
    triggered = await tx.fetch_all(
        "SELECT DISTINCT c.relname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid "
        "JOIN pg_namespace AS n ON n.oid = c.relnamespace "
        "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
    )
    for (name,) in triggered:
        if str(name) in tables:
            tables[str(name)].triggers = True
    return tables


def foreign_key_order(parents: dict[str, set[str]]) -> list[str]:
    """The tables with every parent before its children (alphabetical among equals).

    Parents outside the set, and a table's references to itself, are ignored; tables in a
    cycle come last in name order (the copy then fails on the foreign key, rolled back).
    """
    waiting = {
        name: {p for p in deps if p in parents and p != name} for name, deps in parents.items()
    }
    order: list[str] = []
    while waiting:
        ready = sorted(name for name, deps in waiting.items() if not deps)
        if not ready:
            ready = sorted(waiting)
        for name in ready:
            del waiting[name]
            order.append(name)
        for deps in waiting.values():
            deps.difference_update(ready)
    return order


# -- what counts as data --------------------------------------------------------------------


Snapshot = dict[str, list[dict[str, Any]]]


async def _seed_rows(migrations_dir: Path | None) -> Snapshot:
    """The rows a freshly migrated database holds (written by the migrations themselves)."""
    with tempfile.TemporaryDirectory(prefix="studybot-seed-") as folder:
        async with Database(Path(folder) / "seed.db", migrations_dir=migrations_dir) as fresh:
            await fresh.migrate()
            seeds: Snapshot = {}
            for name in await fresh.tables():
                rows = await fresh.fetch_all(f"SELECT * FROM {quote_name(name)}")
                seeds[name] = [dict(zip(row.keys(), row, strict=True)) for row in rows]
            return seeds


def _same_rows(rows: Sequence[Row], seeds: list[dict[str, Any]]) -> bool:
    """Whether every row is one of the seed rows (compared on the columns they share)."""
    left = list(seeds)
    for row in rows:
        values = dict(zip(row.keys(), row, strict=True))
        match = next(
            (seed for seed in left if all(values[k] == v for k, v in seed.items() if k in values)),
            None,
        )
        if match is None:
            return False
        left.remove(match)
    return True


async def _data_tables(tx: Tx, names: Iterable[str], seeds: Snapshot) -> list[str]:
    """The target's StudyBot tables that hold rows beyond what the migrations write."""
    present = set(await _present_tables(tx))
    full = []
    for name in sorted(set(names) & present):
        if name in TARGET_BOOKKEEPING:
            continue
        limit = len(seeds.get(name, [])) + 1
        rows = await tx.fetch_all(f"SELECT * FROM {quote_name(name)} LIMIT {limit}")
        if rows and not _same_rows(rows, seeds.get(name, [])):
            full.append(name)
    return full


async def _present_tables(tx: Tx) -> list[str]:
    rows = await tx.fetch_all(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    return [str(row[0]) for row in rows]


def _not_empty(target: str, tables: list[str]) -> MoveRefused:
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    return MoveRefused(
        f"the target {target} is not empty ({shown} hold rows): move-to only copies into an "
        "empty database; nothing was changed"
    )


# -- the move --------------------------------------------------------------------------------


async def move_to(
    source_path: Path,
    target_url: str,
    *,
    migrations_dir: Path | None = None,
    progress: Progress | None = None,
    batch_rows: int = BATCH_ROWS,
) -> MoveResult:
    """Copy every row of the SQLite database at `source_path` into the empty PostgreSQL target.

    Raises `MoveRefused` (nothing was changed) or `MoveFailed` (the copy was rolled back),
    both `DatabaseError`s with a one-line message that never shows a password.
    """
    progress = progress or NoProgress()
    if not is_postgres_url(target_url):
        raise MoveRefused("move-to copies into PostgreSQL: give a postgresql:// URL")
    source_path = Path(source_path)
    if not source_path.is_file():
        raise MoveRefused(f"there is no SQLite database at {source_path}")
    sqlite_steps = load_migrations(migrations_dir, "sqlite")
    postgres_steps = load_migrations(migrations_dir, "postgresql")
    known = sqlite_steps[-1].version if sqlite_steps else 0
    postgres_known = postgres_steps[-1].version if postgres_steps else 0
    seeds = await _seed_rows(migrations_dir)

    async with Database(source_path, migrations_dir=migrations_dir) as source:
        version = await source.schema_version()
        if version > known:
            raise MoveRefused(
                f"the database {source_path} is at schema version {version}, newer than this "
                f"StudyBot knows ({known}); upgrade StudyBot first; nothing was changed"
            )
        async with Database(target_url, migrations_dir=migrations_dir) as target:
            return await _checked_move(
                source, target, target_url, known, postgres_known, seeds, progress, batch_rows
            )


async def _checked_move(
    source: Database,
    target: Database,
    target_url: str,
    known: int,
    postgres_known: int,
    seeds: Snapshot,
    progress: Progress,
    batch_rows: int,
) -> MoveResult:
    """The target's checks, both migrations and the copy (both databases are open)."""
    label = redact(target_url)
    target_version = await target.schema_version()
    if target_version > postgres_known:
        raise MoveRefused(
            f"the target {label} is at schema version {target_version}, newer than this "
            f"StudyBot knows ({postgres_known}); nothing was changed"
        )
    async with target.transaction() as ttx:
        full = await _data_tables(ttx, [*seeds, *TARGET_BOOKKEEPING], seeds)
    if full:
        raise _not_empty(label, full)
    if postgres_known != known:
        raise MoveRefused(
            f"this StudyBot's PostgreSQL schema ends at version {postgres_known} but its "
            f"SQLite schema at {known}: move-to needs a release whose engines agree; "
            "nothing was changed"
        )

    await source.migrate()
    await target.migrate()
    try:
        tables = await _copy(source, target, target_url, seeds, progress, batch_rows)
    finally:
        progress.close()
    return MoveResult(source.label, label, known, tables)


async def _copy(
    source: Database,
    target: Database,
    url: str,
    seeds: Snapshot,
    progress: Progress,
    batch_rows: int,
) -> list[TableCopy]:
    """The one-transaction copy, with its checks; any failure is one `MoveFailed` line."""
    left_as = (
        "nothing was copied; the target keeps StudyBot's empty schema, so move-to can run "
        "again once the cause is fixed"
    )
    step = "reading the schemas"
    try:
        async with source.transaction() as stx, target.transaction() as ttx:
            sources = await _source_tables(stx)
            targets = await _target_tables(ttx)
            missing = [t.name for t in sources if t.name not in targets]
            if missing:
                raise MoveFailed(
                    f"the PostgreSQL schema has no table {', '.join(missing)}; {left_as}"
                )
            plans = {t.name: _plan(t, targets[t.name]) for t in sources}
            parents = {t.name: t.parents | targets[t.name].parents for t in sources}
            order = foreign_key_order(parents)
            names = [*order, *sorted(set(targets) & TARGET_BOOKKEEPING)]

            step = "locking the target's tables"
            await ttx.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            await ttx.execute(
                f"LOCK TABLE {', '.join(quote_name(n) for n in names)} IN ACCESS EXCLUSIVE MODE"
            )
            full = await _data_tables(ttx, names, seeds)
            if full:  # written by someone else since the check before the migrations
                raise MoveFailed(f"{', '.join(full)} on the target got rows meanwhile; {left_as}")
            for name in order:
                if targets[name].triggers:
                    await ttx.execute(f"ALTER TABLE {quote_name(name)} DISABLE TRIGGER USER")
            for name in reversed(order):  # the rows the migrations wrote give way to the copy
                await ttx.execute(f"DELETE FROM {quote_name(name)}")

            by_name = {t.name: t for t in sources}
            progress.start(sum(t.rows for t in sources))
            copied = []
            for name in order:
                step = f"copying {name}"
                progress.table(name)
                rows = await _copy_table(stx, ttx, by_name[name], plans[name], progress, batch_rows)
                copied.append(TableCopy(name, rows))

            step = "checking the row counts"
            for table in sources:
                arrived = int(
                    await ttx.fetch_value(f"SELECT COUNT(*) FROM {quote_name(table.name)}")
                )
                if arrived != table.rows:
                    raise MoveFailed(
                        f"{table.name} has {arrived} rows on PostgreSQL but {table.rows} in "
                        f"SQLite; {left_as}"
                    )
            step = "moving the id sequences on"
            for name in order:
                for column in targets[name].identity:
                    await ttx.execute(
                        "SELECT setval(pg_get_serial_sequence(CAST(? AS TEXT), CAST(? AS TEXT)), "
                        f"COALESCE(MAX({quote_name(column)}), 1), MAX({quote_name(column)}) "
                        f"IS NOT NULL) FROM {quote_name(name)}",
                        (quote_name(name), column),
                    )
                if targets[name].triggers:
                    await ttx.execute(f"ALTER TABLE {quote_name(name)} ENABLE TRIGGER USER")
            step = "committing"
    except DatabaseError:
        raise
    except Exception as exc:
        raise MoveFailed(f"{step} failed: {one_line(exc, url).rstrip('.')}; {left_as}") from None
    return copied


@dataclass(frozen=True)
class _Plan:
    columns: list[str]
    insert: str


def _plan(source: SourceTable, target: TargetTable) -> _Plan:
    """The columns to copy and the INSERT that writes them."""
    missing = [c for c in target.insertable if c not in source.columns]
    if missing:
        raise MoveFailed(
            f"the SQLite table {source.name} has no column {', '.join(missing)}, which "
            "PostgreSQL has; nothing was copied"
        )
    lost = [c for c in source.columns if c not in target.insertable and c not in source.generated]
    if lost:
        raise MoveFailed(
            f"the PostgreSQL table {target.name} has no column {', '.join(lost)}, which SQLite "
            "has; nothing was copied"
        )
    columns = list(target.insertable)
    overriding = " OVERRIDING SYSTEM VALUE" if target.always_identity else ""
    insert = (
        f"INSERT INTO {quote_name(target.name)} ({', '.join(map(quote_name, columns))})"
        f"{overriding} VALUES ({', '.join('?' for _ in columns)})"
    )
    return _Plan(columns, insert)


async def _copy_table(
    stx: Tx, ttx: Tx, table: SourceTable, plan: _Plan, progress: Progress, batch_rows: int
) -> int:
    """Copy one table in key order, a batch at a time (keyset paging: no OFFSET scans)."""
    key = table.key
    keys = ", ".join(map(quote_name, key)) if key != ["rowid"] else "rowid"
    select = (
        f"SELECT {keys}, {', '.join(map(quote_name, plan.columns))} FROM {quote_name(table.name)}"
    )
    row_value = f"({keys})" if len(key) > 1 else keys
    after = f"({', '.join('?' for _ in key)})" if len(key) > 1 else "?"
    last: tuple[Any, ...] | None = None
    copied = 0
    while True:
        if last is None:
            rows = await stx.fetch_all(f"{select} ORDER BY {keys} LIMIT ?", (batch_rows,))
        else:
            rows = await stx.fetch_all(
                f"{select} WHERE {row_value} > {after} ORDER BY {keys} LIMIT ?",
                (*last, batch_rows),
            )
        if not rows:
            return copied
        width = len(key)
        await ttx.executemany(plan.insert, [tuple(row)[width:] for row in rows])
        copied += len(rows)
        progress.advance(len(rows))
        last = tuple(rows[-1])[:width]
        if len(rows) < batch_rows:
            return copied


def _passwords(url: str) -> list[str]:
    """The password in a database URL, as written and decoded (empty when there is none)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return sorted({password, unquote(password)}, key=len, reverse=True) if password else []


def one_line(exc: BaseException, url: str = "") -> str:
    """An exception's message in one line, with the URL's password (if it shows) replaced."""
    text = " ".join((str(exc) or type(exc).__name__).split())
    for password in _passwords(url):
        text = text.replace(password, "***")
    return text


# -- pg_dump ---------------------------------------------------------------------------------

#: libpq connection parameters a URL's query may carry, and the variables that carry them.
LIBPQ_VARIABLES = {
    "host": "PGHOST",
    "hostaddr": "PGHOSTADDR",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "passfile": "PGPASSFILE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
    "options": "PGOPTIONS",
    "sslmode": "PGSSLMODE",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcrl": "PGSSLCRL",
    "sslnegotiation": "PGSSLNEGOTIATION",
    "target_session_attrs": "PGTARGETSESSIONATTRS",
    "krbsrvname": "PGKRBSRVNAME",
    "gssencmode": "PGGSSENCMODE",
}
PG_DUMP_HINT = (
    "this database is PostgreSQL and pg_dump is not installed: back it up with "
    "`pg_dump -Fc` from the PostgreSQL client tools (or your provider's backups)"
)


def pg_environment(
    url: str, base: dict[str, str] | None = None
) -> tuple[dict[str, str], str | None]:
    """libpq environment variables for a database URL, and the schema it names (search_path).

    The password travels in PGPASSWORD, never on a command line where `ps` would show it.
    """
    env = dict(os.environ if base is None else base)
    parts = urlsplit(url)
    if parts.hostname:
        env["PGHOST"] = parts.hostname
    if parts.port:
        env["PGPORT"] = str(parts.port)
    if parts.username:
        env["PGUSER"] = unquote(parts.username)
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    if parts.path.strip("/"):
        env["PGDATABASE"] = unquote(parts.path.strip("/"))
    schema = None
    options = []
    for key, value in parse_qsl(parts.query):
        if key in LIBPQ_VARIABLES:
            env[LIBPQ_VARIABLES[key]] = value
        elif key == "search_path":
            schema = value.split(",")[0].strip().strip('"')
        else:  # a server setting, as asyncpg passes them
            options.append(f"-c {key}={value}")
    if options:
        env["PGOPTIONS"] = " ".join([env.get("PGOPTIONS", ""), *options]).strip()
    env.setdefault("PGCONNECT_TIMEOUT", "5")
    return env, schema


def dump_postgres(url: str, destination: Path | str) -> int:
    """Back the PostgreSQL database up with `pg_dump -Fc` to `destination`; returns its size.

    Raises `DatabaseError` (one line, no password) when pg_dump is missing or fails.
    """
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DatabaseError(PG_DUMP_HINT)
    path = Path(destination)
    if path.is_dir():
        raise DatabaseError(f"{path} is a folder: give the backup file's name")
    path.parent.mkdir(parents=True, exist_ok=True)
    env, schema = pg_environment(url)
    # pg_dump writes a partial file when it fails; an older backup of the same name survives.
    partial = path.with_name(path.name + ".partial")
    command = [pg_dump, "--format=custom", "--no-password", f"--file={partial}"]
    if schema:
        command.append(f"--schema={schema}")
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise DatabaseError(f"pg_dump could not run: {exc}") from None
    if done.returncode != 0:
        with contextlib.suppress(OSError):
            partial.unlink()
        lines = [line for line in done.stderr.splitlines() if line.strip()] or ["no details"]
        first = lines[0].removeprefix("pg_dump: ").removeprefix("error: ")
        raise DatabaseError(f"pg_dump failed for {redact(url)}: {one_line(Exception(first), url)}")
    partial.replace(path)
    return path.stat().st_size
