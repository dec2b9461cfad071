"""Point discord.py at a running simulator (and restore the real endpoints afterwards)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import discord.gateway
import discord.http
import yarl

if TYPE_CHECKING:
    from .server import DiscordSimulator


def configure_discord(sim: DiscordSimulator) -> None:
    """Set discord.http.Route.BASE and DiscordWebSocket.DEFAULT_GATEWAY to the simulator."""
    discord.http.Route.BASE = sim.api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sim.gateway_url)


@contextmanager
def use_simulator(sim: DiscordSimulator) -> Iterator[DiscordSimulator]:
    """Context manager: configure_discord(sim), restoring the previous endpoints on exit."""
    old_base = discord.http.Route.BASE
    old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    configure_discord(sim)
    try:
        yield sim
    finally:
        discord.http.Route.BASE = old_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway
