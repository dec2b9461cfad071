"""Discord's rate limits in the simulator: per-route buckets, the global limit, 429 answers."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from tests.conftest import World
from tests.simulator import DEFAULT_ROUTE_LIMITS, DiscordSimulator
from tests.simulator.ratelimits import bucket_hash
from tests.simulator_tests.conftest import AppClient, SimClient, raw, text_channel

CREATE = "POST /channels/{channel_id}/messages"


def create_path(channel_id: int) -> str:
    """The message-create path of a channel."""
    return f"/channels/{channel_id}/messages"


async def test_every_answer_carries_its_bucket_headers(sim: DiscordSimulator, world: World):
    before = time.time()
    status, _, headers = await raw(sim, "POST", create_path(world.papers.id), {"content": "hi"})
    assert status == 200
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["X-RateLimit-Remaining"] == "4"
    assert 4.5 < float(headers["X-RateLimit-Reset-After"]) <= 5.0
    assert before + 4.5 < float(headers["X-RateLimit-Reset"]) <= time.time() + 5.0
    assert headers["X-RateLimit-Bucket"] == bucket_hash(5, 5.0)
    _, _, other = await raw(sim, "GET", f"/channels/{world.papers.id}")
    assert other["X-RateLimit-Limit"] == "50"
    assert other["X-RateLimit-Bucket"] != headers["X-RateLimit-Bucket"]


async def test_routes_with_the_same_limit_share_a_bucket_hash(sim: DiscordSimulator, world: World):
    _, msg, _ = await raw(sim, "POST", create_path(world.papers.id), {"content": "react"})
    reaction = f"/channels/{world.papers.id}/messages/{msg['id']}/reactions/%F0%9F%91%8D/@me"
    status, _, put = await raw(sim, "PUT", reaction)
    assert status == 204 and put["X-RateLimit-Limit"] == "1"
    await asyncio.sleep(0.3)
    status, _, delete = await raw(sim, "DELETE", reaction)
    assert status == 204
    assert put["X-RateLimit-Bucket"] == delete["X-RateLimit-Bucket"] == bucket_hash(1, 0.25)


async def test_a_sixth_create_in_five_seconds_is_refused_per_channel(
    sim: DiscordSimulator, world: World
):
    async with aiohttp.ClientSession() as session:
        for i in range(5):
            for channel in (world.papers, world.kaggle):
                body = {"content": f"#{i}"}
                status, _, _ = await raw(
                    sim, "POST", create_path(channel.id), body, session=session
                )
                assert status == 200
        status, body, headers = await raw(
            sim, "POST", create_path(world.papers.id), {"content": "too many"}, session=session
        )
    assert status == 429
    assert set(body) == {"message", "retry_after", "global", "code"}
    assert body["global"] is False and 4.0 < body["retry_after"] <= 5.0
    assert headers["Retry-After"] == "5"
    assert headers["X-RateLimit-Scope"] == "user"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Bucket"] == bucket_hash(5, 5.0)
    assert "X-RateLimit-Global" not in headers
    assert len(sim.messages_in(world.papers)) == 5
    [record] = sim.rate_limited
    assert record.route == CREATE and record.scope == "user"
    assert record.path == create_path(world.papers.id) and record.method == "POST"
    assert record.retry_after == body["retry_after"]


async def test_a_bucket_opens_again_after_its_reset(sim: DiscordSimulator, world: World):
    sim.route_limits[CREATE] = (2, 0.3)
    path = create_path(world.papers.id)
    statuses = [(await raw(sim, "POST", path, {"content": str(i)}))[0] for i in range(3)]
    assert statuses == [200, 200, 429]
    await asyncio.sleep(sim.rate_limited[-1].retry_after + 0.01)
    assert (await raw(sim, "POST", path, {"content": "again"}))[0] == 200


async def test_a_burst_through_discord_py_is_paced_by_the_headers(
    sim: DiscordSimulator, world: World, client: SimClient
):
    sim.route_limits[CREATE] = (5, 1.0)
    channel = text_channel(client, world.papers.id)
    started = time.monotonic()
    sent = await asyncio.gather(*(channel.send(f"post {i}") for i in range(12)))
    elapsed = time.monotonic() - started
    assert len({m.id for m in sent}) == 12
    assert len(sim.messages_in(world.papers)) == 12
    assert elapsed >= 2.0  # three windows of one second: 5 + 5 + 2
    assert sim.rate_limited == []


async def test_reactions_through_discord_py_are_paced(
    sim: DiscordSimulator, world: World, client: SimClient
):
    channel = text_channel(client, world.papers.id)
    message = await channel.send("vote")
    started = time.monotonic()
    for emoji in ("👍", "👎", "✅"):
        await message.add_reaction(emoji)
    assert time.monotonic() - started >= 0.5
    assert sim.get_message(message.id).reactions == ["👍", "👎", "✅"]
    assert sim.rate_limited == []


async def test_more_than_50_requests_a_second_hit_the_global_limit(
    sim: DiscordSimulator, world: World
):
    channels = [sim.add_channel(world.guild, f"room-{i}") for i in range(60)]
    async with aiohttp.ClientSession() as session:
        started = time.monotonic()
        answers = await asyncio.gather(
            *(raw(sim, "GET", f"/channels/{c.id}", session=session) for c in channels)
        )
        elapsed = time.monotonic() - started
    assert elapsed < 1.0
    statuses = [status for status, _, _ in answers]
    assert statuses.count(200) == 50 and statuses.count(429) == 10
    for status, body, headers in answers:
        if status == 429:
            assert body["global"] is True and 0 < body["retry_after"] <= 1.0
            assert headers["X-RateLimit-Global"] == "true"
            assert headers["X-RateLimit-Scope"] == "global"
            assert int(headers["Retry-After"]) >= 1
    assert [r.scope for r in sim.rate_limited] == ["global"] * 10


async def test_interaction_endpoints_are_not_bound_to_the_global_limit(
    sim: DiscordSimulator, world: World, app_client: AppClient
):
    channels = [sim.add_channel(world.guild, f"room-{i}") for i in range(55)]
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(
            *(raw(sim, "GET", f"/channels/{c.id}", session=session) for c in channels)
        )
        assert any(status == 429 for status, _, _ in answers)
        pong = await sim.invoke(world.guild, world.alice, "ping")
        thought = await sim.invoke(world.guild, world.alice, "think")
        status, body, _ = await raw(sim, "GET", f"/channels/{world.papers.id}", session=session)
    assert pong.content == "pong" and thought.content == "thought"
    assert status == 429 and body["global"] is True
    assert all(
        r.scope == "global" and r.route.startswith("GET /channels/") for r in sim.rate_limited
    )
    hooks = [r for r in sim.requests if r.path.startswith(("/interactions/", "/webhooks/"))]
    assert hooks and all(r.status in (200, 204) for r in hooks)


async def test_limits_are_settings(world: World):
    own = DiscordSimulator(global_rate=3, route_limits={CREATE: (1, 10.0)})
    assert own.rate_limits is True
    assert own.route_limits[CREATE] == (1, 10.0)
    assert own.route_limits["*"] == DEFAULT_ROUTE_LIMITS["*"]
    async with own:
        guild = own.add_guild("Tiny Limits")
        path = create_path(guild.general.id)
        assert (await raw(own, "POST", path, {"content": "one"}))[0] == 200
        assert (await raw(own, "POST", path, {"content": "two"}))[0] == 429
        assert (await raw(own, "GET", "/users/@me"))[0] == 200
        status, body, _ = await raw(own, "GET", "/users/@me")
        assert status == 429 and body["global"] is True
        assert [r.scope for r in own.rate_limited] == ["user", "global"]


async def test_rate_limits_can_be_switched_off_for_the_simulators_own_tests(world: World):
    async with DiscordSimulator(rate_limits=False) as own:
        guild = own.add_guild("No Limits")
        path = create_path(guild.general.id)
        for i in range(7):
            status, _, headers = await raw(own, "POST", path, {"content": str(i)})
            assert status == 200 and "X-RateLimit-Limit" not in headers
        assert own.rate_limited == []


@pytest.mark.parametrize("rate", [None, 0])
async def test_no_global_limit(world: World, rate: int | None):
    async with DiscordSimulator(global_rate=rate) as own:
        guild = own.add_guild("No Global")
        channels = [own.add_channel(guild, f"room-{i}") for i in range(60)]
        async with aiohttp.ClientSession() as session:
            answers = await asyncio.gather(
                *(raw(own, "GET", f"/channels/{c.id}", session=session) for c in channels)
            )
        assert {status for status, _, _ in answers} == {200}
