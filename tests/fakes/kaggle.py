"""A fake Kaggle API on 127.0.0.1: the ListCompetitions call, auth, paging and injected faults.

It answers `POST /v1/competitions.CompetitionApiService/ListCompetitions` the way Kaggle's
API does (records in the shape of `tests/kaggle/data/kaggle-list-competitions.json`), one page
at a time with an opaque `nextPageToken` that is empty on the last page. Every request must
carry the configured credentials (Bearer token, or Basic username:key) or it gets a 401, and
a body that Kaggle's SDK would not send (an unknown key, a wrong type, an enum not written as
its full name) gets a 400 with a Kaggle-style error body.

Usage::

    fake = FakeKaggle()
    base_url = await fake.start()
    ...  # point KaggleClient / KAGGLE_API_BASE at base_url
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

LIST_COMPETITIONS_PATH = "/v1/competitions.CompetitionApiService/ListCompetitions"
DEFAULT_DATA = Path(__file__).resolve().parent.parent / "kaggle" / "data" / "fake-competitions.json"

# The ListCompetitions request as Kaggle's API defines it (kagglesdk 0.1.38,
# ApiListCompetitionsRequest): camelCase keys, enums as their full names. A strict server
# refuses anything else with HTTP 400, so the fake does too: an unknown key, a wrong type, or
# an enum spelled any other way (the SDK's reader accepts short forms like "general"; that says
# nothing about the server).
COMPETITION_LIST_TABS = frozenset(
    {
        "COMPETITION_LIST_TAB_GENERAL",
        "COMPETITION_LIST_TAB_ENTERED",
        "COMPETITION_LIST_TAB_COMMUNITY",
        "COMPETITION_LIST_TAB_HOSTED",
        "COMPETITION_LIST_TAB_UNLAUNCHED",
        "COMPETITION_LIST_TAB_UNLAUNCHED_COMMUNITY",
        "COMPETITION_LIST_TAB_EVERYTHING",
    }
)
COMPETITION_SORTS = frozenset(
    {
        "COMPETITION_SORT_BY_GROUPED",
        "COMPETITION_SORT_BY_BEST",
        "COMPETITION_SORT_BY_PRIZE",
        "COMPETITION_SORT_BY_EARLIEST_DEADLINE",
        "COMPETITION_SORT_BY_LATEST_DEADLINE",
        "COMPETITION_SORT_BY_NUMBER_OF_TEAMS",
        "COMPETITION_SORT_BY_RELEVANCE",
        "COMPETITION_SORT_BY_RECENTLY_CREATED",
    }
)
# HostSegment names → the record category they select ("" selects every category).
HOST_SEGMENTS = {
    "HOST_SEGMENT_UNSPECIFIED": "",
    "HOST_SEGMENT_FEATURED": "featured",
    "HOST_SEGMENT_GETTING_STARTED": "getting started",
    "HOST_SEGMENT_MASTERS": "masters",
    "HOST_SEGMENT_PLAYGROUND": "playground",
    "HOST_SEGMENT_RECRUITMENT": "recruitment",
    "HOST_SEGMENT_RESEARCH": "research",
    "HOST_SEGMENT_COMMUNITY": "community",
    "HOST_SEGMENT_ANALYTICS": "analytics",
}
_ENUM_FIELDS: dict[str, Collection[str]] = {
    "group": COMPETITION_LIST_TABS,
    "category": HOST_SEGMENTS,
    "sortBy": COMPETITION_SORTS,
}
_TEXT_FIELDS = frozenset({"search", "pageToken"})
_INT_FIELDS = frozenset({"page", "pageSize"})
REQUEST_FIELDS = frozenset(_ENUM_FIELDS) | _TEXT_FIELDS | _INT_FIELDS

MalformedKind = Literal["not-json", "wrong-shape"]


def load_default_competitions() -> list[dict[str, Any]]:
    """The fake's default records (a fresh copy each call)."""
    data = json.loads(DEFAULT_DATA.read_text(encoding="utf-8"))
    return list(data["competitions"])


def _record_category(record: dict[str, Any]) -> str:
    """A record's category in the fake's comparison form ("getting started")."""
    value = record.get("category")
    return value.strip().lower().replace("_", " ") if isinstance(value, str) else ""


