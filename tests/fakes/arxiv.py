"""A local stand-in for arXiv's query API, served over real HTTP on 127.0.0.1.

It answers ``GET /api/query?id_list=a,b&max_results=N`` with Atom feeds shaped like arXiv's
export API (namespaces http://www.w3.org/2005/Atom and http://arxiv.org/schemas/atom; per entry
``id``, ``updated``, ``published``, ``title``, ``summary``, ``author/name``, ``arxiv:comment``,
``link`` alternate + pdf, ``arxiv:primary_category``, ``category``; titles and summaries wrapped
over several lines the way arXiv wraps them). A well-formed id it does not know yields an entry
titled ``Error``; a malformed id makes the whole answer a single ``Error`` entry with HTTP 400.

The catalogue holds the shipped reading list's arXiv papers (real titles and authors; short
summaries written for these tests, not arXiv's abstracts; approximate first-version dates).
Every request is recorded with its ``time.monotonic()`` arrival time, and faults can be
injected: ``fail(status, times)``, ``slow(seconds)``, ``malformed(times)``.

    fake = FakeArxiv()
    base_url = await fake.start()      # http://127.0.0.1:PORT/api/query
    ...
    await fake.stop()
"""

from __future__ import annotations

import asyncio
import re
import textwrap
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from roadmap.reading_list import load_reading_list

__all__ = ["CATALOGUE_EXTRAS", "FakeArxiv", "FakePaper", "RecordedRequest", "default_catalogue"]

QUERY_PATH = "/api/query"

_ID_RE = re.compile(
    r"(?P<id>[0-9]{4}\.[0-9]{4,5}|[a-z-]+(?:\.[A-Z]{2})?/[0-9]{7})(?:v(?P<version>[0-9]+))?"
)


