"""SIGKILL the real bot process in the middle of a stream of /done: nothing acknowledged is lost.

The bot runs as `python -m bot run` in a subprocess, connected over loopback to the simulator
running in this test process, on either engine (an SQLite file, or a PostgreSQL schema). Many
members send /done at once; the bot is killed after a random number of replies, mid-stream.
Every /done whose reply reached the simulator must then be in the database, the SQLite file
must pass `PRAGMA integrity_check` (on both: no completion without its member), and the
counters must still agree with a recount (they move in the same transaction as the
completions).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.database import Database
from cogs.progress.repo import ProgressRepo
from roadmap.parser import load_roadmap
from tests.conftest import TOKEN, World
from tests.engines import Target, is_postgres, query
from tests.simulator import DiscordSimulator, InteractionResult, SimUser, bot_process_env

SECTIONS = [section.id for section in load_roadmap(None).sections]
MEMBERS = 40
WORKERS = 16


async def start_bot(
    sim: DiscordSimulator, database: Target, folder: Path
) -> asyncio.subprocess.Process:
    """`python -m bot run` pointed at the simulator; returns once it answers commands."""
    env = bot_process_env(sim, folder / "studybot.db", token=TOKEN)
    env["STUDYBOT_DATABASE"] = str(database)
    identifies = sim.identifies
    log = (folder / "bot.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=folder, env=env, stdout=log, stderr=log
    )
    log.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while sim.identifies == identifies or not any(
        command["name"] == "done" for command in sim.global_commands
    ):
        if process.returncode is not None or loop.time() > deadline:
            raise AssertionError(f"the bot did not start: {(folder / 'bot.log').read_text()}")
        await asyncio.sleep(0.05)
    await sim.flush()
    return process


async def stream_and_kill(
    sim: DiscordSimulator,
    world: World,
    members: list[SimUser],
    process: asyncio.subprocess.Process,
    rng: random.Random,
) -> list[tuple[SimUser, str, InteractionResult]]:
    """Members send /done concurrently; SIGKILL the bot after a random number of replies."""
    kill_after = rng.randrange(20, 120)
    answered = asyncio.Event()
    sent: list[tuple[SimUser, str, InteractionResult]] = []
    replies = 0
    killed = False

    async def member_stream(member: SimUser) -> None:
        nonlocal replies
        for section in rng.sample(SECTIONS, len(SECTIONS)):
            if killed:
                return
            res = await sim.invoke(world.guild, member, "done", {"section": section}, wait=False)
            sent.append((member, section, res))
            with contextlib.suppress(TimeoutError):
                await res.wait_settled(timeout=3)
            if res.response_type is not None:
                replies += 1
                if replies >= kill_after:
                    answered.set()

    workers = [asyncio.create_task(member_stream(m)) for m in rng.sample(members, WORKERS)]
    await asyncio.wait_for(answered.wait(), 60)
    await asyncio.sleep(rng.random() * 0.05)  # somewhere in the middle of the next writes
    process.send_signal(signal.SIGKILL)
    killed = True
    await process.wait()
    await asyncio.sleep(0.2)  # replies already on the wire still reach the simulator
    for worker in workers:
        worker.cancel()
    await asyncio.gather(*workers, return_exceptions=True)
    return sent


async def check_database(
    database: Target, guild_id: int, acknowledged: set[tuple[int, str]]
) -> set[tuple[int, str]]:
    """Integrity, every acknowledged /done present, counters equal to a recount."""
    if not is_postgres(database):
        with sqlite3.connect(database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.close()
    orphans = query(
        database,
        "SELECT COUNT(*) FROM progress_completions AS c WHERE NOT EXISTS ("
        "SELECT 1 FROM progress_members AS m "
        "WHERE m.guild_id = c.guild_id AND m.user_id = c.user_id)",
    )
    assert orphans == [(0,)]
    stored = {
        (int(user), str(section))
        for user, section in query(
            database,
            "SELECT user_id, section_id FROM progress_completions WHERE guild_id = ?",
            (guild_id,),
        )
    }
    lost = acknowledged - stored
    assert not lost, f"{len(lost)} acknowledged /done missing after SIGKILL: {sorted(lost)[:5]}"
    async with Database(database) as db:
        assert await ProgressRepo(db, SECTIONS).counter_problems() == []
    return stored


async def run_crashes(
    sim: DiscordSimulator, world: World, database: Target, folder: Path, rounds: int, seed: int
) -> None:
    members = [sim.add_member(world.guild, f"crash{n}") for n in range(MEMBERS)]
    rng = random.Random(seed)
    acknowledged: set[tuple[int, str]] = set()
    for _ in range(rounds):
        process = await start_bot(sim, database, folder)
        try:
            sent = await stream_and_kill(sim, world, members, process, rng)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        for member, section, res in sent:
            if res.response_type is not None:
                assert "Marked" in res.content or "already marked" in res.content, res.content
                acknowledged.add((member.id, section))
        assert acknowledged, "no /done was answered before the kill"
        await check_database(database, world.guild.id, acknowledged)

    # The bot comes back on the crashed file and serves what it holds.
    process = await start_bot(sim, database, folder)
    try:
        stored = await check_database(database, world.guild.id, acknowledged)
        board = await sim.invoke(world.guild, members[0], "progress", {})
        users = {user for user, _ in stored}
        assert f"{len(users)} on the board" in board.embeds[0]["footer"]["text"]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def test_sigkill_mid_stream_loses_no_acknowledged_done(
    sim: DiscordSimulator, world: World, database_target: Target, tmp_path: Path
) -> None:
    await run_crashes(sim, world, database_target, tmp_path, rounds=3, seed=1)


@pytest.mark.slow
async def test_sigkill_mid_stream_many_times(
    sim: DiscordSimulator, world: World, database_target: Target, tmp_path: Path
) -> None:
    await run_crashes(sim, world, database_target, tmp_path, rounds=12, seed=2)
