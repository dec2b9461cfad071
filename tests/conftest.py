"""Shared fixtures: a started Discord simulator, a small world in it, and the real bot."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from discord.ext import commands
from pydantic import SecretStr

from bot.client import DEFAULT_COGS, StudyBot
from bot.clock import FakeClock
from bot.settings import Settings
from tests.engines import ENABLE_HINT, PostgresServer, Target
from tests.fakes.arxiv import FakeArxiv
from tests.profile import LONG
from tests.simulator import DiscordSimulator, SimChannel, SimGuild, SimUser, use_simulator

TOKEN = "sim-token"


def _engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get("engine")


def _left_out(item: pytest.Item) -> bool:
    if not LONG and item.get_closest_marker("slow"):
        return True
    engine = _engine_of(item)
    if engine == "postgresql" and item.get_closest_marker("sqlite_only"):
        return True
    return engine == "sqlite" and item.get_closest_marker("postgres_only") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave `slow` tests to the long profile, and each engine's own tests to that engine."""
    left_out = [item for item in items if _left_out(item)]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not _left_out(item)]


_postgres: dict[str, PostgresServer | None] = {}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say in one line how to run the PostgreSQL half when it was skipped."""
    if "server" in _postgres and _postgres["server"] is None:
        terminalreporter.write_line(ENABLE_HINT)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """This run's own database on a PostgreSQL server, or None when there is none."""
    server = PostgresServer.start()
    _postgres["server"] = server
    yield server
    if server is not None:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> str:
    """The storage engine under test: every database test runs on both."""
    if request.param == "postgresql" and request.getfixturevalue("postgres_server") is None:
        pytest.skip(ENABLE_HINT)
    return str(request.param)


@pytest.fixture
def database_target(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Target]:
    """A fresh, empty database on the engine under test: a file, or a PostgreSQL schema."""
    if engine == "sqlite":
        yield tmp_path / "studybot.db"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.new_schema()
    yield url
    server.drop_schema(url)


START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class TestStudyBot(StudyBot):
    """StudyBot without discord.py's 5-second pause before a fresh IDENTIFY."""

    __test__ = False

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Identify at once."""


@dataclass
class World:
    """A study server with members and channels, plus a second server beside it."""

    sim: DiscordSimulator
    guild: SimGuild
    general: SimChannel
    papers: SimChannel
    kaggle: SimChannel
    voice: SimChannel
    alice: SimUser
    bob: SimUser
    admin: SimUser
    other_guild: SimGuild
    carol: SimUser
    other_admin: SimUser


class ErrorLog(logging.Handler):
    """Collects ERROR records from StudyBot's own loggers."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class BotHarness:
    """Starts, stops and restarts the real bot against the simulator."""

    sim: DiscordSimulator
    settings: Settings
    clock: FakeClock
    cogs: Sequence[str] = DEFAULT_COGS
    extra_cogs: Sequence[commands.Cog] = ()
    bot: TestStudyBot | None = None
    task: asyncio.Task[None] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep

    async def start(self) -> TestStudyBot:
        """Log the bot in, connect it and wait until it is ready."""
        bot = TestStudyBot(
            self.settings,
            clock=self.clock,
            cogs=self.cogs,
            extra_cogs=self.extra_cogs,
            guild_ready_timeout=0.05,
            sleep=self.sleep,
            **self.options,
        )
        self.bot = bot
        await bot.login(self.settings.discord_token.get_secret_value())  # type: ignore[union-attr]
        self.task = asyncio.create_task(bot.connect())
        await self.sim.wait_for_bot(timeout=15, wait_for_sync=False)
        await asyncio.wait_for(bot.wait_until_ready(), 10)
        return bot

    async def stop(self) -> None:
        """Close the bot cleanly."""
        if self.bot is not None:
            await self.bot.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, 10)
        self.bot, self.task = None, None

    async def restart(self) -> TestStudyBot:
        """Stop the bot and start a new process-like instance on the same database."""
        await self.stop()
        return await self.start()


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSimulator]:
    """A started Discord simulator with discord.py pointed at it."""
    simulator = DiscordSimulator(token=TOKEN)
    await simulator.start()
    with use_simulator(simulator):
        yield simulator
    await simulator.stop()


@pytest.fixture
def world(sim: DiscordSimulator) -> World:
    """Two servers: 'Study Group' with members and channels, and 'Other Group' beside it."""
    guild = sim.add_guild("Study Group")
    papers = sim.add_channel(guild, "paper-club")
    kaggle = sim.add_channel(guild, "kaggle")
    voice = sim.add_channel(guild, "Study Room", type=2)
    alice = sim.add_member(guild, "alice", global_name="Alice")
    bob = sim.add_member(guild, "bob", global_name="Bob")
    admin = sim.add_member(guild, "boss", admin=True, global_name="Boss")
    other = sim.add_guild("Other Group")
    carol = sim.add_member(other, "carol", global_name="Carol")
    other_admin = sim.add_member(other, "otheradmin", admin=True)
    return World(
        sim,
        guild,
        guild.general,
        papers,
        kaggle,
        voice,
        alice,
        bob,
        admin,
        other,
        carol,
        other_admin,
    )


@pytest.fixture
def clock() -> FakeClock:
    """A clock standing at 2026-11-24 12:00 UTC until a test moves it."""
    return FakeClock(START)


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    """A local arXiv API serving recorded-shape Atom feeds."""
    server = FakeArxiv()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(database_target: Target, sim: DiscordSimulator, fake_arxiv: FakeArxiv) -> Settings:
    """Settings pointing every outside service at local fakes; no .env is read.

    The local fake arXiv needs none of the real one's 3-second spacing between requests.
    """
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=SecretStr(TOKEN),
        database=database_target,
        discord_api_base=sim.api_base,
        discord_gateway_url=sim.gateway_url,
        arxiv_api_base=fake_arxiv.base_url,
        arxiv_min_interval_seconds=0,
        kaggle_api_base="http://127.0.0.1:9",
    )


@pytest.fixture
def error_log() -> AsyncIterator[ErrorLog] | Any:
    """ERROR records logged by StudyBot during the test."""
    handler = ErrorLog()
    for name in ("bot", "cogs", "discord"):
        logging.getLogger(name).addHandler(handler)
    yield handler
    for name in ("bot", "cogs", "discord"):
        logging.getLogger(name).removeHandler(handler)


@pytest.fixture
async def harness(
    sim: DiscordSimulator, world: World, settings: Settings, clock: FakeClock, error_log: ErrorLog
) -> AsyncIterator[BotHarness]:
    """A bot harness; the bot is stopped and the simulator checked at the end."""
    h = BotHarness(sim, settings, clock)
    yield h
    await h.stop()
    assert sim.unknown_routes == []
    assert sim.server_errors == []
    assert [str(v) for v in sim.spec_violations] == []


@pytest.fixture
async def bot(harness: BotHarness) -> TestStudyBot:
    """The real StudyBot, connected to the simulator and ready."""
    return await harness.start()
