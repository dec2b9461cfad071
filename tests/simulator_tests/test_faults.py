"""Faults that strike after the handler ran, and requests held mid-way (a killed bot)."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import discord
import pytest

from tests.conftest import World
from tests.simulator import DiscordSimulator
from tests.simulator_tests.conftest import SimClient, raw, text_channel

CREATE = r"^/channels/\d+/messages$"


async def test_a_503_after_create_leaves_the_message_and_discord_py_raises(
    sim: DiscordSimulator, world: World, client: SimClient
):
    rule = sim.fail("POST", CREATE, 503, when="after")
    channel = text_channel(client, world.papers.id)
    with pytest.raises(discord.DiscordServerError) as info:
        await channel.send("paper of the week")
    assert info.value.status == 503
    assert [m.content for m in sim.messages_in(world.papers)] == ["paper of the week"]
    assert rule.hits == 1 and rule.handled == 1
    await sim.flush()
    assert [e for e, d in sim.gateway_events if e == "MESSAGE_CREATE"] == ["MESSAGE_CREATE"]
    assert sim.requests[-1].status == 503


async def test_a_500_after_create_is_retried_and_the_nonce_returns_the_first_message(
    sim: DiscordSimulator, world: World, client: SimClient
):
    # discord.py retries a 500 after 1 s with the same payload, nonce and enforce_nonce included
    sim.fail("POST", CREATE, 500, when="after")
    channel = text_channel(client, world.papers.id)
    sent = await channel.send("once")
    [stored] = sim.messages_in(world.papers)
    assert stored.id == sent.id and stored.content == "once"
    path = f"/channels/{world.papers.id}/messages"
    assert [r.status for r in sim.requests if r.path == path] == [500, 200]


async def test_a_fault_before_the_handler_creates_nothing(
    sim: DiscordSimulator, world: World, client: SimClient
):
    rule = sim.fail("POST", CREATE, 503)
    channel = text_channel(client, world.papers.id)
    with pytest.raises(discord.DiscordServerError):
        await channel.send("never")
    assert sim.messages_in(world.papers) == []
    assert rule.hits == 1 and rule.handled == 0


async def test_a_dropped_connection_after_create(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.fail("POST", CREATE, when="after", mode="drop")
    channel = text_channel(client, world.papers.id)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await channel.send("created, never answered")
    assert [m.content for m in sim.messages_in(world.papers)] == ["created, never answered"]
    assert sim.requests[-1].status == 0


async def test_a_dropped_connection_before_the_handler_creates_nothing(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.fail("POST", CREATE, mode="drop")
    channel = text_channel(client, world.papers.id)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await channel.send("lost")
    assert sim.messages_in(world.papers) == []


async def test_a_timeout_after_create_leaves_the_client_waiting(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.fail("POST", CREATE, when="after", mode="timeout")
    path = f"/channels/{world.papers.id}/messages"
    started = time.monotonic()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
        with pytest.raises(TimeoutError):
            await raw(sim, "POST", path, {"content": "slow answer"}, session=session)
    assert time.monotonic() - started >= 0.5
    assert [m.content for m in sim.messages_in(world.papers)] == ["slow answer"]


async def test_a_timeout_ends_with_a_closed_connection_after_hold_for(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.fail("POST", CREATE, when="after", mode="timeout", hold_for=0.3)
    channel = text_channel(client, world.papers.id)
    started = time.monotonic()
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await channel.send("late")
    assert time.monotonic() - started >= 0.3
    assert len(sim.messages_in(world.papers)) == 1


async def test_fail_checks_its_arguments(sim: DiscordSimulator):
    with pytest.raises(ValueError, match="needs a status"):
        sim.fail("POST", CREATE)
    with pytest.raises(ValueError, match="when"):
        sim.fail("POST", CREATE, 500, when="during")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mode"):
        sim.fail("POST", CREATE, 500, mode="slow")  # type: ignore[arg-type]


async def test_held_before_the_handler_then_released(
    sim: DiscordSimulator, world: World, client: SimClient
):
    held = sim.hold("POST", CREATE)
    channel = text_channel(client, world.papers.id)
    sending = asyncio.create_task(channel.send("after the hold"))
    await held.wait_arrived()
    assert sim.messages_in(world.papers) == [] and not held.handler_ran
    held.release()
    sent = await asyncio.wait_for(sending, 5)
    assert [m.id for m in sim.messages_in(world.papers)] == [sent.id]
    assert held.handler_ran and not held.client_gone
    assert held.paths == [f"/channels/{world.papers.id}/messages"]


async def test_a_client_killed_while_held_before_the_handler_creates_nothing(
    sim: DiscordSimulator, world: World, client: SimClient
):
    held = sim.hold("POST", CREATE)
    channel = text_channel(client, world.papers.id)
    sending = asyncio.create_task(channel.send("never reaches Discord"))
    await held.wait_arrived()
    sending.cancel()  # the bot dies mid-request: its connection closes
    with pytest.raises(asyncio.CancelledError):
        await sending
    await asyncio.sleep(0.05)
    held.release()
    await asyncio.sleep(0.05)
    assert held.client_gone and not held.handler_ran
    assert sim.messages_in(world.papers) == []


async def test_a_client_killed_while_held_after_the_handler_keeps_the_message(
    sim: DiscordSimulator, world: World, client: SimClient
):
    held = sim.hold("POST", CREATE, when="after")
    channel = text_channel(client, world.papers.id)
    sending = asyncio.create_task(channel.send("created, answer lost"))
    await held.wait_arrived()
    assert held.handler_ran
    assert [m.content for m in sim.messages_in(world.papers)] == ["created, answer lost"]
    sending.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sending
    await asyncio.sleep(0.05)
    held.release()
    await asyncio.sleep(0.05)
    assert held.client_gone
    assert len(sim.messages_in(world.papers)) == 1


async def test_held_and_hanging_requests_do_not_block_stop(world: World):
    async with DiscordSimulator(token="stop-token") as own:
        guild = own.add_guild("Stop Group")
        second_channel = own.add_channel(guild, "second")
        held = own.hold("POST", rf"^/channels/{guild.general.id}/messages$")
        own.fail(
            "POST",
            rf"^/channels/{second_channel.id}/messages$",
            when="after",
            mode="timeout",
            hold_for=60,
        )
        session = aiohttp.ClientSession()
        body = {"content": "a"}
        first = asyncio.create_task(
            raw(own, "POST", f"/channels/{guild.general.id}/messages", body, session=session)
        )
        await held.wait_arrived()
        body = {"content": "b"}
        second = asyncio.create_task(
            raw(own, "POST", f"/channels/{second_channel.id}/messages", body, session=session)
        )
        await asyncio.sleep(0.1)
        assert [m.content for m in own.messages_in(second_channel)] == ["b"]
        started = time.monotonic()
        await own.stop()
        assert time.monotonic() - started < 1.0
        for task in (first, second):
            with pytest.raises(aiohttp.ClientError):
                await asyncio.wait_for(task, 2)
        await session.close()
        assert not held.handler_ran
        assert own.messages_in(guild.general) == []


async def test_a_hold_catches_only_times_requests(
    sim: DiscordSimulator, world: World, client: SimClient
):
    held = sim.hold("POST", CREATE, times=1)
    channel = text_channel(client, world.kaggle.id)
    other = text_channel(client, world.papers.id)
    sending = asyncio.create_task(channel.send("held"))
    await held.wait_arrived()
    await other.send("not held")
    assert [m.content for m in sim.messages_in(world.papers)] == ["not held"]
    held.release()
    await asyncio.wait_for(sending, 5)
    assert held.hits == 1
