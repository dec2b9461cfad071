"""A small async client for Kaggle's competition list (aiohttp, not the `kaggle` package).

Kaggle's current API is RPC-style: every call is a JSON `POST` to
`{base}/v1/{service}/{method}`, authenticated with an API token (`Authorization: Bearer …`)
or a legacy username + key pair (HTTP Basic). The request body is what Kaggle's own SDK
(`kagglesdk` 0.1.38) sends: camelCase field names, every enum written as its full name
(`"COMPETITION_LIST_TAB_GENERAL"`, never a short form such as `"general"`), and fields left at
their default left out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Self
from urllib.parse import urlsplit

import aiohttp
from pydantic import (
    BaseModel,
    ConfigDict,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

log = logging.getLogger(__name__)

KAGGLE_API_BASE = "https://api.kaggle.com"
LIST_COMPETITIONS_PATH = "/v1/competitions.CompetitionApiService/ListCompetitions"
COMPETITION_URL = "https://www.kaggle.com/competitions/{slug}"

# kagglesdk writes an enum as its `.name`. CompetitionListTab.COMPETITION_LIST_TAB_GENERAL:
# the competitions anyone can enter (as opposed to entered, hosted, everything, …).
GROUP_GENERAL = "COMPETITION_LIST_TAB_GENERAL"
SORT_RECENTLY_CREATED = "COMPETITION_SORT_BY_RECENTLY_CREATED"
# Our category names → HostSegment names. "all" is HOST_SEGMENT_UNSPECIFIED, the field's
# default, which the SDK leaves out of the body; so do we.
CATEGORY_FILTERS: dict[str, str] = {
    "featured": "HOST_SEGMENT_FEATURED",
    "research": "HOST_SEGMENT_RESEARCH",
    "playground": "HOST_SEGMENT_PLAYGROUND",
    "getting-started": "HOST_SEGMENT_GETTING_STARTED",
}
# Neither a Retry-After header nor the exponential backoff may make us wait longer than this.
MAX_RETRY_DELAY = 60.0

Sleep = Callable[[float], Awaitable[Any]]


class KaggleError(Exception):
    """Base class of every error the Kaggle client raises."""


class KaggleAuthError(KaggleError):
    """Kaggle refused the credentials (HTTP 401 or 403)."""


class KaggleUnavailable(KaggleError):
    """Kaggle could not be reached or gave no usable answer, even after retrying."""


# --------------------------------------------------------------------------- parsing helpers

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\s_\-]+")
_LONG_FRACTION = re.compile(r"(\.\d{6})\d+")


def normalise_category(value: str) -> str | None:
    """Turn Kaggle's category spelling ("Getting Started", "gettingStarted", …) into ours."""
    text = value.strip()
    if text.upper().startswith("HOST_SEGMENT_"):
        text = text[len("HOST_SEGMENT_") :]
    text = _CAMEL_BOUNDARY.sub("-", text)
    text = _SEPARATORS.sub("-", text.lower()).strip("-")
    return text or None


def parse_kaggle_datetime(value: object) -> datetime | None:
    """Parse a Kaggle timestamp into an aware UTC datetime; anything unreadable gives None."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = _LONG_FRACTION.sub(r"\1", value.strip())  # Kaggle may send nanoseconds
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _optional_text(value: object) -> str | None:
    """A stripped string, numbers turned into text; empty or other types give None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _optional_int(value: object) -> int | None:
    """An int from an int, a whole float or a numeric string; anything else gives None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        if math.isfinite(number) and number.is_integer():
            return int(number)
    return None


def _tag_names(value: object) -> list[str]:
    """Tag names from Kaggle tag objects ({"ref", "name", "fullPath"}) or plain strings."""
    if not isinstance(value, list):
        return []
    names: list[str] = []
    for item in value:
        name: object = item
        if isinstance(item, dict):
            name = item.get("name") or item.get("ref")
        if isinstance(name, str) and name.strip() and name.strip() not in names:
            names.append(name.strip())
    return names


def _is_http_url(value: str) -> bool:
    """Whether a string is an absolute http(s) URL with a host."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


# --------------------------------------------------------------------------------- the model


