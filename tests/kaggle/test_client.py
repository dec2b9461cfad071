"""The Kaggle client against the fake Kaggle API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
import socket
import traceback
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from cogs.kaggle.client import (
    MAX_RETRY_DELAY,
    Competition,
    KaggleAuth,
    KaggleAuthError,
    KaggleClient,
    KaggleError,
    KaggleUnavailable,
    normalise_category,
    parse_kaggle_datetime,
)
from tests.fakes.kaggle import LIST_COMPETITIONS_PATH, FakeKaggle, RecordingSleep

DATA = Path(__file__).parent / "data"
TOKEN = "kaggle-test-token"
USERNAME = "study-group-bot"
KEY = "0123456789abcdef-secret-key"
LOGGER = "cogs.kaggle.client"

DEFAULT_TITLES = [
    "Example Tabular Challenge 2026",
    "Playground Series Example",
    "Example Protein Graph Research Prize",
    "Store Sales - Time Series Forecasting",
    "Natural Language Processing with Disaster Tweets",
    "Digit Recognizer",
    "Titanic - Machine Learning from Disaster",
]


@pytest.fixture
async def fake() -> AsyncIterator[FakeKaggle]:
    server = FakeKaggle(token=TOKEN, page_size=3)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


def bearer_client(base_url: str, sleep: RecordingSleep, **kwargs: Any) -> KaggleClient:
    return KaggleClient(base_url, KaggleAuth(api_token=TOKEN), sleep=sleep, **kwargs)


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# ----------------------------------------------------------------------------- parsing


def test_reference_answer_parses_every_field() -> None:
    data = json.loads((DATA / "kaggle-list-competitions.json").read_text())
    first, second = (Competition.model_validate(r) for r in data["competitions"])

    assert first.ref == "https://www.kaggle.com/competitions/example-tabular-challenge-2026"
    assert first.slug == "example-tabular-challenge-2026"
    assert first.title == "Example Tabular Challenge 2026"
    assert first.url == "https://www.kaggle.com/competitions/example-tabular-challenge-2026"
    assert first.description == "Predict the target from synthetic tabular data"
    assert first.category == "featured"
    assert first.reward == "$50,000"
    assert first.deadline == datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert first.enabled_date == datetime(2026, 10, 1, 17, 0, tzinfo=UTC)
    assert first.team_count == 1234
    assert first.tags == ["tabular"]

    assert second.slug == "playground-series-example"
    assert second.category == "playground"
    assert second.description is None
    assert second.reward == "Swag"
    assert second.team_count == 87
    assert second.tags == []


@pytest.mark.parametrize(
    ("ref", "url", "slug", "expected_url"),
    [
        ("titanic", None, "titanic", "https://www.kaggle.com/competitions/titanic"),
        (
            "https://www.kaggle.com/competitions/titanic",
            None,
            "titanic",
            "https://www.kaggle.com/competitions/titanic",
        ),
        ("https://www.kaggle.com/c/titanic/", None, "titanic", "https://www.kaggle.com/c/titanic/"),
        ("titanic", "not a url", "titanic", "https://www.kaggle.com/competitions/titanic"),
        ("titanic", "https://kaggle.com/x", "titanic", "https://kaggle.com/x"),
    ],
)
def test_url_falls_back_to_ref(ref: str, url: str | None, slug: str, expected_url: str) -> None:
    record: dict[str, Any] = {"ref": ref, "title": "Titanic"}
    if url is not None:
        record["url"] = url
    competition = Competition.model_validate(record)
    assert competition.slug == slug
    assert competition.url == expected_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Featured", "featured"),
        ("Research", "research"),
        ("Playground", "playground"),
        ("Getting Started", "getting-started"),
        ("gettingStarted", "getting-started"),
        ("getting_started", "getting-started"),
        ("HOST_SEGMENT_GETTING_STARTED", "getting-started"),
        ("  Community  ", "community"),
        ("Analytics Competition", "analytics-competition"),
        ("   ", None),
    ],
)
def test_category_is_normalised(raw: str, expected: str | None) -> None:
    assert normalise_category(raw) == expected
    competition = Competition.model_validate({"ref": "x", "title": "X", "category": raw})
    assert competition.category == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-12-31T23:59:00Z", datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
        ("2026-12-31T23:59:00.123456789Z", datetime(2026, 12, 31, 23, 59, 0, 123456, tzinfo=UTC)),
        ("2027-01-01T01:59:00+02:00", datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
        ("2026-12-31T23:59:00", datetime(2026, 12, 31, 23, 59, tzinfo=UTC)),
        ("31/12/2026", None),
        ("", None),
        (1767225540, None),
        (None, None),
    ],
)
def test_dates_are_aware_utc_or_none(raw: object, expected: datetime | None) -> None:
    parsed = parse_kaggle_datetime(raw)
    assert parsed == expected
    if parsed is not None:
        assert parsed.utcoffset() == timedelta(0)


def test_lenient_fields() -> None:
    competition = Competition.model_validate(
        {
            "ref": "  titanic ",
            "title": " Titanic ",
            "teamCount": "42",
            "reward": 10000,
            "description": "",
            "tags": ["tabular", {"ref": "beginner"}, {"name": "tabular"}, 7, {"fullPath": "x"}],
            "enabledDate": "yesterday",
            "someNewField": {"nested": True},
        }
    )
    assert competition.ref == "titanic"
    assert competition.title == "Titanic"
    assert competition.team_count == 42
    assert competition.reward == "10000"
    assert competition.description is None
    assert competition.tags == ["tabular", "beginner"]
    assert competition.enabled_date is None
    assert not hasattr(competition, "someNewField")

    odd = Competition.model_validate(
        {"ref": "x", "title": "X", "teamCount": "many", "tags": "tabular", "category": 5}
    )
    assert odd.team_count is None
    assert odd.tags == []
    assert odd.category is None
    assert (
        Competition.model_validate({"ref": "x", "title": "X", "teamCount": True}).team_count is None
    )
    assert Competition.model_validate({"ref": "x", "title": "X", "teamCount": 3.0}).team_count == 3


# ----------------------------------------------------------------------- paging, filters


async def test_pages_through_every_page(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        competitions = await client.list_competitions()

    assert [c.title for c in competitions] == DEFAULT_TITLES
    requests = fake.list_requests()
    assert len(requests) == 3
    first, second, third = (r.body for r in requests)
    assert first == {
        "group": "COMPETITION_LIST_TAB_GENERAL",
        "sortBy": "COMPETITION_SORT_BY_RECENTLY_CREATED",
        "pageSize": 50,
    }
    assert second["pageToken"] and third["pageToken"]
    assert second["pageToken"] != third["pageToken"]
    for body in (second, third):
        assert {k: v for k, v in body.items() if k != "pageToken"} == first
    assert all(r.answered == 200 for r in requests)
    assert sleep.delays == []


async def test_client_page_size_is_sent(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    async with bearer_client(fake.base_url, sleep, page_size=2) as client:
        competitions = await client.list_competitions()
    assert len(competitions) == 7
    assert [r.body["pageSize"] for r in fake.list_requests()] == [2, 2, 2, 2]


@pytest.mark.parametrize(
    ("category", "wire", "titles"),
    [
        (
            "getting-started",
            "HOST_SEGMENT_GETTING_STARTED",
            [
                "Store Sales - Time Series Forecasting",
                "Natural Language Processing with Disaster Tweets",
                "Digit Recognizer",
                "Titanic - Machine Learning from Disaster",
            ],
        ),
        ("featured", "HOST_SEGMENT_FEATURED", ["Example Tabular Challenge 2026"]),
        ("Research", "HOST_SEGMENT_RESEARCH", ["Example Protein Graph Research Prize"]),
        ("playground", "HOST_SEGMENT_PLAYGROUND", ["Playground Series Example"]),
    ],
)
async def test_category_filter(
    fake: FakeKaggle, sleep: RecordingSleep, category: str, wire: str, titles: list[str]
) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        competitions = await client.list_competitions(category)

    assert [c.title for c in competitions] == titles
    assert {c.category for c in competitions} == {normalise_category(category)}
    bodies = [r.body for r in fake.list_requests()]
    assert all(body["category"] == wire for body in bodies)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        # The short forms kagglesdk's reader tolerates; a strict server does not.
        ({"group": "general"}, "'group'"),
        ({"sortBy": "recently_created"}, "'sortBy'"),
        ({"sortBy": "recentlyCreated"}, "'sortBy'"),
        ({"category": "featured"}, "'category'"),
        ({"category": "getting_started"}, "'category'"),
        ({"category": "HOST_SEGMENT_ALL"}, "'category'"),
        ({"group": 0}, "'group'"),
        ({"group": None}, "'group'"),
        ({"pageSize": "50"}, "'pageSize'"),
        ({"pageSize": True}, "'pageSize'"),
        ({"pageToken": 7}, "'pageToken'"),
        ({"search": ["llm"]}, "'search'"),
        ({"sort_by": "COMPETITION_SORT_BY_BEST"}, '"sort_by"'),
        ({"page_size": 20}, '"page_size"'),
    ],
)
async def test_fake_refuses_what_the_sdk_would_not_send(
    fake: FakeKaggle, body: dict[str, Any], problem: str
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            fake.base_url + LIST_COMPETITIONS_PATH,
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as response:
            status = response.status
            answer = await response.json()
    assert status == 400
    assert answer["code"] == 400
    assert problem in answer["message"]
    assert fake.list_requests()[-1].refused == answer["message"]


async def test_fake_accepts_the_sdk_reference_body(fake: FakeKaggle) -> None:
    body = {
        "group": "COMPETITION_LIST_TAB_GENERAL",
        "category": "HOST_SEGMENT_FEATURED",
        "sortBy": "COMPETITION_SORT_BY_EARLIEST_DEADLINE",
        "search": "llm",
        "pageSize": 20,
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(
            fake.base_url + LIST_COMPETITIONS_PATH,
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}"},
        ) as response:
            assert response.status == 200
            answer = await response.json()
    assert [c["title"] for c in answer["competitions"]] == ["Example Tabular Challenge 2026"]


async def test_every_request_the_client_sends_is_accepted(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    async with bearer_client(fake.base_url, sleep, page_size=2) as client:
        for category in (None, "all", "featured", "research", "playground", "getting-started"):
            await client.list_competitions(category)
    requests = fake.list_requests()
    assert requests and all(r.answered == 200 and r.refused is None for r in requests)


async def test_category_all_sends_no_filter(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        competitions = await client.list_competitions("all")
    assert len(competitions) == 7
    assert all("category" not in r.body for r in fake.list_requests())


async def test_unknown_category_is_refused_before_any_request(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        with pytest.raises(ValueError, match="unknown Kaggle category 'kitchen'"):
            await client.list_competitions("kitchen")
    assert fake.requests == []


async def test_repeated_page_token_stops_paging(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.force_next_page_token("same-token")
    async with bearer_client(fake.base_url, sleep) as client:
        competitions = await client.list_competitions()
    assert [c.title for c in competitions] == DEFAULT_TITLES[:6]
    assert len(fake.list_requests()) == 2


async def test_max_pages_caps_paging(sleep: RecordingSleep) -> None:
    async with FakeKaggle(token=TOKEN, page_size=1) as server:
        async with bearer_client(server.base_url, sleep, max_pages=2) as client:
            competitions = await client.list_competitions()
        assert [c.title for c in competitions] == DEFAULT_TITLES[:2]
        assert len(server.list_requests()) == 2


async def test_duplicate_records_are_returned_once(sleep: RecordingSleep) -> None:
    record = {"ref": "https://www.kaggle.com/competitions/titanic", "title": "Titanic"}
    async with FakeKaggle(token=TOKEN, page_size=1, competitions=[record, record]) as server:
        async with bearer_client(server.base_url, sleep) as client:
            competitions = await client.list_competitions()
        assert [c.slug for c in competitions] == ["titanic"]
        assert len(server.list_requests()) == 2


async def test_empty_list(sleep: RecordingSleep) -> None:
    async with FakeKaggle(token=TOKEN, competitions=[]) as server:
        async with bearer_client(server.base_url, sleep) as client:
            assert await client.list_competitions() == []
        assert len(server.list_requests()) == 1


async def test_added_and_removed_competitions_show_on_next_poll(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        fake.add_competition(
            {
                "ref": "https://www.kaggle.com/competitions/brand-new",
                "title": "Brand New",
                "category": "Featured",
            }
        )
        fake.remove_competition("titanic")
        competitions = await client.list_competitions()
    assert [c.slug for c in competitions][:1] == ["brand-new"]
    assert "titanic" not in {c.slug for c in competitions}
    assert len(competitions) == 7


# --------------------------------------------------------------------------- malformed


async def test_malformed_records_are_skipped_or_tolerated(
    sleep: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    records: list[Any] = [
        {"ref": "https://www.kaggle.com/competitions/good-one", "title": "Good One"},
        {"title": "No Ref"},
        {"ref": "https://www.kaggle.com/competitions/no-title"},
        {"ref": "https://www.kaggle.com/competitions/blank-title", "title": "   "},
        {"ref": 12345, "title": "Numeric Ref"},
        "just a string",
        42,
        None,
        ["a", "list"],
        {
            "ref": "https://www.kaggle.com/competitions/odd-types",
            "title": "Odd Types",
            "teamCount": "17",
            "deadline": "not a date",
            "enabledDate": 1700000000,
            "tags": {"name": "tabular"},
            "reward": 500,
            "category": ["Featured"],
            "brandNewField": [1, 2, 3],
        },
        {"ref": "https://www.kaggle.com/competitions/last-good", "title": "Last Good"},
    ]
    caplog.set_level(logging.WARNING, logger=LOGGER)
    async with FakeKaggle(token=TOKEN, page_size=4, competitions=records) as server:
        async with bearer_client(server.base_url, sleep) as client:
            competitions = await client.list_competitions()

    assert [c.slug for c in competitions] == ["good-one", "odd-types", "last-good"]
    odd = competitions[1]
    assert odd.team_count == 17
    assert odd.deadline is None
    assert odd.enabled_date is None
    assert odd.tags == []
    assert odd.reward == "500"
    assert odd.category is None
    skipped = [r for r in caplog.records if r.name == LOGGER and "Skipping" in r.getMessage()]
    assert len(skipped) == 8
    assert all(r.levelno == logging.WARNING for r in skipped)
    messages = "\n".join(r.getMessage() for r in skipped)
    assert "'https://www.kaggle.com/competitions/no-title'" in messages
    assert "title" in messages and "ref" in messages
    assert "NoneType, not an object" in messages
    assert sleep.delays == []


async def test_non_json_answer_is_retried(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.malformed(times=1, kind="not-json")
    async with bearer_client(fake.base_url, sleep) as client:
        competitions = await client.list_competitions()
    assert len(competitions) == 7
    assert sleep.delays == [1.0]
    assert len(fake.list_requests()) == 4


@pytest.mark.parametrize("kind", ["not-json", "wrong-shape"])
async def test_malformed_answers_end_in_unavailable(
    fake: FakeKaggle, sleep: RecordingSleep, kind: Any
) -> None:
    fake.malformed(times=10, kind=kind)
    async with bearer_client(fake.base_url, sleep, max_retries=2) as client:
        with pytest.raises(KaggleUnavailable) as caught:
            await client.list_competitions()
    assert len(fake.list_requests()) == 3
    assert sleep.delays == [1.0, 2.0]
    expected = "not JSON" if kind == "not-json" else "'competitions' is not a list"
    assert expected in str(caught.value)
    assert "after 3 attempts" in str(caught.value)


# --------------------------------------------------------------------------------- auth


async def test_bearer_token_is_sent(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        await client.list_competitions()
    requests = fake.list_requests()
    assert [(r.has_auth, r.auth_scheme, r.authorized) for r in requests] == [
        (True, "bearer", True)
    ] * 3


async def test_basic_auth_is_sent(sleep: RecordingSleep) -> None:
    async with FakeKaggle(token=None, username=USERNAME, key=KEY) as server:
        auth = KaggleAuth(username=USERNAME, key=KEY)
        async with KaggleClient(server.base_url, auth, sleep=sleep) as client:
            competitions = await client.list_competitions()
        assert len(competitions) == 7
        assert {(r.auth_scheme, r.authorized) for r in server.list_requests()} == {("basic", True)}

        # The fake really checks the pair: a token is not accepted where Basic is required.
        async with bearer_client(server.base_url, sleep) as client:
            with pytest.raises(KaggleAuthError):
                await client.list_competitions()


def test_basic_header_value() -> None:
    header = KaggleAuth(username=USERNAME, key=KEY).authorization_header()
    assert header == "Basic " + base64.b64encode(f"{USERNAME}:{KEY}".encode()).decode()
    assert KaggleAuth(api_token=TOKEN).authorization_header() == f"Bearer {TOKEN}"


async def test_wrong_token_is_an_auth_error_after_one_request(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    auth = KaggleAuth(api_token="wrong-token-value")
    async with KaggleClient(fake.base_url, auth, sleep=sleep) as client:
        with pytest.raises(KaggleAuthError) as caught:
            await client.list_competitions()
    assert "HTTP 401" in str(caught.value)
    assert isinstance(caught.value, KaggleError)
    requests = fake.list_requests()
    assert len(requests) == 1
    assert (requests[0].has_auth, requests[0].authorized, requests[0].answered) == (
        True,
        False,
        401,
    )
    assert sleep.delays == []


async def test_forbidden_is_an_auth_error_without_retry(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    fake.fail(403, times=5)
    async with bearer_client(fake.base_url, sleep) as client:
        with pytest.raises(KaggleAuthError, match="HTTP 403"):
            await client.list_competitions()
    assert len(fake.list_requests()) == 1
    assert sleep.delays == []


def test_from_settings() -> None:
    token_auth = KaggleAuth.from_settings(TOKEN, USERNAME, KEY)
    assert token_auth is not None and token_auth.scheme == "bearer"
    basic = KaggleAuth.from_settings(None, USERNAME, SecretStr(KEY))
    assert basic is not None and basic.scheme == "basic" and basic.username == USERNAME
    secret_token = KaggleAuth.from_settings(SecretStr(TOKEN), None, None)
    assert secret_token is not None
    assert secret_token.authorization_header() == f"Bearer {TOKEN}"
    assert KaggleAuth.from_settings(None, None, None) is None
    assert KaggleAuth.from_settings("  ", USERNAME, None) is None
    assert KaggleAuth.from_settings(None, USERNAME, "") is None
    assert KaggleAuth.from_settings(None, "", KEY) is None
    with pytest.raises(ValueError) as caught:
        KaggleAuth(username=USERNAME)
    assert KEY not in str(caught.value)


# ------------------------------------------------------------------------------ retries


async def test_429_waits_for_retry_after_then_succeeds(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    fake.fail(429, times=2, retry_after=3)
    async with bearer_client(fake.base_url, sleep) as client:
        competitions = await client.list_competitions()
    assert [c.title for c in competitions] == DEFAULT_TITLES
    assert sleep.delays == [3.0, 3.0]
    assert [r.answered for r in fake.list_requests()] == [429, 429, 200, 200, 200]


async def test_retry_after_is_capped(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.fail(429, times=1, retry_after=86400)
    async with bearer_client(fake.base_url, sleep) as client:
        await client.list_competitions()
    assert sleep.delays == [MAX_RETRY_DELAY]


async def test_retry_after_as_http_date(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.fail(503, times=1, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=30)))
    async with bearer_client(fake.base_url, sleep) as client:
        await client.list_competitions()
    assert len(sleep.delays) == 1
    assert 25 <= sleep.delays[0] <= 30


async def test_429_without_retry_after_uses_backoff(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    fake.fail(429, times=3)
    async with bearer_client(fake.base_url, sleep, backoff_base=0.5) as client:
        assert len(await client.list_competitions()) == 7
    assert sleep.delays == [0.5, 1.0, 2.0]


async def test_server_errors_exhaust_retries(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.fail(500, times=50)
    async with bearer_client(fake.base_url, sleep, max_retries=4) as client:
        with pytest.raises(KaggleUnavailable) as caught:
            await client.list_competitions()
    assert len(fake.list_requests()) == 5
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0]
    assert str(caught.value) == "Kaggle is unavailable (HTTP 500) after 5 attempts"
    assert caught.value.__cause__ is None


async def test_backoff_is_capped(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.fail(502, times=50)
    async with bearer_client(fake.base_url, sleep, max_retries=8, backoff_base=1.0) as client:
        with pytest.raises(KaggleUnavailable):
            await client.list_competitions()
    assert sleep.delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


async def test_no_retries_when_max_retries_is_zero(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.fail(503, times=1)
    async with bearer_client(fake.base_url, sleep, max_retries=0) as client:
        with pytest.raises(KaggleUnavailable, match="after 1 attempts"):
            await client.list_competitions()
    assert len(fake.list_requests()) == 1
    assert sleep.delays == []


async def test_server_error_on_a_later_page_is_retried(
    fake: FakeKaggle, sleep: RecordingSleep
) -> None:
    async with bearer_client(fake.base_url, sleep) as client:
        assert len(await client.list_competitions()) == 7
        fake.requests.clear()
        fake.fail(500, times=1)
        competitions = await client.list_competitions("getting-started")
    assert len(competitions) == 4
    assert [r.answered for r in fake.list_requests()] == [500, 200, 200]
    assert sleep.delays == [1.0]


async def test_other_client_errors_are_not_retried(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    async with bearer_client(fake.base_url + "/not-the-api", sleep) as client:
        with pytest.raises(KaggleUnavailable, match="HTTP 404"):
            await client.list_competitions()
    assert sleep.delays == []


async def test_slow_server_times_out(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.slow(5.0)
    async with bearer_client(fake.base_url, sleep, timeout=0.2, max_retries=1) as client:
        with pytest.raises(KaggleUnavailable) as caught:
            await client.list_competitions()
    assert str(caught.value) == "Kaggle is unavailable (timed out) after 2 attempts"
    assert len(fake.list_requests()) == 2
    assert sleep.delays == [1.0]


async def test_one_slow_answer_is_retried(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    fake.slow(5.0, times=1)
    async with bearer_client(fake.base_url, sleep, timeout=0.3) as client:
        competitions = await client.list_competitions()
    assert len(competitions) == 7
    assert sleep.delays == [1.0]


async def test_connection_refused_is_unavailable(sleep: RecordingSleep) -> None:
    base_url = f"http://127.0.0.1:{closed_port()}"
    async with bearer_client(base_url, sleep, max_retries=2) as client:
        with pytest.raises(KaggleUnavailable) as caught:
            await client.list_competitions()
    assert not isinstance(caught.value, aiohttp.ClientError)
    assert caught.value.__cause__ is None
    assert "ClientConnectorError" in str(caught.value)
    assert sleep.delays == [1.0, 2.0]


# ------------------------------------------------------------------------------ session


async def test_given_session_is_left_open(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    async with aiohttp.ClientSession() as session:
        client = bearer_client(fake.base_url, sleep, session=session)
        assert len(await client.list_competitions()) == 7
        await client.close()
        assert not session.closed


async def test_own_session_is_closed_and_recreated(fake: FakeKaggle, sleep: RecordingSleep) -> None:
    client = bearer_client(fake.base_url, sleep)
    assert len(await client.list_competitions()) == 7
    await client.close()
    await client.close()  # idempotent
    assert len(await client.list_competitions()) == 7  # a closed client can be used again
    await client.close()


# ------------------------------------------------------------------------------ secrets


def _secret_forms() -> list[str]:
    basic = base64.b64encode(f"{USERNAME}:{KEY}".encode()).decode()
    return [TOKEN, KEY, basic]


def test_secrets_are_not_in_repr_or_str() -> None:
    token_auth = KaggleAuth(api_token=TOKEN)
    basic_auth = KaggleAuth(username=USERNAME, key=KEY)
    client = KaggleClient("https://api.kaggle.com", token_auth)
    texts = [repr(token_auth), str(token_auth), repr(basic_auth), str(basic_auth), repr(client)]
    assert texts[0] == "KaggleAuth(scheme='bearer')"
    assert texts[2] == f"KaggleAuth(scheme='basic', username='{USERNAME}')"
    for text in texts:
        for secret in _secret_forms():
            assert secret not in text
    assert not hasattr(token_auth, "__dict__")  # no vars() dump of the secrets


async def test_secrets_never_reach_errors_or_logs(
    sleep: RecordingSleep, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    async with FakeKaggle(token=TOKEN) as server:
        auths = [
            KaggleAuth(api_token=TOKEN),
            KaggleAuth(username=USERNAME, key=KEY),  # refused: the fake wants the token
        ]
        for auth in auths:
            server.fail(500, times=2)
            server.malformed(times=1)
            async with KaggleClient(server.base_url, auth, sleep=sleep, max_retries=1) as client:
                for _ in range(3):
                    try:
                        await client.list_competitions()
                    except KaggleError as exc:
                        errors.append(exc)
    assert {type(e) for e in errors} == {KaggleUnavailable, KaggleAuthError}
    async with KaggleClient(
        f"http://127.0.0.1:{closed_port()}", KaggleAuth(api_token=TOKEN), sleep=sleep
    ) as client:
        with pytest.raises(KaggleUnavailable) as caught:
            await client.list_competitions()
    errors.append(caught.value)

    texts = [str(e) for e in errors] + [repr(e) for e in errors]
    texts += ["".join(traceback.format_exception(e)) for e in errors]
    texts += [r.getMessage() for r in caplog.records]
    texts += [r.exc_text or "" for r in caplog.records]
    assert any("retry" in r.getMessage() for r in caplog.records)
    for text in texts:
        for secret in _secret_forms():
            assert secret not in text
