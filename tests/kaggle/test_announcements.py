"""Announcements end to end: the bot against the Discord simulator and the fake Kaggle API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.conftest import BotHarness, World
from tests.fakes.kaggle import FakeKaggle
from tests.kaggle.conftest import record, start
from tests.simulator import DiscordSimulator, SimMessage

DEFAULT_TITLES = [
    "Example Tabular Challenge 2026",
    "Playground Series Example",
    "Example Protein Graph Research Prize",
    "Store Sales - Time Series Forecasting",
    "Natural Language Processing with Disaster Tweets",
    "Digit Recognizer",
    "Titanic - Machine Learning from Disaster",
]


def titles(messages: list[SimMessage]) -> list[str]:
    """The embed titles of posted messages, in order."""
    return [embed.get("title", "") for message in messages for embed in message.embeds]


def field(message: SimMessage, name: str) -> str:
    """The value of an embed field of a posted message."""
    for embed_field in message.embeds[0].get("fields", []):
        if embed_field["name"] == name:
            return str(embed_field["value"])
    raise AssertionError(f"no field {name!r} in {message.embeds[0]}")


async def subscribe(
    sim: DiscordSimulator, world: World, channel: object, category: str | None = None
) -> str:
    """Run /admin kaggle subscribe as the admin; returns the reply text."""
    options: dict[str, object] = {"channel": channel}
    if category is not None:
        options["category"] = category
    res = await sim.invoke(world.guild, world.admin, "admin kaggle subscribe", options)
    assert res.ephemeral, res.text
    return res.text


async def test_summary_then_each_new_competition_once_even_after_restart(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    _, cog = await start(kaggle_harness)
    assert len(fake_kaggle.list_requests()) == 3  # the start-up poll paged through 7 records
    assert all(r.auth_scheme == "bearer" and r.authorized for r in fake_kaggle.list_requests())

    reply = await subscribe(sim, world, world.kaggle)
    assert f"announced in <#{world.kaggle.id}>" in reply
    await cog.settled()

    posts = sim.messages_in(world.kaggle)
    assert titles(posts) == ["Kaggle competitions open now"]
    summary = posts[0].embeds[0]["description"]
    for title in DEFAULT_TITLES:
        assert title in summary
    assert posts[0].allowed_mentions == {"parse": []}

    await cog.poll()
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 1, "the summary is not followed by a flood"

    fake_kaggle.add_competition(
        record(
            "vision-2027",
            "Example Image Segmentation Challenge",
            description="Segment cells in microscope images",
            tags=[{"ref": "image", "name": "image"}],
        )
    )
    result = await cog.poll()
    assert result.state == "ok" and result.new == 1
    posts = sim.messages_in(world.kaggle)
    assert titles(posts)[1:] == ["New on Kaggle: Example Image Segmentation Challenge"]
    announcement = posts[1]
    assert announcement.embeds[0]["url"] == "https://www.kaggle.com/competitions/vision-2027"
    assert "4.3 " in field(announcement, "Roadmap sections")
    assert "7.2 " in field(announcement, "Roadmap sections")
    deadline = int(datetime(2027, 3, 31, 23, 59, tzinfo=UTC).timestamp())
    assert f"<t:{deadline}:R>" in field(announcement, "Deadline")
    assert field(announcement, "Reward") == "$10,000"
    assert field(announcement, "Category") == "Featured"

    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 2

    _, cog = await start(kaggle_harness)  # restart: the start-up poll runs again
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 2, "nothing is posted twice after a restart"
    assert sim.messages_in(world.general) == []


async def test_deadline_reminders_seven_days_and_one_day_before_once_each(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
    clock: FakeClock,
) -> None:
    fake_kaggle.competitions = []
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    deadline = clock.now + timedelta(days=10)
    fake_kaggle.add_competition(
        record("tabular-2027", "Tabular Sprint", deadline=deadline.isoformat())
    )
    await cog.poll()
    assert titles(sim.messages_in(world.kaggle)) == [
        "Kaggle competitions open now",
        "New on Kaggle: Tabular Sprint",
    ]

    clock.set(deadline - timedelta(days=7, hours=1))
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 2, "not yet: 7 days and 1 hour left"

    clock.set(deadline - timedelta(days=6, hours=23))
    await cog.poll()
    await cog.poll()
    posts = sim.messages_in(world.kaggle)
    assert titles(posts)[2:] == ["⏰ One week left: Tabular Sprint"]
    assert f"<t:{int(deadline.timestamp())}:R>" in posts[2].embeds[0]["description"]

    clock.set(deadline - timedelta(hours=23))
    await cog.poll()
    await cog.poll()
    assert titles(sim.messages_in(world.kaggle))[3:] == ["⏰ Less than a day left: Tabular Sprint"]

    clock.set(deadline + timedelta(hours=1))
    await cog.poll()
    assert len(sim.messages_in(world.kaggle)) == 4


async def test_reminder_window_missed_while_down_sends_only_the_later_one(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
    clock: FakeClock,
) -> None:
    fake_kaggle.competitions = []
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    deadline = clock.now + timedelta(days=10)
    fake_kaggle.add_competition(record("late", "Late Bloomer", deadline=deadline.isoformat()))
    await cog.poll()
    await kaggle_harness.stop()

    clock.set(deadline - timedelta(hours=12))  # down through the whole 7-day window
    _, cog = await start(kaggle_harness)
    await cog.poll()
    assert titles(sim.messages_in(world.kaggle))[2:] == ["⏰ Less than a day left: Late Bloomer"]


async def test_competition_announced_inside_the_week_gets_only_the_day_reminder(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
    clock: FakeClock,
) -> None:
    fake_kaggle.competitions = []
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    deadline = clock.now + timedelta(days=3)
    fake_kaggle.add_competition(record("short", "Short Sprint", deadline=deadline.isoformat()))
    await cog.poll()
    await cog.poll()
    assert titles(sim.messages_in(world.kaggle))[1:] == ["New on Kaggle: Short Sprint"]
    clock.set(deadline - timedelta(hours=2))
    await cog.poll()
    assert titles(sim.messages_in(world.kaggle))[2:] == ["⏰ Less than a day left: Short Sprint"]


async def test_category_filter_per_subscription(
    kaggle_harness: BotHarness, world: World, sim: DiscordSimulator, fake_kaggle: FakeKaggle
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle, "featured")
    await subscribe(sim, world, world.papers, "getting-started")
    await cog.settled()

    featured = sim.messages_in(world.kaggle)[0].embeds[0]
    assert featured["title"] == "Kaggle competitions open now (Featured)"
    assert "Example Tabular Challenge 2026" in featured["description"]
    assert "Titanic" not in featured["description"]
    beginner = sim.messages_in(world.papers)[0].embeds[0]["description"]
    for title in DEFAULT_TITLES[3:]:
        assert title in beginner
    assert "Example Tabular Challenge 2026" not in beginner

    fake_kaggle.add_competition(record("play-2027", "Playground Winter", category="Playground"))
    fake_kaggle.add_competition(record("feat-2027", "Featured Winter", category="Featured"))
    fake_kaggle.add_competition(
        record("gs-2027", "Beginner Winter", category="Getting Started", deadline=None)
    )
    await cog.poll()
    assert titles(sim.messages_in(world.kaggle))[1:] == ["New on Kaggle: Featured Winter"]
    assert titles(sim.messages_in(world.papers))[1:] == ["New on Kaggle: Beginner Winter"]


async def test_malformed_records_are_skipped_and_the_rest_announced(
    kaggle_harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_kaggle: FakeKaggle,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, cog = await start(kaggle_harness)
    await subscribe(sim, world, world.kaggle)
    await cog.settled()
    caplog.set_level(logging.WARNING, logger="cogs.kaggle")

    fake_kaggle.add_competition({"ref": "https://www.kaggle.com/competitions/untitled"})
    fake_kaggle.add_competition("not a record")  # type: ignore[arg-type]
    fake_kaggle.add_competition({"title": "No Ref", "deadline": "2027-01-01T00:00:00Z"})
    fake_kaggle.add_competition(
        record(
            "odd-fields",
            "Odd Fields Cup",
            deadline="the day after tomorrow",
            teamCount="many",
            tags="not a list",
            reward=None,
            somethingNew={"nested": True},
        )
    )
    hostile = "@everyone **Win** [click](https://evil.example) " * 40
    fake_kaggle.add_competition(record("hostile", hostile, description="<@&123> " * 300))
    result = await cog.poll()

    assert result.state == "ok"
    posts = sim.messages_in(world.kaggle)
    assert len(posts) == 3, titles(posts)
    assert titles(posts)[1].startswith("New on Kaggle: @\u200beveryone \\*\\*Win\\*\\* \\[click\\]")
    assert titles(posts)[2] == "New on Kaggle: Odd Fields Cup"
    odd = next(p for p in posts if "Odd Fields Cup" in p.embeds[0]["title"])
    assert field(odd, "Deadline") == "no deadline given"
    assert field(odd, "Reward") == "none listed"
    loud = next(p for p in posts if "everyone" in p.embeds[0]["title"])
    assert len(loud.embeds[0]["title"]) <= 256
    assert len(loud.embeds[0]["description"]) <= 4096
    assert "@everyone" not in loud.text
    assert loud.allowed_mentions == {"parse": []}
    skipped = [r.getMessage() for r in caplog.records if "Skipping Kaggle record" in r.getMessage()]
    assert len(skipped) == 3
