"""Paper club at scale: a fan-out of weekly posts, interactions during it, start-up with jobs.

Figures:
* 5,000 guilds whose paper of the week falls due in the same minute, through the simulator:
  every post delivered, none twice, and the time the fan-out takes;
* ``/topic`` median and p99 *during* that fan-out against ``/topic`` measured just before it
  (goal: within 2x — scheduled work must not starve members), for each send concurrency;
* start-up with 10,000 schedules in the database: the time from constructing the bot to all
  10,000 jobs armed, against the same start-up with no schedule.

Run: ``python -m benchmarks.bench_papers [quick|full]``.
"""

from __future__ import annotations

import asyncio
import gc
import math
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from pydantic import SecretStr

from benchmarks.common import (
    BenchBot,
    BenchWorld,
    Figure,
    Report,
    bench_world,
    median,
    percentile,
    time_invocations,
)
from bot.clock import FakeClock
from bot.database import Database
from bot.settings import Settings
from cogs.papers.cog import JOB_PREFIX, PaperClub
from tests.simulator import DiscordSimulator, SimChannel, use_simulator

# Tuesday 2026-11-24 18:00 in Berlin.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
COGS = ("cogs.help", "cogs.roadmap", "cogs.progress", "cogs.papers")
TOPIC = ("topic", {"section": "4.5"})
#: A member using the bot, before and during the fan-out alike: one /topic every 50 ms.
SAMPLE_GAP = 0.05

# Fan-out runs as (posts in flight at once, requests per second; 0 = unpaced). The first is
# StudyBot's default: paced under Discord's 50 requests/s (each post is two requests).
PROFILES: dict[str, dict[str, Any]] = {
    "quick": {"guilds": 5000, "runs": [(2, 40.0)], "floor_samples": 400, "schedules": 10_000},
    "full": {
        "guilds": 5000,
        "runs": [(2, 40.0), (1, 40.0), (4, 40.0), (1, 0.0), (8, 0.0), (0, 0.0)],
        "floor_samples": 400,
        "schedules": 10_000,
    },
}


async def write_schedules(
    path: Path, channels: Sequence[tuple[int, int]], *, varied: bool = False
) -> None:
    """Create the database and one schedule per (guild, channel), directly in SQL.

    By default every schedule is Tuesday 18:00 in Berlin (one fan-out); `varied` spreads them
    over weekdays, times and zones the way many servers would set them.
    """
    zones = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney")
    since = (DUE - timedelta(days=1)).isoformat(timespec="seconds")
    rows = []
    for n, (guild, channel) in enumerate(channels):
        if varied:
            weekday, at, zone = n % 7, f"{(n * 7) % 24:02d}:{(n * 13) % 60:02d}", zones[n % 5]
        else:
            weekday, at, zone = 1, "18:00", "Europe/Berlin"
        rows.append((guild, channel, weekday, at, zone, since))
    db = Database(path)
    await db.connect()
    try:
        await db.migrate()
        await db.executemany(
            "INSERT INTO paper_schedules (guild_id, channel_id, weekday, at_time, timezone, "
            "role_id, created_by, active_since) VALUES (?, ?, ?, ?, ?, NULL, 1, ?)",
            rows,
        )
    finally:
        await db.close()


def forget_history(sim: DiscordSimulator) -> None:
    """Drop the simulator's request and interaction logs (the benchmark never reads them).

    The simulator runs in the bot's process; its logs of thousands of interactions would
    otherwise grow the heap the cyclic GC walks, and its pauses would be measured as the bot's.
    """
    sim.requests.clear()
    sim.request_bodies.clear()
    sim.interactions.clear()


async def sample_topic(world: BenchWorld, more: Callable[[list[float]], bool]) -> list[float]:
    """/topic latencies of a member using the bot every SAMPLE_GAP seconds, while `more`."""
    samples: list[float] = []
    while more(samples):
        try:
            res = await world.sim.invoke(world.guild, world.member, *TOPIC, timeout=10)
            samples.append(res.latency if res.latency is not None else math.inf)
        except TimeoutError:
            # Starved: not answered within Discord's 3 s, so the member saw "did not respond".
            samples.append(math.inf)
        forget_history(world.sim)
        await asyncio.sleep(SAMPLE_GAP)
    return samples


def paper_club(bot: Any) -> PaperClub:
    """The running PaperClub cog."""
    return cast(PaperClub, bot.get_cog("PaperClub"))


