"""The bot's one APScheduler, in UTC, with job defaults suited to chat reminders."""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler


def make_scheduler() -> AsyncIOScheduler:
    """Create the scheduler the bot owns; jobs are rebuilt from our tables at start-up."""
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={
            # A job that could not run on time runs once, not once per missed firing; the
            # features' own claim tables decide whether a late run still sends anything.
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": 6 * 60 * 60,
        },
    )
