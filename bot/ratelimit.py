"""One rate budget for every request StudyBot's features make on their own.

Discord allows a bot 50 requests a second in all (interaction answers aside). discord.py keeps
to each route's bucket by itself, but nothing keeps the features together under the global
limit: a weekly fan-out of thousands of posts, Kaggle announcements and admin notices would
each run as fast as their routes allow. Every such request takes a slot from this budget
first, so together they stay under the limit and members' commands (answered through the
interaction endpoints, which Discord does not count against the global limit) are never
queued behind them.
"""

from __future__ import annotations

from types import TracebackType

from aiolimiter import AsyncLimiter

#: Requests a second the features may make together: just under Discord's 50, so that a
#: fan-out runs near the floor the global limit sets, with room for the odd request the bot
#: makes outside the budget (fetching a member, a command sync).
DEFAULT_RATE = 47.0
#: How many requests may go out back to back: small, so that no one-second window holds more
#: than the rate plus this burst.
DEFAULT_BURST = 2


class RateBudget:
    """A leaky bucket shared by every feature: `async with budget:` before each request."""

    def __init__(self, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("the rate budget needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._limiter = AsyncLimiter(burst, burst / rate)
        self.taken = 0

    async def acquire(self) -> None:
        """Wait for a slot (in arrival order) and take it."""
        await self._limiter.acquire()
        self.taken += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
