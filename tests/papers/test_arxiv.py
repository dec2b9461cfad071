"""The arXiv client: id parsing, feed parsing, and real HTTP against the local fake arXiv."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cogs.papers.arxiv import (
    ArxivClient,
    ArxivError,
    ArxivErrorEntry,
    ArxivPaper,
    ArxivUnavailable,
    ArxivUnknownId,
    InvalidArxivId,
    parse_arxiv_id,
    parse_feed,
)
from tests.fakes.arxiv import FakeArxiv

INVALID_ID_MESSAGE = (
    "That is not an arXiv paper. Give an arXiv id like 1706.03762 "
    "or a link like https://arxiv.org/abs/1706.03762"
)
UNAVAILABLE_MESSAGE = "arXiv did not answer, try again later"


@pytest.fixture
async def fake_arxiv() -> AsyncIterator[FakeArxiv]:
    fake = FakeArxiv()
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
async def client(fake_arxiv: FakeArxiv) -> AsyncIterator[ArxivClient]:
    arxiv = ArxivClient(fake_arxiv.base_url, min_interval=0, timeout=5)
    yield arxiv
    await arxiv.close()


# --- parse_arxiv_id ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1706.03762", "1706.03762"),
        ("1706.03762v7", "1706.03762"),
        ("1706.03762V2", "1706.03762"),
        ("arXiv:1706.03762", "1706.03762"),
        ("arxiv:1706.03762v1", "1706.03762"),
        ("https://arxiv.org/abs/1706.03762v2", "1706.03762"),
        ("https://arxiv.org/abs/1706.03762", "1706.03762"),
        ("http://arxiv.org/pdf/1706.03762.pdf", "1706.03762"),
        ("https://arxiv.org/pdf/1706.03762v5.pdf", "1706.03762"),
        ("arxiv.org/pdf/1706.03762v1", "1706.03762"),
        ("www.arxiv.org/abs/1706.03762", "1706.03762"),
        ("https://www.arxiv.org/abs/1706.03762", "1706.03762"),
        ("export.arxiv.org/abs/1706.03762", "1706.03762"),
        ("https://arxiv.org/abs/1706.03762/", "1706.03762"),
        ("  1706.03762\n", "1706.03762"),
        ("<https://arxiv.org/abs/1706.03762>", "1706.03762"),
        (" < 1706.03762 > ", "1706.03762"),
        ("2005.14165", "2005.14165"),
        ("0704.0001", "0704.0001"),
        ("1412.6980", "1412.6980"),
        ("1501.00001", "1501.00001"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("math.gt/0309136", "math.GT/0309136"),
        ("https://arxiv.org/abs/hep-th/9901001v1", "hep-th/9901001"),
        ("arXiv:math.GT/0309136", "math.GT/0309136"),
    ],
)
def test_parse_arxiv_id_accepts_ids_and_links(text: str, expected: str) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "1706",
        "1706.0376",  # 4-digit numbers ended in 2014
        "1312.56020",  # 5-digit numbers began in 2015
        "0612.0001",  # new-style ids began in 2007-04
        "1706.037620",
        "1713.03762",  # month 13
        "1700.03762",  # month 00
        "1706-03762",
        "1706.03762v",
        "1706.03762 1512.03385",
        "1706.03762,1512.03385",
        "https://example.com/abs/1706.03762",
        "https://arxiv.org.evil.com/abs/1706.03762",
        "https://arxiv.org/list/cs.LG/recent",
        "ftp://arxiv.org/abs/1706.03762",
        "https://arxiv.org/abs/1706.03762?download=1",
        "javascript:alert(1)",
        "@everyone",
        "@here 1706.03762",
        "<@&123456789012345678>",
        "**1706.03762**",
        "`1706.03762`",
        "[paper](https://arxiv.org/abs/1706.03762)",
        "📄 1706.03762",
        "1706.03762🔥",
        "１７０６.０３７６２",  # full-width digits
        "1706.03762\x00",
        "\u202e1706.03762",  # right-to-left override
        "hep-th/990100",
        "/9901001",
        "1" * 5000,
        "1706.03762" + "v" * 5000,
        "https://arxiv.org/abs/" + "1" * 5000,
        " " * 5000 + "1706.03762",
        "<" * 2500 + ">" * 2500,
        "🙂" * 5000,
        "@everyone " * 500,
    ],
)
def test_parse_arxiv_id_rejects_everything_else(text: str) -> None:
    with pytest.raises(InvalidArxivId) as caught:
        parse_arxiv_id(text)
    error = caught.value
    assert isinstance(error, ArxivError)
    assert error.user_message == INVALID_ID_MESSAGE
    assert str(error) == INVALID_ID_MESSAGE
    assert len(error.text) <= 100


@settings(max_examples=200, deadline=None, database=None)
@given(st.text(max_size=300))
def test_parse_arxiv_id_never_fails_otherwise(text: str) -> None:
    try:
        result = parse_arxiv_id(text)
    except InvalidArxivId:
        return
    assert re.fullmatch(r"[0-9]{4}\.[0-9]{4,5}|[a-z-]+(\.[A-Z]{2})?/[0-9]{7}", result)


@settings(max_examples=100, deadline=None, database=None)
@given(
    prefix=st.sampled_from(
        ["", "arXiv:", "arxiv.org/abs/", "https://arxiv.org/pdf/", "http://export.arxiv.org/abs/"]
    ),
    yymm=st.integers(1501, 2912).filter(lambda n: 1 <= n % 100 <= 12),
    number=st.integers(0, 99999),
    version=st.one_of(st.none(), st.integers(1, 99)),
)
def test_parse_arxiv_id_round_trips_generated_ids(
    prefix: str, yymm: int, number: int, version: int | None
) -> None:
    canonical = f"{yymm:04d}.{number:05d}"
    text = prefix + canonical + (f"v{version}" if version else "")
    assert parse_arxiv_id(text) == canonical


# --- parse_feed --------------------------------------------------------------------------

# The shape of a real answer of GET /api/query?id_list=1706.03762 (abridged summary).
RECORDED_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query?search_query%3D%26id_list%3D1706.03762%26start%3D0%26max_results%3D10" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=&amp;id_list=1706.03762&amp;start=0&amp;max_results=10</title>
  <id>http://arxiv.org/api/cHxbiOdZaP56ODnBPIenZhzg5f8</id>
  <updated>2024-05-01T00:00:00-04:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">10</opensearch:itemsPerPage>
  <entry>
    <id>http://arxiv.org/abs/1706.03762v7</id>
    <updated>2023-08-02T00:41:18Z</updated>
    <published>2017-06-12T17:57:34Z</published>
    <title>Attention Is All
  You Need</title>
    <summary>  The dominant sequence transduction models are based on complex recurrent or
convolutional neural networks in an encoder-decoder configuration.
</summary>
    <author>
      <name>Ashish Vaswani</name>
    </author>
    <author>
      <name>Noam Shazeer</name>
    </author>
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">15 pages, 5 figures</arxiv:comment>
    <link href="http://arxiv.org/abs/1706.03762v7" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/1706.03762v7" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
</feed>
"""  # noqa: E501