@dataclass
class FakePaper:
    """One paper the fake knows."""

    arxiv_id: str
    title: str
    authors: list[str]
    summary: str
    published: datetime
    version: int = 1
    updated: datetime | None = None
    primary_category: str = "cs.LG"
    categories: list[str] = field(default_factory=list)
    comment: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    at: float  # time.monotonic() on arrival
    method: str
    path: str
    query: dict[str, str]
    id_list: list[str]
    user_agent: str
    status: int


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# arxiv_id -> (first version published, latest version, primary category, short summary).
CATALOGUE_EXTRAS: dict[str, tuple[datetime, int, str, str]] = {
    "1512.03385": (
        _utc("2015-12-10T19:51:55"),
        1,
        "cs.CV",
        "Residual learning lets very deep networks train: layers learn residual functions "
        "with reference to their inputs. Residual nets up to 152 layers win ILSVRC 2015.",
    ),
    "1706.03762": (
        _utc("2017-06-12T17:57:34"),
        7,
        "cs.CL",
        "The Transformer is a sequence transduction model based solely on attention, "
        "dispensing with recurrence and convolutions, and sets a new state of the art in "
        "machine translation at a fraction of the training cost.",
    ),
    "1810.04805": (
        _utc("2018-10-11T00:50:01"),
        2,
        "cs.CL",
        "BERT pre-trains deep bidirectional representations from unlabeled text by "
        "conditioning on both left and right context in all layers, then fine-tunes with "
        "one extra output layer for many tasks.",
    ),
    "2005.14165": (
        _utc("2020-05-28T17:29:03"),
        4,
        "cs.CL",
        "Scaling a language model to 175 billion parameters greatly improves task-agnostic "
        "few-shot performance, sometimes rivalling fine-tuned approaches.",
    ),
    "1506.02640": (
        _utc("2015-06-08T19:52:52"),
        5,
        "cs.CV",
        "YOLO frames object detection as a single regression problem from image pixels to "
        "bounding boxes and class probabilities, and runs in real time.",
    ),
    "1412.6980": (
        _utc("2014-12-22T13:54:29"),
        9,
        "cs.LG",
        "Adam is an algorithm for first-order gradient-based optimization of stochastic "
        "objectives, based on adaptive estimates of lower-order moments.",
    ),
    "1502.03167": (
        _utc("2015-02-11T01:44:18"),
        3,
        "cs.LG",
        "Normalizing layer inputs for each training mini-batch reduces internal covariate "
        "shift, allowing much higher learning rates and less careful initialization.",
    ),
    "1406.2661": (
        _utc("2014-06-10T18:58:17"),
        1,
        "stat.ML",
        "A generative model and a discriminative model are trained simultaneously in an "
        "adversarial process, a minimax two-player game.",
    ),
    "1312.6114": (
        _utc("2013-12-20T20:58:10"),
        11,
        "stat.ML",
        "A stochastic variational inference and learning algorithm that scales to large "
        "datasets, using a reparameterization of the variational lower bound.",
    ),
    "2006.11239": (
        _utc("2020-06-19T17:24:44"),
        2,
        "cs.LG",
        "High quality image synthesis with diffusion probabilistic models, latent variable "
        "models inspired by nonequilibrium thermodynamics.",
    ),
    "2010.11929": (
        _utc("2020-10-22T17:55:59"),
        2,
        "cs.CV",
        "A pure transformer applied directly to sequences of image patches performs very "
        "well on image classification when pre-trained on large amounts of data.",
    ),
    "1301.3781": (
        _utc("2013-01-16T18:24:43"),
        3,
        "cs.CL",
        "Two novel model architectures compute continuous vector representations of words "
        "from very large data sets, at a much lower computational cost.",
    ),
    "1409.3215": (
        _utc("2014-09-10T19:55:35"),
        3,
        "cs.CL",
        "A general end-to-end approach to sequence learning: one multilayered LSTM maps the "
        "input sequence to a vector, another decodes the target sequence from it.",
    ),
    "1409.0473": (
        _utc("2014-09-01T16:33:02"),
        7,
        "cs.CL",
        "Letting the model automatically (soft-)search for the parts of a source sentence "
        "relevant to predicting a target word improves neural machine translation.",
    ),
    "1505.04597": (
        _utc("2015-05-18T11:28:37"),
        1,
        "cs.CV",
        "A network and training strategy relying on strong data augmentation, with a "
        "contracting path and a symmetric expanding path for precise localization.",
    ),
    "1703.06870": (
        _utc("2017-03-20T17:53:38"),
        3,
        "cs.CV",
        "A simple, flexible framework for object instance segmentation that adds a mask "
        "prediction branch to Faster R-CNN.",
    ),
    "1312.5602": (
        _utc("2013-12-19T16:00:08"),
        1,
        "cs.LG",
        "The first deep learning model to learn control policies directly from "
        "high-dimensional sensory input using reinforcement learning, on Atari 2600 games.",
    ),
    "1707.06347": (
        _utc("2017-07-20T02:32:33"),
        2,
        "cs.LG",
        "A family of policy gradient methods that alternate between sampling data and "
        "optimizing a clipped surrogate objective with stochastic gradient ascent.",
    ),
    "1603.02754": (
        _utc("2016-03-09T01:11:51"),
        3,
        "cs.LG",
        "A scalable end-to-end tree boosting system with a sparsity-aware algorithm and a "
        "weighted quantile sketch for approximate tree learning.",
    ),
    "1609.02907": (
        _utc("2016-09-09T19:48:41"),
        4,
        "cs.LG",
        "A scalable approach for semi-supervised learning on graph-structured data based on "
        "an efficient variant of convolutional neural networks on graphs.",
    ),
    "1710.10903": (
        _utc("2017-10-30T17:41:49"),
        3,
        "stat.ML",
        "Graph attention networks use masked self-attentional layers so that nodes attend "
        "over their neighborhoods' features.",
    ),
    "1602.04938": (
        _utc("2016-02-16T08:20:14"),
        3,
        "cs.LG",
        "LIME explains the predictions of any classifier by learning an interpretable model "
        "locally around the prediction.",
    ),
    "1705.07874": (
        _utc("2017-05-22T21:36:21"),
        2,
        "cs.AI",
        "SHAP assigns each feature an importance value for a particular prediction, unifying "
        "six existing methods under additive feature attribution.",
    ),
}


