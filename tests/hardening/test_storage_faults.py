"""Storage faults: SIGKILL during mixed load, a database that goes away, unusable databases.

The bot runs as a user runs it (`python -m bot run` in a subprocess, against the simulator in
this process), on each engine. Members press /done and /paper vote, admins subscribe channels
to Kaggle, and a missed paper post is due at start-up; the process is killed with SIGKILL at a
random moment. After each restart every action whose reply reached Discord is stored (read back
through /privacy export), SQLite's `PRAGMA integrity_check` says ok (on PostgreSQL the server
has ended the killed process's sessions, rolling back what they had open), and no paper post
was sent twice. The CI profile kills the bot 3 times; `STUDYBOT_TEST_PROFILE=long` 20 times.

On PostgreSQL the database can also go away while the bot runs: its server connections are
ended under it (a server restart, a failover), or the server cannot be reached at all (a TCP hop
in this test drops every connection and refuses new ones). Commands then get the one clear
ephemeral error within Discord's 3 seconds, the bot stays connected and its scheduled work keeps
running, and once the server answers again the pool reconnects and commands work.

An SQLite file that cannot be written (a full disk, a read-only file), and a PostgreSQL
database that refuses writes, stop start-up with one line.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from bot.clock import db_time
from roadmap.parser import load_roadmap
from tests.conftest import BotHarness, ErrorLog, World
from tests.engines import Target, connect_postgres, is_postgres, query
from tests.fakes.arxiv import FakeArxiv
from tests.profile import scaled
from tests.simulator import (
    DiscordSimulator,
    SimChannel,
    SimGuild,
    SimUser,
    bot_process_env,
    use_simulator,
)

ROOT = Path(__file__).resolve().parents[2]
KILLS = scaled(3, 20)
MEMBERS = 12
SECTIONS = [s.id for s in load_roadmap().sections]
PAPER = "1706.03762"


def bot_env(
    sim: DiscordSimulator, arxiv: FakeArxiv, home: Path, database: Target
) -> dict[str, str]:
    """The environment of the bot process (at home in `home`), with the fake arXiv."""
    return bot_process_env(
        sim, home / "studybot.db", ARXIV_API_BASE=arxiv.base_url, STUDYBOT_DATABASE=str(database)
    )


async def start_bot(
    sim: DiscordSimulator, arxiv: FakeArxiv, home: Path, database: Target
) -> asyncio.subprocess.Process:
    """Start `python -m bot run` and wait until this new process is connected."""
    identified = sim.identifies
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=home,
        env=bot_env(sim, arxiv, home, database),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    for _ in range(3000):
        if sim.identifies > identified:
            break
        if proc.returncode is not None:  # it stopped at start-up: say why, at once
            assert proc.stderr is not None
            err = (await proc.stderr.read()).decode()
            raise AssertionError(f"the bot exited with {proc.returncode}: {err[-2000:]}")
        await asyncio.sleep(0.02)
    await sim.wait_for_bot(timeout=60, wait_for_sync=False)
    return proc


def exported(result: Any) -> set[str]:
    """Every string value in a /privacy export reply's JSON file."""
    document = json.loads(result.attachments[0][1].decode())
    found: set[str] = set()

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)
        elif node is not None:
            yield str(node)

    found.update(walk(document))
    return found


class Load:
    """Mixed member and admin actions; remembers the ones whose reply reached Discord."""

    def __init__(
        self, sim: DiscordSimulator, guild: SimGuild, members: list[SimUser], admin: SimUser,
        channels: list[SimChannel], seed: int,
    ) -> None:  # fmt: skip
        self.sim, self.guild, self.members, self.admin = sim, guild, members, admin
        self.channels = channels
        self.rng = random.Random(seed)
        self.done: dict[int, set[str]] = {m.id: set() for m in members}
        self.voted: set[int] = set()
        self.subscribed: set[int] = set()

    async def one(self) -> None:
        """Send one random action and record it if it was acknowledged."""
        kind = self.rng.choice(["done", "done", "done", "vote", "subscribe"])
        member = self.rng.choice(self.members)
        try:
            if kind == "done":
                section = self.rng.choice(SECTIONS)
                res = await self.sim.invoke(
                    self.guild, member, "done", {"section": section}, timeout=5
                )
                if "error code" not in res.text and section in res.text:
                    self.done[member.id].add(section)
            elif kind == "vote":
                res = await self.sim.invoke(
                    self.guild, member, "paper vote", {"paper": PAPER}, timeout=5
                )
                if "vote" in res.text.lower() and "error code" not in res.text:
                    self.voted.add(member.id)
            else:
                channel = self.rng.choice(self.channels)
                res = await self.sim.invoke(
                    self.guild,
                    self.admin,
                    "admin kaggle subscribe",
                    {"channel": channel},
                    timeout=5,
                )
                if "error code" not in res.text and res.ephemeral:
                    self.subscribed.add(channel.id)
        except (TimeoutError, ConnectionError, OSError):
            pass  # in flight when the process died: not acknowledged, nothing to check

    async def run(self, workers: int = 8) -> None:
        """Keep `workers` actions in flight until cancelled."""

        async def worker() -> None:
            while True:
                await self.one()

        await asyncio.gather(*(worker() for _ in range(workers)))


