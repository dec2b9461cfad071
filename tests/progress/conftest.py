"""Fixtures for the progress feature: the bot with the progress cog and database helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from bot.database import Database
from tests.conftest import BotHarness, TestStudyBot
from tests.engines import Target, query

PROGRESS_COGS: Sequence[str] = ("cogs.help", "cogs.progress", "cogs.privacy")


@pytest.fixture
async def progress_bot(harness: BotHarness) -> TestStudyBot:
    """The real bot with only the features these tests need (help, progress, privacy)."""
    harness.cogs = PROGRESS_COGS
    return await harness.start()


@pytest.fixture
async def db(database_target: Target) -> AsyncIterator[Database]:
    """A migrated database on the engine under test."""
    async with Database(database_target) as database:
        await database.migrate()
        yield database


def completions(target: Target, guild_id: int | None = None) -> set[tuple[int, int, str]]:
    """(guild, user, section) of every stored completion, read outside the bot."""
    rows = query(target, "SELECT guild_id, user_id, section_id FROM progress_completions")
    return {(int(g), int(u), str(s)) for g, u, s in rows if guild_id is None or int(g) == guild_id}
