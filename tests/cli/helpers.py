"""Running `python -m bot` as a user does, and local stand-ins for PostgreSQL servers that fail.

* `run_cli` / `run_cli_async`: the real entry point in a subprocess, in an empty folder with a
  clean environment (no `.env`, no inherited STUDYBOT_* settings).
* `PasswordRefusingServer`: speaks PostgreSQL's wire protocol far enough to ask for a cleartext
  password and refuse it as a real server does (SQLSTATE 28P01), recording what it was sent:
  the local server trusts every connection from 127.0.0.1, so a wrong password cannot be
  refused there.
* `SilentServer`: accepts connections and never answers, like a host behind a firewall that
  drops packets.
* `bad_database`: each kind of unusable database URL (with a password in it), ready to use.
* `table_rows` / `common_columns`: every row of a table on either engine, for comparisons.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.engines import ENABLE_HINT, PostgresServer, Target, is_postgres, query

ROOT = Path(__file__).resolve().parents[2]


def cli_env(tmp_path: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment for the CLI: PATH, HOME, the source tree, and `env`."""
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    return {**base, **(env or {})}


@dataclass
class CliResult:
    """What one run of the CLI printed and returned, and how long it took."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def error_lines(self) -> list[str]:
        """The non-empty lines on stderr."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_cli(args: list[str], tmp_path: Path, env: dict[str, str] | None = None) -> CliResult:
    """Run `python -m bot ARGS` in `tmp_path` and wait for it (at most a minute)."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=cli_env(tmp_path, env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return CliResult(args, done.returncode, done.stdout, done.stderr, time.monotonic() - started)


async def run_cli_async(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> CliResult:
    """`run_cli` without blocking the event loop (so local fake servers keep answering)."""
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=cli_env(tmp_path, env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return CliResult(args, proc.returncode, out.decode(), err.decode(), time.monotonic() - started)


# -- servers that fail -----------------------------------------------------------------------

SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


@dataclass
class PasswordRefusingServer:
    """A PostgreSQL look-alike on 127.0.0.1 that asks for a password and refuses it."""

    passwords: list[str] = field(default_factory=list)
    users: list[str] = field(default_factory=list)
    _server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> PasswordRefusingServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                (length,) = struct.unpack("!i", await reader.readexactly(4))
                body = await reader.readexactly(length - 4)
                (code,) = struct.unpack("!i", body[:4])
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    writer.write(b"N")  # no encryption here: go on in plain text
                    continue
                params = body[4:].split(b"\0")
                options = dict(zip(params[::2], params[1::2], strict=False))
                user = options.get(b"user", b"").decode()
                self.users.append(user)
                writer.write(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
                await writer.drain()
                kind = await reader.readexactly(1)
                (length,) = struct.unpack("!i", await reader.readexactly(4))
                password = await reader.readexactly(length - 4)
                assert kind == b"p"
                self.passwords.append(password.rstrip(b"\0").decode())
                fields = [
                    b"SFATAL",
                    b"VFATAL",
                    b"C28P01",
                    f'Mpassword authentication failed for user "{user}"'.encode(),
                ]
                payload = b"".join(f + b"\0" for f in fields) + b"\0"
                writer.write(b"E" + struct.pack("!i", len(payload) + 4) + payload)
                await writer.drain()
                break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@dataclass
class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word."""

    _server: asyncio.Server | None = None
    _held: list[asyncio.StreamWriter] = field(default_factory=list)

    @property
    def port(self) -> int:
        """The port it listens on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> SilentServer:
        async def hold(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self._held.append(writer)

        self._server = await asyncio.start_server(hold, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        for writer in self._held:
            writer.close()
        self._server.close()
        await self._server.wait_closed()


# -- databases that cannot be used ------------------------------------------------------------

#: The password in every URL of `bad_database`: it must never be printed or logged.
SECRET = "pw-Vx7-startup-secret"
#: The commands that open the database at start-up.
COMMANDS = ("run", "migrate", "move-to")
BAD_DATABASES = [
    "unreachable port",
    "no answer",
    "wrong password",
    "wrong database",
    "unreadable URL",
    "rejected option",
]


@dataclass(frozen=True)
class Case:
    """A URL that cannot be used, and what StudyBot must say about it."""

    url: str
    code: int  # 1: the database cannot be used; 2: the setting itself is unusable
    says: str


@asynccontextmanager
async def bad_database(name: str, postgres: PostgresServer | None) -> AsyncIterator[Case]:
    """Start whatever the case needs and yield its URL."""
    user = f"studybot:{SECRET}"
    if name == "unreachable port":
        yield Case(f"postgresql://{user}@127.0.0.1:1/studybot", 1, "Connect call failed")
    elif name == "no answer":
        async with SilentServer() as silent:
            url = f"postgresql://{user}@127.0.0.1:{silent.port}/studybot"
            yield Case(url, 1, "no answer within 5 s")
    elif name == "wrong password":
        async with PasswordRefusingServer() as server:
            url = f"postgresql://{user}@127.0.0.1:{server.port}/studybot"
            yield Case(url, 1, 'password authentication failed for user "studybot"')
            assert server.passwords and set(server.passwords) == {SECRET}  # it was really sent
    elif name == "wrong database":
        if postgres is None:
            pytest.skip(ENABLE_HINT)
        url = postgres.admin_url.replace(
            "postgresql://postgres@", f"postgresql://postgres:{SECRET}@"
        )
        url = url.rsplit("/", 1)[0] + "/no_such_database_here"
        yield Case(url, 1, 'database "no_such_database_here" does not exist')
    elif name == "unreadable URL":
        yield Case(f"postgresql://{user}@127.0.0.1:54x2/studybot", 2, "cannot be read")
    elif name == "rejected option":
        url = f"postgresql://{user}@127.0.0.1:1/studybot?sslmode=sometimes"
        yield Case(url, 1, "`sslmode` parameter must be one of")
    else:
        raise AssertionError(name)


async def run_command(
    command: str, url: str, tmp_path: Path, extra: dict[str, str] | None = None
) -> CliResult:
    """One command against the URL: `run` and `migrate` read it from STUDYBOT_DATABASE."""
    folder = tmp_path / command
    folder.mkdir(exist_ok=True)
    env = {"DISCORD_TOKEN": "not-used", "STUDYBOT_DATABASE": url, **(extra or {})}
    args = [command]
    if command == "move-to":
        source = folder / "studybot.db"
        sqlite3.connect(source).close()
        env["STUDYBOT_DATABASE"] = str(source)
        args.append(url)
    return await run_cli_async(args, folder, env)


# -- reading both engines ---------------------------------------------------------------------


def columns_of(target: Target, table: str) -> list[str]:
    """A table's columns, generated ones included, in their order."""
    if is_postgres(target):
        rows = query(
            target,
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [str(r[0]) for r in rows]
    with sqlite3.connect(target) as conn:
        rows = conn.execute(f'PRAGMA table_xinfo("{table}")').fetchall()
    conn.close()
    return [str(r[1]) for r in rows]


def tables_of(target: Target) -> list[str]:
    """The tables of a database (SQLite's own left out), sorted."""
    if is_postgres(target):
        sql = (
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    else:
        sql = (
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    return [str(r[0]) for r in query(target, sql)]


def table_rows(target: Target, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    """Every row of a table on the given columns, in a fixed order independent of the engine."""
    names = ", ".join(f'"{c}"' for c in columns)
    return sorted(query(target, f'SELECT {names} FROM "{table}"'), key=repr)


def snapshot(target: Target) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's every row (for "nothing changed" checks)."""
    return {t: table_rows(target, t, columns_of(target, t)) for t in tables_of(target)}
