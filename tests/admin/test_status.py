"""/admin status end to end: what is set up, when it runs next, what is paused, what is missing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar, cast

from cogs.kaggle.cog import Kaggle
from cogs.papers.cog import PaperClub
from tests.admin.conftest import admin_status
from tests.conftest import BotHarness, TestStudyBot, World
from tests.fakes.kaggle import FakeKaggle
from tests.papers.conftest import schedule_posts
from tests.simulator import DiscordSimulator, InteractionResult
from tests.simulator.models import CREATE_PUBLIC_THREADS

DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday 18:00 in Berlin
FRIDAY_NY = datetime(2026, 11, 27, 12, 5, tzinfo=UTC)  # Friday 07:05 in New York


T = TypeVar("T")


def cog(bot: TestStudyBot, name: str, kind: type[T]) -> T:
    """A running cog by name (loading an extension imports its modules afresh)."""
    found = bot.get_cog(name)
    assert found is not None and type(found).__name__ == kind.__name__
    return cast(T, found)


def description(res: InteractionResult) -> str:
    """The status page's text."""
    [embed] = res.embeds
    return str(embed["description"])


async def subscribe(sim: DiscordSimulator, world: World) -> None:
    """Subscribe the Kaggle channel as the admin."""
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral and "error code" not in res.content, res.content


async def test_an_empty_server_is_told_nothing_is_set_up_and_how_to_start(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await harness.start()
    res = await admin_status(sim, world)
    [embed] = res.embeds
    assert embed["title"] == "StudyBot in Study Group"
    assert embed["description"] == (
        "Nothing is set up in this server yet. To start:\n"
        "• **Weekly paper club**: `/admin paper schedule channel weekday time timezone [role]` "
        "posts a paper of the week in a channel\n"
        "• **Kaggle challenges**: `/admin kaggle subscribe channel [category]` announces Kaggle "
        "competitions there"
    )
    assert embed["footer"]["text"] == "Only you see this. Times show in your own time zone."


async def test_status_lists_every_schedule_and_subscription_with_next_posts_and_problems(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await harness.start()
    readers = sim.add_role(world.guild, "readers", mentionable=True)
    reading_room = sim.add_channel(world.guild, "reading-room")
    await schedule_posts(sim, world.guild, world.admin, world.papers, role=readers)
    await schedule_posts(
        sim, world.guild, world.admin, reading_room, weekday=4, time="07:05",
        timezone="America/New_York",
    )  # fmt: skip
    await subscribe(sim, world)
    # Another server's set-up is not this server's business.
    await schedule_posts(sim, world.other_guild, world.other_admin, world.other_guild.general)
    # Lost after scheduling: shown live, from the bot's view of the channel now.
    sim.set_bot_permissions(reading_room, deny=CREATE_PUBLIC_THREADS)

    res = await admin_status(sim, world)
    text = description(res)
    assert text.startswith("**Weekly paper club**\n")
    assert (
        f"• {world.papers.mention} every Tuesday at 18:00 (Europe/Berlin), pinging "
        f"{readers.mention}\n  Next post <t:{int(DUE.timestamp())}:R> "
        f"(<t:{int(DUE.timestamp())}:F>)\n"
    ) in text
    assert (
        f"• {reading_room.mention} every Friday at 07:05 (America/New_York)\n"
        f"  Next post <t:{int(FRIDAY_NY.timestamp())}:R> (<t:{int(FRIDAY_NY.timestamp())}:F>)\n"
        "  ⚠️ StudyBot lacks Create Public Threads there.\n"
    ) in text
    assert "**Kaggle challenges**\n" in text
    assert f"• {world.kaggle.mention} gets all categories\n" in text
    assert "ℹ️ StudyBot has no Kaggle credentials, so it posts a curated beginner challenge" in text
    assert "Not set up yet" not in text
    assert str(world.other_guild.general.id) not in text
    assert "⚠️" not in text.split(reading_room.mention)[0], "the first channel has no problem"
    assert res.allowed_mentions == {"parse": []}  # the role is shown, never pinged

    other = await admin_status(sim, world)  # the same again: status stores nothing
    assert description(other) == text


async def test_status_says_what_is_paused_and_why(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    club = cog(bot, "PaperClub", PaperClub)
    kaggle = cog(bot, "Kaggle", Kaggle)
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await subscribe(sim, world)
    await kaggle.settled()
    sim.set_bot_permissions(world.papers, allow_send=False)
    sim.set_bot_permissions(world.kaggle, allow_send=False)
    harness.clock.set(DUE)
    await club.run_due()
    harness.clock.set(DUE + timedelta(weeks=1))  # the next weekly challenge is due
    await kaggle.poll()
    [schedule] = await club.repo.guild_schedules(world.guild.id)
    [subscription] = await kaggle.repo.guild_subscriptions(world.guild.id)
    assert schedule.paused and schedule.pause_reason and schedule.paused_at
    assert subscription.paused and subscription.pause_reason and subscription.paused_at

    text = description(await admin_status(sim, world))
    assert (
        f"• {world.papers.mention} every Tuesday at 18:00 (Europe/Berlin)\n"
        f"  ⏸️ Paused <t:{int(schedule.paused_at.timestamp())}:R>: {schedule.pause_reason}. "
        "Run `/admin paper schedule` for this channel again to resume it.\n"
        "  ⚠️ StudyBot lacks Send Messages, Embed Links and Send Messages in Threads there.\n"
    ) in text
    assert "Next post" not in text
    assert (
        f"• {world.kaggle.mention} gets all categories\n"
        f"  ⏸️ Paused <t:{int(subscription.paused_at.timestamp())}:R>: "
        f"{subscription.pause_reason}. Run `/admin kaggle subscribe` for this channel again "
        "to resume it.\n"
        "  ⚠️ StudyBot lacks Send Messages and Embed Links there.\n"
    ) in text


async def test_status_says_whether_kaggle_answers(
    live_kaggle: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    bot = await live_kaggle.start()
    kaggle = cog(bot, "Kaggle", Kaggle)
    await kaggle.settled()
    await subscribe(sim, world)
    await kaggle.settled()
    checked = int(live_kaggle.clock().timestamp())
    job = bot.scheduler.get_job("kaggle:poll")
    assert job is not None and job.next_run_time is not None
    next_check = int(job.next_run_time.timestamp())
    text = description(await admin_status(sim, world))
    assert (
        f"✅ Kaggle is reachable: last checked <t:{checked}:R>. Next check <t:{next_check}:R>."
    ) in text

    fake_kaggle.fail(503, times=2)  # the first try and its one retry
    assert (await kaggle.poll()).state != "ok"
    text = description(await admin_status(sim, world))
    assert "⚠️ Kaggle is not reachable: the check <t:" in text
    assert f"it last answered <t:{checked}:R>." in text

    fake_kaggle.token = "rotated-elsewhere"  # StudyBot's token is no longer valid
    assert (await kaggle.poll()).state == "auth"
    text = description(await admin_status(sim, world))
    assert "⛔ Kaggle has refused StudyBot's credentials since <t:" in text
    assert "`KAGGLE_API_TOKEN`" in text
    assert "kaggle-admin-test-token" not in text
