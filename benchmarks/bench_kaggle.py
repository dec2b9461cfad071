"""Kaggle: /kaggle list against the no-op floor (also while Kaggle hangs), and the post fan-out.

Figures:
* /kaggle list latency (dispatch to first response) with 100 cached competitions, in
  alternating blocks with `/noop`; median and p99. Goal: median within 3x of the floor (a
  paginated, database-backed answer with buttons against a fixed one-line embed).
* /kaggle list while a poll is stuck on a Kaggle that never answers, against /kaggle list
  with Kaggle up: the command reads the database cache and never waits for Kaggle.
  Goal: median within 1.25x.
* Fan-out: N subscribed servers, one new competition; the poll that announces it to all of
  them, per post, against N plain `channel.send` of the same embed in the same run (the floor
  of posting through discord.py and the simulator). Goal: within 3x (each post also claims
  its row in SQLite before sending). Plus the cost of a poll with nothing new.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
from pydantic import SecretStr

from benchmarks.common import BenchWorld, Figure, Report, bench_world, latency_figures
from cogs.kaggle.cog import Kaggle
from cogs.kaggle.embeds import competition_embed
from cogs.kaggle.repo import KaggleRepo
from tests.fakes.kaggle import FakeKaggle
from tests.simulator import DiscordSimulator, SimChannel

PROFILES = {
    # /kaggle list invocations, block size, subscribed servers for the fan-out
    "smoke": (100, 25, 50),
    "quick": (600, 50, 300),
    "long": (3000, 100, 1000),
}
LIST_GOAL = 3.0
HANG_GOAL = 1.25
FAN_OUT_GOAL = 3.0
TOKEN = "bench-kaggle-token"
CACHED = 100


def records(count: int) -> list[dict[str, Any]]:
    """`count` competition records in Kaggle's shape, deadlines spread over a year."""
    start = datetime.now(UTC)
    return [
        {
            "ref": f"https://www.kaggle.com/competitions/bench-{n}",
            "title": f"Benchmark Competition {n} (tabular classification)",
            "url": f"https://www.kaggle.com/competitions/bench-{n}",
            "category": ("Featured", "Research", "Playground", "Getting Started")[n % 4],
            "reward": f"${n * 1000:,}",
            "deadline": (start + timedelta(days=10 + n * 3)).isoformat(),
            "tags": [{"name": "tabular"}, {"name": "binary classification"}],
            "teamCount": n * 7,
        }
        for n in range(count)
    ]


async def list_blocks(world: BenchWorld, count: int, block: int) -> tuple[list[float], list[float]]:
    """Alternate blocks of /kaggle list and /noop; their latencies in seconds."""
    sim, guild, member = world.sim, world.guild, world.member
    for _ in range(20):
        await sim.invoke(guild, member, "kaggle list", {})
        await sim.invoke(guild, member, "noop", {})
    listing: list[float] = []
    floor: list[float] = []
    while len(listing) < count:
        for _ in range(min(block, count - len(listing))):
            res = await sim.invoke(guild, member, "kaggle list", {})
            assert res.embeds and res.embeds[0]["fields"], res.text[:200]
            listing.append(res.latency or 0.0)
        for _ in range(min(block, count - len(floor))):
            res = await sim.invoke(guild, member, "noop", {})
            floor.append(res.latency or 0.0)
    return listing, floor


async def run(profile: str = "quick") -> Report:
    """Measure /kaggle list and the announcement fan-out; print and return the figures."""
    count, block, servers = PROFILES.get(profile, PROFILES["quick"])
    report = Report(f"Kaggle announcements and /kaggle list ({profile})")
    fake = FakeKaggle(token=TOKEN, page_size=50, competitions=records(CACHED))
    await fake.start()
    channels: list[SimChannel] = []

    async def prepare(sim: DiscordSimulator) -> None:
        for n in range(servers):
            guild = sim.add_guild(f"Fan-out {n}")
            channels.append(sim.add_channel(guild, "kaggle"))

    try:
        async with bench_world(
            cogs=("cogs.kaggle",),
            extra_settings={"kaggle_api_token": SecretStr(TOKEN), "kaggle_api_base": fake.base_url},
            prepare=prepare,
        ) as world:
            cog = world.bot.get_cog("Kaggle")
            assert isinstance(cog, Kaggle)
            await cog.settled()

            listing, floor = await list_blocks(world, count, block)
            latency_figures(
                report,
                f"/kaggle list, {CACHED} cached ({count} invocations)",
                listing,
                floor,
                LIST_GOAL,
            )

            # Kaggle hangs: a poll waits on it while members keep asking for the list.
            fake.slow(600)
            polling = asyncio.create_task(cog.poll())
            await asyncio.sleep(0.1)
            stuck, _ = await list_blocks(world, count, block)
            assert not polling.done(), "the poll should still be waiting on Kaggle"
            value, base = statistics.median(stuck) * 1000, statistics.median(listing) * 1000
            report.add(
                Figure(
                    "/kaggle list while a poll hangs on Kaggle, median",
                    value,
                    "ms",
                    goal=f"≤ {HANG_GOAL}x /kaggle list with Kaggle up",
                    baseline=base,
                    baseline_name="/kaggle list, Kaggle up",
                    ok=value <= HANG_GOAL * base,
                )
            )
            polling.cancel()
            await asyncio.gather(polling, return_exceptions=True)
            fake.slow(0)

            await fan_out(world, cog, fake, channels, report)
    finally:
        await fake.stop()
    return report


async def fan_out(
    world: BenchWorld,
    cog: Kaggle,
    fake: FakeKaggle,
    channels: list[SimChannel],
    report: Report,
) -> None:
    """Announce one new competition to every subscribed server; compare with plain sends."""
    repo = KaggleRepo(world.bot.db)
    now = world.bot.clock()
    for channel in channels:
        assert channel.guild_id is not None
        await repo.subscribe(channel.guild_id, channel.id, "all", world.admin.id, now)
    await cog.poll()  # each new subscription gets its one summary
    await world.sim.flush()

    fake.add_competition(records(CACHED + 1)[-1])
    started = time.perf_counter()
    result = await cog.poll()
    announce = time.perf_counter() - started
    assert result.posted == len(channels), result

    started = time.perf_counter()
    idle = await cog.poll()
    idle_seconds = time.perf_counter() - started
    assert idle.posted == 0

    stored = (await repo.active_competitions(world.bot.clock()))[0]
    embed = competition_embed(stored, cog.announcer.section_titles)
    targets = [world.bot.get_channel(channel.id) for channel in channels]
    started = time.perf_counter()
    for target in targets:
        assert isinstance(target, discord.TextChannel)
        await target.send(embed=embed, allowed_mentions=discord.AllowedMentions.none())
    plain = time.perf_counter() - started

    n = len(channels)
    report.add(
        Figure(
            f"announcement fan-out to {n} servers, per post",
            announce / n * 1000,
            "ms",
            goal=f"≤ {FAN_OUT_GOAL:.0f}x a plain send",
            baseline=plain / n * 1000,
            baseline_name="plain channel.send",
            ok=announce <= FAN_OUT_GOAL * plain,
            note=f"{n / announce:,.0f} posts/s including the Kaggle fetch and one claim each",
        )
    )
    report.add(
        Figure(
            f"poll with nothing new, {n} subscriptions",
            idle_seconds * 1000,
            "ms",
            note=f"fetching {CACHED + 1} competitions (3 pages) and checking every subscription",
        )
    )


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "quick"))
