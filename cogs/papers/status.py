"""The paper club's lines of /admin status (pure rendering)."""

from __future__ import annotations

from datetime import datetime

from bot.text import plain, timestamp
from cogs.papers.embeds import schedule_summary
from cogs.papers.repo import Schedule
from cogs.papers.schedule import next_occurrence, parse_timezone


def schedule_line(schedule: Schedule, now: datetime, problem: str | None) -> str:
    """One schedule: channel, when, role; its next post or why it is paused; what blocks it."""
    text = f"<#{schedule.channel_id}> {schedule_summary(schedule)}"
    if schedule.role_id is not None:
        text += f", pinging <@&{schedule.role_id}>"
    if schedule.paused:
        since = f" {timestamp(schedule.paused_at)}" if schedule.paused_at else ""
        reason = plain(schedule.pause_reason or "no reason was recorded", 300)
        text += (
            f"\n  ⏸️ Paused{since}: {reason}. Run `/admin paper schedule` for this channel "
            "again to resume it."
        )
    else:
        tz = parse_timezone(schedule.timezone)
        due = next_occurrence(now, schedule.weekday, schedule.at, tz)
        text += f"\n  Next post {timestamp(due)} ({timestamp(due, 'F')})"
    if problem:
        text += f"\n  ⚠️ {problem[0].upper()}{problem[1:]}."
    return text