async def fan_out(
    report: Report,
    guilds: int,
    concurrency: int,
    rate: float,
    floor_samples: int,
    *,
    freeze: bool = True,
) -> None:
    """Deliver `guilds` posts due at once while a member keeps using /topic."""
    clock = FakeClock(DUE - timedelta(hours=1))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "papers.db"
        channels: list[SimChannel] = []

        async def prepare(sim: DiscordSimulator) -> None:
            for n in range(guilds):
                guild = sim.add_guild(f"Study {n}")
                channels.append(sim.add_channel(guild, "paper-club"))
            await write_schedules(path, [(c.guild_id or 0, c.id) for c in channels])

        async with bench_world(database=path, clock=clock, cogs=COGS, prepare=prepare) as world:
            cog = paper_club(world.bot)
            cog.delivery.concurrency = concurrency if concurrency > 0 else 1_000_000
            cog.delivery.requests_per_second = rate
            await cog.caught_up()
            if freeze:
                # The simulator's 5,000-guild world lives in this process (a real bot's heap
                # does not hold Discord's side): keep it out of the cyclic GC's full passes.
                gc.collect()
                gc.freeze()
            label = (f"{concurrency} at once" if concurrency > 0 else "unbounded") + (
                f", {rate:g} requests/s" if rate > 0 else ", unpaced"
            )

            await time_invocations(world, *TOPIC, 0)  # warm-up
            floor = await sample_topic(world, lambda samples: len(samples) < floor_samples)
            clock.set(DUE + timedelta(seconds=5))
            started = time.perf_counter()
            run = asyncio.create_task(cog.run_due())
            during = await sample_topic(world, lambda _: not run.done())
            outcome = await run
            elapsed = time.perf_counter() - started
            if freeze:
                gc.unfreeze()

            counts = [
                len(
                    [
                        m
                        for m in world.sim.messages_in(c)
                        if m.author_id == world.sim.bot_user.id and m.interaction_id is None
                    ]
                )
                for c in channels
            ]
            delivered = sum(1 for n in counts if n >= 1)
            twice = sum(1 for n in counts if n > 1)
            threads = sum(1 for c in channels for m in world.sim.messages_in(c) if m.thread)
            report.add(
                Figure(
                    f"fan-out {guilds} guilds ({label}): delivered",
                    delivered,
                    "posts",
                    goal=f"= {guilds}, none twice",
                    ok=delivered == guilds and twice == 0 and outcome.posted == guilds,
                    note=f"{twice} twice, {threads} threads, outcomes {dict(outcome.outcomes)}",
                )
            )
            report.add(
                Figure(
                    f"fan-out {guilds} guilds ({label}): time",
                    elapsed,
                    "s",
                    note=f"{guilds / elapsed:.0f} posts/s",
                )
            )
            for stat, fn in (("median", median), ("p99", lambda s: percentile(s, 99))):
                value, base = fn(during) * 1000, fn(floor) * 1000
                report.add(
                    Figure(
                        f"/topic {stat} during fan-out ({label})",
                        value,
                        "ms",
                        goal="≤ 2x /topic before the fan-out",
                        baseline=base,
                        baseline_name="/topic before",
                        ok=value <= 2 * base,
                        note=f"{len(during)} samples during, {len(floor)} before, "
                        f"{sum(math.isinf(x) for x in during)} not answered",
                    )
                )


async def start_up(report: Report, schedules: int) -> None:
    """Time from constructing the bot to every job armed, with and without schedules."""
    results: dict[int, float] = {}
    for count in (0, schedules):
        sim = DiscordSimulator(token="bench-token")
        await sim.start()
        try:
            with use_simulator(sim), tempfile.TemporaryDirectory() as tmp:
                sim.add_guild("Study")
                path = Path(tmp) / "startup.db"
                await write_schedules(
                    path, [(10_000 + n, 20_000 + n) for n in range(count)], varied=True
                )
                settings = Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    discord_token=SecretStr("bench-token"),
                    database=path,
                    discord_api_base=sim.api_base,
                    discord_gateway_url=sim.gateway_url,
                    kaggle_api_base="http://127.0.0.1:9",
                    arxiv_api_base="http://127.0.0.1:9/api/query",
                )
                started = time.perf_counter()
                bot = BenchBot(
                    settings,
                    clock=FakeClock(DUE - timedelta(hours=1)),
                    cogs=COGS,
                    guild_ready_timeout=0.05,
                )
                await bot.login("bench-token")  # runs setup_hook: migrate, load cogs, arm jobs
                armed = len([j for j in bot.scheduler.get_jobs() if j.id.startswith(JOB_PREFIX)])
                results[count] = time.perf_counter() - started
                assert armed == count, (armed, count)
                await bot.close()
        finally:
            await sim.stop()
    report.add(
        Figure(
            f"start-up with {schedules:,} schedules: bot construction to all jobs armed",
            results[schedules],
            "s",
            baseline=results[0],
            baseline_name="no schedule",
            note=f"{(results[schedules] - results[0]) / schedules * 1e6:.0f} µs per schedule",
        )
    )


async def run(profile: str = "quick") -> Report:
    """Run the paper-club benchmarks and print their figures."""
    settings = PROFILES[profile]
    report = Report(f"paper club ({profile})")
    await start_up(report, settings["schedules"])
    for concurrency, rate in settings["runs"]:
        await fan_out(report, settings["guilds"], concurrency, rate, settings["floor_samples"])
    return report


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "quick"))
