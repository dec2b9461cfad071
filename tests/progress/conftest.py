"""Fixtures for the progress feature: the bot with the progress cog and database helpers."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.conftest import BotHarness, TestStudyBot

PROGRESS_COGS: Sequence[str] = ("cogs.help", "cogs.progress", "cogs.privacy")


@pytest.fixture
async def progress_bot(harness: BotHarness) -> TestStudyBot:
    """The real bot with only the features these tests need (help, progress, privacy)."""
    harness.cogs = PROGRESS_COGS
    return await harness.start()


def completions(path: Path, guild_id: int | None = None) -> set[tuple[int, int, str]]:
    """(guild, user, section) of every stored completion, read with plain sqlite3."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT guild_id, user_id, section_id FROM progress_completions"
        ).fetchall()
    return {(g, u, s) for g, u, s in rows if guild_id is None or g == guild_id}
