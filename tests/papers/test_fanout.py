"""Many posts due at once: exactly once under concurrent runs, paced, without quadratic costs."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import discord

from bot.client import amortize_ratelimit_sweep
from bot.clock import FakeClock
from tests.conftest import BotHarness, World
from tests.papers.conftest import bot_posts, paper_club, schedule_posts
from tests.simulator import DiscordSimulator

DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


async def test_concurrent_runs_and_wakes_post_each_occurrence_once(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    channels = [world.papers, *(sim.add_channel(world.guild, f"club-{n}") for n in range(3))]
    for channel in channels:
        await schedule_posts(sim, world.guild, world.admin, channel)
    clock.set(DUE)
    await asyncio.gather(
        cog.run_due(),
        cog.run_due(),
        bot.agenda.run_now(),
        bot.outbox.run(),
    )
    assert [len(bot_posts(sim, channel)) for channel in channels] == [1, 1, 1, 1]
    # One server, four channels: four different papers, none posted twice.
    titles = {bot_posts(sim, channel)[0].embeds[0]["title"] for channel in channels}
    assert len(titles) == 4


async def test_a_fan_out_is_paced_by_the_one_rate_budget(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    channels = [sim.add_channel(world.guild, f"club-{n}") for n in range(10)]
    for channel in channels:
        await schedule_posts(sim, world.guild, world.admin, channel)
    clock.set(DUE)
    taken = bot.budget.taken
    started = time.perf_counter()
    assert (await cog.run_due()).posted == 10
    elapsed = time.perf_counter() - started
    # 20 requests (a message and a thread each) through the budget: after its burst, one per
    # 1/rate seconds.
    assert bot.budget.taken - taken == 20
    assert elapsed >= (20 - bot.budget.burst) / bot.budget.rate
    assert sim.rate_limited == []  # paced under Discord's limits: no 429 at all


async def test_rate_limit_buckets_are_swept_once_per_doubling() -> None:
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    sweeps = 0
    original = http._try_clear_expired_ratelimits

    def counting() -> None:
        nonlocal sweeps
        sweeps += 1
        original()

    http._try_clear_expired_ratelimits = counting  # type: ignore[method-assign]
    assert amortize_ratelimit_sweep(http) is True
    for n in range(5000):
        http.get_ratelimit(f"POST /channels/{n}/messages")
    # discord.py alone would scan every bucket for each of the last 4,744 new ones.
    assert sweeps == 5  # at 256, 512, 1024, 2048 and 4096 buckets
    assert len(http._buckets) == 5000  # all still active: none dropped


async def test_the_sweep_patch_is_installed_only_on_the_discord_py_it_was_measured_on() -> None:
    assert discord.__version__.startswith("2.7.")  # the release pinned in pyproject.toml
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    assert amortize_ratelimit_sweep(http, version="2.8.0") is False
    assert "_try_clear_expired_ratelimits" not in vars(http)  # discord.py's own method stays

    class OtherClient:
        """An HTTP client without discord.py 2.7's private bucket sweep."""

    other = OtherClient()
    assert amortize_ratelimit_sweep(other) is False  # type: ignore[arg-type]
    assert vars(other) == {}
