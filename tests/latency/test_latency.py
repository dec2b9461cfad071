"""Every interaction is acknowledged within Discord's 3 s with 100–200 ms between bot and Discord.

The real bot runs against the simulator with production's network delay each way (REST both
ways, gateway events late and in order). In a server with realistic state, every registered
slash command (the /admin ones as an admin), every button of their answers and every
autocomplete runs at once across members; arXiv takes longer than the whole window to answer
/paper suggest. Each interaction must reach Discord in time — the simulator refuses a later
callback with 10062 Unknown interaction, as Discord does — and the member must then see the
real answer. `benchmarks/bench_latency.py` prints the slowest acknowledgement of each.
"""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.clock import FakeClock
from tests.conftest import BotHarness, ErrorLog, World
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.kaggle import FakeKaggle
from tests.latency.stage import (
    JITTER,
    LATENCY,
    build_stage,
    invoke_checked,
    late_interactions,
    refused_callbacks,
    run_everything,
)
from tests.simulator import DiscordSimulator

DEFERRED_MESSAGE, DEFERRED_UPDATE = 5, 6
#: Work that fits a 1-second window without latency but not with 150 ms each way.
WORK = 0.8


@pytest.mark.parametrize("latency", [LATENCY, JITTER], ids=["150ms", "100-200ms"])
async def test_every_interaction_is_acknowledged_within_the_window(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    fake_arxiv: FakeArxiv,
    fake_kaggle: FakeKaggle,
    error_log: ErrorLog,
    latency: tuple[float, float],
) -> None:
    bot = await harness.start()
    stage = await build_stage(sim, bot, clock, fake_arxiv, fake_kaggle, world.guild, world.admin)
    sim.latency = latency
    before = list(sim.interactions)

    acks = await run_everything(stage)

    assert len(acks) >= 70
    # The latency was really there: no answer can reach Discord faster than both legs.
    assert min(ack.acked_after for ack in acks) >= 2 * latency[0]
    assert late_interactions(sim, before) == []
    assert refused_callbacks(sim) == []
    by_name = {ack.name: ack for ack in acks}
    # The slow work comes after the acknowledgement: arXiv, the card, the deletion.
    assert by_name["/paper suggest"].response_type == DEFERRED_MESSAGE
    assert by_name["/rank"].response_type == DEFERRED_MESSAGE
    assert by_name["/privacy delete Delete my data"].response_type == DEFERRED_UPDATE
    assert max(ack.acked_after for ack in acks) < 3.0
    assert error_log.records == [], [r.getMessage() for r in error_log.records[:5]]


class Sluggish(commands.Cog):
    """Commands that take WORK seconds: in a 1 s window without latency, late with it."""

    @app_commands.command(name="sluggish", description="Works, then answers")
    async def sluggish(self, interaction: discord.Interaction) -> None:
        """Answer after the work."""
        await asyncio.sleep(WORK)
        await interaction.response.send_message("the real answer")

    @app_commands.command(name="patient", description="Defers, works, then answers")
    async def patient(self, interaction: discord.Interaction) -> None:
        """Acknowledge first, then work and answer."""
        await interaction.response.defer(thinking=True)
        await asyncio.sleep(WORK)
        await interaction.followup.send("the real answer")

    @app_commands.command(name="broken", description="Fails")
    async def broken(self, interaction: discord.Interaction) -> None:
        """Fail in the handler."""
        raise RuntimeError("broken on purpose")


async def test_the_check_fails_a_late_answer_and_an_error_reply(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    harness.extra_cogs = [Sluggish()]
    await harness.start()
    sim.interaction_deadline = 1.0  # Discord's 3 s, scaled down with the work
    g, alice = world.guild, world.alice

    await invoke_checked(sim, g, alice, "sluggish", {}, "the real answer")  # in time
    sim.latency = LATENCY
    with pytest.raises(AssertionError, match=r"reached Discord after 1\.\d+ s, too late"):
        await invoke_checked(sim, g, alice, "sluggish", {}, "the real answer")
    assert any(r.endswith("/callback 404") for r in refused_callbacks(sim))
    # Deferring first is what keeps the same work in time.
    ack, _ = await invoke_checked(sim, g, alice, "patient", {}, "the real answer")
    assert ack.response_type == DEFERRED_MESSAGE and ack.acked_after < 1.0
    with pytest.raises(AssertionError, match="the handler failed"):
        await invoke_checked(sim, g, alice, "broken", {}, "")
    assert [r.getMessage() for r in error_log.records] != []
    error_log.records.clear()  # the broken command's error was the point


async def test_invocations_at_the_same_moment_go_out_together_under_latency(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await harness.start()
    sim.latency = LATENCY
    readers = [sim.add_member(world.guild, f"reader{n}") for n in range(12)]
    await sim.flush()
    loop = asyncio.get_running_loop()
    started = loop.time()
    results = await asyncio.gather(
        *(sim.invoke(world.guild, reader, "tips", {}, timeout=10) for reader in readers)
    )
    took = loop.time() - started
    # Dispatched one after another they would leave 150 ms apart: 1.65 s before the last.
    assert took < 1.5, f"12 /tips at once took {took:.2f} s"
    assert all(r.acked_after is not None and r.acked_after < 1.0 for r in results)
    assert all(r.embeds for r in results)
