"""Message create `nonce` + `enforce_nonce`, as Discord documents them."""

from __future__ import annotations

import asyncio

import discord
import pytest

from tests.conftest import World
from tests.simulator import DiscordSimulator
from tests.simulator_tests.conftest import SimClient, raw, text_channel


def creates(sim: DiscordSimulator, message_id: int) -> int:
    """How many MESSAGE_CREATE events the simulator sent for one message."""
    return sum(
        1
        for event, data in sim.gateway_events
        if event == "MESSAGE_CREATE" and data["id"] == str(message_id)
    )


async def test_repeated_nonce_within_the_window_returns_the_first_message(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    first = await channel.send("paper of the week", nonce="paper-17")
    second = await channel.send("paper of the week (retry)", nonce="paper-17")
    assert second.id == first.id
    assert second.content == "paper of the week"
    assert first.nonce == "paper-17" and second.nonce == "paper-17"
    assert [m.content for m in sim.messages_in(world.papers)] == ["paper of the week"]
    await sim.flush()
    assert creates(sim, first.id) == 1


async def test_nonce_is_echoed_by_create_and_gateway_only(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    echoed: asyncio.Future[discord.Message] = asyncio.get_running_loop().create_future()

    async def on_message(message: discord.Message) -> None:
        if not echoed.done():
            echoed.set_result(message)

    client.event(on_message)
    sent = await channel.send("hello", nonce="n-1")
    from_gateway = await asyncio.wait_for(echoed, 5)
    assert from_gateway.id == sent.id and from_gateway.nonce == "n-1"
    fetched = await channel.fetch_message(sent.id)
    assert fetched.nonce is None
    [listed] = [m async for m in channel.history(limit=5)]
    assert listed.nonce is None


async def test_after_the_window_a_new_message_is_created(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.nonce_window = 0.3
    channel = text_channel(client, world.papers.id)
    first = await channel.send("one", nonce="same")
    await asyncio.sleep(0.35)
    second = await channel.send("two", nonce="same")
    assert second.id != first.id
    assert [m.content for m in sim.messages_in(world.papers)] == ["one", "two"]


def test_the_window_is_a_constructor_setting():
    assert DiscordSimulator().nonce_window == 120.0
    assert DiscordSimulator(nonce_window=600.0).nonce_window == 600.0


async def test_without_enforce_nonce_there_is_no_dedupe(
    sim: DiscordSimulator, world: World, client: SimClient
):
    path = f"/channels/{world.papers.id}/messages"
    status1, first, _ = await raw(sim, "POST", path, {"content": "a", "nonce": "x-1"})
    status2, second, _ = await raw(
        sim, "POST", path, {"content": "b", "nonce": "x-1", "enforce_nonce": False}
    )
    assert (status1, status2) == (200, 200)
    assert first["id"] != second["id"]
    assert first["nonce"] == second["nonce"] == "x-1"
    assert [m.content for m in sim.messages_in(world.papers)] == ["a", "b"]


async def test_integer_nonce_and_per_channel_scope(
    sim: DiscordSimulator, world: World, client: SimClient
):
    papers = f"/channels/{world.papers.id}/messages"
    kaggle = f"/channels/{world.kaggle.id}/messages"
    body = {"content": "a", "nonce": 123456789, "enforce_nonce": True}
    _, first, _ = await raw(sim, "POST", papers, body)
    _, again, _ = await raw(sim, "POST", papers, body)
    _, elsewhere, _ = await raw(sim, "POST", kaggle, body)
    assert first["nonce"] == 123456789
    assert again["id"] == first["id"]
    assert elsewhere["id"] != first["id"]
    assert len(sim.messages_in(world.papers)) == 1 and len(sim.messages_in(world.kaggle)) == 1


async def test_a_nonce_longer_than_25_characters_is_refused(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    with pytest.raises(discord.HTTPException) as info:
        await channel.send("x", nonce="n" * 26)
    assert info.value.status == 400 and info.value.code == 50035
    assert sim.messages_in(world.papers) == []
    [violation] = sim.spec_violations
    assert (violation.kind, violation.operation, violation.where) == (
        "request",
        "create_message",
        "nonce",
    )
    sim.spec_violations.clear()


async def test_a_nonce_whose_message_was_deleted_answers_not_found(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    first = await channel.send("gone soon", nonce="del-1")
    await first.delete()
    with pytest.raises(discord.NotFound) as info:
        await channel.send("gone soon", nonce="del-1")
    assert info.value.code == 10008
    assert sim.messages_in(world.papers) == []
