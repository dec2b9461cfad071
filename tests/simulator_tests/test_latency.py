"""Network latency in the simulator: REST both ways, gateway events, and the 3-second window."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from tests.conftest import World
from tests.simulator import DiscordSimulator
from tests.simulator_tests.conftest import AppClient, SimClient, raw, text_channel


def test_latency_is_off_unless_asked_for():
    assert DiscordSimulator().latency is None
    assert DiscordSimulator(latency=(0.1, 0.2)).latency == (0.1, 0.2)
    with pytest.raises(ValueError, match="latency"):
        DiscordSimulator(latency=(0.3, 0.1))
    with pytest.raises(ValueError, match="latency"):
        DiscordSimulator(latency=(-0.1, 0.1))


async def test_a_rest_round_trip_takes_latency_both_ways(sim: DiscordSimulator, world: World):
    sim.latency = (0.1, 0.2)
    took = []
    for _ in range(3):
        started = time.monotonic()
        status, _, _ = await raw(sim, "GET", "/users/@me")
        took.append(time.monotonic() - started)
        assert status == 200
    assert min(took) >= 0.2 and max(took) < 0.4 + 0.3
    sim.latency = None
    started = time.monotonic()
    await raw(sim, "GET", "/users/@me")
    assert time.monotonic() - started < 0.2


async def test_a_send_through_discord_py_is_delayed(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.latency = (0.15, 0.15)
    channel = text_channel(client, world.papers.id)
    started = time.monotonic()
    await channel.send("over a slow link")
    assert time.monotonic() - started >= 0.3


async def test_gateway_events_arrive_late_and_in_order(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.latency = (0.05, 0.2)
    seen: list[tuple[int, float]] = []
    done = asyncio.Event()

    async def on_guild_channel_create(channel: discord.abc.GuildChannel) -> None:
        seen.append((channel.id, time.monotonic()))
        if len(seen) == 20:
            done.set()

    client.event(on_guild_channel_create)
    started = time.monotonic()
    made = [sim.add_channel(world.guild, f"room-{i}") for i in range(20)]
    await asyncio.wait_for(done.wait(), 10)
    assert [cid for cid, _ in seen] == [c.id for c in made]
    assert seen[0][1] - started >= 0.05
    assert seen[-1][1] - started < 2.0  # delayed, not serialised one latency after another


async def test_flush_waits_for_delayed_events(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.latency = (0.2, 0.2)
    late = sim.add_channel(world.guild, "late")
    await sim.flush()
    await asyncio.sleep(0.02)
    assert client.get_channel(late.id) is not None


async def test_latency_counts_against_the_interaction_window(
    sim: DiscordSimulator, world: World, app_client: AppClient
):
    sim.interaction_deadline = 1.0
    sim.latency = (0.25, 0.25)
    quick = await sim.invoke(world.guild, world.alice, "wait", {"seconds": 0.1})
    assert quick.content == "waited 0.1"
    assert quick.acked_after is not None and 0.6 <= quick.acked_after < 1.0
    assert quick.acked_after == quick.latency
    # 0.6 s of work is fine without latency, but 0.25 s each way makes the answer late
    with pytest.raises(TimeoutError, match="never answered"):
        await sim.invoke(world.guild, world.alice, "wait", {"seconds": 0.6}, timeout=1.6)
    [late] = [i for i in sim.interactions.values() if i.acked_after is None]
    assert late.callback_arrived_after is not None and late.callback_arrived_after > 1.0
    late_calls = [r for r in sim.requests if r.path.endswith("/callback") and r.status == 404]
    assert len(late_calls) == 1


async def test_acked_after_without_latency(
    sim: DiscordSimulator, world: World, app_client: AppClient
):
    res = await sim.invoke(world.guild, world.alice, "ping")
    assert res.acked_after is not None and res.acked_after < 0.5
    assert res.callback_arrived_after is not None
    assert res.callback_arrived_after <= res.acked_after