def default_catalogue() -> list[FakePaper]:
    """The reading list's arXiv papers, with the extras above."""
    papers = []
    for item in load_reading_list():
        if item.arxiv_id is None:
            continue
        published, version, category, summary = CATALOGUE_EXTRAS[item.arxiv_id]
        papers.append(
            FakePaper(
                arxiv_id=item.arxiv_id,
                title=item.title,
                authors=list(item.authors),
                summary=summary,
                published=published,
                version=version,
                primary_category=category,
            )
        )
    return papers


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wrap_title(title: str) -> str:
    # arXiv wraps long titles onto indented continuation lines.
    return textwrap.fill(title, width=70, subsequent_indent="  ", break_on_hyphens=False)


def _wrap_summary(summary: str) -> str:
    # arXiv's summaries start indented, wrap at ~80 columns and end with a newline.
    return "  " + textwrap.fill(summary, width=78, break_on_hyphens=False) + "\n"


def _entry_xml(paper: FakePaper) -> str:
    abs_url = f"http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}"
    pdf_url = f"http://arxiv.org/pdf/{paper.arxiv_id}v{paper.version}"
    updated = paper.updated or paper.published
    authors = "".join(
        f"\n    <author>\n      <name>{escape(name)}</name>\n    </author>"
        for name in paper.authors
    )
    comment = (
        f'\n    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">'
        f"{escape(paper.comment)}</arxiv:comment>"
        if paper.comment
        else ""
    )
    categories = "".join(
        f'\n    <category term={quoteattr(term)} scheme="http://arxiv.org/schemas/atom"/>'
        for term in dict.fromkeys([paper.primary_category, *paper.categories])
    )
    return f"""  <entry>
    <id>{abs_url}</id>
    <updated>{_stamp(updated)}</updated>
    <published>{_stamp(paper.published)}</published>
    <title>{escape(_wrap_title(paper.title))}</title>
    <summary>{escape(_wrap_summary(paper.summary))}</summary>{authors}{comment}
    <link href="{abs_url}" rel="alternate" type="text/html"/>
    <link title="pdf" href="{pdf_url}" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" \
term={quoteattr(paper.primary_category)} scheme="http://arxiv.org/schemas/atom"/>{categories}
  </entry>
"""


def _error_entry_xml(anchor: str, message: str) -> str:
    url = f"http://arxiv.org/api/errors#{quote(anchor, safe='')}"
    return f"""  <entry>
    <id>{escape(url)}</id>
    <title>Error</title>
    <summary>{escape(message)}</summary>
    <updated>{_stamp(datetime.now(UTC))}</updated>
    <link href={quoteattr(url)} rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
"""