def due_schedule(database: Target, channel: SimChannel, guild: SimGuild, admin: SimUser) -> None:
    """A paper schedule whose occurrence was missed an hour ago: sent late at start-up."""
    now = datetime.now(UTC)
    missed = now - timedelta(hours=1)
    query(
        database,
        "INSERT INTO paper_schedules (guild_id, channel_id, weekday, at_time, timezone, "
        "role_id, created_by, active_since) VALUES (?, ?, ?, ?, 'UTC', NULL, ?, ?)",
        (guild.id, channel.id, missed.weekday(), f"{missed:%H:%M}", admin.id,
         db_time(now - timedelta(days=30))),
    )  # fmt: skip


def assert_consistent(database: Target) -> None:
    """SQLite: the file's integrity check. PostgreSQL: no session of a killed bot lingers."""
    if not is_postgres(database):
        [(verdict,)] = query(database, "PRAGMA integrity_check")
        assert verdict == "ok"
        return
    # The killed process's sockets are closed by the kernel; the server ends those sessions
    # and rolls back whatever they had open, so nothing holds a lock the next start needs.
    for _ in range(250):
        [(left,)] = query(
            database,
            "SELECT COUNT(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        if left == 0:
            return
        time.sleep(0.02)
    raise AssertionError(f"{left} server sessions of the killed bot are still open")


def paper_posts(sim: DiscordSimulator, channel: SimChannel) -> list[Any]:
    """Scheduled paper posts in a channel."""
    return [
        m
        for m in sim.messages_in(channel)
        if m.author_id == sim.bot_user.id and m.interaction_id is None and m.embeds
    ]


async def test_sigkill_during_mixed_load_loses_no_acknowledged_action(
    tmp_path: Path, database_target: Target
) -> None:
    database = database_target
    arxiv = FakeArxiv()
    await arxiv.start()
    async with DiscordSimulator(token="crash-token") as sim:
        with use_simulator(sim):
            guild = sim.add_guild("Study Group")
            papers = sim.add_channel(guild, "paper-club")
            kaggle_channels = [sim.add_channel(guild, f"kaggle-{n}") for n in range(4)]
            admin = sim.add_member(guild, "boss", admin=True)
            members = [sim.add_member(guild, f"member{n}") for n in range(MEMBERS)]
            load = Load(sim, guild, members, admin, kaggle_channels, seed=20261124)

            proc = await start_bot(sim, arxiv, tmp_path, database)
            res = await sim.invoke(guild, members[0], "paper suggest", {"paper": PAPER})
            assert "Attention Is All You Need" in res.text, res.text
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
            due_schedule(database, papers, guild, admin)

            rng = random.Random(7)
            for _ in range(KILLS):
                proc = await start_bot(sim, arxiv, tmp_path, database)
                stream = asyncio.create_task(load.run())
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                stream.cancel()
                await asyncio.gather(stream, return_exceptions=True)
                assert_consistent(database)

            proc = await start_bot(sim, arxiv, tmp_path, database)
            try:
                acknowledged = sum(len(s) for s in load.done.values())
                assert acknowledged > 0, "the load never got an answer before the kill"
                for member in members:
                    data = exported(await sim.invoke(guild, member, "privacy export", {}))
                    missing = load.done[member.id] - data
                    assert not missing, f"{member.name} lost acknowledged /done {missing}"
                    if member.id in load.voted:
                        assert PAPER in data, f"{member.name} lost an acknowledged vote"
                admin_data = exported(await sim.invoke(guild, admin, "privacy export", {}))
                for channel_id in load.subscribed:
                    assert str(channel_id) in admin_data, "an acknowledged subscription was lost"
                assert len(paper_posts(sim, papers)) <= 1, "the late paper post was sent twice"
            finally:
                proc.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(proc.communicate(), 60)
            assert proc.returncode == 0, err.decode()[-2000:]
            assert "Traceback" not in err.decode()
    await arxiv.stop()
    assert_consistent(database)


def run_offline(
    database: Path | str, home: Path | None = None, **popen: Any
) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` with a token, the given database and no Discord to reach."""
    home = home or Path(database).parent
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=home, capture_output=True,
        text=True, timeout=60,
        # No bytecode is written: under a file-size limit it would be cut short, and the
        # truncated .pyc would break every later import of that module.
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(home),
             "PYTHONDONTWRITEBYTECODE": "1",
             "DISCORD_TOKEN": "x", "STUDYBOT_DATABASE": str(database),
             "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10", "STUDYBOT_LOG_LEVEL": "WARNING"},
        **popen,
    )  # fmt: skip


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    """Exit 1 with one line on stderr that names the problem, and no traceback."""
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert any(word in lines[0] for word in words), lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.sqlite_only
def test_full_disk_at_start_up_is_one_line(tmp_path: Path) -> None:
    def small_disk() -> None:
        # A 48 KiB file-size limit: the schema does not fit, as on a full disk.
        resource.setrlimit(resource.RLIMIT_FSIZE, (48 * 1024, 48 * 1024))

    result = run_offline(tmp_path / "studybot.db", preexec_fn=small_disk)
    assert_one_line(result, "disk is full", "disk I/O error")


@pytest.mark.sqlite_only
def test_read_only_database_at_start_up_is_one_line(tmp_path: Path) -> None:
    database = tmp_path / "studybot.db"
    sqlite3.connect(database).close()
    if subprocess.run(["chattr", "+i", str(database)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not permitted on this file system")
    try:
        result = run_offline(database)
    finally:
        subprocess.run(["chattr", "-i", str(database)], check=True)
    assert_one_line(result, "readonly", "read-only")


@pytest.mark.postgres_only
def test_a_database_refusing_writes_at_start_up_is_one_line(
    tmp_path: Path, database_target: Target
) -> None:
    # Every transaction read-only (a hot standby, a revoked grant): the schema cannot be made.
    read_only = f"{database_target}&default_transaction_read_only=on"
    result = run_offline(read_only, home=tmp_path)
    assert_one_line(result, "read-only")
    assert query(
        database_target, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
    ) == [(0,)]


# -- the PostgreSQL server goes away while the bot runs --------------------------------------

SERVER_ERROR = "Something went wrong on StudyBot's side"
#: Discord's window for the first answer to an interaction.
ANSWER_WINDOW = 3.0


class FlakyHop:
    """A TCP hop between the bot and the PostgreSQL server that can drop out and come back.

    `cut()` severs every connection through it and refuses new ones, as an unreachable server
    does; `mend()` listens again on the same port.
    """

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = upstream
        self.host, self.upstream_port = parts.hostname or "127.0.0.1", parts.port or 5432
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()
        self.connections = 0

    @property
    def url(self) -> str:
        """The upstream URL with this hop in place of the server."""
        parts = urlsplit(self.upstream)
        netloc = parts.netloc.rsplit("@", 1)
        user = netloc[0] + "@" if len(netloc) == 2 else ""
        return urlunsplit(parts._replace(netloc=f"{user}127.0.0.1:{self.port}"))

    async def mend(self) -> None:
        """Listen (again) and forward every connection to the server."""
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Refuse new connections and sever every open one."""
        if self.server is not None:
            self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()
        if self.server is not None:
            await self.server.wait_closed()
            self.server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self.writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers.discard(writer)
        self.writers.discard(up_writer)


def completed(database: Target, guild_id: int, user_id: int) -> set[str]:
    """The sections a member has finished, read straight from the server."""
    rows = query(
        database,
        "SELECT section_id FROM progress_completions WHERE guild_id = ? AND user_id = ?",
        (guild_id, user_id),
    )
    return {str(section) for (section,) in rows}


def assert_server_error(res: Any) -> None:
    """The one clear ephemeral error, within Discord's window."""
    assert res.ephemeral, res
    assert res.text.startswith(SERVER_ERROR) and "error code" in res.text, res.text
    assert res.acked_after is not None and res.acked_after < ANSWER_WINDOW, res.acked_after


def server_sessions(database: Target) -> list[int]:
    """The process ids of every other session on this test run's database."""
    rows = query(
        database,
        "SELECT pid FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    return [int(pid) for (pid,) in rows]


@pytest.mark.postgres_only
async def test_sessions_ended_under_the_bot_fail_one_command_and_the_pool_reconnects(
    harness: BotHarness, world: World, sim: DiscordSimulator, database_target: Target,
    error_log: ErrorLog,
) -> None:  # fmt: skip
    bot = await harness.start()
    g, alice, bob = world.guild, world.alice, world.bob
    res = await sim.invoke(g, alice, "done", {"section": "1.1"})
    assert "1.1" in res.text and SERVER_ERROR not in res.text, res.text

    # Hold every table so the next /done waits inside the server, then end the bot's sessions
    # (what a server restart or a failover does to a connected client).
    tables = [name for (name,) in query(
        database_target, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )]  # fmt: skip
    blocker = connect_postgres(str(database_target), autocommit=False)
    try:
        # Off the event loop: the lock waits for the bot's open transactions to finish.
        lock = f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"
        await asyncio.to_thread(blocker.execute, lock)
        pressed = asyncio.create_task(sim.invoke(g, bob, "done", {"section": "2.1"}))
        waiting: list[int] = []
        for _ in range(200):
            waiting = [pid for (pid,) in query(
                database_target,
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
            )]  # fmt: skip
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert waiting, "the /done never reached the server"
        mine = blocker.execute("SELECT pg_backend_pid()").fetchone()[0]
        ended = [pid for pid in server_sessions(database_target) if pid != mine]
        query(
            database_target,
            "SELECT pg_terminate_backend(pid) FROM unnest(?::int[]) AS pid",
            (ended,),
        )
    finally:
        blocker.rollback()
        blocker.close()
    res = await pressed
    if SERVER_ERROR in res.text:
        assert_server_error(res)
        assert "2.1" not in completed(database_target, g.id, bob.id), "an error reply, but stored"
        assert any(r.name.startswith("bot") for r in error_log.records), (
            "the failure was not logged"
        )
    else:  # retried on a fresh connection: then it must really be stored
        assert "2.1" in res.text, res.text
        assert "2.1" in completed(database_target, g.id, bob.id)

    # The pool replaces the ended connections: every command works again, nothing was lost.
    res = await sim.invoke(g, bob, "done", {"section": "2.2"})
    assert "2.2" in res.text and SERVER_ERROR not in res.text, res.text
    res = await sim.invoke(g, alice, "done", {"section": "1.2"})
    assert SERVER_ERROR not in res.text, res.text
    board = await sim.invoke(g, alice, "progress", {})
    assert "Alice" in board.text and "Bob" in board.text, board.text
    assert completed(database_target, g.id, alice.id) == {"1.1", "1.2"}
    assert {"2.2"} <= completed(database_target, g.id, bob.id)
    assert bot.is_ready() and not bot.is_closed()


@pytest.mark.postgres_only
async def test_an_unreachable_server_is_a_clear_error_and_the_bot_recovers(
    harness: BotHarness, world: World, sim: DiscordSimulator, database_target: Target,
) -> None:  # fmt: skip
    hop = FlakyHop(str(database_target))
    await hop.mend()
    harness.settings = harness.settings.model_copy(update={"database": hop.url})
    try:
        bot = await harness.start()
        assert hop.connections > 0, "the bot does not go through the hop"
        g, alice, bob = world.guild, world.alice, world.bob
        res = await sim.invoke(g, alice, "done", {"section": "1.1"})
        assert "1.1" in res.text and SERVER_ERROR not in res.text, res.text
        identifies = sim.identifies

        await hop.cut()
        for section in ("2.1", "2.2"):  # not just the first: every try while it is away
            assert_server_error(await sim.invoke(g, bob, "done", {"section": section}))
        # The bot itself keeps going: what needs no database answers, the gateway stays up,
        # and the scheduled work runs (its failures logged) and is armed again.
        res = await sim.invoke(g, alice, "help", {})
        assert "/help" in res.text and SERVER_ERROR not in res.text
        await asyncio.wait_for(bot.agenda.run_now(), 10)
        assert bot.agenda.armed_for is not None
        assert bot.is_ready() and not bot.is_closed()
        assert sim.identifies == identifies, "the bot reconnected to Discord"
        assert completed(database_target, g.id, bob.id) == set()

        await hop.mend()
        res = await sim.invoke(g, bob, "done", {"section": "2.1"})
        assert "2.1" in res.text and SERVER_ERROR not in res.text, res.text
        board = await sim.invoke(g, bob, "progress", {})
        assert "Alice" in board.text and "Bob" in board.text, board.text
        await asyncio.wait_for(bot.agenda.run_now(), 10)
        assert completed(database_target, g.id, bob.id) == {"2.1"}
        assert completed(database_target, g.id, alice.id) == {"1.1"}
    finally:
        await harness.stop()
        await hop.cut()
