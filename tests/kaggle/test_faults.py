"""Kaggle and Discord faults: refused credentials, rate limits, a slow Kaggle, lost channels."""

from __future__ import annotations

import asyncio

import discord

from tests.conftest import BotHarness, ErrorLog, World
from tests.fakes.kaggle import FakeKaggle, RecordingSleep
from tests.kaggle.conftest import record, start
from tests.simulator import DiscordSimulator, SimChannel, SimUser


async def subscribe(
    sim: DiscordSimulator, world: World, channel: SimChannel, admin: SimUser | None = None
) -> None:
    """Subscribe a channel as an admin of its server."""
    guild = world.other_guild if admin is world.other_admin else world.guild
    res = await sim.invoke(
        guild, admin or world.admin, "admin kaggle subscribe", {"channel": channel}
    )
    assert res.ephemeral and "will be announced" in res.content, res.content


async def test_refused_credentials_are_logged_once_and_shown_to_admins_only(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
    error_log: ErrorLog,
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    requests = len(fake_kaggle.list_requests())

    fake_kaggle.token = "rotated-elsewhere"  # the bot's token is no longer valid
    for _ in range(3):
        assert (await cog.poll()).state == "auth"
    assert len(fake_kaggle.list_requests()) == requests + 3, "one request a poll, no retries"
    refused = [r for r in error_log.records if "refused" in r.getMessage()]
    assert len(refused) == 1
    assert "kaggle-test-token" not in refused[0].getMessage()

    member = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert "refused" not in member.text
    assert "Playground Series Example" in member.text  # the last known list
    assert "as of <t:" in member.embeds[0]["description"]
    admin = await sim.invoke(world.guild, world.admin, "kaggle list")
    await admin.wait_followups(1)
    assert "Playground Series Example" in admin.text
    note = admin.followups[0]
    assert note.ephemeral
    assert "refused StudyBot's credentials" in note.content
    assert "KAGGLE_API_TOKEN" in note.content

    fake_kaggle.token = "kaggle-test-token"
    fake_kaggle.add_competition(record("back", "Back Online Cup"))
    assert (await cog.poll()).state == "ok"
    assert "New on Kaggle: Back Online Cup" in sim.messages_in(world.kaggle)[-1].text
    admin = await sim.invoke(world.guild, world.admin, "kaggle list")
    assert admin.followups == [] or not any("refused" in m.content for m in admin.followups)
    assert "Checked on Kaggle" in admin.embeds[0]["description"]
    error_log.records.clear()


async def test_rate_limit_then_ok_backs_off_and_announces(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
    kaggle_sleep: RecordingSleep,
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    fake_kaggle.add_competition(record("after-429", "Patience Prize"))
    fake_kaggle.fail(429, times=2, retry_after=7)
    result = await cog.poll()
    assert result.state == "ok"
    assert kaggle_sleep.delays == [7.0, 7.0]
    assert sim.messages_in(world.kaggle)[-1].embeds[0]["title"] == "New on Kaggle: Patience Prize"


async def test_kaggle_down_is_retried_next_poll(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    fake_kaggle.add_competition(record("patient", "Second Try Cup"))
    fake_kaggle.fail(503, times=3)  # the first request and both retries
    assert (await cog.poll()).state == "unavailable"
    assert len(sim.messages_in(world.kaggle)) == 1
    assert (await cog.poll()).state == "ok"
    assert sim.messages_in(world.kaggle)[-1].embeds[0]["title"] == "New on Kaggle: Second Try Cup"


async def test_slow_kaggle_times_out_and_commands_answer_from_the_cache(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    # Two attempts of half a second each: the poll is still waiting on Kaggle while the
    # commands below are answered.
    _, cog = await start(kaggle_harness, kaggle_timeout_seconds=0.5, kaggle_max_retries=1)
    fake_kaggle.slow(30)
    polling = asyncio.create_task(cog.poll())
    await asyncio.sleep(0.05)

    res = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert "Playground Series Example" in res.text
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert "will be announced" in res.content
    assert not polling.done(), "the commands did not wait for Kaggle"

    result = await polling
    assert result.state == "unavailable"
    res = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert "Kaggle is not answering right now: this is the list as of <t:" in res.text
    assert "Playground Series Example" in res.text
    await cog.settled()
    assert [m.embeds[0]["title"] for m in sim.messages_in(world.kaggle)] == [
        "Kaggle competitions open now"
    ]

    fake_kaggle.slow(0)
    assert (await cog.poll()).state == "ok"
    res = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert "Checked on Kaggle" in res.text


async def test_deleted_channel_pauses_and_tells_admins_once_other_guilds_go_on(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    other_channel = sim.add_channel(world.other_guild, "competitions")
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await subscribe(sim, world, other_channel, world.other_admin)
    await cog.settled()

    sim.remove_channel(world.kaggle)  # deleted without a gateway event: the post gets a 404
    fake_kaggle.add_competition(record("one", "First After Deletion"))
    await cog.poll()
    fake_kaggle.add_competition(record("two", "Second After Deletion"))
    await cog.poll()

    notices = sim.messages_in(world.general)
    assert len(notices) == 1
    assert f"paused the Kaggle posts for <#{world.kaggle.id}>: the channel was deleted" in (
        notices[0].content
    )
    assert "/admin kaggle subscribe" in notices[0].content
    assert [m.embeds[0]["title"] for m in sim.messages_in(other_channel)] == [
        "Kaggle competitions open now",
        "New on Kaggle: First After Deletion",
        "New on Kaggle: Second After Deletion",
    ]

    assert sim.messages_in(world.other_guild.general) == [], "the other server hears nothing"
    await subscribe(sim, world, world.papers)  # the admins move the posts elsewhere
    await cog.settled()
    summary = sim.messages_in(world.papers)[0].embeds[0]
    assert "Second After Deletion" in summary["description"]


async def test_lost_permission_pauses_and_resubscribing_resumes(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()

    sim.fail("POST", rf"/channels/{world.kaggle.id}/messages", 403)
    fake_kaggle.add_competition(record("locked", "Locked Out Cup"))
    await cog.poll()
    await cog.poll()
    notices = sim.messages_in(world.general)
    assert len(notices) == 1
    assert "may not post there" in notices[0].content
    assert len(sim.messages_in(world.kaggle)) == 1

    sim.set_bot_permissions(world.kaggle, allow_send=False)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert "Send Messages" in res.content  # refused: nothing stored, still paused
    sim.set_bot_permissions(world.kaggle, allow_send=True)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert "paused posts are resumed" in res.content
    await cog.settled()
    posts = sim.messages_in(world.kaggle)
    assert len(posts) == 2
    assert "Locked Out Cup" in posts[1].embeds[0]["description"]
    assert len(sim.messages_in(world.general)) == 1


async def test_permission_lost_in_cache_pauses_before_posting(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    bot, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    sim.set_bot_permissions(world.kaggle, allow_send=False)
    await sim.flush()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    for _ in range(200):  # until the CHANNEL_UPDATE reached the bot's cache
        channel = guild.get_channel(world.kaggle.id)
        assert isinstance(channel, discord.TextChannel)
        if not channel.permissions_for(guild.me).send_messages:
            break
        await asyncio.sleep(0.01)
    fake_kaggle.add_competition(record("muted", "Muted Cup"))
    await cog.poll()
    notices = sim.messages_in(world.general)
    assert len(notices) == 1 and "lacks Send Messages" in notices[0].content
    posts = [
        r
        for r in sim.requests
        if r.method == "POST" and r.path.endswith(f"/{world.kaggle.id}/messages")
    ]
    assert len(posts) == 1, "only the summary: nothing was sent once the permission was gone"


async def test_admins_are_told_by_dm_when_the_system_channel_is_gone(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.general)
    await cog.settled()
    sim.remove_channel(world.general)  # the system channel itself
    fake_kaggle.add_competition(record("lonely", "Lonely Cup"))
    await cog.poll()
    await cog.poll()
    dms = sim.dms_to(world.admin)
    assert len(dms) == 1
    assert f"paused the Kaggle posts for <#{world.general.id}>" in dms[0].content


async def test_summary_waits_for_the_first_successful_poll(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    fake_kaggle.fail(503, times=3)  # the start-up poll and both its retries
    _, cog = await start(kaggle_harness)
    res = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert "StudyBot could not reach Kaggle yet" in res.embeds[0]["description"]
    assert res.embeds[0]["title"] == "Beginner Kaggle competitions"

    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert "follows after StudyBot's first check of Kaggle" in res.content
    await cog.settled()
    assert sim.messages_in(world.kaggle) == []

    assert (await cog.poll()).state == "ok"
    await cog.poll()
    posts = sim.messages_in(world.kaggle)
    assert [m.embeds[0]["title"] for m in posts] == ["Kaggle competitions open now"]


async def test_an_announcement_created_then_answered_503_is_posted_once(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    before = len(sim.messages_in(world.kaggle))

    # Discord makes the message, then the answer is lost: the retry's nonce finds it again.
    sim.fail("POST", rf"^/channels/{world.kaggle.id}/messages$", 503, when="after")
    fake_kaggle.add_competition(record("once", "Exactly Once Cup"))
    await cog.poll()
    new = sim.messages_in(world.kaggle)[before:]
    assert [m.text.count("Exactly Once Cup") > 0 for m in new] == [True]
    assert [r.status for r in sim.requests if r.path.endswith(f"{world.kaggle.id}/messages")][
        -2:
    ] == [503, 200]
