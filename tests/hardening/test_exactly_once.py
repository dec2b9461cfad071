"""Exactly once when Discord fails after the fact: the message was created, then the answer was
a 5xx, a timeout or a dropped connection. The bot resends with the claim's nonce while Discord
still dedupes, and after that looks for its own message in the channel; either way the channel
holds one post and one thread. A post that cannot be sent within its grace tells the admins
once and gives its paper back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from tests.conftest import BotHarness, World
from tests.papers.conftest import bot_posts, paper_club, schedule_posts
from tests.simulator import DiscordSimulator

# Tuesday 18:00 in Berlin is 17:00 UTC; the harness clock starts at 12:00 UTC that day.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
MESSAGES = r"^/channels/{channel}/messages$"
THREADS = r"^/channels/{channel}/messages/\d+/threads$"


async def one_post_with_its_thread(
    sim: DiscordSimulator, world: World, harness: BotHarness
) -> None:
    """The channel holds exactly one post, with its thread, and the bot recorded both."""
    posts = bot_posts(sim, world.papers)
    assert len(posts) == 1, [p.id for p in posts]
    [post] = posts
    assert post.thread is not None
    threads = [t for t in sim.threads if t.parent_id == world.papers.id]
    assert [t.id for t in threads] == [post.thread.id]
    assert harness.bot is not None
    [row] = await harness.bot.outbox.posts("paper")
    assert (row.status, row.message_id, row.thread_id) == ("done", post.id, post.thread.id)
    res = await sim.invoke(world.guild, world.alice, "paper current")
    assert post.thread.mention in res.text


AFTER_CREATION = [
    pytest.param({"status": 503}, id="503"),
    pytest.param({"mode": "timeout"}, id="timeout"),
    pytest.param({"mode": "drop"}, id="dropped-connection"),
]


@pytest.mark.parametrize("fault", AFTER_CREATION)
async def test_a_failure_after_the_message_was_created_makes_no_second_message(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    fault: dict[str, Any],
) -> None:
    bot = await harness.start()
    bot.outbox.request_timeout = 1.0
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    sim.fail("POST", MESSAGES.format(channel=world.papers.id), when="after", **fault)
    clock.set(DUE)
    assert (await paper_club(bot).run_due()).posted == 1
    await one_post_with_its_thread(sim, world, harness)
    # The retry carried the same nonce, and Discord answered it with the first message.
    path = f"/channels/{world.papers.id}/messages"
    nonces = [b["nonce"] for m, p, b in sim.request_bodies if m == "POST" and p.endswith(path)]
    assert len(nonces) == 2 and len(set(nonces)) == 1


async def test_past_the_nonce_window_the_post_is_found_in_the_channel_not_resent(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    # Every attempt of this run is created and then answered 503: the bot cannot know.
    sim.fail("POST", MESSAGES.format(channel=world.papers.id), 503, times=3, when="after")
    clock.set(DUE)
    assert (await paper_club(bot).run_due()).posted == 0
    assert len(bot_posts(sim, world.papers)) == 1  # Discord deduped the three attempts
    [row] = await bot.outbox.posts("paper")
    assert row.status == "pending" and row.attempts == 3

    # Later Discord no longer remembers the nonce: a resend would make a second post. (Both
    # windows are shortened so that the test need not wait minutes of real time.)
    sim.nonce_window = 0.5
    bot.outbox.nonce_window = timedelta(seconds=0.5)
    await asyncio.sleep(1.1)
    clock.advance(timedelta(minutes=2))  # the retry's time has come
    await bot.agenda.run_now()
    assert bot.outbox.found == 1
    await one_post_with_its_thread(sim, world, harness)


async def test_past_the_nonce_window_a_post_that_never_arrived_is_sent(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    sim.fail("POST", MESSAGES.format(channel=world.papers.id), 503, times=3)
    clock.set(DUE)
    await paper_club(bot).run_due()
    assert bot_posts(sim, world.papers) == []
    sim.nonce_window = 0.5
    bot.outbox.nonce_window = timedelta(seconds=0.5)
    await asyncio.sleep(1.1)
    clock.advance(timedelta(minutes=2))
    await bot.agenda.run_now()
    assert bot.outbox.found == 0
    await one_post_with_its_thread(sim, world, harness)


async def test_a_thread_retried_after_a_5xx_is_never_lost_nor_doubled(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    sim.fail("POST", THREADS.format(channel=world.papers.id), 503, when="after")
    clock.set(DUE)
    await paper_club(bot).run_due()
    await one_post_with_its_thread(sim, world, harness)


async def test_a_post_that_fails_through_its_grace_tells_admins_once_and_gives_the_paper_back(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    assert "#1 in the queue" in res.text
    sim.fail("POST", MESSAGES.format(channel=world.papers.id), 503, times=1000)
    clock.set(DUE)
    await paper_club(bot).run_due()
    for _ in range(4):  # retried at every wake until the grace runs out
        clock.advance(timedelta(hours=2))
        await bot.agenda.run_now()
    assert bot_posts(sim, world.papers) == []
    [notice] = bot_posts(sim, world.general)
    assert "could not be sent" in notice.content and "back to the queue" in notice.content
    [row] = await bot.outbox.posts("paper")
    assert row.status == "failed"

    # Discord is back: next week's post is the paper that could not go out.
    sim.clear_faults()
    clock.set(DUE + timedelta(weeks=1))
    await bot.agenda.run_now()
    [post] = bot_posts(sim, world.papers)
    assert post.embeds[0]["title"] == "Attention Is All You Need"
    assert len(bot_posts(sim, world.general)) == 1  # told once
