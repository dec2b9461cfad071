"""Shared benchmark pieces: figures, percentiles, a no-op floor command and a bot harness."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import SecretStr

from bot.client import DEFAULT_COGS, StudyBot
from bot.clock import Clock, system_clock
from bot.settings import Settings
from tests.simulator import DiscordSimulator, SimGuild, SimUser, use_simulator


@dataclass
class Figure:
    """One measured figure, with its goal and the same-run baseline it is compared to."""

    name: str
    value: float
    unit: str
    goal: str = ""
    baseline: float | None = None
    baseline_name: str = ""
    ok: bool | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """value / baseline, when there is a baseline."""
        if not self.baseline:
            return None
        return self.value / self.baseline

    def line(self) -> str:
        """A printable line."""
        parts = [f"{self.name}: {self.value:.3f} {self.unit}"]
        if self.baseline is not None:
            parts.append(f"(baseline {self.baseline_name} {self.baseline:.3f} {self.unit}")
            parts[-1] += f", ratio {format_ratio(self.ratio)})" if self.ratio is not None else ")"
        if self.goal:
            verdict = "" if self.ok is None else (" ✓" if self.ok else " ✗")
            parts.append(f"goal: {self.goal}{verdict}")
        if self.note:
            parts.append(f"[{self.note}]")
        return " ".join(parts)


def format_ratio(ratio: float) -> str:
    """A ratio as `1.33x`, or `1/5,400x` when the figure is far below its baseline."""
    if 0 < ratio < 0.01:
        return f"1/{1 / ratio:,.0f}x"
    return f"{ratio:.2f}x"


@dataclass
class Report:
    """A benchmark's figures, printed as they come."""

    title: str
    figures: list[Figure] = field(default_factory=list)
    #: A paragraph for RESULTS.md under the command: how the figures are made, where to read more.
    about: str = ""

    def add(self, figure: Figure) -> Figure:
        """Record and print a figure."""
        self.figures.append(figure)
        print(figure.line(), flush=True)
        return figure


def percentile(samples: Sequence[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of the samples."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def median(samples: Sequence[float]) -> float:
    """The median of the samples."""
    return statistics.median(samples)


class NoOp(commands.Cog):
    """A command that answers at once: the floor of what discord.py and the simulator cost."""

    @app_commands.command(name="noop", description="Benchmark floor: answers at once")
    async def noop(self, interaction: discord.Interaction) -> None:
        """Answer with a fixed embed."""
        await interaction.response.send_message(embed=discord.Embed(title="ok"))


class BenchBot(StudyBot):
    """StudyBot for benchmarks: no pause before identifying."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once."""


@dataclass
class BenchWorld:
    """A running simulator and bot for a benchmark."""

    sim: DiscordSimulator
    bot: BenchBot
    guild: SimGuild
    member: SimUser
    admin: SimUser
    settings: Settings


@asynccontextmanager
async def bench_world(
    *,
    database: Path | str | None = None,
    clock: Clock = system_clock,
    cogs: Sequence[str] = DEFAULT_COGS,
    extra_settings: dict[str, Any] | None = None,
    prepare: Any = None,
) -> AsyncIterator[BenchWorld]:
    """Start the simulator and the real bot (with /noop) on a temporary or given database."""
    sim = DiscordSimulator(token="bench-token")
    await sim.start()
    tmp = tempfile.TemporaryDirectory()
    try:
        with use_simulator(sim):
            guild = sim.add_guild("Bench Guild")
            member = sim.add_member(guild, "member")
            admin = sim.add_member(guild, "admin", admin=True)
            if prepare is not None:
                await prepare(sim)
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                discord_token=SecretStr("bench-token"),
                database=database or Path(tmp.name) / "bench.db",
                discord_api_base=sim.api_base,
                discord_gateway_url=sim.gateway_url,
                **{
                    "kaggle_api_base": "http://127.0.0.1:9",
                    "arxiv_api_base": "http://127.0.0.1:9/api/query",
                    **(extra_settings or {}),  # may point Kaggle or arXiv at a local fake
                },
            )
            bot = BenchBot(
                settings, clock=clock, cogs=cogs, extra_cogs=[NoOp()], guild_ready_timeout=0.05
            )
            await bot.login("bench-token")
            task = asyncio.create_task(bot.connect())
            await sim.wait_for_bot(timeout=60, wait_for_sync=False)
            await asyncio.wait_for(bot.wait_until_ready(), 60)
            try:
                yield BenchWorld(sim, bot, guild, member, admin, settings)
            finally:
                await bot.close()
                await asyncio.wait_for(task, 30)
    finally:
        await sim.stop()
        tmp.cleanup()


async def time_invocations(
    world: BenchWorld,
    name: str,
    options: dict[str, Any],
    count: int,
    *,
    user: SimUser | None = None,
    warmup: int = 20,
) -> list[float]:
    """Invoke a command `count` times in a row; the seconds from dispatch to first response."""
    user = user or world.member
    for _ in range(warmup):
        await world.sim.invoke(world.guild, user, name, options)
    samples: list[float] = []
    for _ in range(count):
        res = await world.sim.invoke(world.guild, user, name, options)
        assert res.latency is not None, f"/{name} was not answered"
        samples.append(res.latency)
    return samples


def latency_figures(
    report: Report, label: str, samples: Sequence[float], floor: Sequence[float], goal: float
) -> None:
    """Add median and p99 figures (ms) of `samples` against the no-op `floor`."""
    for stat, fn in (("median", median), ("p99", lambda s: percentile(s, 99))):
        value, base = fn(samples) * 1000, fn(floor) * 1000
        report.add(
            Figure(
                f"{label} {stat}",
                value,
                "ms",
                goal=f"≤ {goal}x the no-op floor" if stat == "median" else "",
                baseline=base,
                baseline_name="no-op",
                ok=(value <= goal * base) if stat == "median" else None,
            )
        )
