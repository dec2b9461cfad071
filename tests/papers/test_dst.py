"""Daylight-saving changes neither skip nor double a week (Berlin and New York, both changes).

The real path: the agenda arms its one APScheduler job at the earliest due time it reads from
the schedules table; the test moves the injectable clock to that moment and lets the job fire,
as time passing would. Each wake is followed by a second one half an hour later (a repeated
wall-clock hour, a doubled wake), which must post nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from tests.conftest import BotHarness, World
from tests.papers.conftest import bot_posts, paper_club, schedule_posts
from tests.simulator import DiscordSimulator, SimChannel


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of 2026 in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


SPRING = {
    # Berlin springs forward on 2026-03-29: 02:30 does not exist and is read as 03:30 CEST.
    ("Europe/Berlin", "02:30"): [
        utc(3, 1, 1, 30), utc(3, 8, 1, 30), utc(3, 15, 1, 30), utc(3, 22, 1, 30),
        utc(3, 29, 1, 30), utc(4, 5, 0, 30),
    ],
    ("Europe/Berlin", "18:00"): [
        utc(3, 1, 17), utc(3, 8, 17), utc(3, 15, 17), utc(3, 22, 17),
        utc(3, 29, 16), utc(4, 5, 16),
    ],
    # New York springs forward on 2026-03-08: 02:30 does not exist and is read as 03:30 EDT.
    ("America/New_York", "02:30"): [
        utc(3, 1, 7, 30), utc(3, 8, 7, 30), utc(3, 15, 6, 30), utc(3, 22, 6, 30),
        utc(3, 29, 6, 30), utc(4, 5, 6, 30),
    ],
    ("America/New_York", "18:00"): [
        utc(3, 1, 23), utc(3, 8, 22), utc(3, 15, 22), utc(3, 22, 22),
        utc(3, 29, 22), utc(4, 5, 22),
    ],
}  # fmt: skip

AUTUMN = {
    # Berlin falls back on 2026-10-25: 02:30 happens twice and fires once, at the first.
    ("Europe/Berlin", "02:30"): [
        utc(10, 18, 0, 30), utc(10, 25, 0, 30), utc(11, 1, 1, 30), utc(11, 8, 1, 30),
    ],
    ("Europe/Berlin", "18:00"): [
        utc(10, 18, 16), utc(10, 25, 17), utc(11, 1, 17), utc(11, 8, 17),
    ],
    # New York falls back on 2026-11-01 at 02:00 EDT, so 02:30 that day is EST.
    ("America/New_York", "02:30"): [
        utc(10, 18, 6, 30), utc(10, 25, 6, 30), utc(11, 1, 7, 30), utc(11, 8, 7, 30),
    ],
    ("America/New_York", "18:00"): [
        utc(10, 18, 22), utc(10, 25, 22), utc(11, 1, 23), utc(11, 8, 23),
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (utc(3, 1, 0), utc(4, 6, 0), SPRING),
        (utc(10, 18, 0), utc(11, 9, 0), AUTUMN),
    ],
    ids=["spring-forward", "fall-back"],
)
async def test_one_post_per_week_at_the_right_instant_across_dst(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    start: datetime,
    end: datetime,
    expected: dict[tuple[str, str], list[datetime]],
) -> None:
    clock.set(start - timedelta(hours=1))
    bot = await harness.start()
    channels: dict[tuple[str, str], SimChannel] = {}
    for zone, at in expected:
        guild, admin = (
            (world.guild, world.admin) if zone == "Europe/Berlin" else
            (world.other_guild, world.other_admin)
        )  # fmt: skip
        channel = sim.add_channel(guild, f"papers-{at.replace(':', '')}")
        await schedule_posts(sim, guild, admin, channel, weekday=6, time=at, timezone=zone)
        channels[(zone, at)] = channel

    posted_at: dict[tuple[str, str], list[datetime]] = {key: [] for key in expected}
    seen = {key: 0 for key in expected}
    bot.agenda.max_sleep = timedelta(days=8)  # no safety wakes: only due times move the clock
    moment = await bot.agenda.rearm()
    assert moment is not None
    while moment < end:
        for wake in (moment, moment + timedelta(minutes=30)):
            clock.set(wake)
            await bot.agenda.run_now()
            for key, channel in channels.items():
                count = len(bot_posts(sim, channel))
                posted_at[key].extend([moment] * (count - seen[key]))
                seen[key] = count
        armed = bot.agenda.armed_for
        assert armed is not None and armed > moment
        moment = armed

    assert posted_at == expected
    for key, channel in channels.items():
        assert all("Posted late" not in m.content for m in bot_posts(sim, channel)), key
    for schedule in await paper_club(bot).repo.schedules():
        claims = await paper_club(bot).repo.claims(schedule.id)
        assert all(status == "posted" and not late for _, late, status in claims)
