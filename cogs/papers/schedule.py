"""Weekly schedule math for the paper club (pure: no Discord, no I/O, no clock of its own).

A schedule is "every <weekday> at <HH:MM> in <IANA time zone>". Each week's occurrence is the
instant of that local wall time on that local date, resolved the way PEP 495 resolves
``fold=0``:

* a wall time that does not exist (spring forward, e.g. 02:30 in Berlin on 2026-03-29) is read
  with the UTC offset from before the change, so it fires one gap-length later on the wall
  clock (03:30 CEST = 01:30 UTC);
* a wall time that happens twice (fall back, e.g. 02:30 in Berlin on 2026-10-25) fires once,
  at the first of the two (02:30 CEST = 00:30 UTC).

So every week has exactly one occurrence, and occurrences strictly increase. All datetimes
given to and returned from this module are timezone-aware; results are in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

__all__ = [
    "DEFAULT_GRACE",
    "ON_TIME_WINDOW",
    "WEEKDAYS",
    "Due",
    "ScheduleInputError",
    "due_occurrence",
    "next_occurrence",
    "occurrence_at_or_before",
    "parse_time",
    "parse_timezone",
    "parse_weekday",
    "timezone_choices",
]

WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

#: An occurrence less than this old is "on time"; older ones (within the grace) are "late".
ON_TIME_WINDOW = timedelta(seconds=60)
#: A missed occurrence older than this is skipped, not sent late.
DEFAULT_GRACE = timedelta(hours=6)

_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_MAX_TZ_NAME = 64
_MAX_CHOICES = 25
# Entries of the system zone database that are not places a user would pick.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})
# Offered for an empty autocomplete query: the zones most study groups will want.
_POPULAR_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Warsaw",
    "Europe/Istanbul",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Africa/Lagos",
    "Africa/Cairo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
)

_TIME_HELP = "Give the time as HH:MM in 24-hour form, e.g. 18:30"
_TZ_HELP = "pick one from the list, e.g. Europe/Berlin"
_WEEKDAY_HELP = "Give the weekday as a name, e.g. Monday or Mon"


class ScheduleInputError(ValueError):
    """A schedule input a user typed is invalid; ``user_message`` says what to type instead."""

    def __init__(self, user_message: str) -> None:
        self.user_message = user_message
        super().__init__(user_message)


@dataclass(frozen=True, slots=True)
class Due:
    """An occurrence that should be delivered now; ``late`` when it is past the on-time window."""

    occurrence: datetime
    late: bool


def parse_time(text: str) -> time:
    """Parse a 24-hour ``HH:MM`` (or ``H:MM``) time of day."""
    match = _TIME_RE.fullmatch(text.strip()) if len(text) <= 20 else None
    if match is None:
        raise ScheduleInputError(_TIME_HELP)
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ScheduleInputError(_TIME_HELP)
    return time(hour, minute)


@cache
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() - _NOT_ZONES))


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in _zone_names()}


@cache
def _choice_index() -> tuple[tuple[str, str, str], ...]:
    # (name, lowercase name, lowercase city) for names a person would pick: Area/Location ones
    # and UTC. Legacy abbreviations (EST, MST7MDT) and the sign-inverted Etc/GMT+N zones still
    # parse but are not offered: a place should be picked, never a fixed offset.
    index = []
    for name in _zone_names():
        if name == "UTC" or ("/" in name and not name.startswith("Etc/")):
            lower = name.lower()
            index.append((name, lower, lower.rsplit("/", 1)[-1]))
    return tuple(index)


def _safe_echo(name: str) -> str:
    return f" {name}" if re.fullmatch(r"[A-Za-z0-9_+\-/]{1,64}", name) else ""


def parse_timezone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA time zone name (case-insensitive), e.g. Europe/Berlin."""
    cleaned = name.strip() if len(name) <= _MAX_TZ_NAME * 2 else ""
    canonical = _zones_by_lower_name().get(cleaned.lower()) if cleaned else None
    if canonical is None:
        raise ScheduleInputError(f"Unknown time zone{_safe_echo(cleaned)}: {_TZ_HELP}")
    try:
        return ZoneInfo(canonical)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # listed but unreadable: treat as unknown
        raise ScheduleInputError(f"Unknown time zone{_safe_echo(cleaned)}: {_TZ_HELP}") from exc