ERROR_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">ArXiv Query: id_list=1706.0376</title>
  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1706.0376</id>
    <title>Error</title>
    <summary>incorrect id format for 1706.0376</summary>
    <updated>2024-05-01T00:00:00-04:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1706.0376" rel="alternate" type="text/html"/>
    <author>
      <name>arXiv api core</name>
    </author>
  </entry>
</feed>
"""  # noqa: E501


def test_parse_feed_reads_a_recorded_entry() -> None:
    [paper] = parse_feed(RECORDED_FEED.encode())
    assert paper == ArxivPaper(
        arxiv_id="1706.03762",
        title="Attention Is All You Need",
        authors=["Ashish Vaswani", "Noam Shazeer"],
        summary="The dominant sequence transduction models are based on complex recurrent or "
        "convolutional neural networks in an encoder-decoder configuration.",
        published=datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC),
        abs_url="https://arxiv.org/abs/1706.03762",
        pdf_url="https://arxiv.org/pdf/1706.03762",
        primary_category="cs.CL",
    )
    assert paper.published.utcoffset() is not None


def test_parse_feed_accepts_str_and_reports_error_entries() -> None:
    [entry] = parse_feed(ERROR_FEED)
    assert entry == ArxivErrorEntry(
        entry_id="http://arxiv.org/api/errors#incorrect_id_format_for_1706.0376",
        message="incorrect id format for 1706.0376",
    )


def test_parse_feed_of_an_empty_answer_is_empty() -> None:
    assert parse_feed('<feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>') == []


def test_parse_feed_turns_incomplete_entries_into_error_entries() -> None:
    feed = """<feed xmlns="http://www.w3.org/2005/Atom">
      <entry><id>http://arxiv.org/abs/1706.03762v1</id><title>No date</title></entry>
      <entry><id>http://example.com/x</id><title>Not arXiv</title>
        <published>2017-06-12T17:57:34Z</published></entry>
    </feed>"""
    entries = parse_feed(feed)
    assert entries == [
        ArxivErrorEntry(
            entry_id="http://arxiv.org/abs/1706.03762v1",
            message="entry has no valid <published>",
        ),
        ArxivErrorEntry(entry_id="http://example.com/x", message="entry id is not an arXiv paper"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<feed",
        RECORDED_FEED.encode()[:700],
        b"<html><body>503 Service Temporarily Unavailable</body></html>",
        b'{"error": "rate limited"}',
        # An entity-expansion bomb: defusedxml refuses it instead of expanding it.
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol2;</title></feed>',
        # An external entity: never fetched or read.
        b'<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&xxe;</title></feed>',
    ],
)
def test_parse_feed_rejects_malformed_answers_as_unavailable(body: bytes) -> None:
    with pytest.raises(ArxivUnavailable) as caught:
        parse_feed(body)
    assert caught.value.user_message == UNAVAILABLE_MESSAGE


# --- the client against the fake arXiv ---------------------------------------------------


@pytest.mark.parametrize(
    "given_id",
    [
        "1706.03762",
        "1706.03762v7",
        "arXiv:1706.03762",
        "https://arxiv.org/abs/1706.03762v2",
        "http://arxiv.org/pdf/1706.03762.pdf",
        "arxiv.org/pdf/1706.03762v1",
        "www.arxiv.org/abs/1706.03762",
        "export.arxiv.org/abs/1706.03762",
        " <https://arxiv.org/abs/1706.03762> ",
    ],
)
async def test_fetch_accepts_every_id_form(
    client: ArxivClient, fake_arxiv: FakeArxiv, given_id: str
) -> None:
    paper = await client.fetch(given_id)
    assert paper.arxiv_id == "1706.03762"
    assert paper.title == "Attention Is All You Need"
    assert paper.authors == [
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
        "Llion Jones",
        "Aidan N. Gomez",
        "Lukasz Kaiser",
        "Illia Polosukhin",
    ]
    assert paper.published == datetime(2017, 6, 12, 17, 57, 34, tzinfo=UTC)
    assert paper.abs_url == "https://arxiv.org/abs/1706.03762"
    assert paper.pdf_url == "https://arxiv.org/pdf/1706.03762"
    assert paper.primary_category == "cs.CL"
    assert paper.summary.startswith("The Transformer is a sequence transduction model")
    # The version is stripped before asking: arXiv answers with the latest version.
    [request] = fake_arxiv.requests
    assert request.id_list == ["1706.03762"]
    assert request.query["max_results"] == "1"
    assert request.user_agent.startswith("StudyBot/")


async def test_fetch_collapses_wrapped_titles_and_summaries(client: ArxivClient) -> None:
    paper = await client.fetch("1810.04805")
    assert paper.title == (
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"
    )
    assert paper.summary == (
        "BERT pre-trains deep bidirectional representations from unlabeled text by "
        "conditioning on both left and right context in all layers, then fine-tunes with "
        "one extra output layer for many tasks."
    )
    assert "\n" not in paper.title + paper.summary
    assert len(paper.authors) == 4


async def test_fetch_old_style_ids(client: ArxivClient, fake_arxiv: FakeArxiv) -> None:
    # Old-style ids with made-up test metadata.
    fake_arxiv.add_paper("hep-th/9901001", "An old-style test paper", ["A. Tester"], version=2)
    fake_arxiv.add_paper("math.GT/0309136", "A test paper with a subject class", ["B. Tester"])
    old = await client.fetch("https://arxiv.org/abs/hep-th/9901001v1")
    assert (old.arxiv_id, old.title, old.authors) == (
        "hep-th/9901001",
        "An old-style test paper",
        ["A. Tester"],
    )
    assert old.abs_url == "https://arxiv.org/abs/hep-th/9901001"
    subject = await client.fetch("math.GT/0309136")
    assert subject.arxiv_id == "math.GT/0309136"
    assert fake_arxiv.request_ids() == [["hep-th/9901001"], ["math.GT/0309136"]]


async def test_fetch_unknown_id(client: ArxivClient) -> None:
    with pytest.raises(ArxivUnknownId) as caught:
        await client.fetch("https://arxiv.org/abs/2401.99999v3")
    assert caught.value.arxiv_id == "2401.99999"
    assert caught.value.user_message == (
        "arXiv has no paper 2401.99999. Check the id and try again."
    )


async def test_fetch_invalid_id_never_reaches_arxiv(
    client: ArxivClient, fake_arxiv: FakeArxiv
) -> None:
    with pytest.raises(InvalidArxivId):
        await client.fetch("@everyone look at this")
    assert fake_arxiv.requests == []


async def test_fetch_many_returns_known_papers_in_one_request(
    client: ArxivClient, fake_arxiv: FakeArxiv
) -> None:
    found = await client.fetch_many(
        ["1512.03385", "arXiv:1706.03762v3", "https://arxiv.org/abs/1706.03762", "2401.99999"]
    )
    assert set(found) == {"1512.03385", "1706.03762"}
    assert found["1512.03385"].title == "Deep Residual Learning for Image Recognition"
    assert found["1706.03762"].title == "Attention Is All You Need"
    assert fake_arxiv.request_ids() == [["1512.03385", "1706.03762", "2401.99999"]]
    assert await client.fetch_many([]) == {}
    assert len(fake_arxiv.requests) == 1


async def test_fetch_many_batches_long_lists(client: ArxivClient, fake_arxiv: FakeArxiv) -> None:
    ids = [f"2101.{n:05d}" for n in range(1, 61)]
    for arxiv_id in ids:
        fake_arxiv.add_paper(arxiv_id, f"Test paper {arxiv_id}", ["T. Tester"])
    found = await client.fetch_many(ids)
    assert sorted(found) == ids
    assert found["2101.00042"].title == "Test paper 2101.00042"
    assert [len(batch) for batch in fake_arxiv.request_ids()] == [50, 10]


async def test_fetch_many_rejects_an_invalid_id_before_asking(
    client: ArxivClient, fake_arxiv: FakeArxiv
) -> None:
    with pytest.raises(InvalidArxivId):
        await client.fetch_many(["1706.03762", "not an id"])
    assert fake_arxiv.requests == []


@pytest.mark.parametrize("status", [500, 502, 503, 429])
async def test_server_faults_are_unavailable_then_recover(
    client: ArxivClient, fake_arxiv: FakeArxiv, status: int
) -> None:
    fake_arxiv.fail(status, times=2)
    for _ in range(2):
        with pytest.raises(ArxivUnavailable) as caught:
            await client.fetch("1706.03762")
        assert caught.value.user_message == UNAVAILABLE_MESSAGE
        assert str(caught.value) == UNAVAILABLE_MESSAGE
    paper = await client.fetch("1706.03762")
    assert paper.title == "Attention Is All You Need"
    assert [request.status for request in fake_arxiv.requests] == [status, status, 200]


async def test_fetch_many_fault_is_unavailable(client: ArxivClient, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail(503)
    with pytest.raises(ArxivUnavailable):
        await client.fetch_many(["1706.03762", "1512.03385"])


async def test_malformed_xml_is_unavailable(client: ArxivClient, fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.malformed(times=1)
    with pytest.raises(ArxivUnavailable) as caught:
        await client.fetch("1706.03762")
    assert caught.value.user_message == UNAVAILABLE_MESSAGE
    assert (await client.fetch("1706.03762")).arxiv_id == "1706.03762"


async def test_timeout_is_unavailable(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.slow(5.0)
    async with ArxivClient(fake_arxiv.base_url, min_interval=0, timeout=0.3) as arxiv:
        started = time.monotonic()
        with pytest.raises(ArxivUnavailable) as caught:
            await arxiv.fetch("1706.03762")
        elapsed = time.monotonic() - started
    assert caught.value.user_message == UNAVAILABLE_MESSAGE
    assert 0.25 <= elapsed < 3.0
    assert len(fake_arxiv.requests) == 1


async def test_connection_refused_is_unavailable() -> None:
    fake = FakeArxiv()
    base_url = await fake.start()
    await fake.stop()  # nothing listens on that port any more
    async with ArxivClient(base_url, min_interval=0, timeout=2) as arxiv:
        with pytest.raises(ArxivUnavailable) as caught:
            await arxiv.fetch("1706.03762")
    assert caught.value.user_message == UNAVAILABLE_MESSAGE


async def test_bad_base_url_is_unavailable() -> None:
    async with ArxivClient("not a url", min_interval=0, timeout=1) as arxiv:
        with pytest.raises(ArxivUnavailable):
            await arxiv.fetch("1706.03762")


async def test_rate_limit_spaces_concurrent_requests(fake_arxiv: FakeArxiv) -> None:
    ids = ["1706.03762", "1512.03385", "1810.04805", "2005.14165"]
    async with ArxivClient(fake_arxiv.base_url, min_interval=0.2, timeout=5) as arxiv:
        papers = await asyncio.gather(*(arxiv.fetch(arxiv_id) for arxiv_id in ids))
    assert [paper.arxiv_id for paper in papers] == ids
    assert [paper.title for paper in papers] == [
        "Attention Is All You Need",
        "Deep Residual Learning for Image Recognition",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "Language Models are Few-Shot Learners",
    ]
    arrivals = [request.at for request in fake_arxiv.requests]
    assert len(arrivals) == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
    assert all(gap >= 0.2 for gap in gaps), gaps
    # Callers queue in order; nobody is dropped or merged.
    assert sorted(fake_arxiv.request_ids()) == sorted([[arxiv_id] for arxiv_id in ids])


async def test_rate_limit_counts_failed_requests_too(fake_arxiv: FakeArxiv) -> None:
    fake_arxiv.fail(503, times=1)
    async with ArxivClient(fake_arxiv.base_url, min_interval=0.2, timeout=5) as arxiv:
        results = await asyncio.gather(
            arxiv.fetch("1706.03762"), arxiv.fetch("1512.03385"), return_exceptions=True
        )
    assert isinstance(results[0], ArxivUnavailable)
    assert isinstance(results[1], ArxivPaper) and results[1].arxiv_id == "1512.03385"
    first, second = (request.at for request in fake_arxiv.requests)
    assert second - first >= 0.2


async def test_shared_session_is_left_open(fake_arxiv: FakeArxiv) -> None:
    async with aiohttp.ClientSession() as session:
        arxiv = ArxivClient(fake_arxiv.base_url, session=session, min_interval=0)
        adam = await arxiv.fetch("1412.6980")
        assert adam.title == "Adam: A Method for Stochastic Optimization"
        await arxiv.close()
        assert not session.closed
        assert (await arxiv.fetch("1502.03167")).arxiv_id == "1502.03167"
    assert [request.user_agent.split("/")[0] for request in fake_arxiv.requests] == [
        "StudyBot",
        "StudyBot",
    ]


async def test_client_reopens_its_own_session_after_close(fake_arxiv: FakeArxiv) -> None:
    arxiv = ArxivClient(fake_arxiv.base_url, min_interval=0)
    assert (await arxiv.fetch("1406.2661")).title == "Generative Adversarial Networks"
    await arxiv.close()
    assert (await arxiv.fetch("1312.6114")).title == "Auto-Encoding Variational Bayes"
    await arxiv.close()
    await arxiv.close()  # closing twice is harmless


def test_client_defaults_match_arxiv_etiquette() -> None:
    arxiv = ArxivClient()
    assert arxiv.base_url == "https://export.arxiv.org/api/query"
    assert arxiv.min_interval == 3.0
    assert arxiv.timeout == 10.0
