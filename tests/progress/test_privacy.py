"""/privacy export and delete end to end, across every feature that keeps member data."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from discord.ext import commands

from bot.settings import Settings
from tests.conftest import BotHarness, World
from tests.progress.conftest import PROGRESS_COGS, completions
from tests.simulator import DiscordSimulator


class FakeFeature(commands.Cog, name="PaperClub"):
    """Another feature holding member data: the registry must reach it."""

    def __init__(self) -> None:
        self.votes: dict[tuple[int, int], list[str]] = {}
        self.deleted: list[tuple[int, int]] = []

    async def export_member_data(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {"votes": self.votes.get((guild_id, user_id), [])}

    async def delete_member_data(self, guild_id: int, user_id: int) -> int:
        self.deleted.append((guild_id, user_id))
        return len(self.votes.pop((guild_id, user_id), []))


def rows_about(path: Path, guild_id: int, user_id: int) -> int:
    """Rows in every progress table that mention this member in this guild."""
    with sqlite3.connect(path) as conn:
        return sum(
            conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            ).fetchone()[0]
            for table in ("progress_members", "progress_completions", "progress_points")
        )


async def start(harness: BotHarness, feature: FakeFeature) -> None:
    harness.cogs = PROGRESS_COGS
    harness.extra_cogs = [feature]
    await harness.start()


async def test_export_is_a_json_file_of_everything_held_in_this_guild(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    feature = FakeFeature()
    feature.votes[(world.guild.id, world.alice.id)] = ["1706.03762"]
    feature.votes[(world.other_guild.id, world.alice.id)] = ["elsewhere"]
    await start(harness, feature)
    sim.add_member(world.other_guild, "alice", user=world.alice)
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.alice, "done", {"section": "4.5"})
    await sim.invoke(world.other_guild, world.alice, "done", {"section": "7.3"})
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})

    res = await sim.invoke(world.guild, world.alice, "privacy export", {})
    assert res.ephemeral
    assert res.content == "Here is everything StudyBot holds about you in this server."
    ((name, blob),) = res.attachments
    assert name == f"studybot-data-{world.guild.id}-{world.alice.id}.json"
    data = json.loads(blob)
    assert data["guild_id"] == str(world.guild.id)
    assert data["user_id"] == str(world.alice.id)
    assert data["exported_at"] == "2026-11-24T12:00:00+00:00"
    progress = data["features"]["Progress"]
    assert progress["member"]["display_name"] == "Alice"
    assert progress["member"]["hidden"] is False
    assert sorted(c["section_id"] for c in progress["completions"]) == ["1.1", "4.5"]
    transformers = next(c for c in progress["completions"] if c["section_id"] == "4.5")
    assert transformers == {
        "section_id": "4.5",
        "title": "Transformers and Attention",
        "done_at": "2026-11-24T12:00:00+00:00",
        "counts": True,
    }
    assert data["features"]["PaperClub"] == {"votes": ["1706.03762"]}
    assert "7.3" not in blob.decode() and "elsewhere" not in blob.decode()
    assert str(world.bob.id) not in blob.decode()


async def test_export_of_a_member_without_data_says_so(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await start(harness, FakeFeature())
    res = await sim.invoke(world.guild, world.admin, "privacy export", {})
    data = json.loads(res.attachments[0][1])
    assert data["features"]["Progress"] == {"member": None, "completions": []}
    assert data["features"]["PaperClub"] == {"votes": []}


async def test_delete_asks_first_and_cancel_keeps_everything(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    await start(harness, FakeFeature())
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    res = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    assert res.ephemeral
    assert "This deletes **everything StudyBot holds about you in this server**" in res.content
    assert "your data in PaperClub" in res.content
    message = res.message
    assert message is not None
    _, cancel = message.custom_ids()
    assert [b["label"] for b in message.buttons()] == ["Delete my data", "Cancel"]
    cancelled = await sim.click(world.guild, world.alice, message, cancel)
    assert cancelled.message is not None
    assert cancelled.message.content == "Cancelled: nothing was changed."
    assert all(b.get("disabled") for b in cancelled.message.buttons())
    assert completions(settings.database) == {(world.guild.id, world.alice.id, "1.1")}


async def test_delete_removes_every_feature_s_data_here_and_nothing_elsewhere(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    feature = FakeFeature()
    feature.votes[(world.guild.id, world.alice.id)] = ["a", "b"]
    await start(harness, feature)
    sim.add_member(world.other_guild, "alice", user=world.alice)
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.2"})
    await sim.invoke(world.other_guild, world.alice, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})

    res = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    assert res.message is not None
    confirmed = await sim.click(world.guild, world.alice, res.message, res.message.custom_ids()[0])
    assert confirmed.message is not None
    # 2 completions + the member row + 2 paper-club votes
    assert confirmed.message.content.startswith("Deleted 5 records.")
    assert feature.deleted == [(world.guild.id, world.alice.id)]
    assert rows_about(settings.database, world.guild.id, world.alice.id) == 0
    assert rows_about(settings.database, world.other_guild.id, world.alice.id) > 0
    assert completions(settings.database) == {
        (world.other_guild.id, world.alice.id, "1.1"),
        (world.guild.id, world.bob.id, "1.1"),
    }
    board = await sim.invoke(world.guild, world.bob, "progress", {})
    assert "Alice" not in board.text
    assert "`#1` **Bob** — 1 section ← you" in board.text
    cog: Any = harness.bot.get_cog("Progress") if harness.bot else None
    assert cog is not None
    assert await cog.repo.counter_problems() == []
    exported = await sim.invoke(world.guild, world.alice, "privacy export", {})
    assert json.loads(exported.attachments[0][1])["features"]["Progress"]["member"] is None


async def test_export_and_delete_reach_every_loaded_feature(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    bot = await harness.start()  # all of StudyBot's features
    holders = {
        cog.qualified_name
        for cog in bot.cogs.values()
        if callable(getattr(cog, "export_member_data", None))
    }
    assert "Progress" in holders
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    res = await sim.invoke(world.guild, world.alice, "privacy export", {})
    assert set(json.loads(res.attachments[0][1])["features"]) == holders
    card = await sim.invoke(world.guild, world.alice, "rank", {})
    assert "**Papers read:** 0" in card.embeds[0]["description"]

    prompt = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    assert prompt.message is not None
    confirmed = await sim.click(
        world.guild, world.alice, prompt.message, prompt.message.custom_ids()[0]
    )
    assert confirmed.message is not None and "Deleted" in confirmed.message.content
    assert rows_about(settings.database, world.guild.id, world.alice.id) == 0