class Competition(BaseModel):
    """One Kaggle competition as listed by the API, read leniently."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    ref: str
    title: str
    url: str = ""
    description: str | None = None
    category: str | None = None
    reward: str | None = None
    deadline: datetime | None = None
    enabled_date: datetime | None = None
    team_count: int | None = None
    tags: list[str] = []

    @model_validator(mode="before")
    @classmethod
    def _from_kaggle_names(cls, data: object) -> object:
        """Accept Kaggle's camelCase field names as well as ours."""
        if isinstance(data, dict):
            data = dict(data)
            for kaggle_name, name in (("enabledDate", "enabled_date"), ("teamCount", "team_count")):
                if kaggle_name in data and name not in data:
                    data[name] = data.pop(kaggle_name)
        return data

    @field_validator("ref", "title", mode="before")
    @classmethod
    def _required_text(cls, value: object) -> str:
        """Require a non-empty string."""
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        return value.strip()

    @field_validator("url", mode="before")
    @classmethod
    def _url_text(cls, value: object) -> str:
        """Keep an http(s) URL; anything else is replaced from `ref` later."""
        if isinstance(value, str) and _is_http_url(value.strip()):
            return value.strip()
        return ""

    @field_validator("description", "reward", mode="before")
    @classmethod
    def _text(cls, value: object) -> str | None:
        """Lenient optional text."""
        return _optional_text(value)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: object) -> str | None:
        """Normalise the category to lower case with dashes."""
        return normalise_category(value) if isinstance(value, str) else None

    @field_validator("deadline", "enabled_date", mode="before")
    @classmethod
    def _datetime(cls, value: object) -> datetime | None:
        """Aware UTC datetimes; unreadable dates become None."""
        return parse_kaggle_datetime(value)

    @field_validator("team_count", mode="before")
    @classmethod
    def _count(cls, value: object) -> int | None:
        """Lenient integer."""
        return _optional_int(value)

    @field_validator("tags", mode="before")
    @classmethod
    def _tags(cls, value: object) -> list[str]:
        """Tag names; a non-list becomes no tags."""
        return _tag_names(value)

    @model_validator(mode="after")
    def _fill_url(self) -> Self:
        """Fall back to the ref (when it is a URL) or the canonical competition URL."""
        if not self.url:
            self.url = (
                self.ref if _is_http_url(self.ref) else COMPETITION_URL.format(slug=self.slug)
            )
        return self

    @property
    def slug(self) -> str:
        """The competition's short name, e.g. "titanic", whether `ref` is a URL or a name."""
        if not _is_http_url(self.ref):
            return self.ref.strip("/")
        segments = [part for part in urlsplit(self.ref).path.split("/") if part]
        for marker in ("competitions", "c"):
            if marker in segments[:-1]:
                return segments[segments.index(marker) + 1]
        return segments[-1] if segments else self.ref


# ------------------------------------------------------------------------------- credentials


