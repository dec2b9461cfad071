"""Fixtures for the simulator's own tests: a plain discord.py client and raw REST calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.conftest import World
from tests.simulator import DiscordSimulator


class SimClient(discord.Client):
    """A bare discord.py client (no cogs) that identifies at once."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's pause before a fresh IDENTIFY."""


class AppClient(SimClient):
    """A bare client with a few application commands (synced globally at start-up)."""

    def __init__(self) -> None:
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.sent: list[discord.Message] = []

        @self.tree.command(name="ping", description="Answer at once")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong")

        @self.tree.command(name="think", description="Defer, then follow up")
        async def think(interaction: discord.Interaction) -> None:
            await interaction.response.defer(thinking=True)
            await interaction.followup.send("thought")

        @self.tree.command(name="wait", description="Work, then answer")
        async def wait(interaction: discord.Interaction, seconds: float) -> None:
            await asyncio.sleep(seconds)
            await interaction.response.send_message(f"waited {seconds}")

    async def setup_hook(self) -> None:
        """Register the commands."""
        await self.tree.sync()


async def _connect(sim: DiscordSimulator, bot: SimClient, *, sync: bool) -> asyncio.Task[None]:
    await bot.login(sim.token)
    task = asyncio.create_task(bot.connect())
    await sim.wait_for_bot(timeout=10, wait_for_sync=sync)
    await asyncio.wait_for(bot.wait_until_ready(), 10)
    return task


async def _disconnect(sim: DiscordSimulator, bot: SimClient, task: asyncio.Task[None]) -> None:
    await bot.close()
    await asyncio.wait_for(task, 10)
    assert sim.unknown_routes == []
    assert sim.server_errors == []
    assert sim.spec_violations == []


@pytest.fixture
async def app_client(sim: DiscordSimulator, world: World) -> AsyncIterator[AppClient]:
    """A discord.py client with application commands, connected and synced."""
    bot = AppClient()
    task = await _connect(sim, bot, sync=True)
    yield bot
    await _disconnect(sim, bot, task)


@pytest.fixture
async def client(sim: DiscordSimulator, world: World) -> AsyncIterator[SimClient]:
    """The real discord.py client, logged in and connected to the simulator."""
    bot = SimClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    task = await _connect(sim, bot, sync=False)
    yield bot
    await _disconnect(sim, bot, task)


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
