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


def iso(moment: datetime) -> str:
    """An aware datetime as fixed-width ISO-8601 UTC text (sorts like the instants)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    """Read a stored ISO-8601 time back as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)
