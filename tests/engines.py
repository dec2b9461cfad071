"""Both storage engines for the tests: an SQLite file, or a fresh schema on a PostgreSQL server.

Every test that touches the database runs twice, once per engine, through the `engine` and
`database_target` fixtures (tests/conftest.py). The PostgreSQL half needs a server:

* `STUDYBOT_TEST_POSTGRES=postgresql://user@host:port/db` names one (trust or password auth);
* without it, the local server at 127.0.0.1:5432 is tried (user `postgres`);
* when neither answers, the PostgreSQL half is skipped with one line saying how to enable it,
  unless `STUDYBOT_TEST_REQUIRE_POSTGRES=1` (set by `.ci/run`), where it fails the run.

Each test run creates its own database on that server (dropped at the end) and each test its
own schema in it, so no test sees another's rows. `query` reads either engine synchronously
(plain sqlite3, or psycopg), for assertions about what is stored.
"""

from __future__ import annotations

import os
import re
import sqlite3
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ENABLE_HINT = (
    "PostgreSQL half skipped: no server answered; set "
    "STUDYBOT_TEST_POSTGRES=postgresql://user@host:5432/dbname to run it"
)

Target = Path | str


def require_postgres() -> bool:
    """Whether a missing PostgreSQL server fails the run (CI) instead of skipping its half."""
    return os.environ.get("STUDYBOT_TEST_REQUIRE_POSTGRES", "") not in ("", "0")


def with_database(url: str, dbname: str) -> str:
    """The same server URL, naming another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + dbname))


def with_schema(url: str, schema: str) -> str:
    """The URL with `search_path` set to one schema (asyncpg passes it as a server setting)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    query.append(("search_path", schema))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _psycopg_conninfo(url: str) -> tuple[str, str | None]:
    """A libpq URL without our `search_path` parameter, and that schema."""
    parts = urlsplit(url)
    schema = None
    query = []
    for key, value in parse_qsl(parts.query):
        if key == "search_path":
            schema = value
        else:
            query.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(query))), schema


def connect_postgres(url: str, autocommit: bool = True) -> Any:
    """A psycopg connection to the URL, on its schema when it names one."""
    import psycopg

    conninfo, schema = _psycopg_conninfo(url)
    conn = psycopg.connect(conninfo, autocommit=autocommit, connect_timeout=3)
    if schema:
        conn.execute(f'SET search_path TO "{schema}"')
    return conn


_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?")


def _to_psycopg(sql: str) -> str:
    # psycopg reads every `%` as the start of a placeholder, quoted or not (LIKE 'a%').
    sql = sql.replace("%", "%%")
    return _PLACEHOLDER.sub(lambda m: "%s" if m.group(0) == "?" else m.group(0), sql)


def query(target: Target, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement against either engine, outside the bot, and return its rows."""
    if isinstance(target, str) and target.startswith(("postgresql://", "postgres://")):
        with connect_postgres(target) as conn:
            cursor = conn.execute(_to_psycopg(sql), tuple(params))
            return [tuple(row) for row in cursor.fetchall()] if cursor.description else []
    with sqlite3.connect(target) as conn:
        rows = conn.execute(sql, tuple(params)).fetchall()
    conn.close()
    return [tuple(row) for row in rows]


def is_postgres(target: Target) -> bool:
    """Whether a target names a PostgreSQL database."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


@dataclass
class PostgresServer:
    """A database of this test run's own on a PostgreSQL server, with a schema per test."""

    admin_url: str
    run_url: str
    run_db: str

    @classmethod
    def start(cls) -> PostgresServer | None:
        """Create this run's database, or None when no server answers."""
        admin_url = os.environ.get("STUDYBOT_TEST_POSTGRES") or DEFAULT_SERVER
        run_db = f"studybot_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        try:
            with connect_postgres(admin_url) as conn:
                conn.execute(f'CREATE DATABASE "{run_db}"')
        except Exception as exc:
            if os.environ.get("STUDYBOT_TEST_POSTGRES") or require_postgres():
                raise RuntimeError(f"PostgreSQL at {admin_url} is not usable: {exc}") from exc
            return None
        return cls(admin_url, with_database(admin_url, run_db), run_db)

    def new_schema(self) -> str:
        """A fresh, empty schema for one test; returns its URL."""
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with connect_postgres(self.run_url) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
        return with_schema(self.run_url, schema)

    def drop_schema(self, url: str) -> None:
        """Drop one test's schema and everything in it."""
        _, schema = _psycopg_conninfo(url)
        with connect_postgres(self.run_url) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')

    def new_database(self) -> str:
        """A fresh, empty database on the server (for tests about whole databases)."""
        name = f"{self.run_db}_{uuid.uuid4().hex[:6]}"
        with connect_postgres(self.admin_url) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return with_database(self.admin_url, name)

    def drop_database(self, url: str) -> None:
        """Drop a database made by `new_database` (or this run's own)."""
        name = urlsplit(url).path.strip("/")
        with connect_postgres(self.admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Drop this run's database."""
        self.drop_database(self.run_url)
