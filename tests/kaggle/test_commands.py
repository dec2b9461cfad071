"""/admin kaggle subscribe|unsubscribe and /kaggle list end to end, with what the bot refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.settings import Settings
from cogs.kaggle.cog import POLL_JOB_ID
from tests.conftest import BotHarness, World
from tests.fakes.kaggle import FakeKaggle
from tests.kaggle.conftest import record, start
from tests.simulator import (
    EMBED_LINKS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    DiscordSimulator,
    SimValidationError,
)
from tests.simulator.models import CREATE_PUBLIC_THREADS, SEND_MESSAGES_IN_THREADS


async def subscriptions(harness: BotHarness, guild_id: int) -> list[tuple[int, str]]:
    """(channel id, category) of a guild's stored subscriptions."""
    assert harness.bot is not None
    rows = await harness.bot.db.fetch_all(
        "SELECT channel_id, category FROM kaggle_subscriptions WHERE guild_id = ? ORDER BY id",
        (guild_id,),
    )
    return [(row[0], row[1]) for row in rows]


def leaf_options(sim: DiscordSimulator, path: str) -> list[dict[str, Any]]:
    """The synced option specs of a command path such as "admin kaggle subscribe"."""
    first, *rest = path.split()
    [node] = [c for c in sim.global_commands if c["name"] == first]
    for word in rest:
        [node] = [o for o in node["options"] if o["name"] == word]
    return list(node["options"])


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
    # Discord hides /admin from members, but a server can re-grant it to anyone in its
    # Integrations settings (enforce_permissions=False): the bot's own check refuses.
    for command in ("admin kaggle subscribe", "admin kaggle unsubscribe"):
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

    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral and "announced in" in res.content
    res = await sim.invoke(
        world.guild,
        world.bob,
        "admin kaggle unsubscribe",
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
        await sim.invoke(
            world.guild, world.admin, "admin kaggle subscribe", {"channel": world.voice}
        )

    # A stale command definition (or a crafted request) without channel_types: the bot checks.
    for option in leaf_options(sim, "admin kaggle subscribe"):
        option.pop("channel_types", None)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.voice}
    )
    assert res.ephemeral
    assert res.content.startswith(f"<#{world.voice.id}> is a voice channel")
    assert "text or announcement channel" in res.content

    other_channel = sim.add_channel(world.other_guild, "elsewhere")
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": other_channel}
    )
    assert res.ephemeral
    assert "not in this server" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == []


async def test_unknown_category_and_unpostable_channel_are_refused(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await start(kaggle_harness)
    for option in leaf_options(sim, "admin kaggle subscribe"):
        option.pop("choices", None)  # as if the client sent any string
    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin kaggle subscribe",
        {"channel": world.kaggle, "category": "@everyone"},
    )
    assert res.ephemeral and "Unknown category" in res.content
    assert "getting-started" in res.content

    sim.set_bot_permissions(world.kaggle, deny=EMBED_LINKS)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral
    assert "Embed Links" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == []


@pytest.mark.parametrize(
    ("deny", "needs"),
    [
        (VIEW_CHANNEL, "View Channel, Send Messages and Embed Links"),
        (SEND_MESSAGES, "Send Messages and Embed Links"),
        (EMBED_LINKS, "Embed Links"),
    ],
)
async def test_subscribe_refuses_a_channel_the_bot_cannot_post_embeds_in(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, deny: int, needs: str
) -> None:
    await start(kaggle_harness)
    sim.set_bot_permissions(world.kaggle, deny=deny)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral
    assert res.content == (
        f"StudyBot can't post in {world.kaggle.mention}: it needs {needs} there. Grant "
        f"{'that' if ' and ' not in needs else 'them'} in the channel's permissions, then run "
        "`/admin kaggle subscribe` again."
    )
    assert await subscriptions(kaggle_harness, world.guild.id) == []


async def test_kaggle_posts_need_no_thread_permissions(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await start(kaggle_harness)
    sim.set_bot_permissions(world.kaggle, deny=CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral and "will be announced in" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == [(world.kaggle.id, "all")]


@pytest.mark.parametrize(
    ("deny", "needs"),
    [(VIEW_CHANNEL, "View Channel and Send Messages"), (SEND_MESSAGES, "Send Messages")],
)
async def test_subscribe_refuses_a_channel_the_admin_cannot_see_or_post_in(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, deny: int, needs: str
) -> None:
    _, cog = await start(kaggle_harness)
    sim.set_channel_overwrite(world.kaggle, world.admin, deny=deny)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral
    assert res.content == (
        f"You can't post in {world.kaggle.mention} yourself (you need {needs} there), so "
        "StudyBot won't post there for you. Pick a channel you can post in."
    )
    await cog.settled()
    assert await subscriptions(kaggle_harness, world.guild.id) == []
    assert sim.messages_in(world.kaggle) == []


async def test_resubscribing_updates_the_category_and_unsubscribe_stops_posts(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    _, cog = await start(kaggle_harness)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    await cog.settled()
    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin kaggle subscribe",
        {"channel": world.kaggle, "category": "all"},
    )
    assert "already gets Kaggle posts" in res.content
    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin kaggle subscribe",
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
        world.guild, world.admin, "admin kaggle unsubscribe", {"channel": world.papers}
    )
    assert res.ephemeral
    assert f"Subscribed here: <#{world.kaggle.id}>" in res.content
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle unsubscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral and "stopped" in res.content
    assert await subscriptions(kaggle_harness, world.guild.id) == []
    fake_kaggle.add_competition(record("after", "After Unsubscribe", category="Research"))
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 2
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle unsubscribe", {"channel": world.kaggle}
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