def timezone_choices(query: str, limit: int = _MAX_CHOICES) -> list[str]:
    """Autocomplete IANA zone names for ``query``: prefix matches first, then substrings."""
    limit = max(0, min(limit, _MAX_CHOICES))
    needle = query.strip().lower().replace(" ", "_")[:_MAX_TZ_NAME]
    if not needle:
        return list(_POPULAR_ZONES[:limit])
    prefix: list[str] = []
    city_prefix: list[str] = []
    substring: list[str] = []
    for name, lower, city in _choice_index():
        if lower.startswith(needle):
            prefix.append(name)
        elif city.startswith(needle):
            city_prefix.append(name)
        elif needle in lower:
            substring.append(name)
        if len(prefix) >= limit:
            break
    return (prefix + city_prefix + substring)[:limit]


def parse_weekday(text: str) -> int:
    """Parse a weekday name, unambiguous prefix (``mon``, ``th``) or digit 0-6 (0 = Monday)."""
    cleaned = text.strip().lower().rstrip(".") if len(text) <= 20 else ""
    if len(cleaned) == 1 and cleaned in "0123456":
        return int(cleaned)
    if len(cleaned) >= 2:
        matches = [i for i, day in enumerate(WEEKDAYS) if day.lower().startswith(cleaned)]
        if len(matches) == 1:
            return matches[0]
    raise ScheduleInputError(_WEEKDAY_HELP)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _check_schedule(weekday: int, at: time) -> None:
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
    if at.tzinfo is not None:
        raise ValueError("at must be a wall-clock time without tzinfo")


def _instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    # fold=0 gives exactly the documented DST rules (see the module docstring).
    local = datetime.combine(day, at.replace(fold=0), tzinfo=tz)
    return local.astimezone(UTC)


def _candidates(moment: datetime, weekday: int, at: time, tz: ZoneInfo) -> list[datetime]:
    # The occurrence on the schedule weekday of moment's local week, with neighbours on both
    # sides: a fall-back at midnight can move the local date backwards, so look around.
    today = moment.astimezone(tz).date()
    anchor = today - timedelta(days=(today.weekday() - weekday) % 7)
    return [_instant(anchor + timedelta(weeks=k), at, tz) for k in (-1, 0, 1, 2)]


def occurrence_at_or_before(now_utc: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """Return the latest occurrence (UTC) at or before ``now_utc``."""
    _require_aware(now_utc, "now_utc")
    _check_schedule(weekday, at)
    return max(c for c in _candidates(now_utc, weekday, at, tz) if c <= now_utc)


def next_occurrence(after_utc: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """Return the first occurrence (UTC) strictly after ``after_utc``."""
    _require_aware(after_utc, "after_utc")
    _check_schedule(weekday, at)
    return min(c for c in _candidates(after_utc, weekday, at, tz) if c > after_utc)


def due_occurrence(
    now_utc: datetime,
    weekday: int,
    at: time,
    tz: ZoneInfo,
    last_claimed: datetime | None,
    created_at: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> Due | None:
    """Return the occurrence to deliver at ``now_utc``, or None when nothing is due.

    Only the latest occurrence at or before ``now_utc`` is considered. It is due when it is
    after ``created_at`` (a new schedule never fires for an earlier week) and after
    ``last_claimed`` (each occurrence is claimed once). Due on time (``late=False``) while it
    is less than 60 s old, late (``late=True``, sent with a note) while less than ``grace``
    old, and skipped (None) once it is older than that. Older occurrences are older still, so
    they are never due either.
    """
    _require_aware(now_utc, "now_utc")
    _require_aware(created_at, "created_at")
    if last_claimed is not None:
        _require_aware(last_claimed, "last_claimed")
    occurrence = occurrence_at_or_before(now_utc, weekday, at, tz)
    if occurrence <= created_at:
        return None
    if last_claimed is not None and occurrence <= last_claimed:
        return None
    age = now_utc - occurrence
    if age < ON_TIME_WINDOW:
        return Due(occurrence=occurrence, late=False)
    if age < grace:
        return Due(occurrence=occurrence, late=True)
    return None