def _secret_value(value: str | SecretStr | None) -> str | None:
    """The stripped text of a plain or secret string; blank gives None."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None or not value.strip():
        return None
    return value.strip()


class KaggleAuth:
    """Kaggle credentials: an API token (Bearer) or a username + key (HTTP Basic)."""

    __slots__ = ("_key", "_token", "username")

    def __init__(
        self,
        *,
        api_token: str | SecretStr | None = None,
        username: str | None = None,
        key: str | SecretStr | None = None,
    ) -> None:
        token = _secret_value(api_token)
        secret_key = _secret_value(key)
        user = username.strip() if username else None
        if token is None and not (user and secret_key):
            raise ValueError("Kaggle credentials need an API token, or a username and a key")
        self._token = SecretStr(token) if token else None
        self.username = None if token else user
        self._key = None if token else SecretStr(secret_key or "")

    @classmethod
    def from_settings(
        cls,
        api_token: str | SecretStr | None,
        username: str | None,
        key: str | SecretStr | None,
    ) -> KaggleAuth | None:
        """Credentials from settings: the token wins; None when nothing usable is set."""
        if _secret_value(api_token) is not None:
            return cls(api_token=api_token)
        if username and username.strip() and _secret_value(key) is not None:
            return cls(username=username, key=key)
        return None

    @property
    def scheme(self) -> str:
        """Which HTTP auth scheme the credentials use: "bearer" or "basic"."""
        return "bearer" if self._token is not None else "basic"

    def authorization_header(self) -> str:
        """The value of the Authorization header for these credentials."""
        if self._token is not None:
            return f"Bearer {self._token.get_secret_value()}"
        assert self._key is not None
        pair = f"{self.username}:{self._key.get_secret_value()}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")

    def __repr__(self) -> str:
        if self._token is not None:
            return "KaggleAuth(scheme='bearer')"
        return f"KaggleAuth(scheme='basic', username={self.username!r})"

    __str__ = __repr__


# ------------------------------------------------------------------------------------ client


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


class _Retryable(Exception):
    """An attempt failed in a way worth retrying (internal)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class KaggleClient:
    """Lists Kaggle competitions over HTTP, with retries, paging and lenient parsing."""

    def __init__(
        self,
        base_url: str,
        auth: KaggleAuth,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        page_size: int = 50,
        max_pages: int = 20,
    ) -> None:
        if max_retries < 0 or page_size < 1 or max_pages < 1 or timeout <= 0:
            raise ValueError("max_retries >= 0, page_size >= 1, max_pages >= 1, timeout > 0")
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._sleep = sleep
        self._page_size = page_size
        self._max_pages = max_pages

    def __repr__(self) -> str:
        return f"KaggleClient(base_url={self.base_url!r}, auth={self._auth!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    async def list_competitions(self, category: str | None = None) -> list[Competition]:
        """All competitions of a category (None or "all": every category), newest first."""
        body: dict[str, Any] = {
            "group": GROUP_GENERAL,
            "sortBy": SORT_RECENTLY_CREATED,
            "pageSize": self._page_size,
        }
        wire_category = self._category_filter(category)
        if wire_category is not None:
            body["category"] = wire_category

        competitions: dict[str, Competition] = {}
        seen_tokens: set[str] = set()
        token = ""
        for page in range(1, self._max_pages + 1):
            # kagglesdk leaves `page` out when it pages by token: sending it would select the
            # legacy page-number paging instead.
            request = dict(body, pageToken=token) if token else body
            data = await self._post(LIST_COMPETITIONS_PATH, request)
            for competition in self._parse_records(data.get("competitions"), page):
                # A competition created while we page can push another one onto the next page.
                competitions.setdefault(competition.ref, competition)
            next_token = data.get("nextPageToken")
            if not isinstance(next_token, str) or not next_token:
                break
            if next_token in seen_tokens:
                log.warning("Kaggle repeated a page token on page %d; stopping there", page)
                break
            seen_tokens.add(next_token)
            token = next_token
        else:
            log.warning("Stopped listing Kaggle competitions after %d pages", self._max_pages)
        return list(competitions.values())

    @staticmethod
    def _category_filter(category: str | None) -> str | None:
        """The HostSegment name of a category filter; None means every category."""
        if category is None:
            return None
        name = normalise_category(category)
        if name in (None, "all"):
            return None
        if name not in CATEGORY_FILTERS:
            choices = ", ".join(["all", *CATEGORY_FILTERS])
            raise ValueError(f"unknown Kaggle category {category!r}; use one of {choices}")
        return CATEGORY_FILTERS[name]

    @staticmethod
    def _parse_records(records: object, page: int) -> list[Competition]:
        """Competitions from one page; unusable records are skipped and logged."""
        if records is None:
            return []  # proto3 JSON leaves an empty list out
        assert isinstance(records, list)  # checked in _post
        parsed: list[Competition] = []
        for index, record in enumerate(records):
            if not isinstance(record, dict):
                log.warning(
                    "Skipping Kaggle record %d on page %d: %s, not an object",
                    index,
                    page,
                    type(record).__name__,
                )
                continue
            try:
                parsed.append(Competition.model_validate(record))
            except ValidationError as exc:
                fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
                log.warning(
                    "Skipping Kaggle record %d on page %d (ref %r): bad or missing %s",
                    index,
                    page,
                    record.get("ref") if isinstance(record.get("ref"), str) else None,
                    ", ".join(fields) or "fields",
                )
        return parsed

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a JSON body and return the JSON object answered, retrying transient failures."""
        attempt = 0
        while True:
            try:
                return await self._attempt(path, body)
            except _Retryable as failure:
                if attempt >= self._max_retries:
                    raise KaggleUnavailable(
                        f"Kaggle is unavailable ({failure.reason}) after {attempt + 1} attempts"
                    ) from None
                if failure.retry_after is not None:
                    delay = failure.retry_after
                else:
                    delay = self._backoff_base * 2**attempt
                delay = min(delay, MAX_RETRY_DELAY)
                log.warning(
                    "Kaggle request failed (%s); retry %d of %d in %.1f s",
                    failure.reason,
                    attempt + 1,
                    self._max_retries,
                    delay,
                )
                await self._sleep(delay)
                attempt += 1

    async def _attempt(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One HTTP round trip; raises _Retryable, KaggleAuthError or KaggleUnavailable."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {
            "Authorization": self._auth.authorization_header(),
            "Accept": "application/json",
            "User-Agent": "StudyBot (Discord study-group bot)",
        }
        try:
            async with self._session.post(
                self.base_url + path, json=body, headers=headers, timeout=self._timeout
            ) as response:
                status = response.status
                if status in (401, 403):
                    raise KaggleAuthError(
                        f"Kaggle refused the {self._auth.scheme} credentials (HTTP {status})"
                    )
                if status == 429 or status >= 500:
                    retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
                    raise _Retryable(f"HTTP {status}", retry_after)
                if status >= 400:
                    raise KaggleUnavailable(f"Kaggle answered HTTP {status} to {path}")
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = "timed out" if isinstance(exc, TimeoutError) else type(exc).__name__
            raise _Retryable(reason) from None
        return self._decode(raw)

    @staticmethod
    def _decode(raw: bytes) -> dict[str, Any]:
        """The JSON object of a list answer; anything else is a (retryable) malformed answer."""
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            raise _Retryable("answer is not JSON") from None
        if not isinstance(data, dict):
            raise _Retryable(f"answer is a JSON {type(data).__name__}, not an object")
        if data.get("competitions") is not None and not isinstance(data["competitions"], list):
            raise _Retryable("'competitions' is not a list")
        return data
