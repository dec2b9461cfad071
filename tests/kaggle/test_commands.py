"""/kaggle subscribe, unsubscribe and list end to end, including what the bot refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Settings
from cogs.kaggle.cog import POLL_JOB_ID
from tests.conftest import BotHarness, World
from tests.fakes.kaggle import FakeKaggle
from tests.kaggle.conftest import record, start
from tests.simulator import EMBED_LINKS, DiscordSimulator, SimValidationError


async def subscriptions(harness: BotHarness, guild_id: int) -> list[tuple[int, str]]:
    """(channel id, category) of a guild's stored subscriptions."""
    assert harness.bot is not None
    rows = await harness.bot.db.fetch_all(
        "SELECT channel_id, category FROM kaggle_subscriptions WHERE guild_id = ? ORDER BY id",
        (guild_id,),
    )
    return [(row[0], row[1]) for row in rows]


async def test_poll_job_runs_at_the_configured_interval(
    kaggle_harness: BotHarness, settings: Settings
) -> None:
    kaggle_harness.settings = settings.model_copy(update={"kaggle_poll_minutes": 15})
    bot, _ = await start(kaggle_harness)
    job = bot.scheduler.get_job(POLL_JOB_ID)
    assert job is not None
    assert job.trigger.interval == timedelta(minutes=15)
    assert [j.id for j in bot.scheduler.get_jobs() if j.id.startswith("kaggle")] == [POLL_JOB_ID]


