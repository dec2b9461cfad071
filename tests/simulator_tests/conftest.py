"""Fixtures for the simulator's own tests: a plain discord.py client and raw REST calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.conftest import World
from tests.simulator import DiscordSimulator


class SimClient(discord.Client):
    """A bare discord.py client (no cogs) that identifies at once."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's pause before a fresh IDENTIFY."""


@pytest.fixture
async def client(sim: DiscordSimulator, world: World) -> AsyncIterator[SimClient]:
    """The real discord.py client, logged in and connected to the simulator."""
    bot = SimClient(intents=discord.Intents.default())
    await bot.login(sim.token)
    task = asyncio.create_task(bot.connect())
    await sim.wait_for_bot(timeout=10, wait_for_sync=False)
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    yield bot
    await bot.close()
    await asyncio.wait_for(task, 10)
    assert sim.unknown_routes == []
    assert sim.server_errors == []


def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel:
    """The client's cached text channel with this id."""
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def raw(
    sim: DiscordSimulator,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    session: aiohttp.ClientSession | None = None,
) -> tuple[int, Any, dict[str, str]]:
    """One REST call with the bot token, bypassing discord.py: (status, JSON body, headers)."""
    headers = {"Authorization": f"Bot {token or sim.token}"}
    own = session is None
    http = session or aiohttp.ClientSession()
    try:
        async with http.request(method, sim.api_base + path, json=body, headers=headers) as resp:
            data = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, data, dict(resp.headers)
    finally:
        if own:
            await http.close()
