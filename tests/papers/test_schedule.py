"""Weekly schedule math: input parsing, DST-safe occurrences, and missed-occurrence windows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.papers.schedule import (
    DEFAULT_GRACE,
    WEEKDAYS,
    Due,
    ScheduleInputError,
    due_occurrence,
    next_occurrence,
    occurrence_at_or_before,
    parse_time,
    parse_timezone,
    parse_weekday,
    timezone_choices,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SUNDAY = 6


def utc(text: str) -> datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM[:SS]'."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- parse_time --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18:30", time(18, 30)),
        ("09:05", time(9, 5)),
        ("9:05", time(9, 5)),
        ("00:00", time(0, 0)),
        ("23:59", time(23, 59)),
        (" 7:00 ", time(7, 0)),
    ],
)
def test_parse_time_accepts_24h_times(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "24:00",
        "12:60",
        "noon",
        "",
        "   ",
        "-1:00",
        "12:5",
        "1200",
        "12:00:00",
        "12.30",
        "6pm",
        "١٢:٣٠",  # Arabic-Indic digits
        "１２:３０",  # full-width digits
        "@everyone",
        "9" * 5000,
        "12:30" + " " * 5000,
    ],
)
def test_parse_time_rejects_everything_else_with_a_hint(text: str) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_time(text)
    assert caught.value.user_message == "Give the time as HH:MM in 24-hour form, e.g. 18:30"


# --- time zones --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  America/New_York ", "America/New_York"),
        ("europe/berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("Etc/UTC", "Etc/UTC"),
        ("Asia/Kolkata", "Asia/Kolkata"),
    ],
)
def test_parse_timezone_accepts_iana_names(name: str, key: str) -> None:
    zone = parse_timezone(name)
    assert zone.key == key


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus",
        "",
        "UTC+3",
        "GMT+03:00",
        "../etc/passwd",
        "/etc/localtime",
        "localtime",
        "Europe/../Europe/Berlin",
        "Europe/Berlin\x00",
        "CEST",
        "Europe/Berlin" * 400,
        "🕐",
        "@everyone",
    ],
)
def test_parse_timezone_rejects_non_iana_names(name: str) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_timezone(name)
    message = caught.value.user_message
    assert message.startswith("Unknown time zone")
    assert message.endswith("pick one from the list, e.g. Europe/Berlin")
    assert len(message) < 150
    assert "@" not in message and "\x00" not in message


def test_unknown_plain_zone_name_is_echoed_back() -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_timezone("Mars/Olympus")
    expected = "Unknown time zone Mars/Olympus: pick one from the list, e.g. Europe/Berlin"
    assert caught.value.user_message == expected


def test_timezone_choices_prefix_matches_come_first() -> None:
    choices = timezone_choices("america/")
    assert len(choices) == 25
    assert all(choice.startswith("America/") for choice in choices)
    assert choices == sorted(choices)

    ind = timezone_choices("ind")
    indian = [choice for choice in ind if choice.startswith("Indian/")]
    assert len(indian) == 11
    assert ind[:11] == indian  # the prefix matches, then the rest
    assert ind[11] == "America/Indiana/Indianapolis"  # a city starting with "ind"
    assert "Africa/Windhoek" in ind[12:]  # a mere substring match


def test_timezone_choices_find_cities_case_insensitively() -> None:
    assert "Europe/Berlin" in timezone_choices("BERLIN")
    assert timezone_choices("new york") == ["America/New_York"]
    assert timezone_choices("new_york") == ["America/New_York"]
    assert timezone_choices("Europe/Berl") == ["Europe/Berlin"]
    # City prefixes rank before mere substrings: "ber" is Berlin/Bermuda before Canberra.
    ber = timezone_choices("ber")
    assert ber.index("Europe/Berlin") < ber.index("Australia/Canberra")


def test_timezone_choices_limits_and_odd_queries() -> None:
    assert timezone_choices("") == timezone_choices("   ")
    assert timezone_choices("")[0] == "UTC"
    assert "Europe/Berlin" in timezone_choices("")
    assert len(timezone_choices("a")) == 25
    assert len(timezone_choices("a", limit=100)) == 25
    assert len(timezone_choices("a", limit=5)) == 5
    assert timezone_choices("zzzz-no-such-place") == []
    assert timezone_choices("x" * 5000) == []
    assert timezone_choices("🕐") == []
    # Every choice parses back to a zone.
    for query in ("", "a", "utc", "america", "ind"):
        for choice in timezone_choices(query):
            assert parse_timezone(choice).key == choice


def test_timezone_choices_offer_places_not_fixed_offsets() -> None:
    assert "UTC" in timezone_choices("utc")
    assert not any(choice.startswith("Etc/GMT") for choice in timezone_choices("gmt"))
    assert "EST" not in timezone_choices("est")


# --- weekdays ----------------------------------------------------------------------------


def test_weekday_names() -> None:
    assert list(WEEKDAYS) == [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("monday", 0),
        ("Monday", 0),
        ("Mon", 0),
        ("MON", 0),
        ("0", 0),
        ("tu", 1),
        ("Tue", 1),
        ("wed", 2),
        ("th", 3),
        ("Thu.", 3),
        ("friday", 4),
        ("sat", 5),
        ("su", 6),
        ("Sunday", 6),
        ("6", 6),
    ],
)
def test_parse_weekday_accepts_names_prefixes_and_digits(text: str, expected: int) -> None:
    assert parse_weekday(text) == expected


@pytest.mark.parametrize("text", ["", "t", "s", "7", "-1", "funday", "mondays", "x" * 5000, "🙂"])
def test_parse_weekday_rejects_the_rest(text: str) -> None:
    with pytest.raises(ScheduleInputError) as caught:
        parse_weekday(text)
    assert caught.value.user_message == "Give the weekday as a name, e.g. Monday or Mon"


# --- occurrences across DST --------------------------------------------------------------

# Expected UTC instants for Sunday schedules in 2026, straight from the 2026 DST rules:
# Berlin CET (+1) / CEST (+2), changes Sun 2026-03-29 02:00→03:00, Sun 2026-10-25 03:00→02:00.
# New York EST (-5) / EDT (-4), changes Sun 2026-03-08 02:00→03:00, Sun 2026-11-01 02:00→01:00.
BERLIN_SPRING = date(2026, 3, 29)
BERLIN_AUTUMN = date(2026, 10, 25)
NY_SPRING = date(2026, 3, 8)
NY_AUTUMN = date(2026, 11, 1)


def expected_berlin_0230(day: date) -> datetime:
    # On the spring day 02:30 does not exist: CET offset → 01:30 UTC (03:30 CEST).
    # On the autumn day 02:30 happens twice: the first, CEST → 00:30 UTC.
    offset = 2 if BERLIN_SPRING < day <= BERLIN_AUTUMN else 1
    return datetime.combine(day, time(2, 30), tzinfo=UTC) - timedelta(hours=offset)


def expected_berlin_1800(day: date) -> datetime:
    offset = 2 if BERLIN_SPRING <= day < BERLIN_AUTUMN else 1
    return datetime.combine(day, time(18, 0), tzinfo=UTC) - timedelta(hours=offset)


def expected_ny_0230(day: date) -> datetime:
    # Spring day: 02:30 does not exist, EST offset → 07:30 UTC (03:30 EDT).
    # Autumn day: the repeated hour is 01:00-02:00, so 02:30 is plain EST.
    offset = -4 if NY_SPRING < day < NY_AUTUMN else -5
    return datetime.combine(day, time(2, 30), tzinfo=UTC) - timedelta(hours=offset)


def expected_ny_0130(day: date) -> datetime:
    # Spring day: 01:30 is before the gap (EST). Autumn day: 01:30 twice, the first is EDT.
    offset = -4 if NY_SPRING < day <= NY_AUTUMN else -5
    return datetime.combine(day, time(1, 30), tzinfo=UTC) - timedelta(hours=offset)


def expected_ny_1800(day: date) -> datetime:
    offset = -4 if NY_SPRING <= day < NY_AUTUMN else -5
    return datetime.combine(day, time(18, 0), tzinfo=UTC) - timedelta(hours=offset)


SCHEDULES = [
    pytest.param(BERLIN, time(2, 30), expected_berlin_0230, id="berlin-02:30"),
    pytest.param(BERLIN, time(18, 0), expected_berlin_1800, id="berlin-18:00"),
    pytest.param(NEW_YORK, time(2, 30), expected_ny_0230, id="new_york-02:30"),
    pytest.param(NEW_YORK, time(1, 30), expected_ny_0130, id="new_york-01:30"),
    pytest.param(NEW_YORK, time(18, 0), expected_ny_1800, id="new_york-18:00"),
]

# ISO 2026 runs from Monday 2025-12-29 to Sunday 2027-01-03: 53 weeks.
ISO_2026_SUNDAYS = [date(2026, 1, 4) + timedelta(weeks=k) for k in range(53)]


def chained_occurrences(tz: ZoneInfo, at: time) -> list[datetime]:
    """Every Sunday occurrence of ISO year 2026, by chaining next_occurrence."""
    start = datetime(2025, 12, 29, tzinfo=tz).astimezone(UTC)
    end = datetime(2027, 1, 4, tzinfo=tz).astimezone(UTC)
    found = []
    moment = start
    while (moment := next_occurrence(moment, SUNDAY, at, tz)) < end:
        found.append(moment)
    return found


@pytest.mark.parametrize(("tz", "at", "expected"), SCHEDULES)
def test_one_occurrence_per_iso_week_with_exact_instants(tz, at, expected) -> None:
    occurrences = chained_occurrences(tz, at)
    assert occurrences == [expected(day) for day in ISO_2026_SUNDAYS]
    weeks = Counter(o.astimezone(tz).isocalendar()[:2] for o in occurrences)
    assert sorted(weeks) == [(2026, week) for week in range(1, 54)]
    assert set(weeks.values()) == {1}
    for occurrence in occurrences:
        local = occurrence.astimezone(tz)
        assert local.weekday() == SUNDAY
        assert occurrence.tzinfo is UTC


def test_berlin_dst_days_fire_at_the_documented_wall_times() -> None:
    spring = next_occurrence(utc("2026-03-28 12:00"), SUNDAY, time(2, 30), BERLIN)
    assert spring == utc("2026-03-29 01:30")
    assert spring.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %Z") == "2026-03-29 03:30 CEST"

    autumn = next_occurrence(utc("2026-10-24 12:00"), SUNDAY, time(2, 30), BERLIN)
    assert autumn == utc("2026-10-25 00:30")
    assert autumn.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M %Z") == "2026-10-25 02:30 CEST"
    # The second 02:30 (CET, 01:30 UTC) is not another occurrence: next is a week later.
    after = next_occurrence(autumn, SUNDAY, time(2, 30), BERLIN)
    assert after == utc("2026-11-01 01:30")


def test_new_york_dst_days_fire_at_the_documented_wall_times() -> None:
    spring = next_occurrence(utc("2026-03-07 12:00"), SUNDAY, time(2, 30), NEW_YORK)
    assert spring == utc("2026-03-08 07:30")
    assert spring.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"

    autumn = next_occurrence(utc("2026-10-31 12:00"), SUNDAY, time(1, 30), NEW_YORK)
    assert autumn == utc("2026-11-01 05:30")
    assert autumn.astimezone(NEW_YORK).strftime("%H:%M %Z") == "01:30 EDT"
    assert next_occurrence(autumn, SUNDAY, time(1, 30), NEW_YORK) == utc("2026-11-08 06:30")


@pytest.mark.parametrize(("tz", "at", "expected"), SCHEDULES)
def test_scheduler_walk_claims_each_week_exactly_once(tz, at, expected) -> None:
    """Poll due_occurrence like a scheduler would, with an injected clock, over the year."""
    created_at = datetime(2025, 12, 29, tzinfo=tz)  # the local start of ISO week 2026-W01
    start, end = utc("2025-12-29 00:07"), utc("2027-01-04 12:00")
    # Hourly polls all year (always "late": 7 minutes past the hour at best), plus minute-by-
    # minute polls over every DST-change weekend, where on-time delivery must happen.
    polls = set()
    moment = start
    while moment < end:
        polls.add(moment)
        moment += timedelta(hours=1)
    for day in (NY_SPRING, BERLIN_SPRING, BERLIN_AUTUMN, NY_AUTUMN):
        minute = datetime.combine(day, time(0), tzinfo=UTC) - timedelta(hours=12)
        for _ in range(36 * 60):
            polls.add(minute)
            minute += timedelta(minutes=1)

    last_claimed: datetime | None = None
    claims: list[Due] = []
    for now in sorted(polls):
        due = due_occurrence(now, SUNDAY, at, tz, last_claimed, created_at)
        if due is not None:
            assert due.occurrence <= now
            claims.append(due)
            last_claimed = due.occurrence

    assert [claim.occurrence for claim in claims] == [expected(d) for d in ISO_2026_SUNDAYS]
    # Minute polls hit every occurrence on those four Sundays within 60 s: on time. Hourly
    # polls come 7+ minutes after the others: late, but well within the 6-hour grace.
    on_time = {claim.occurrence.astimezone(tz).date() for claim in claims if not claim.late}
    assert on_time == {NY_SPRING, BERLIN_SPRING, BERLIN_AUTUMN, NY_AUTUMN}
    assert sum(claim.late for claim in claims) == 53 - 4


def test_occurrence_at_or_before_and_next_are_inclusive_and_strict() -> None:
    occurrence = utc("2026-03-29 01:30")
    assert occurrence_at_or_before(occurrence, SUNDAY, time(2, 30), BERLIN) == occurrence
    assert occurrence_at_or_before(
        occurrence - timedelta(microseconds=1), SUNDAY, time(2, 30), BERLIN
    ) == utc("2026-03-22 01:30")
    assert next_occurrence(occurrence, SUNDAY, time(2, 30), BERLIN) == utc("2026-04-05 00:30")
    assert (
        next_occurrence(occurrence - timedelta(microseconds=1), SUNDAY, time(2, 30), BERLIN)
        == occurrence
    )


def test_other_weekdays_and_non_utc_inputs() -> None:
    # Wednesday 18:30 in Berlin, asked with a "now" given in New York time.
    now = datetime(2026, 7, 1, 12, 0, tzinfo=NEW_YORK)  # 16:00 UTC, 18:00 CEST
    assert next_occurrence(now, 2, time(18, 30), BERLIN) == utc("2026-07-01 16:30")
    assert occurrence_at_or_before(now, 2, time(18, 30), BERLIN) == utc("2026-06-24 16:30")
    assert occurrence_at_or_before(now, 2, time(18, 0), BERLIN) == utc("2026-07-01 16:00")


@pytest.mark.parametrize(
    "call",
    [
        lambda: next_occurrence(datetime(2026, 1, 1), SUNDAY, time(18, 0), BERLIN),
        lambda: occurrence_at_or_before(datetime(2026, 1, 1), SUNDAY, time(18, 0), BERLIN),
        lambda: due_occurrence(
            datetime(2026, 1, 1), SUNDAY, time(18, 0), BERLIN, None, utc("2025-01-01 00:00")
        ),
        lambda: due_occurrence(
            utc("2026-01-01 00:00"), SUNDAY, time(18, 0), BERLIN, None, datetime(2025, 1, 1)
        ),
        lambda: due_occurrence(
            utc("2026-01-01 00:00"),
            SUNDAY,
            time(18, 0),
            BERLIN,
            datetime(2025, 12, 28),
            utc("2025-01-01 00:00"),
        ),
        lambda: next_occurrence(utc("2026-01-01 00:00"), 7, time(18, 0), BERLIN),
        lambda: next_occurrence(utc("2026-01-01 00:00"), -1, time(18, 0), BERLIN),
        lambda: next_occurrence(utc("2026-01-01 00:00"), 0, time(18, 0, tzinfo=UTC), BERLIN),
    ],
)
def test_naive_datetimes_and_bad_arguments_raise_value_error(call) -> None:
    with pytest.raises(ValueError):
        call()


# --- due_occurrence windows --------------------------------------------------------------

SUNDAY_1800_BERLIN = utc("2026-06-14 16:00")  # Sunday 18:00 CEST
CREATED = utc("2026-01-01 00:00")


def due_at(now: datetime, last_claimed: datetime | None = None, created_at: datetime = CREATED):
    return due_occurrence(now, SUNDAY, time(18, 0), BERLIN, last_claimed, created_at)


@pytest.mark.parametrize(
    ("age", "expected_late"),
    [
        (timedelta(0), False),
        (timedelta(seconds=59), False),
        (timedelta(seconds=60), True),
        (timedelta(hours=1), True),
        (timedelta(hours=5, minutes=59), True),
        (timedelta(hours=5, minutes=59, seconds=59), True),
    ],
)
def test_due_on_time_then_late_within_grace(age: timedelta, expected_late: bool) -> None:
    assert due_at(SUNDAY_1800_BERLIN + age) == Due(SUNDAY_1800_BERLIN, late=expected_late)


@pytest.mark.parametrize(
    "age", [timedelta(hours=6), timedelta(hours=6, minutes=1), timedelta(days=3)]
)
def test_missed_by_six_hours_or_more_is_skipped(age: timedelta) -> None:
    assert due_at(SUNDAY_1800_BERLIN + age) is None


def test_claimed_occurrence_is_not_due_again() -> None:
    now = SUNDAY_1800_BERLIN + timedelta(seconds=5)
    assert due_at(now, last_claimed=SUNDAY_1800_BERLIN) is None
    assert due_at(now + timedelta(hours=2), last_claimed=SUNDAY_1800_BERLIN) is None
    # The previous week's claim does not block this week.
    previous = SUNDAY_1800_BERLIN - timedelta(weeks=1)
    assert due_at(now, last_claimed=previous) == Due(SUNDAY_1800_BERLIN, late=False)


def test_nothing_is_due_between_occurrences() -> None:
    assert due_at(SUNDAY_1800_BERLIN - timedelta(seconds=1)) is None
    assert due_at(SUNDAY_1800_BERLIN + timedelta(days=2)) is None


def test_schedule_created_after_an_occurrence_does_not_fire_for_it() -> None:
    now = SUNDAY_1800_BERLIN + timedelta(minutes=30)
    assert due_at(now, created_at=now - timedelta(minutes=10)) is None
    assert due_at(now, created_at=SUNDAY_1800_BERLIN) is None
    before = SUNDAY_1800_BERLIN - timedelta(seconds=1)
    assert due_at(now, created_at=before) == Due(SUNDAY_1800_BERLIN, late=True)


def test_grace_is_configurable() -> None:
    now = SUNDAY_1800_BERLIN + timedelta(hours=2)
    assert DEFAULT_GRACE == timedelta(hours=6)
    assert (
        due_occurrence(now, SUNDAY, time(18, 0), BERLIN, None, CREATED, grace=timedelta(hours=1))
        is None
    )


def test_late_occurrence_across_spring_forward() -> None:
    # Bot down over the Berlin spring change; back at 05:00 CEST (03:00 UTC): 1.5 h late.
    due = due_occurrence(utc("2026-03-29 03:00"), SUNDAY, time(2, 30), BERLIN, None, CREATED)
    assert due == Due(utc("2026-03-29 01:30"), late=True)


# --- properties over every zone ----------------------------------------------------------

ZONES = sorted(
    name
    for name in __import__("zoneinfo").available_timezones()
    if name not in {"localtime", "posixrules", "Factory"}
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    start=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
    ),
)
def test_occurrences_strictly_increase_one_per_week_in_any_zone(
    zone: str, weekday: int, hour: int, minute: int, start: datetime
) -> None:
    tz = ZoneInfo(zone)
    at = time(hour, minute)
    first = next_occurrence(start, weekday, at, tz)
    assert first > start
    assert occurrence_at_or_before(start, weekday, at, tz) < first
    assert occurrence_at_or_before(first, weekday, at, tz) == first
    moment = first
    for _ in range(3):
        following = next_occurrence(moment, weekday, at, tz)
        assert timedelta(days=5) < following - moment < timedelta(days=9)
        local_weeks = (
            moment.astimezone(tz).isocalendar()[:2],
            following.astimezone(tz).isocalendar()[:2],
        )
        assert local_weeks[0] != local_weeks[1]
        assert next_occurrence(following - timedelta(microseconds=1), weekday, at, tz) == following
        moment = following