async def test_admin_commands_are_refused_to_members_by_the_bot_itself(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    _, cog = await start(kaggle_harness)
    # /kaggle list is for everyone, so Discord cannot hide the admin subcommands of the group
    # (default permissions apply to whole top-level commands): the bot's own check refuses.
    for command in ("kaggle subscribe", "kaggle unsubscribe"):
        res = await sim.invoke(
            world.guild,
            world.alice,
            command,
            {"channel": world.kaggle},
            enforce_permissions=False,
        )
        assert res.ephemeral
        assert "Manage Server" in res.content
    await cog.settled()
    assert await subscriptions(kaggle_harness, world.guild.id) == []
    assert sim.messages_in(world.kaggle) == []

    res = await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": world.kaggle})
    assert res.ephemeral and "announced in" in res.content
    res = await sim.invoke(
        world.guild,
        world.bob,
        "kaggle unsubscribe",
        {"channel": world.kaggle},
        enforce_permissions=False,
    )
    assert "Manage Server" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == [(world.kaggle.id, "all")]


async def test_a_voice_channel_is_rejected_by_discord_and_by_the_bot(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await start(kaggle_harness)
    with pytest.raises(SimValidationError, match="channel_types"):
        await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": world.voice})

    # A stale command definition (or a crafted request) without channel_types: the bot checks.
    for command in sim.global_commands:
        for sub in command.get("options", []):
            for option in sub.get("options", []):
                option.pop("channel_types", None)
    res = await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": world.voice})
    assert res.ephemeral
    assert res.content.startswith(f"<#{world.voice.id}> is a voice channel")
    assert "text or announcement channel" in res.content

    other_channel = sim.add_channel(world.other_guild, "elsewhere")
    res = await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": other_channel})
    assert res.ephemeral
    assert "not in this server" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == []


async def test_unknown_category_and_unpostable_channel_are_refused(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await start(kaggle_harness)
    for command in sim.global_commands:
        for sub in command.get("options", []):
            for option in sub.get("options", []):
                option.pop("choices", None)  # as if the client sent any string
    res = await sim.invoke(
        world.guild,
        world.admin,
        "kaggle subscribe",
        {"channel": world.kaggle, "category": "@everyone"},
    )
    assert res.ephemeral and "Unknown category" in res.content
    assert "getting-started" in res.content

    sim.set_bot_permissions(world.kaggle, deny=EMBED_LINKS)
    res = await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": world.kaggle})
    assert res.ephemeral
    assert "Embed Links" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == []


async def test_resubscribing_updates_the_category_and_unsubscribe_stops_posts(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    _, cog = await start(kaggle_harness)
    res = await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": world.kaggle})
    await cog.settled()
    res = await sim.invoke(
        world.guild, world.admin, "kaggle subscribe", {"channel": world.kaggle, "category": "all"}
    )
    assert "already gets Kaggle posts" in res.content
    res = await sim.invoke(
        world.guild,
        world.admin,
        "kaggle subscribe",
        {"channel": world.kaggle, "category": "research"},
    )
    assert "now follows Research (was all categories)" in res.content
    await cog.settled()
    assert await subscriptions(kaggle_harness, world.guild.id) == [(world.kaggle.id, "research")]
    posts = sim.messages_in(world.kaggle)
    assert [p.embeds[0]["title"] for p in posts] == [
        "Kaggle competitions open now",
        "Kaggle competitions open now (Research)",
    ]

    res = await sim.invoke(
        world.guild, world.admin, "kaggle unsubscribe", {"channel": world.papers}
    )
    assert res.ephemeral
    assert f"Subscribed here: <#{world.kaggle.id}>" in res.content
    res = await sim.invoke(
        world.guild, world.admin, "kaggle unsubscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral and "stopped" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == []
    fake_kaggle.add_competition(record("after", "After Unsubscribe", category="Research"))
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 2
    res = await sim.invoke(
        world.guild, world.admin, "kaggle unsubscribe", {"channel": world.kaggle}
    )
    assert "no Kaggle subscription" in res.content


async def test_list_shows_active_competitions_with_sections_paginated(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    fake_kaggle.add_competition(
        record("ended", "Already Over", deadline="2026-11-01T00:00:00Z"), first=False
    )
    await start(kaggle_harness)
    res = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert not res.ephemeral
    first = res.embeds[0]
    assert first["title"] == "Active Kaggle competitions"
    assert "Checked on Kaggle <t:" in first["description"]
    assert first["footer"]["text"] == "Page 1 of 2 · 7 open"
    names = [f["name"] for f in first["fields"]]
    assert names[0] == "Playground Series Example"  # soonest deadline first
    playground = first["fields"][0]["value"]
    deadline = int(datetime(2026, 12, 1, 23, 59, tzinfo=UTC).timestamp())
    assert f"<t:{deadline}:R>" in playground
    assert "Playground · Swag · 87 teams" in playground
    assert "Sections: 7.2 " in playground
    assert "(https://www.kaggle.com/competitions/playground-series-example)" in playground
    tabular = next(f["value"] for f in first["fields"] if f["name"].startswith("Example Tabular"))
    assert "3.3 " in tabular and "3.5 " in tabular

    assert res.message is not None
    page2 = await sim.click(world.guild, world.alice, res.message, res.message.custom_ids()[1])
    assert page2.message is not None
    second = page2.message.embeds[0]
    assert second["footer"]["text"] == "Page 2 of 2 · 7 open"
    assert "Already Over" not in res.text + str(second)


async def test_member_data_covers_the_subscriptions_an_admin_set_up(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    _, cog = await start(kaggle_harness)
    await sim.invoke(world.guild, world.admin, "kaggle subscribe", {"channel": world.kaggle})
    exported = await cog.export_member_data(world.guild.id, world.admin.id)
    assert exported["kaggle_subscriptions_set_up"][0]["channel_id"] == str(world.kaggle.id)
    assert await cog.export_member_data(world.guild.id, world.alice.id) == {
        "kaggle_subscriptions_set_up": []
    }
    assert await cog.delete_member_data(world.guild.id, world.admin.id) == 1
    assert await cog.export_member_data(world.guild.id, world.admin.id) == {
        "kaggle_subscriptions_set_up": []
    }
    assert await subscriptions(kaggle_harness, world.guild.id) == [(world.kaggle.id, "all")]
