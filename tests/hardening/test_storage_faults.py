"""Storage faults: SIGKILL at random points during mixed load, and unusable database files.

The bot runs as a user runs it (`python -m bot run` in a subprocess, against the simulator in
this process). Members press /done and /paper vote, admins subscribe channels to Kaggle, and a
missed paper post is due at start-up; the process is killed with SIGKILL at a random moment.
After each restart every action whose reply reached Discord is on disk (read back through
/privacy export), `PRAGMA integrity_check` says ok, and no paper post was sent twice. The CI
profile kills the bot 3 times; `STUDYBOT_TEST_PROFILE=long` 20 times.
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
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from roadmap.parser import load_roadmap
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


def bot_env(sim: DiscordSimulator, arxiv: FakeArxiv, database: Path) -> dict[str, str]:
    """The environment of the bot process, with the fake arXiv."""
    return bot_process_env(sim, database, ARXIV_API_BASE=arxiv.base_url)


async def start_bot(
    sim: DiscordSimulator, arxiv: FakeArxiv, database: Path
) -> asyncio.subprocess.Process:
    """Start `python -m bot run` and wait until this new process is connected."""
    identified = sim.identifies
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=database.parent,
        env=bot_env(sim, arxiv, database),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    for _ in range(3000):
        if sim.identifies > identified:
            break
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


def due_schedule(database: Path, channel: SimChannel, guild: SimGuild, admin: SimUser) -> None:
    """A paper schedule whose occurrence was missed an hour ago: sent late at start-up."""
    now = datetime.now(UTC)
    missed = now - timedelta(hours=1)
    with sqlite3.connect(database) as conn:
        conn.execute(
            "INSERT INTO paper_schedules (guild_id, channel_id, weekday, at_time, timezone, "
            "role_id, created_by, active_since) VALUES (?, ?, ?, ?, 'UTC', NULL, ?, ?)",
            (guild.id, channel.id, missed.weekday(), f"{missed:%H:%M}", admin.id,
             (now - timedelta(days=30)).isoformat()),
        )  # fmt: skip


def paper_posts(sim: DiscordSimulator, channel: SimChannel) -> list[Any]:
    """Scheduled paper posts in a channel."""
    return [
        m
        for m in sim.messages_in(channel)
        if m.author_id == sim.bot_user.id and m.interaction_id is None and m.embeds
    ]


async def test_sigkill_during_mixed_load_loses_no_acknowledged_action(tmp_path: Path) -> None:
    database = tmp_path / "studybot.db"
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

            proc = await start_bot(sim, arxiv, database)
            res = await sim.invoke(guild, members[0], "paper suggest", {"paper": PAPER})
            assert "Attention Is All You Need" in res.text, res.text
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
            due_schedule(database, papers, guild, admin)

            rng = random.Random(7)
            for _ in range(KILLS):
                proc = await start_bot(sim, arxiv, database)
                stream = asyncio.create_task(load.run())
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                proc.send_signal(signal.SIGKILL)
                await proc.wait()
                stream.cancel()
                await asyncio.gather(stream, return_exceptions=True)
                with sqlite3.connect(database) as conn:
                    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

            proc = await start_bot(sim, arxiv, database)
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
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def run_offline(database: Path, **popen: Any) -> subprocess.CompletedProcess[str]:
    """`python -m bot run` with a token, the given database and no Discord to reach."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=database.parent, capture_output=True,
        text=True, timeout=60,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(database.parent),
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


def test_full_disk_at_start_up_is_one_line(tmp_path: Path) -> None:
    def small_disk() -> None:
        # A 48 KiB file-size limit: the schema does not fit, as on a full disk.
        resource.setrlimit(resource.RLIMIT_FSIZE, (48 * 1024, 48 * 1024))

    result = run_offline(tmp_path / "studybot.db", preexec_fn=small_disk)
    assert_one_line(result, "disk is full", "disk I/O error")


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
