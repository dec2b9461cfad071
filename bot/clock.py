"""Injectable time: production reads the system clock, tests move a fake one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class FakeClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new time."""
        self.now += delta
        return self.now

    def set(self, moment: datetime) -> datetime:
        """Jump to an aware moment and return it in UTC."""
        if moment.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = moment.astimezone(UTC)
        return self.now


def db_time(moment: datetime) -> str:
    """An instant as stored, on both engines: fixed-width ISO-8601 UTC text with microseconds.

    '2026-11-24T12:00:00.000000+00:00': every stored time has the same width, so text order is
    time order (indexes, `<` and `MAX` work on the text), and a copy between engines moves it
    unchanged.
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_db_time(text: str) -> datetime:
    """An instant read back from the database, aware and in UTC."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"stored time without a zone: {text!r}")
    return moment.astimezone(UTC)


def db_time_or_none(moment: datetime | None) -> str | None:
    """`db_time` of an optional instant."""
    return None if moment is None else db_time(moment)


def parse_db_time_or_none(text: str | None) -> datetime | None:
    """`parse_db_time` of an optional stored value."""
    return None if text is None else parse_db_time(str(text))