def _feed_xml(query: str, entries: list[str], total: int) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href={quoteattr("http://arxiv.org/api/query?" + query)} rel="self" \
type="application/atom+xml"/>
  <title type="html">{escape("ArXiv Query: " + query)}</title>
  <id>http://arxiv.org/api/fake-feed-id</id>
  <updated>{_stamp(datetime.now(UTC))}</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\
{total}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\
0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">\
{len(entries)}</opensearch:itemsPerPage>
{"".join(entries)}</feed>
"""


class FakeArxiv:
    """An aiohttp server that answers like arXiv's query API, with fault injection."""

    def __init__(self, papers: Iterable[FakePaper] | None = None) -> None:
        catalogue = default_catalogue() if papers is None else list(papers)
        self.papers: dict[str, FakePaper] = {paper.arxiv_id: paper for paper in catalogue}
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None
        self._base_url: str | None = None
        self._closing = asyncio.Event()
        self._fail_status = 503
        self._fail_left = 0
        self._malformed_left = 0
        self._delay = 0.0

    @property
    def base_url(self) -> str:
        """The query endpoint, e.g. http://127.0.0.1:PORT/api/query (after start())."""
        if self._base_url is None:
            raise RuntimeError("FakeArxiv is not started")
        return self._base_url

    async def start(self) -> str:
        """Start serving on a free port of 127.0.0.1 and return the query endpoint URL."""
        app = web.Application()
        app.router.add_get(QUERY_PATH, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._base_url = f"http://{host}:{port}{QUERY_PATH}"
        return self._base_url

    async def stop(self) -> None:
        """Stop serving; slow answers still pending end at once."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add_paper(
        self,
        arxiv_id: str,
        title: str,
        authors: list[str],
        summary: str = "A paper added by a test.",
        published: datetime | None = None,
        version: int = 1,
        primary_category: str = "cs.LG",
        comment: str | None = None,
    ) -> FakePaper:
        """Add (or replace) a paper in the catalogue."""
        paper = FakePaper(
            arxiv_id=arxiv_id,
            title=title,
            authors=authors,
            summary=summary,
            published=published or datetime(2020, 1, 1, tzinfo=UTC),
            version=version,
            primary_category=primary_category,
            comment=comment,
        )
        self.papers[arxiv_id] = paper
        return paper

    def fail(self, status: int = 503, times: int = 1) -> None:
        """Answer the next ``times`` requests with HTTP ``status`` and a short text body."""
        self._fail_status = status
        self._fail_left = times

    def slow(self, seconds: float) -> None:
        """Delay every answer by ``seconds`` from now on (0 turns it off)."""
        self._delay = seconds

    def malformed(self, times: int = 1) -> None:
        """Answer the next ``times`` requests with 200 and truncated, unparsable XML."""
        self._malformed_left = times

    def request_ids(self) -> list[list[str]]:
        """The id_list of each request received so far."""
        return [request.id_list for request in self.requests]

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._closing.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        raw_ids = request.query.get("id_list", "")
        id_list = [item.strip() for item in raw_ids.split(",") if item.strip()]
        response = self._answer(request, id_list)
        self.requests.append(
            RecordedRequest(
                at=arrived,
                method=request.method,
                path=request.path,
                query=dict(request.query),
                id_list=id_list,
                user_agent=request.headers.get("User-Agent", ""),
                status=response.status,
            )
        )
        if self._delay > 0:
            await self._sleep(self._delay)
        return response

    def _answer(self, request: web.Request, id_list: list[str]) -> web.Response:
        if self._fail_left > 0:
            self._fail_left -= 1
            headers = {"Retry-After": "3"} if self._fail_status == 429 else {}
            return web.Response(
                status=self._fail_status, text="Service unavailable (fake)", headers=headers
            )
        query = request.query_string
        if self._malformed_left > 0:
            self._malformed_left -= 1
            full = _feed_xml(query, [_entry_xml(p) for p in list(self.papers.values())[:1]], 1)
            return web.Response(
                status=200, text=full[: len(full) // 2], content_type="application/atom+xml"
            )

        entries: list[str] = []
        for raw in id_list:
            match = _ID_RE.fullmatch(raw)
            if match is None:
                error = _error_entry_xml(
                    f"incorrect_id_format_for_{raw}", f"incorrect id format for {raw}"
                )
                return web.Response(
                    status=400,
                    text=_feed_xml(query, [error], 1),
                    content_type="application/atom+xml",
                )
            paper = self.papers.get(match["id"])
            if paper is None:
                entries.append(_error_entry_xml(f"unknown_id_{raw}", f"unknown id {raw}"))
            else:
                entries.append(_entry_xml(paper))
        max_results = request.query.get("max_results", "10")
        limit = int(max_results) if max_results.isdigit() else 10
        entries = entries[:limit]
        return web.Response(
            status=200,
            text=_feed_xml(query, entries, len(entries)),
            content_type="application/atom+xml",
        )