def request_problem(body: dict[str, Any]) -> str | None:
    """Why a strict server would refuse this ListCompetitions body; None when it is valid."""
    for key, value in body.items():
        if key not in REQUEST_FIELDS:
            return f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.'
        if key in _ENUM_FIELDS:
            if not isinstance(value, str) or value not in _ENUM_FIELDS[key]:
                return f"Invalid value at '{key}': {json.dumps(value)} is not an enum name"
        elif key in _TEXT_FIELDS:
            if not isinstance(value, str):
                return f"Invalid value at '{key}' (TYPE_STRING), {json.dumps(value)}"
        elif isinstance(value, bool) or not isinstance(value, int):
            return f"Invalid value at '{key}' (TYPE_INT32), {json.dumps(value)}"
    return None


@dataclass
class RecordedRequest:
    """One request the fake received (auth presence is recorded, never its value)."""

    method: str
    path: str
    body: Any
    has_auth: bool
    auth_scheme: str | None
    authorized: bool
    answered: int | None = None
    refused: str | None = None


@dataclass
class _Fault:
    status: int
    remaining: int
    retry_after: str | None


@dataclass
class _PageCursor:
    offset: int
    category: str


@dataclass
class _State:
    fails: list[_Fault] = field(default_factory=list)
    malformed_left: int = 0
    malformed_kind: MalformedKind = "not-json"
    slow_seconds: float = 0.0
    slow_left: int | None = None
    forced_token: str | None = None


