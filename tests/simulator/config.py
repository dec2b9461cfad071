"""Point discord.py at a running simulator (and restore the real endpoints afterwards)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


#: An address nothing listens on: outside services a test does not fake are unreachable.
NOWHERE = "http://127.0.0.1:9"


def bot_process_env(
    sim: DiscordSimulator, database: Path | str, *, token: str | None = None, **extra: str
) -> dict[str, str]:
    """The environment of a `python -m bot run` process pointed at the simulator.

    Only PATH is inherited, so no DISCORD_/KAGGLE_/STUDYBOT_ setting of the machine leaks in;
    Kaggle and arXiv point nowhere unless `extra` names a fake (e.g. ARXIV_API_BASE=...).
    """
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(database.parent) if isinstance(database, Path) else tempfile.gettempdir(),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "DISCORD_TOKEN": token if token is not None else sim.token,
        "STUDYBOT_DATABASE": str(database),
        "DISCORD_API_BASE": sim.api_base,
        "DISCORD_GATEWAY_URL": sim.gateway_url,
        "KAGGLE_API_BASE": NOWHERE,
        "ARXIV_API_BASE": f"{NOWHERE}/api/query",
        "STUDYBOT_LOG_LEVEL": "WARNING",
        **extra,
    }
