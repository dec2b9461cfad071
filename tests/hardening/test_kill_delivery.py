"""SIGKILL the real bot process at every step of a paper post's delivery, then restart it: each
time the channel ends up with exactly one post and one thread. And SIGTERM in the middle of a
fan-out: posts in flight finish, the rest go out after the restart, none twice, none lost.

The bot runs as `python -m bot run` against the simulator in this test process, on the real
clock, with the database under test named in its environment (an SQLite file or a PostgreSQL
schema): the schedule rows are written straight into the database with their next occurrence
due a moment ago, as the bot itself leaves them when a week's time comes.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from bot.clock import db_time
from bot.database import Database
from tests.conftest import TOKEN, World
from tests.engines import Target, query
from tests.simulator import DiscordSimulator, SimChannel, bot_process_env

MESSAGES = r"^/channels/{channel}/messages$"
THREADS = r"^/channels/{channel}/messages/\d+/threads$"


@dataclass(frozen=True)
class Deployment:
    """Where the bot process keeps its data (the engine under test) and its files."""

    target: Target
    folder: Path

    @property
    def log(self) -> Path:
        """The bot process's output."""
        return self.folder / "bot.log"


@pytest.fixture
def deployment(database_target: Target, tmp_path: Path) -> Deployment:
    """The database under test and a folder for the bot process."""
    return Deployment(database_target, tmp_path)


async def due_schedules(where: Deployment, channels: list[SimChannel], admin_id: int) -> None:
    """Weekly paper schedules for `channels`, each due a few seconds ago (UTC, today)."""
    async with Database(where.target) as db:
        await db.migrate()
    now = datetime.now(UTC).replace(microsecond=0)
    due = now - timedelta(seconds=5)
    for channel in channels:
        assert channel.guild_id is not None
        query(
            where.target,
            "INSERT INTO paper_schedules (guild_id, channel_id, weekday, at_time, timezone, "
            "created_by, active_since, next_due_utc) VALUES (?, ?, ?, ?, 'UTC', ?, ?, ?)",
            (
                channel.guild_id,
                channel.id,
                due.weekday(),
                due.strftime("%H:%M"),
                admin_id,
                db_time(now - timedelta(days=1)),
                db_time(due),
            ),
        )


async def start_bot(sim: DiscordSimulator, where: Deployment) -> asyncio.subprocess.Process:
    """`python -m bot run` pointed at the simulator; returns once it is connected."""
    env = bot_process_env(
        sim, where.folder / "studybot.db", token=TOKEN, STUDYBOT_DATABASE=str(where.target)
    )
    identifies = sim.identifies
    log = where.log.open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=where.folder, env=env, stdout=log, stderr=log
    )
    log.close()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while sim.identifies == identifies:
        if process.returncode is not None or loop.time() > deadline:
            raise AssertionError(f"the bot did not start: {where.log.read_text()}")
        await asyncio.sleep(0.05)
    return process


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    """Signal the bot and wait for it to exit."""
    if process.returncode is None:
        process.send_signal(sig)
    try:
        await asyncio.wait_for(process.wait(), 30)
    except TimeoutError:
        process.kill()
        await process.wait()


def posts_in(sim: DiscordSimulator, channel: SimChannel) -> list[object]:
    """The bot's scheduled posts in a channel."""
    return [
        m
        for m in sim.messages_in(channel)
        if m.author_id == sim.bot_user.id and m.interaction_id is None and m.embeds
    ]


async def wait_for_posts(
    sim: DiscordSimulator, channels: list[SimChannel], where: Deployment, timeout: float = 60
) -> None:
    """Wait until every channel has a post and the outbox has nothing unconfirmed."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        [(open_rows,)] = query(
            where.target, "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sent')"
        )
        if open_rows == 0 and all(posts_in(sim, channel) for channel in channels):
            return
        if loop.time() > deadline:
            raise AssertionError(f"{open_rows} posts unconfirmed: {where.log.read_text()[-3000:]}")
        await asyncio.sleep(0.1)


def exactly_one_post_and_thread(
    sim: DiscordSimulator, channel: SimChannel, where: Deployment
) -> None:
    """One post, one thread on it, both recorded."""
    posts = posts_in(sim, channel)
    assert len(posts) == 1, f"{len(posts)} posts in #{channel.name}"
    threads = [t for t in sim.threads if t.parent_id == channel.id]
    assert len(threads) == 1, f"{len(threads)} threads in #{channel.name}"
    rows = query(
        where.target,
        "SELECT status, message_id, thread_id FROM paper_posts WHERE channel_id = ?",
        (channel.id,),
    )
    assert rows == [("posted", posts[0].id, threads[0].id)]  # type: ignore[attr-defined]


STEPS = [
    # (request held, held before or after Discord handled it)
    pytest.param(MESSAGES, "before", id="claimed-message-never-reached-discord"),
    pytest.param(MESSAGES, "after", id="message-created-answer-lost"),
    pytest.param(THREADS, "before", id="after-the-message-before-the-thread"),
    pytest.param(THREADS, "after", id="thread-created-before-the-record"),
]


@pytest.mark.parametrize(("route", "when"), STEPS)
async def test_sigkill_at_every_step_still_posts_exactly_once(
    sim: DiscordSimulator,
    world: World,
    deployment: Deployment,
    route: str,
    when: Literal["before", "after"],
) -> None:
    await due_schedules(deployment, [world.papers], world.admin.id)
    held = sim.hold("POST", route.format(channel=world.papers.id), when=when)
    process = await start_bot(sim, deployment)
    try:
        await asyncio.wait_for(held.arrived.wait(), 60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        held.release()
    finally:
        await stop(process, signal.SIGKILL)

    process = await start_bot(sim, deployment)
    try:
        await wait_for_posts(sim, [world.papers], deployment)
        exactly_one_post_and_thread(sim, world.papers, deployment)
    finally:
        await stop(process)


async def test_sigterm_mid_fan_out_drains_and_the_rest_follow_after_restart(
    sim: DiscordSimulator, world: World, deployment: Deployment
) -> None:
    # One channel in each of 30 servers (a server has only so many reading-list papers).
    channels = [sim.add_channel(sim.add_guild(f"Club {n}"), f"club-{n}") for n in range(30)]
    await due_schedules(deployment, channels, world.admin.id)
    # The fan-out is mid-way when the sixth post reaches Discord; more posts are due than go
    # out at once, so some have not started when SIGTERM comes.
    held = sim.hold("POST", MESSAGES.format(channel=channels[5].id), when="after")
    process = await start_bot(sim, deployment)
    try:
        await asyncio.wait_for(held.arrived.wait(), 60)
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        held.release()  # the post in flight finishes while the bot drains
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        await stop(process, signal.SIGKILL)
    assert posts_in(sim, channels[5]), "the post in flight at SIGTERM was not finished"
    assert not all(posts_in(sim, channel) for channel in channels), "SIGTERM came too late"

    process = await start_bot(sim, deployment)
    try:
        await wait_for_posts(sim, channels, deployment)
    finally:
        await stop(process)
    for channel in channels:
        exactly_one_post_and_thread(sim, channel, deployment)
