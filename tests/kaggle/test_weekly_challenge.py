"""Without Kaggle credentials: a curated challenge of the week, and the curated /kaggle list."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.settings import Settings
from roadmap.kaggle_data import challenge_for_week, load_curated
from tests.conftest import BotHarness, World
from tests.fakes.kaggle import FakeKaggle
from tests.kaggle.conftest import start
from tests.simulator import DiscordSimulator

PREFIX = "🏆 Challenge of the week: "


def challenges(sim: DiscordSimulator, channel: object) -> list[str]:
    """Titles of the weekly challenges posted in a channel, in order."""
    return [
        m.embeds[0]["title"].removeprefix(PREFIX)
        for m in sim.messages_in(channel)  # type: ignore[arg-type]
        if m.embeds and m.embeds[0]["title"].startswith(PREFIX)
    ]


async def test_one_curated_challenge_a_week_rotating_through_the_list(
    kaggle_harness: BotHarness,
    no_credentials: Settings,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    fake_kaggle: FakeKaggle,
) -> None:
    kaggle_harness.settings = no_credentials
    _, cog = await start(kaggle_harness)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral
    assert "curated beginner challenge every week" in res.content
    assert "KAGGLE_API_TOKEN" in res.content
    await cog.settled()

    year, week, _ = clock.now.isocalendar()
    first = challenge_for_week(year, week, set())
    assert challenges(sim, world.kaggle) == [first.title]
    post = sim.messages_in(world.kaggle)[0].embeds[0]
    assert post["url"] == first.url
    assert "7.2 Kaggle" in post["fields"][-1]["value"]

    assert (await cog.poll()).state == "curated"
    _, cog = await start(kaggle_harness)  # restart within the same week
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 1

    curated = load_curated()
    for _ in range(len(curated)):
        clock.advance(timedelta(days=7))
        await cog.poll()
        await cog.poll()
    posted = challenges(sim, world.kaggle)
    assert len(posted) == len(curated) + 1, "exactly one a week"
    assert sorted(posted[: len(curated)]) == sorted(c.title for c in curated), "every one once"
    assert posted[-1] != posted[-2], "the next pass never repeats last week's"
    assert fake_kaggle.requests == [], "Kaggle is never called without credentials"


async def test_curated_list_says_live_announcements_need_credentials(
    kaggle_harness: BotHarness,
    no_credentials: Settings,
    world: World,
    sim: DiscordSimulator,
) -> None:
    kaggle_harness.settings = no_credentials
    _, cog = await start(kaggle_harness)
    await sim.invoke(world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle})
    await cog.settled()
    this_week = challenges(sim, world.kaggle)[0]

    res = await sim.invoke(world.guild, world.alice, "kaggle list")
    assert not res.ephemeral
    first = res.embeds[0]
    assert "KAGGLE_API_TOKEN" in first["description"]
    assert "KAGGLE_USERNAME" in first["description"]
    names = [f["name"] for f in first["fields"]]
    assert names[0] == "Titanic - Machine Learning from Disaster"
    assert "(https://www.kaggle.com/competitions/titanic)" in first["fields"][0]["value"]
    assert "Sections: 3.3 " in first["fields"][0]["value"]
    assert first["footer"]["text"].startswith("Page 1 of 3")
    pages = [first]
    message = res.message
    assert message is not None
    for _ in range(2):
        turned = await sim.click(world.guild, world.alice, message, message.custom_ids()[1])
        assert turned.message is not None
        message = turned.message
        pages.append(message.embeds[0])
    marked = [f["name"] for p in pages for f in p["fields"] if "this week's challenge" in f["name"]]
    assert marked == [f"🏆 {this_week} (this week's challenge)"]