class FakeKaggle:
    """An aiohttp app standing in for Kaggle's competition list API."""

    def __init__(
        self,
        token: str | None = "kaggle-test-token",
        username: str | None = None,
        key: str | None = None,
        page_size: int = 3,
        competitions: Iterable[dict[str, Any]] | None = None,
    ) -> None:
        if token is None and not (username and key):
            raise ValueError("FakeKaggle needs a token or a username and key to require")
        self.token = token
        self.username = username
        self.key = key
        self.page_size = page_size
        source = load_default_competitions() if competitions is None else competitions
        self.competitions: list[dict[str, Any]] = [copy.deepcopy(c) for c in source]
        self.requests: list[RecordedRequest] = []
        self._state = _State()
        self._cursors: dict[str, _PageCursor] = {}
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.base_url = ""

    # ------------------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        """Serve on 127.0.0.1 on a free port and return the base URL."""
        app = web.Application()
        app.router.add_post(LIST_COMPETITIONS_PATH, self._list_competitions)
        self._stopping = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving (slow requests in flight are released at once)."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeKaggle:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ---------------------------------------------------------------------- test controls

    def fail(self, status: int, times: int = 1, retry_after: float | str | None = None) -> None:
        """Answer the next `times` requests with `status` (and a Retry-After header if given)."""
        header = None if retry_after is None else str(retry_after)
        self._state.fails.append(_Fault(status, times, header))

    def slow(self, seconds: float, times: int | None = None) -> None:
        """Delay the next `times` answers (every answer when None) by `seconds`."""
        self._state.slow_seconds = seconds
        self._state.slow_left = times

    def malformed(self, times: int = 1, kind: MalformedKind = "not-json") -> None:
        """Answer the next `times` requests with 200 and a non-JSON or wrongly shaped body."""
        self._state.malformed_left = times
        self._state.malformed_kind = kind

    def force_next_page_token(self, token: str | None) -> None:
        """Send this nextPageToken on every page (None: back to normal paging)."""
        self._state.forced_token = token

    def add_competition(self, record: dict[str, Any], *, first: bool = True) -> None:
        """Add a record (any shape, even a broken one); newest first by default."""
        if first:
            self.competitions.insert(0, copy.deepcopy(record))
        else:
            self.competitions.append(copy.deepcopy(record))

    def remove_competition(self, ref: str) -> None:
        """Remove the records whose ref (URL or slug) is `ref`."""
        self.competitions = [
            c
            for c in self.competitions
            if not (isinstance(c, dict) and ref in (c.get("ref"), _slug(c.get("ref"))))
        ]

    def list_requests(self) -> list[RecordedRequest]:
        """The ListCompetitions requests received so far."""
        return [r for r in self.requests if r.path == LIST_COMPETITIONS_PATH]

    # --------------------------------------------------------------------------- handler

    def _auth_scheme(self, header: str | None) -> tuple[str | None, bool]:
        """The scheme of an Authorization header and whether it carries our credentials."""
        if not header:
            return None, False
        scheme, _, value = header.partition(" ")
        scheme = scheme.lower()
        if scheme == "bearer":
            return scheme, self.token is not None and secrets.compare_digest(value, self.token)
        if scheme == "basic":
            if not (self.username and self.key):
                return scheme, False
            expected = base64.b64encode(f"{self.username}:{self.key}".encode()).decode()
            return scheme, secrets.compare_digest(value, expected)
        return scheme, False

    async def _list_competitions(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        scheme, authorized = self._auth_scheme(request.headers.get("Authorization"))
        entry = RecordedRequest(
            method=request.method,
            path=request.path,
            body=body,
            has_auth="Authorization" in request.headers,
            auth_scheme=scheme,
            authorized=authorized,
        )
        self.requests.append(entry)
        response = await self._answer(body, authorized, entry)
        entry.answered = response.status
        return response

    async def _answer(self, body: Any, authorized: bool, entry: RecordedRequest) -> web.Response:
        state = self._state
        if state.slow_seconds > 0 and (state.slow_left is None or state.slow_left > 0):
            if state.slow_left is not None:
                state.slow_left -= 1
            try:
                await asyncio.wait_for(self._stopping.wait(), timeout=state.slow_seconds)
            except TimeoutError:
                pass
        if state.fails:
            fault = state.fails[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                state.fails.pop(0)
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            return _error(fault.status, "injected failure", headers)
        if not authorized:
            return _error(401, "Unauthenticated", {"WWW-Authenticate": "Bearer"})
        if state.malformed_left > 0:
            state.malformed_left -= 1
            if state.malformed_kind == "not-json":
                return web.Response(
                    status=200, text="<html>upstream hiccup</html>", content_type="application/json"
                )
            return web.json_response({"competitions": "not a list", "nextPageToken": ""})
        problem = (
            request_problem(body)
            if isinstance(body, dict)
            else "Invalid JSON payload received: the body must be a JSON object."
        )
        if problem is not None:
            entry.refused = problem
            return _error(400, problem)
        return self._page(body)

    def _page(self, body: dict[str, Any]) -> web.Response:
        requested = body.get("pageSize")
        size = min(requested, self.page_size) if requested and requested > 0 else self.page_size
        token = body.get("pageToken") or ""
        if token:
            found = self._cursors.get(token)
            if found is None:
                return _error(400, "Invalid page token.")
            cursor = found
        else:
            # Without a token, `page` (1-based) selects Kaggle's older page-number paging.
            page = body.get("page") or 1
            category = HOST_SEGMENTS[body.get("category", "HOST_SEGMENT_UNSPECIFIED")]
            cursor = _PageCursor(max(0, page - 1) * size, category)

        matching = [
            record
            for record in self.competitions
            if not cursor.category
            or (isinstance(record, dict) and _record_category(record) == cursor.category)
        ]
        page = matching[cursor.offset : cursor.offset + size]
        next_token = ""
        if cursor.offset + size < len(matching):
            next_token = secrets.token_urlsafe(12)
            self._cursors[next_token] = _PageCursor(cursor.offset + size, cursor.category)
        if self._state.forced_token is not None:
            next_token = self._state.forced_token
            self._cursors[next_token] = _PageCursor(cursor.offset + size, cursor.category)
        return web.json_response({"competitions": copy.deepcopy(page), "nextPageToken": next_token})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """An error answer in the shape Kaggle's API uses."""
    return web.json_response({"code": status, "message": message}, status=status, headers=headers)


def _slug(ref: object) -> str | None:
    """The last path segment of a competition URL."""
    if not isinstance(ref, str):
        return None
    return ref.rstrip("/").rsplit("/", 1)[-1]


class RecordingSleep:
    """Stands in for asyncio.sleep in the Kaggle client's backoff: records, never waits."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
