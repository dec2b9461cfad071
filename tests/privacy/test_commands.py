"""/privacy hide|show|export|delete end to end, across every feature that registered its data."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.settings import Settings
from tests.conftest import BotHarness, TestStudyBot, World
from tests.privacy.conftest import (
    PRIVACY_COGS,
    FakeVotes,
    SlowVotes,
    delete_confirmed,
    exported,
    progress_rows,
)
from tests.progress.conftest import completions
from tests.simulator import DiscordSimulator

DEFERRED_UPDATE = 6  # DEFERRED_UPDATE_MESSAGE: the pressed button shows it is working


async def start(harness: BotHarness, votes: FakeVotes) -> TestStudyBot:
    """The bot with progress and privacy, and the stand-in feature registered beside them."""
    harness.cogs = PRIVACY_COGS
    bot = await harness.start()
    bot.member_data.register("PaperClub", votes)
    return bot


async def test_export_is_a_json_file_of_everything_held_in_this_guild(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    votes = FakeVotes()
    votes.votes[(world.guild.id, world.alice.id)] = ["1706.03762"]
    votes.votes[(world.other_guild.id, world.alice.id)] = ["elsewhere"]
    await start(harness, votes)
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
    assert data["format"] == "studybot-member-export/1"
    assert data["guild_id"] == str(world.guild.id)
    assert data["user_id"] == str(world.alice.id)
    assert data["exported_at"] == "2026-11-24T12:00:00+00:00"
    assert list(data["features"]) == ["Progress", "PaperClub"]
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
    await start(harness, FakeVotes())
    data = exported(await sim.invoke(world.guild, world.admin, "privacy export", {}))
    assert data["features"]["Progress"] == {"member": None, "completions": []}
    assert data["features"]["PaperClub"] == {"votes": []}


async def test_delete_asks_first_and_cancel_keeps_everything(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    votes = FakeVotes()
    votes.votes[(world.guild.id, world.alice.id)] = ["a"]
    await start(harness, votes)
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    res = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    assert res.ephemeral
    assert res.content == (
        "This deletes **everything StudyBot holds about you in this server**: your finished "
        "sections and your leaderboard entries; your paper votes. It can't be undone. "
        "Want a copy first? Use `/privacy export`."
    )
    message = res.message
    assert message is not None
    _, cancel = message.custom_ids()
    assert [b["label"] for b in message.buttons()] == ["Delete my data", "Cancel"]
    cancelled = await sim.click(world.guild, world.alice, message, cancel)
    assert cancelled.message is not None
    assert cancelled.message.content == "Cancelled: nothing was changed."
    assert all(b.get("disabled") for b in cancelled.message.buttons())
    assert completions(settings.database) == {(world.guild.id, world.alice.id, "1.1")}
    assert votes.deleted == []


async def test_delete_removes_every_feature_s_data_here_and_nothing_elsewhere(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    votes = FakeVotes()
    votes.votes[(world.guild.id, world.alice.id)] = ["a", "b"]
    votes.votes[(world.other_guild.id, world.alice.id)] = ["c"]
    bot = await start(harness, votes)
    sim.add_member(world.other_guild, "alice", user=world.alice)
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.2"})
    await sim.invoke(world.other_guild, world.alice, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})

    confirmed = await delete_confirmed(sim, world.guild, world.alice)
    assert confirmed.message is not None
    # 2 completions + the member row + 2 votes of the other feature
    assert confirmed.message.content == (
        "Deleted 5 records. StudyBot holds nothing more about you in this server "
        "(using a command again starts afresh)."
    )
    assert votes.deleted == [(world.guild.id, world.alice.id)]
    assert votes.votes == {(world.other_guild.id, world.alice.id): ["c"]}
    assert progress_rows(settings.database, world.guild.id, world.alice.id) == 0
    assert progress_rows(settings.database, world.other_guild.id, world.alice.id) > 0
    assert completions(settings.database) == {
        (world.other_guild.id, world.alice.id, "1.1"),
        (world.guild.id, world.bob.id, "1.1"),
    }
    board = await sim.invoke(world.guild, world.bob, "progress", {})
    assert "Alice" not in board.text
    assert "`#1` **Bob** — 1 section ← you" in board.text
    cog: Any = bot.get_cog("Progress")
    assert await cog.repo.counter_problems() == []
    data = exported(await sim.invoke(world.guild, world.alice, "privacy export", {}))
    assert data["features"] == {
        "Progress": {"member": None, "completions": []},
        "PaperClub": {"votes": []},
    }

    again = await delete_confirmed(sim, world.guild, world.alice)
    assert again.message is not None and again.message.content.startswith("Deleted 0 records.")


async def test_export_and_delete_reach_every_feature_of_studybot(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    bot = await harness.start()  # all of StudyBot's features
    assert bot.member_data.features() == ("Progress", "PaperClub", "Kaggle")
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    data = exported(await sim.invoke(world.guild, world.alice, "privacy export", {}))
    assert data["features"] == {
        "Progress": {
            "member": {
                "display_name": "Alice",
                "hidden": False,
                "first_seen": "2026-11-24T12:00:00+00:00",
                "updated_at": "2026-11-24T12:00:00+00:00",
            },
            "completions": [
                {
                    "section_id": "1.1",
                    "title": "Linear Algebra",
                    "done_at": "2026-11-24T12:00:00+00:00",
                    "counts": True,
                }
            ],
        },
        "PaperClub": {"suggestions": [], "votes": [], "reads": [], "schedules_set_up": []},
        "Kaggle": {"kaggle_subscriptions_set_up": []},
    }
    card = await sim.invoke(world.guild, world.alice, "rank", {})
    assert "**Papers read:** 0" in card.embeds[0]["description"]

    prompt = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    assert "your finished sections and your leaderboard entries; your paper votes" in (
        prompt.content
    )
    assert "your name on the Kaggle subscriptions you set up" in prompt.content
    confirmed = await delete_confirmed(sim, world.guild, world.alice)
    assert confirmed.message is not None
    assert confirmed.message.content.startswith("Deleted 2 records.")
    assert progress_rows(settings.database, world.guild.id, world.alice.id) == 0


async def test_hide_and_show_leave_and_rejoin_the_boards(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await start(harness, FakeVotes())
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})
    hidden = await sim.invoke(world.guild, world.bob, "privacy hide", {})
    assert hidden.ephemeral
    assert hidden.content == (
        "You're now hidden: the leaderboards, `/who` and other members' `/rank` leave "
        "you out. Your progress is kept; `/privacy show` brings you back."
    )
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert "Bob" not in board.text and "Alice" in board.text
    data = exported(await sim.invoke(world.guild, world.bob, "privacy export", {}))
    assert data["features"]["Progress"]["member"]["hidden"] is True

    shown = await sim.invoke(world.guild, world.bob, "privacy show", {})
    assert shown.ephemeral
    assert shown.content == "Welcome back: you're on the leaderboards and in `/who` again."
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert "Bob" in board.text


async def test_without_leaderboards_hide_says_so_and_export_holds_nothing(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    harness.cogs = ("cogs.privacy",)
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "privacy hide", {})
    assert res.ephemeral
    assert res.content.startswith("StudyBot's leaderboards aren't running in this bot")
    data = exported(await sim.invoke(world.guild, world.alice, "privacy export", {}))
    assert data["features"] == {}
    assert progress_rows(settings.database, world.guild.id, world.alice.id) == 0


async def test_confirming_a_deletion_is_acknowledged_before_anything_is_deleted(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    votes = SlowVotes()
    await start(harness, votes)
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    prompt = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    message = prompt.message
    assert message is not None
    confirm, cancel = message.custom_ids()

    press = await sim.click(world.guild, world.alice, message, confirm, wait=False)
    await asyncio.wait_for(votes.started.wait(), 5)
    # The slow deletion has begun, and the press was acknowledged before it: the bot awaits
    # Discord's answer to the callback before it runs the action.
    assert press.response_type == DEFERRED_UPDATE
    assert not press.settled, "the result is not shown before the deletion finished"

    # Presses meanwhile are acknowledged too: a second confirm deletes nothing twice, and a
    # cancel cannot claim that nothing was changed.
    for button in (confirm, cancel):
        again = await sim.click(world.guild, world.alice, message, button, wait=False)
        await again.wait_until(lambda: again.response_type is not None)  # noqa: B023
        assert again.response_type == DEFERRED_UPDATE
        assert again.followups == []

    votes.release.set()
    await press.wait_settled()
    assert press.message is not None
    # 1 completion + the member row + 1 record of the other feature
    assert press.message.content.startswith("Deleted 3 records.")
    assert press.message.embeds == []
    assert all(b.get("disabled") for b in press.message.buttons())
    assert press.ephemeral
    assert completions(settings.database) == set()
