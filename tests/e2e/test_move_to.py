"""A study server on SQLite moves to PostgreSQL and sees the same boards, queue and schedules.

The real bot runs on an SQLite file; members finish sections, suggest and vote on papers, an
admin schedules the paper club and subscribes a channel to Kaggle. The bot stops, `studybot
move-to` (the real command line, in a subprocess) copies the file into an empty PostgreSQL
schema, and the bot starts again on PostgreSQL: every command answers as before, and new
writes get fresh ids.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import BotHarness, World
from tests.engines import Target, query
from tests.simulator import DiscordSimulator

pytestmark = pytest.mark.postgres_only

ROOT = Path(__file__).resolve().parents[2]
VIEWS = (
    ("alice", "progress", {"period": "all"}),
    ("alice", "progress", {"period": "week"}),
    ("bob", "rank", {}),
    ("alice", "topic", {"section": "1.1"}),
    ("alice", "who", {"section": "1.1"}),
    ("alice", "paper queue", {}),
    ("admin", "admin status", {}),
)


async def screens(sim: DiscordSimulator, world: World) -> dict[str, str]:
    """What each member sees for the read-only commands, as text."""
    members = {"alice": world.alice, "bob": world.bob, "admin": world.admin}
    seen = {}
    for who, command, options in VIEWS:
        res = await sim.invoke(world.guild, members[who], command, dict(options))
        seen[f"{who} /{command} {options}"] = res.text
    return seen


def move(source: Path, target: str) -> subprocess.CompletedProcess[str]:
    """Run `studybot move-to URL` as a newcomer would, on the SQLite file."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(source.parent),
        "PYTHONPATH": str(ROOT),
        "STUDYBOT_DATABASE": str(source),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "move-to", target],
        cwd=source.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_server_moved_to_postgresql_sees_the_same_boards_queue_and_schedules(
    harness: BotHarness,
    sim: DiscordSimulator,
    world: World,
    settings: Settings,
    database_target: Target,
    tmp_path: Path,
) -> None:
    assert isinstance(database_target, str)  # postgres_only: an empty PostgreSQL schema
    source = tmp_path / "studybot.db"
    harness.settings = settings.model_copy(update={"database": source})
    await harness.start()
    for member, section in (
        (world.alice, "1.1"),
        (world.alice, "1.2"),
        (world.alice, "4.5"),
        (world.bob, "1.1"),
        (world.carol, "2.1"),
    ):
        guild = world.other_guild if member is world.carol else world.guild
        res = await sim.invoke(guild, member, "done", {"section": section})
        assert "Marked" in res.content, res.content
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    assert "#1 in the queue" in res.text, res.text
    res = await sim.invoke(world.guild, world.bob, "paper suggest", {"paper": "1810.04805"})
    assert "#2 in the queue" in res.text, res.text
    await sim.invoke(world.guild, world.alice, "paper vote", {"paper": "1810.04805"})
    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin paper schedule",
        {"channel": world.papers, "weekday": 1, "time": "18:00", "timezone": "Europe/Berlin"},
    )
    assert "paper of the week goes to" in res.content, res.content
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral, res.content
    before = await screens(sim, world)
    await harness.stop()

    moved = move(source, database_target)
    assert moved.returncode == 0, moved.stderr
    assert "Traceback" not in moved.stderr

    harness.settings = settings.model_copy(update={"database": database_target})
    await harness.start()
    after = await screens(sim, world)
    assert after == before
    assert "Alice" in before["alice /progress {'period': 'all'}"]
    assert "Attention Is All You Need" in before["alice /paper queue {}"]
    status = before["admin /admin status {}"]
    assert f"<#{world.papers.id}>" in status and f"<#{world.kaggle.id}>" in status, status

    # The moved database takes new writes, with fresh ids where the engine makes them.
    res = await sim.invoke(world.guild, world.bob, "done", {"section": "4.5"})
    assert "Marked" in res.content
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1512.03385"})
    assert "#3 in the queue" in res.text, res.text
    ids = query(database_target, "SELECT id FROM paper_queue ORDER BY id")
    assert len(ids) == len(set(ids)) == 3
    assert query(
        database_target,
        "SELECT COUNT(*) FROM progress_completions WHERE guild_id = ?",
        (world.guild.id,),
    ) == [(5,)]
    # And the SQLite file was left as it was, for the admin to keep until they are happy.
    assert query(source, "SELECT COUNT(*) FROM progress_completions") == [(5,)]
