"""Test-suite profiles: `STUDYBOT_TEST_PROFILE=long` runs the longer fuzz and crash suites."""

from __future__ import annotations

import os

LONG = os.environ.get("STUDYBOT_TEST_PROFILE", "ci").lower() == "long"


def scaled(ci: int, long: int) -> int:
    """A repetition count for the current profile."""
    return long if LONG else ci
