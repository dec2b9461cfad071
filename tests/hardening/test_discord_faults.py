"""Discord faults during a fan-out of scheduled posts: 429s, 5xx, a dropped gateway, a guild
removed while its post is due. Afterwards nothing is sent twice, nothing that should have gone
is lost, and the bot still answers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import BotHarness
from tests.simulator import DiscordSimulator, SimChannel, SimGuild, SimUser

GUILDS = 24
# Tuesday 2026-11-24 18:00 in Berlin is 17:00 UTC; the harness clock starts at 12:00 UTC.
DUE = datetime(2026, 11, 24, 17, 0, 5, tzinfo=UTC)


@dataclass
class Club:
    """One study server with a weekly paper schedule."""

    guild: SimGuild
    channel: SimChannel
    admin: SimUser
    member: SimUser


@pytest.fixture
async def clubs(sim: DiscordSimulator, harness: BotHarness) -> AsyncIterator[list[Club]]:
    """Many servers whose paper posts fall due in the same minute, and the bot running."""
    result = []
    for n in range(GUILDS):
        guild = sim.add_guild(f"Club {n}")
        channel = sim.add_channel(guild, "paper-club")
        admin = sim.add_member(guild, f"admin{n}", admin=True)
        member = sim.add_member(guild, f"member{n}")
        result.append(Club(guild, channel, admin, member))
    await harness.start()
    for club in result:
        res = await sim.invoke(
            club.guild, club.admin, "admin paper schedule",
            {"channel": club.channel, "weekday": 1, "time": "18:00", "timezone": "Europe/Berlin"},
        )  # fmt: skip
        assert "paper of the week goes to" in res.content, res.content
    yield result


def posts_in(sim: DiscordSimulator, channel: SimChannel) -> list[object]:
    """Paper posts the bot sent in a channel (not interaction answers)."""
    return [
        m
        for m in sim.messages_in(channel)
        if m.author_id == sim.bot_user.id and m.interaction_id is None and m.embeds
    ]


async def run_due(harness: BotHarness) -> None:
    """Run the paper club's due deliveries now."""
    assert harness.bot is not None
    cog = harness.bot.get_cog("PaperClub")
    assert cog is not None
    await cog.run_due()  # type: ignore[attr-defined]


async def assert_each_posted_once(
    sim: DiscordSimulator, harness: BotHarness, clubs: list[Club]
) -> None:
    """Every club got exactly one post with one thread, also after a restart and a rerun."""
    # The fan-out kept to Discord's limits: at most a handful of 429s of the simulator's own.
    assert len(sim.rate_limited) <= 3, sim.rate_limited
    for club in clubs:
        assert len(posts_in(sim, club.channel)) == 1, club.guild.name
    threads = [t for t in sim.threads if any(t.parent_id == c.channel.id for c in clubs)]
    assert len(threads) == len(clubs)
    await harness.restart()
    await run_due(harness)
    for club in clubs:
        assert len(posts_in(sim, club.channel)) == 1, f"{club.guild.name} posted twice"
    res = await sim.invoke(clubs[0].guild, clubs[0].member, "paper current", {})
    assert "error code" not in res.text and res.text


async def test_global_429_during_a_burst_of_posts(
    sim: DiscordSimulator, harness: BotHarness, clubs: list[Club]
) -> None:
    sim.fail("POST", r"^/channels/\d+/messages$", 429, times=3, retry_after=0.3, global_=True)
    harness.clock.set(DUE)
    await run_due(harness)
    assert [r for r in sim.requests if r.status == 429], "no 429 was injected"
    await assert_each_posted_once(sim, harness, clubs)


async def test_5xx_on_message_posts(
    sim: DiscordSimulator, harness: BotHarness, clubs: list[Club]
) -> None:
    unlucky = clubs[0].channel
    # Every attempt of this run at one club's post fails; others see the odd 500 and 503.
    sim.fail("POST", rf"^/channels/{unlucky.id}/messages$", 503, times=3)
    sim.fail("POST", r"^/channels/\d+/messages$", 500, times=2)
    sim.fail("POST", r"^/channels/\d+/messages$", 503, times=2)
    harness.clock.set(DUE)
    await run_due(harness)
    assert posts_in(sim, unlucky) == []
    assert [r for r in sim.requests if r.status >= 500], "no 5xx was injected"
    # a post that failed with 503 is retried by the next run, never doubled
    assert harness.bot is not None
    harness.clock.advance(timedelta(minutes=2))
    await harness.bot.agenda.run_now()
    await assert_each_posted_once(sim, harness, clubs)


async def test_gateway_dropped_mid_fan_out_and_resumed(
    sim: DiscordSimulator, harness: BotHarness, clubs: list[Club]
) -> None:
    harness.clock.set(DUE)
    fan_out = asyncio.create_task(run_due(harness))
    while sum(len(posts_in(sim, c.channel)) for c in clubs) < 3 and not fan_out.done():
        await asyncio.sleep(0)
    await sim.drop_gateway(resume=True)
    await fan_out
    assert sim.resumes >= 1
    res = await sim.invoke(clubs[1].guild, clubs[1].member, "help", {})
    assert "/topic" in res.text
    await assert_each_posted_once(sim, harness, clubs)


async def test_guild_removed_while_its_post_is_due(
    sim: DiscordSimulator, harness: BotHarness, clubs: list[Club]
) -> None:
    gone, *staying = clubs
    await sim.remove_guild(gone.guild)
    harness.clock.set(DUE)
    await run_due(harness)
    assert posts_in(sim, gone.channel) == []
    await assert_each_posted_once(sim, harness, staying)
