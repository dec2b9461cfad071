"""Paper metadata: arXiv answers cached in SQLite for good, with a fallback when arXiv is down."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from bot.clock import Clock
from cogs.papers.arxiv import ArxivClient, ArxivError, ArxivPaper, parse_arxiv_id
from cogs.papers.repo import PaperRepo
from roadmap.reading_list import ReadingPaper

log = logging.getLogger(__name__)

#: After arXiv failed, scheduled posts use the reading list's own data for this long
#: instead of asking again (members' /paper suggest always asks).
ARXIV_BACKOFF_SECONDS = 300.0


class PaperCatalogue:
    """Looks papers up in the cache first and asks arXiv only for what it has never seen."""

    def __init__(
        self,
        repo: PaperRepo,
        client: ArxivClient,
        reading_list: Sequence[ReadingPaper],
        clock: Clock,
        *,
        backoff: float = ARXIV_BACKOFF_SECONDS,
    ) -> None:
        self.repo = repo
        self.client = client
        self.reading_list = list(reading_list)
        self.clock = clock
        self.backoff = backoff
        self._down_until = 0.0
        self._warming: asyncio.Task[None] | None = None

    async def paper(self, text: str) -> ArxivPaper:
        """The metadata of an arXiv id or link: from the cache, else from arXiv (then cached).

        Raises InvalidArxivId, ArxivUnknownId or ArxivUnavailable, each with a user_message.
        """
        arxiv_id = parse_arxiv_id(text)
        cached = await self.repo.cached_paper(arxiv_id)
        if cached is not None:
            return cached
        paper = await self.client.fetch(arxiv_id)
        await self.repo.cache_papers([paper], self.clock())
        return paper

    async def reading_metadata(self, paper: ReadingPaper) -> ArxivPaper | None:
        """arXiv's metadata of a reading-list paper, or None (not on arXiv, or arXiv is down)."""
        if paper.arxiv_id is None:
            return None
        cached = await self.repo.cached_paper(paper.arxiv_id)
        if cached is not None or time.monotonic() < self._down_until:
            return cached
        # One batch request for every reading-list paper not cached yet, shared by every post
        # that needs one: a fan-out of many servers never queues many requests at arXiv.
        if self._warming is None or self._warming.done():
            self._warming = asyncio.create_task(self._warm())
        await asyncio.shield(self._warming)
        return await self.repo.cached_paper(paper.arxiv_id)

    async def _warm(self) -> None:
        ids = [p.arxiv_id for p in self.reading_list if p.arxiv_id is not None]
        cached = await self.repo.cached_papers(ids)
        missing = [arxiv_id for arxiv_id in ids if arxiv_id not in cached]
        if not missing:
            return
        try:
            found = await self.client.fetch_many(missing)
        except ArxivError as exc:
            self._down_until = time.monotonic() + self.backoff
            log.warning("arXiv unavailable for reading-list metadata (%s); using the list's", exc)
            return
        await self.repo.cache_papers(list(found.values()), self.clock())
