"""A small, polite client for arXiv's query API (no Discord here).

arXiv asks for at most one request every three seconds and a single connection at a time, so
one :class:`ArxivClient` serialises its requests and spaces them ``min_interval`` seconds apart
(measured from the end of one answer to the start of the next request). Callers queue on an
:class:`asyncio.Lock`; none is dropped. Caching is the paper repository's job, not this one's.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from types import TracebackType
from xml.etree.ElementTree import Element, ParseError

import aiohttp
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from pydantic import AwareDatetime, BaseModel, ConfigDict

__all__ = [
    "DEFAULT_BASE_URL",
    "ArxivClient",
    "ArxivError",
    "ArxivErrorEntry",
    "ArxivPaper",
    "ArxivUnavailable",
    "ArxivUnknownId",
    "InvalidArxivId",
    "parse_arxiv_id",
    "parse_feed",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://export.arxiv.org/api/query"
USER_AGENT = "StudyBot/0.1 (Discord study-group bot; paper club)"

ATOM_NS = "http://www.w3.org/2005/Atom"
ARXIV_NS = "http://arxiv.org/schemas/atom"
_A = f"{{{ATOM_NS}}}"
_X = f"{{{ARXIV_NS}}}"

# Longer than any id or arXiv link a person would paste; longer input is refused unparsed.
_MAX_ID_INPUT = 200
# An id_list batch: arXiv handles long lists, but a small batch keeps each answer small.
_BATCH_SIZE = 50
# arXiv answers for 50 papers are ~200 kB; anything far bigger is not an answer to us.
_MAX_BODY_BYTES = 5 * 1024 * 1024

_NEW_ID = r"(?P<new>[0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5})"
_OLD_ID = (
    r"(?P<archive>[A-Za-z]+(?:-[A-Za-z]+)*)"
    r"(?:\.(?P<subject>[A-Za-z]{2}))?"
    r"/(?P<number>[0-9]{7})"
)
_ID_RE = re.compile(
    r"(?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|arxiv:)?"
    rf"(?:{_NEW_ID}|{_OLD_ID})"
    r"(?:v[0-9]{1,3})?"
    r"(?:\.pdf)?/?",
    re.IGNORECASE | re.ASCII,
)
_WHITESPACE_RE = re.compile(r"\s+")


class ArxivError(Exception):
    """Base of every error this module raises; ``user_message`` is safe to show a user."""

    user_message: str = "Something went wrong while talking to arXiv."

    def __init__(self, user_message: str | None = None) -> None:
        if user_message is not None:
            self.user_message = user_message
        super().__init__(self.user_message)


class InvalidArxivId(ArxivError):
    """The text is not an arXiv id or arXiv link."""

    def __init__(self, text: str) -> None:
        # Kept for logs only, shortened; never echoed to users (it may hold @everyone or markdown).
        self.text = text[:100]
        super().__init__(
            "That is not an arXiv paper. Give an arXiv id like 1706.03762 "
            "or a link like https://arxiv.org/abs/1706.03762"
        )


class ArxivUnknownId(ArxivError):
    """arXiv has no paper with this (well-formed) id."""

    def __init__(self, arxiv_id: str) -> None:
        self.arxiv_id = arxiv_id
        super().__init__(f"arXiv has no paper {arxiv_id}. Check the id and try again.")


class ArxivUnavailable(ArxivError):
    """arXiv did not answer usefully: timeout, connection error, 5xx, 429 or a broken feed."""

    def __init__(self, detail: str = "") -> None:
        # ``detail`` is for logs; users always get the same plain sentence.
        self.detail = detail
        super().__init__("arXiv did not answer, try again later")


class ArxivPaper(BaseModel):
    """One paper as arXiv describes it (latest version)."""

    model_config = ConfigDict(frozen=True)

    arxiv_id: str
    title: str
    authors: list[str]
    summary: str
    published: AwareDatetime
    abs_url: str
    pdf_url: str
    primary_category: str


class ArxivErrorEntry(BaseModel):
    """An ``<entry>`` of a feed that does not describe a paper (arXiv's "Error" entries)."""

    model_config = ConfigDict(frozen=True)

    entry_id: str
    message: str


def parse_arxiv_id(text: str) -> str:
    """Return the canonical, version-less arXiv id in an id, ``arXiv:`` id or arxiv.org link."""
    if len(text) > _MAX_ID_INPUT:
        raise InvalidArxivId(text)
    candidate = text.strip().strip("<>").strip()
    match = _ID_RE.fullmatch(candidate)
    if match is None:
        raise InvalidArxivId(text)
    if new_id := match["new"]:
        # New-style ids began in April 2007 with 4-digit numbers; 5 digits since January 2015.
        yymm, number = new_id.split(".")
        if yymm < "0704" or (len(number) == 5) != (yymm >= "1501"):
            raise InvalidArxivId(text)
        return new_id
    archive = match["archive"].lower()
    subject = f".{match['subject'].upper()}" if match["subject"] else ""
    return f"{archive}{subject}/{match['number']}"


def _collapse(text: str | None) -> str:
    return _WHITESPACE_RE.sub(" ", text or "").strip()


def _text(entry: Element, tag: str) -> str:
    child = entry.find(tag)
    return _collapse(child.text if child is not None else None)


def _parse_published(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _parse_entry(entry: Element) -> ArxivPaper | ArxivErrorEntry:
    entry_id = _text(entry, f"{_A}id")
    title = _text(entry, f"{_A}title")
    summary = _text(entry, f"{_A}summary")
    if title == "Error":
        return ArxivErrorEntry(entry_id=entry_id, message=summary or "arXiv reported an error")
    try:
        arxiv_id = parse_arxiv_id(entry_id)
    except InvalidArxivId:
        return ArxivErrorEntry(entry_id=entry_id, message="entry id is not an arXiv paper")
    published_text = _text(entry, f"{_A}published")
    try:
        published = _parse_published(published_text)
    except ValueError:
        return ArxivErrorEntry(entry_id=entry_id, message="entry has no valid <published>")
    if not title:
        return ArxivErrorEntry(entry_id=entry_id, message="entry has no title")
    authors = [
        name for author in entry.findall(f"{_A}author") if (name := _text(author, f"{_A}name"))
    ]
    category = entry.find(f"{_X}primary_category")
    primary_category = (category.get("term") or "") if category is not None else ""
    # Links are built, not copied from the feed: unversioned https links always show the
    # latest version, and nothing from the answer ends up in a URL we render.
    return ArxivPaper(
        arxiv_id=arxiv_id,
        title=title,
        authors=authors,
        summary=summary,
        published=published,
        abs_url=f"https://arxiv.org/abs/{arxiv_id}",
        pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        primary_category=primary_category.strip(),
    )


def parse_feed(xml: bytes | str) -> list[ArxivPaper | ArxivErrorEntry]:
    """Parse an arXiv Atom feed into papers and error entries; broken XML is ArxivUnavailable."""
    try:
        root = fromstring(xml)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise ArxivUnavailable(f"malformed feed: {exc}") from exc
    if root.tag != f"{_A}feed":
        raise ArxivUnavailable(f"not an Atom feed: root element {root.tag[:80]!r}")
    return [_parse_entry(entry) for entry in root.findall(f"{_A}entry")]


class ArxivClient:
    """Fetches paper metadata from arXiv's query API, one request per ``min_interval``."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        min_interval: float = 3.0,
        timeout: float = 10.0,
    ) -> None:
        if min_interval < 0 or timeout <= 0:
            raise ValueError("min_interval must be >= 0 and timeout > 0")
        self.base_url = base_url
        self.min_interval = min_interval
        self.timeout = timeout
        self._session = session
        self._owns_session = session is None
        self._lock = asyncio.Lock()
        self._next_request_at = 0.0  # time.monotonic() value

    async def __aenter__(self) -> ArxivClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()
        if self._owns_session:
            self._session = None

    async def fetch(self, arxiv_id: str) -> ArxivPaper:
        """Fetch one paper (id or link); ArxivUnknownId when arXiv has no such paper."""
        canonical = parse_arxiv_id(arxiv_id)
        papers = await self._query([canonical])
        paper = papers.get(canonical)
        if paper is None:
            raise ArxivUnknownId(canonical)
        return paper

    async def fetch_many(self, ids: Iterable[str]) -> dict[str, ArxivPaper]:
        """Fetch several papers by id or link; unknown ids are left out of the answer."""
        wanted = list(dict.fromkeys(parse_arxiv_id(item) for item in ids))
        found: dict[str, ArxivPaper] = {}
        for start in range(0, len(wanted), _BATCH_SIZE):
            found.update(await self._query(wanted[start : start + _BATCH_SIZE]))
        return found

    async def _query(self, ids: list[str]) -> dict[str, ArxivPaper]:
        params = {"id_list": ",".join(ids), "max_results": str(len(ids))}
        async with self._lock:
            await self._wait_turn()
            try:
                status, body = await self._get(params)
            finally:
                self._next_request_at = time.monotonic() + self.min_interval
        if status == 429 or status >= 500:
            log.warning("arXiv answered HTTP %d", status)
            raise ArxivUnavailable(f"HTTP {status}")
        if status != 200 and status not in (400, 404):
            raise ArxivUnavailable(f"unexpected HTTP {status}")
        entries = parse_feed(body)
        wanted = set(ids)
        papers = {
            entry.arxiv_id: entry
            for entry in entries
            if isinstance(entry, ArxivPaper) and entry.arxiv_id in wanted
        }
        if status != 200 and not any(isinstance(entry, ArxivErrorEntry) for entry in entries):
            raise ArxivUnavailable(f"HTTP {status} without an error entry")
        return papers

    async def _wait_turn(self) -> None:
        delay = self._next_request_at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def _get(self, params: dict[str, str]) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            if not self._owns_session:
                raise ArxivUnavailable("the shared HTTP session is closed")
            self._session = aiohttp.ClientSession()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with self._session.get(
                self.base_url,
                params=params,
                headers={"User-Agent": USER_AGENT},
                timeout=timeout,
            ) as response:
                body = await _read_limited(response)
                return response.status, body
        except ArxivUnavailable:
            raise
        except TimeoutError as exc:
            log.warning("arXiv timed out after %.1fs", self.timeout)
            raise ArxivUnavailable("timeout") from exc
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            log.warning("arXiv request failed: %s", type(exc).__name__)
            raise ArxivUnavailable(f"{type(exc).__name__}: {exc}") from exc


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > _MAX_BODY_BYTES:
            raise ArxivUnavailable("answer too large")
        chunks.append(chunk)
    return b"".join(chunks)
