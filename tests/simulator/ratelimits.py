"""Discord-style rate limits for the simulator: per-route buckets and the bot's global limit.

What Discord documents (developers/topics/rate-limits): per-route buckets counted per top-level
resource (channel_id, guild_id, webhook id + token), announced by X-RateLimit-Limit, -Remaining,
-Reset (epoch seconds), -Reset-After (seconds) and -Bucket (an opaque id shared by routes with
the same limit); a 429 answer carries `{"message", "retry_after", "global", "code"}`, a
`Retry-After` header and X-RateLimit-Scope (`user`, `global` or `shared`). A bot may make 50
requests per second across all routes; interaction endpoints (the callback and the
`/webhooks/{application_id}/{token}` follow-ups) are not bound to that global limit.

The numbers per route are not documented (Discord says not to hard-code them); the defaults
below are the simulator's choice: message create 5 per 5 s per channel, reactions 1 per 0.25 s,
every other route 50 per second per top-level resource.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

#: route key ("METHOD /template") -> (requests, per seconds); "*" is every other route.
DEFAULT_ROUTE_LIMITS: dict[str, tuple[int, float]] = {
    "POST /channels/{channel_id}/messages": (5, 5.0),
    "PUT /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}": (1, 0.25),
    "DELETE /channels/{channel_id}/messages/{message_id}/reactions/{emoji}/{who}": (1, 0.25),
    "*": (50, 1.0),
}
#: The bot's global limit: requests per second across all routes.
DEFAULT_GLOBAL_RATE = 50
#: Route templates that Discord keeps out of the global limit (interaction endpoints).
GLOBAL_EXEMPT_PREFIXES = ("/interactions/", "/webhooks/")
#: Path parameters that make a bucket per resource, as Discord's "top-level resources".
MAJOR_PARAMETERS = (
    ("channel_id",),
    ("guild_id",),
    ("app_id", "token"),
    ("interaction_id", "token"),
)

RATE_LIMITED_MESSAGE = "You are being rate limited."


class RateLimitRecord(NamedTuple):
    """One 429 the simulator produced by itself (not an injected fault)."""

    method: str
    path: str
    #: "METHOD /template" of the route (the global limit is recorded on the route it hit).
    route: str
    #: "user" (a route bucket) or "global".
    scope: str
    retry_after: float
    #: time.monotonic() when it was answered.
    at: float


@dataclass
class _Window:
    start: float
    per: float
    count: int = 0


@dataclass
class Decision:
    """The limiter's verdict on one request: the headers to send, and whether it is refused."""

    headers: dict[str, str]
    scope: str | None = None
    retry_after: float = 0.0

    @property
    def refused(self) -> bool:
        """Whether the request must be answered 429."""
        return self.scope is not None

    def body(self) -> dict[str, object]:
        """The 429 JSON body."""
        return {
            "message": RATE_LIMITED_MESSAGE,
            "retry_after": self.retry_after,
            "global": self.scope == "global",
            "code": 0,
        }


def bucket_hash(limit: int, per: float) -> str:
    """The opaque X-RateLimit-Bucket value of every route with this limit."""
    return hashlib.md5(f"{limit}/{per:g}".encode()).hexdigest()


def _ceil_ms(seconds: float) -> float:
    return math.ceil(max(seconds, 0.0) * 1000) / 1000


class RateLimiter:
    """Fixed-window per-route buckets plus a sliding one-second window for the global limit."""

    def __init__(
        self,
        *,
        enabled: bool = True,
        global_rate: int | None = DEFAULT_GLOBAL_RATE,
        route_limits: dict[str, tuple[int, float]] | None = None,
    ) -> None:
        self.enabled = enabled
        self.global_rate = global_rate
        self.route_limits: dict[str, tuple[int, float]] = {
            **DEFAULT_ROUTE_LIMITS,
            **(route_limits or {}),
        }
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global: deque[float] = deque()

    def limit_for(self, route: str) -> tuple[int, float]:
        """(requests, per seconds) of a route key such as "POST /channels/{channel_id}/messages"."""
        return self.route_limits.get(route) or self.route_limits["*"]

    @staticmethod
    def major(params: dict[str, str]) -> str:
        """The top-level resource a request's bucket is counted on ("" for none)."""
        for names in MAJOR_PARAMETERS:
            if all(name in params for name in names):
                return "+".join(params[name] for name in names)
        return ""

    def check(
        self, method: str, template: str, params: dict[str, str], *, global_applies: bool
    ) -> Decision:
        """Count one request (unless refused) and decide; call once per request."""
        if not self.enabled:
            return Decision({})
        now = time.monotonic()
        if global_applies and self.global_rate:
            window = self._global
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.global_rate:
                retry = _ceil_ms(window[0] + 1.0 - now) or 0.001
                headers = {
                    "Retry-After": str(max(1, math.ceil(retry))),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                }
                return Decision(headers, "global", retry)
            window.append(now)
        limit, per = self.limit_for(f"{method} {template}")
        bucket = bucket_hash(limit, per)
        key = (bucket, self.major(params))
        current = self._windows.get(key)
        if current is None or now >= current.start + per:
            if len(self._windows) > 20000:
                self._prune(now)
            current = self._windows[key] = _Window(now, per)
        reset_after = _ceil_ms(current.start + per - now)
        refused = current.count >= limit
        if not refused:
            current.count += 1
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(limit - current.count),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": bucket,
        }
        if not refused:
            return Decision(headers)
        headers["Retry-After"] = str(max(1, math.ceil(reset_after)))
        headers["X-RateLimit-Scope"] = "user"
        return Decision(headers, "user", reset_after or 0.001)

    def _prune(self, now: float) -> None:
        self._windows = {k: w for k, w in self._windows.items() if now < w.start + w.per}
