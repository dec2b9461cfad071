"""Pure progress arithmetic: periods, ranks, percentages, streaks and per-phase counts.

Periods are calendar periods in UTC: the ISO week (Monday 00:00 UTC to the next Monday) and the
calendar month. "This week" on a leaderboard therefore resets for everyone at the same moment,
and a section's week is fixed when it is marked done.

`week_key` and `month_key` are the one definition of a completion's week and month: the
repository stores their values with each completion, on both engines.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from bot.clock import db_time, parse_db_time
from roadmap.model import Roadmap, Section

Period = Literal["week", "month", "all"]
PERIODS: tuple[Period, ...] = ("week", "month", "all")
ALL_TIME = "all"

# Stored times have one encoding for every feature and engine (bot.clock); progress uses it.
__all__ = [
    "ALL_TIME",
    "PERIODS",
    "Level",
    "Period",
    "PhaseProgress",
    "RankFacts",
    "as_utc",
    "db_time",
    "locate",
    "month_key",
    "next_section",
    "parse_db_time",
    "percent",
    "period_end",
    "period_key",
    "period_keys",
    "period_start",
    "phase_progress",
    "rank_of",
    "sections_fingerprint",
    "week_key",
    "weekly_streak",
]


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError("progress times must be aware datetimes")
    return moment.astimezone(UTC)


def week_key(moment: datetime) -> str:
    """The ISO week of an instant in UTC, e.g. '2026-W48'."""
    iso = as_utc(moment).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def month_key(moment: datetime) -> str:
    """The calendar month of an instant in UTC, e.g. '2026-11'."""
    return as_utc(moment).strftime("%Y-%m")


def period_key(period: Period, moment: datetime) -> str:
    """The counter key of the period that contains `moment` ('all' for all time)."""
    if period == "week":
        return week_key(moment)
    if period == "month":
        return month_key(moment)
    return ALL_TIME


def period_keys(moment: datetime) -> tuple[str, str, str]:
    """The keys of every counter a completion at `moment` adds to: all time, week, month."""
    return (ALL_TIME, week_key(moment), month_key(moment))


def period_start(period: Period, moment: datetime) -> datetime | None:
    """When the period containing `moment` began (None for all time)."""
    now = as_utc(moment)
    if period == "week":
        monday = now.date() - timedelta(days=now.weekday())
        return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    if period == "month":
        return datetime(now.year, now.month, 1, tzinfo=UTC)
    return None


def period_end(period: Period, moment: datetime) -> datetime | None:
    """When the period containing `moment` ends (None for all time)."""
    start = period_start(period, moment)
    if start is None:
        return None
    if period == "week":
        return start + timedelta(days=7)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def sections_fingerprint(section_ids: Iterable[str]) -> str:
    """A hash of the set of section ids that count, to notice a changed roadmap."""
    joined = "\n".join(sorted(set(section_ids)))
    return hashlib.sha256(joined.encode()).hexdigest()


def percent(done: int, total: int) -> int:
    """Whole percent done, rounded down so 100 % means everything."""
    if total <= 0:
        return 0
    return min(100, done * 100 // total)


@dataclass(frozen=True)
class Level:
    """How many visible members hold one points value in a period."""

    points: int
    members: int


def rank_of(levels: Sequence[Level], points: int) -> int:
    """Standard competition rank (1, 2, 2, 4) of a points value: 1 + the members above it."""
    return 1 + sum(level.members for level in levels if level.points > points)


def locate(levels: Sequence[Level], position: int) -> tuple[int, int] | None:
    """The points value at a 0-based board position and how far into that tie it is.

    `levels` must be sorted by points, highest first. None when the board is shorter.
    """
    seen = 0
    for level in levels:
        if level.members <= 0:
            continue
        if position < seen + level.members:
            return level.points, position - seen
        seen += level.members
    return None


def _monday(moment: datetime) -> date:
    day = as_utc(moment).date()
    return day - timedelta(days=day.weekday())


def weekly_streak(times: Iterable[datetime], now: datetime) -> int:
    """Consecutive ISO weeks (UTC) with at least one section done.

    The streak runs back from the current week, or from the week before when nothing was done
    yet this week (a streak is not lost until a whole week passes without progress).
    """
    weeks = {_monday(moment) for moment in times}
    week = _monday(now)
    if week not in weeks:
        week -= timedelta(days=7)
    streak = 0
    while week in weeks:
        streak += 1
        week -= timedelta(days=7)
    return streak


@dataclass(frozen=True)
class PhaseProgress:
    """Sections done out of a phase's sections."""

    number: int
    title: str
    done: int
    total: int


def phase_progress(roadmap: Roadmap, done_ids: Iterable[str]) -> list[PhaseProgress]:
    """Per phase of the roadmap: how many of its sections are done."""
    done = set(done_ids)
    return [
        PhaseProgress(
            phase.number,
            phase.title,
            sum(1 for section in phase.sections if section.id in done),
            len(phase.sections),
        )
        for phase in roadmap.phases
    ]


def next_section(roadmap: Roadmap, done_ids: Iterable[str]) -> Section | None:
    """The first section not done yet, in roadmap order (None when all are done)."""
    done = set(done_ids)
    for section in roadmap.sections:
        if section.id not in done:
            return section
    return None


@dataclass(frozen=True)
class RankFacts:
    """What /rank shows, as a picture and as text: one member's progress."""

    name: str
    done: int
    total: int
    phases: list[PhaseProgress]
    papers_read: int | None
    streak: int
    next_section: tuple[str, str] | None
    rank: int | None
    board_size: int
    hidden: bool

    @property
    def percent(self) -> int:
        """Whole percent of the roadmap done."""
        return percent(self.done, self.total)
