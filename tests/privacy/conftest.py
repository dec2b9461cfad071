"""Helpers for /privacy: a stand-in feature's member data, the export file, the delete button."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from tests.engines import Target, query
from tests.simulator import DiscordSimulator, InteractionResult, SimGuild, SimUser

#: The features the /privacy command tests need: progress holds data, privacy reaches it.
PRIVACY_COGS: Sequence[str] = ("cogs.help", "cogs.progress", "cogs.privacy")
#: The clock starts on Tuesday 2026-11-24 12:00 UTC; Tuesday 18:00 in Berlin is 17:00 UTC.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


class FakeVotes:
    """Another feature's member data, held in memory (bot.personal.MemberData)."""

    personal_columns: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    personal_summary: ClassVar[str] = "your paper votes"

    def __init__(self) -> None:
        self.votes: dict[tuple[int, int], list[str]] = {}
        self.deleted: list[tuple[int, int]] = []

    async def export_member(self, guild_id: int, user_id: int) -> dict[str, Any]:
        """The member's votes in the guild."""
        return {"votes": self.votes.get((guild_id, user_id), [])}

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Forget the member's votes in the guild."""
        self.deleted.append((guild_id, user_id))
        return len(self.votes.pop((guild_id, user_id), []))


class SlowVotes(FakeVotes):
    """Member data that takes as long to delete as the test wants."""

    def __init__(self) -> None:
        super().__init__()
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def delete_member(self, guild_id: int, user_id: int) -> int:
        """Wait for the test, then delete one record."""
        self.started.set()
        await self.release.wait()
        return 1


def exported(res: InteractionResult) -> dict[str, Any]:
    """The JSON document of a /privacy export reply."""
    ((_, blob),) = res.attachments
    data: dict[str, Any] = json.loads(blob)
    return data


async def delete_confirmed(
    sim: DiscordSimulator, guild: SimGuild, member: SimUser
) -> InteractionResult:
    """Run /privacy delete and press "Delete my data"; the edited prompt is in `.message`."""
    prompt = await sim.invoke(guild, member, "privacy delete", {})
    assert prompt.message is not None
    confirm = prompt.message.custom_ids()[0]
    pressed = await sim.click(guild, member, prompt.message, confirm)
    assert pressed.message is not None
    return pressed


def progress_rows(database: Target, guild_id: int, user_id: int) -> int:
    """Rows in every progress table that name this member in this guild (either engine)."""
    return sum(
        int(
            query(
                database,
                f"SELECT COUNT(*) FROM {table} WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )[0][0]
        )
        for table in ("progress_members", "progress_completions", "progress_points")
    )
