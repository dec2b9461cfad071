"""The shipped Kaggle data: keyword → roadmap section rules and the curated challenge rotation."""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from importlib.resources import files
from typing import Any

import pytest
from pydantic import ValidationError

from roadmap.kaggle_data import (
    CuratedCompetition,
    CuratedList,
    SectionMapping,
    SectionRule,
    challenge_for_week,
    load_curated,
    load_section_mapping,
    roadmap_order,
    sections_for,
)

CURATED_SLUGS = [
    "titanic",
    "house-prices-advanced-regression-techniques",
    "spaceship-titanic",
    "digit-recognizer",
    "nlp-getting-started",
    "home-data-for-ml-course",
    "store-sales-time-series-forecasting",
    "tpu-getting-started",
    "contradictory-my-dear-watson",
    "gan-getting-started",
    "connectx",
]


def roadmap_section_ids() -> set[str]:
    """The section ids that are headings of the shipped roadmap."""
    text = files("roadmap").joinpath("ml-mastery-roadmap.md").read_text(encoding="utf-8")
    return set(re.findall(r"^### (\d+\.\d+) ", text, flags=re.MULTILINE))


# ------------------------------------------------------------------------- sections_for


@pytest.mark.parametrize(
    ("title", "tags", "description", "expected"),
    [
        (
            "Titanic - Machine Learning from Disaster",
            ["binary classification", "tabular", "beginner"],
            None,
            ["3.3", "3.5", "7.2"],
        ),
        ("Titanic - Machine Learning from Disaster", [], None, ["3.3", "7.2"]),
        (
            "House Prices - Advanced Regression Techniques",
            ["regression", "tabular"],
            None,
            ["3.2", "3.3", "3.5", "7.2"],
        ),
        ("Digit Recognizer", ["image"], None, ["4.3", "7.2"]),
        ("Digit Recognizer", [], None, ["4.3", "7.2"]),
        (
            "Digit Recognizer",
            ["image", "multiclass classification"],
            None,
            ["3.3", "4.3", "7.2"],
        ),
        ("Natural Language Processing with Disaster Tweets", [], None, ["5.1", "5.2", "7.2"]),
        ("Disaster Tweets", ["text"], None, ["5.1", "5.2", "7.2"]),
        ("Store Sales - Time Series Forecasting", [], None, ["6.5", "7.2"]),
        ("M5 Forecasting - Accuracy", ["time series analysis"], None, ["6.5", "7.2"]),
        ("Connect X", [], None, ["6.2", "7.2"]),
        ("Lux AI Season 3", ["games", "reinforcement learning"], None, ["6.2", "7.2"]),
        ("I'm Something of a Painter Myself", ["gan"], None, ["4.6", "7.2"]),
        ("LLM Science Exam", [], None, ["4.5", "5.2", "7.2"]),
        ("Open Problems", ["graph"], None, ["6.6", "7.2"]),
        ("BirdCLEF 2026", ["audio"], None, ["4.4", "7.2"]),
        (
            "H&M Personalized Fashion Recommendations",
            ["recommender systems"],
            None,
            ["7.1", "7.2"],
        ),
        ("Mystery Challenge", [], None, ["7.2"]),
        ("Mystery Challenge", [], "Segment the organs in these CT images", ["4.3", "7.2"]),
        ("Example Tabular Challenge 2026", ["tabular"], None, ["3.3", "3.5", "7.2"]),
    ],
)
def test_sections_for(
    title: str, tags: list[str], description: str | None, expected: list[str]
) -> None:
    assert sections_for(title, tags, description) == expected


@pytest.mark.parametrize(
    ("title", "tags"),
    [
        ("Context Prize", []),  # "text" inside "Context"
        ("Salesforce Challenge", []),  # "sales" inside "Salesforce"
        ("Imagenet-free", []),  # "image" inside "Imagenet"
        ("Gaming the Leaderboard", []),  # "game" inside "Gaming"
        ("Paragraph Awards", []),  # "graph" inside "Paragraph"
    ],
)
def test_only_whole_words_match(title: str, tags: list[str]) -> None:
    assert sections_for(title, tags) == ["7.2"]


def test_matching_ignores_case_and_punctuation() -> None:
    assert sections_for("TIME-SERIES FORECASTING!", []) == ["6.5", "7.2"]
    assert sections_for("x", ["Computer_Vision"]) == ["4.3", "7.2"]
    assert sections_for("x", ["  NLP  "]) == ["5.1", "5.2", "7.2"]


def test_phrases_do_not_span_tags() -> None:
    # "time" and "series" are separate tags, so the phrase "time series" does not match.
    assert sections_for("x", ["time", "series"]) == ["7.2"]


def test_sections_are_deduplicated_in_roadmap_order_with_kaggle_last() -> None:
    result = sections_for(
        "Recommendation graph of images",
        ["tabular", "classification", "nlp", "time series", "regression", "llm"],
    )
    assert result == ["3.2", "3.3", "3.5", "4.3", "4.5", "5.1", "5.2", "6.5", "6.6", "7.1", "7.2"]
    assert result[-1] == "7.2"


def test_roadmap_order_sorts_numerically() -> None:
    assert roadmap_order(["7.2", "3.10", "3.9", "10.1", "3.9"]) == ["3.9", "3.10", "7.2", "10.1"]


def test_every_mapped_section_exists_in_the_roadmap() -> None:
    known = roadmap_section_ids()
    assert "7.2" in known and len(known) == 30  # 1.1 … 7.4
    mapping = load_section_mapping()
    mapped = set(mapping.always)
    for rule in mapping.rules:
        mapped.update(rule.sections)
    assert mapped <= known
    assert mapping.always == ["7.2"]


def test_section_file_is_valid_toml_with_expected_rules() -> None:
    mapping = load_section_mapping()
    by_name = {rule.name: rule for rule in mapping.rules}
    assert by_name["computer vision"].sections == ["4.3"]
    assert "object detection" in by_name["computer vision"].keywords
    assert by_name["natural language processing"].sections == ["5.1", "5.2"]
    assert by_name["time series"].sections == ["6.5"]
    assert by_name["generative models"].sections == ["4.6"]


def test_section_rules_are_validated() -> None:
    with pytest.raises(ValidationError):
        SectionRule(name="bad", keywords=["!!"], sections=["4.3"])
    with pytest.raises(ValidationError):
        SectionRule(name="bad", keywords=["image"], sections=["four"])
    with pytest.raises(ValidationError):
        SectionRule(name="bad", keywords=[], sections=["4.3"])
    with pytest.raises(ValidationError):
        SectionMapping.model_validate({"rule": [], "always": ["7.2"]})
    with pytest.raises(ValidationError):
        SectionMapping.model_validate(
            {"rule": [{"name": "x", "keywords": ["a"], "sections": ["1.1"]}], "typo": 1}
        )
    rule = SectionRule(
        name="ok", keywords=["Object-Detection", "object detection"], sections=["4.3"]
    )
    assert rule.keywords == ["object detection"]


# ----------------------------------------------------------------------------- curated


def test_curated_list_contents() -> None:
    curated = load_curated()
    assert [c.slug for c in curated] == CURATED_SLUGS
    by_slug = {c.slug: c for c in curated}
    for competition in curated:
        assert competition.url == f"https://www.kaggle.com/competitions/{competition.slug}"
        assert competition.category == "getting-started"
        assert competition.sections[-1] == "7.2"
        assert competition.sections == roadmap_order(competition.sections)
        assert 20 <= len(competition.description) <= 300
    assert set().union(*(c.sections for c in curated)) <= roadmap_section_ids()

    assert by_slug["titanic"].title == "Titanic - Machine Learning from Disaster"
    assert by_slug["titanic"].sections == ["3.3", "3.5", "7.2"]
    assert by_slug["house-prices-advanced-regression-techniques"].sections == ["3.2", "3.5", "7.2"]
    assert by_slug["digit-recognizer"].sections == ["4.1", "4.3", "7.2"]
    assert by_slug["spaceship-titanic"].title == "Spaceship Titanic"
    assert by_slug["nlp-getting-started"].title == (
        "Natural Language Processing with Disaster Tweets"
    )
    assert by_slug["nlp-getting-started"].sections == ["5.1", "5.2", "7.2"]
    assert by_slug["connectx"].title == "Connect X"
    assert by_slug["connectx"].sections == ["6.2", "7.2"]
    assert by_slug["gan-getting-started"].title == "I'm Something of a Painter Myself"
    assert by_slug["gan-getting-started"].sections == ["4.6", "7.2"]
    assert by_slug["tpu-getting-started"].title == (
        "Petals to the Metal - Flower Classification on TPU"
    )
    assert by_slug["tpu-getting-started"].sections == ["4.3", "7.2"]
    assert by_slug["contradictory-my-dear-watson"].sections == ["4.5", "5.2", "7.2"]
    assert by_slug["store-sales-time-series-forecasting"].sections == ["6.5", "7.2"]
    assert by_slug["home-data-for-ml-course"].title == (
        "Housing Prices Competition for Kaggle Learn Users"
    )
    assert by_slug["home-data-for-ml-course"].sections == ["3.2", "3.5", "7.2"]


def test_load_curated_returns_a_fresh_list() -> None:
    first = load_curated()
    first.clear()
    assert len(load_curated()) == len(CURATED_SLUGS)


def _entry(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "slug": "titanic",
        "title": "Titanic",
        "url": "https://www.kaggle.com/competitions/titanic",
        "description": "Predict survival.",
        "sections": ["7.2", "3.3"],
        "category": "getting-started",
    }
    entry.update(overrides)
    return entry


def test_curated_entries_are_validated() -> None:
    assert CuratedCompetition.model_validate(_entry()).sections == ["3.3", "7.2"]
    bad_entries = [
        _entry(url="https://www.kaggle.com/c/titanic"),
        _entry(url="https://example.org/competitions/titanic"),
        _entry(sections=["3.3"]),
        _entry(sections=["3.x", "7.2"]),
        _entry(category="featured"),
        _entry(slug="Titanic!"),
        _entry(description=""),
        _entry(extra="field"),
    ]
    for entry in bad_entries:
        with pytest.raises(ValidationError):
            CuratedCompetition.model_validate(entry)
    with pytest.raises(ValidationError, match="duplicate slugs: titanic"):
        CuratedList.model_validate({"competition": [_entry(), _entry()]})


def test_curated_file_parses_as_toml() -> None:
    text = files("roadmap").joinpath("kaggle_curated.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    assert len(data["competition"]) == len(CURATED_SLUGS)


# ---------------------------------------------------------------------------- rotation


def _weeks(start: date, count: int) -> list[tuple[int, int]]:
    """`count` consecutive ISO (year, week) pairs from the week of `start`."""
    result = []
    for n in range(count):
        iso = (start + timedelta(weeks=n)).isocalendar()
        result.append((iso.year, iso.week))
    return result


def test_rotation_offers_every_competition_once_before_repeating() -> None:
    offered: list[str] = []
    already: set[str] = set()
    for year, week in _weeks(date(2026, 3, 2), 2 * len(CURATED_SLUGS)):
        if already >= set(CURATED_SLUGS):
            already = set()  # the caller starts a new cycle once everything was offered
        slug = challenge_for_week(year, week, already).slug
        assert slug not in already
        offered.append(slug)
        already.add(slug)

    first_cycle, second_cycle = offered[: len(CURATED_SLUGS)], offered[len(CURATED_SLUGS) :]
    assert sorted(first_cycle) == sorted(CURATED_SLUGS)
    assert sorted(second_cycle) == sorted(CURATED_SLUGS)
    # Weekly offers walk the shipped order cyclically.
    start = CURATED_SLUGS.index(first_cycle[0])
    assert first_cycle == CURATED_SLUGS[start:] + CURATED_SLUGS[:start]
    assert second_cycle == first_cycle


def test_rotation_is_deterministic_and_moves_weekly() -> None:
    assert challenge_for_week(2026, 10, set()) == challenge_for_week(2026, 10, set())
    picks = [challenge_for_week(y, w, set()).slug for y, w in _weeks(date(2026, 1, 5), 11)]
    assert sorted(picks) == sorted(CURATED_SLUGS)  # 11 consecutive weeks: each once
    index = CURATED_SLUGS.index(picks[0])
    assert picks[1] == CURATED_SLUGS[(index + 1) % len(CURATED_SLUGS)]


def test_rotation_continues_across_the_year_boundary() -> None:
    last_of_2026 = challenge_for_week(2026, 53, set()).slug  # 2026 has 53 ISO weeks
    first_of_2027 = challenge_for_week(2027, 1, set()).slug
    index = CURATED_SLUGS.index(last_of_2026)
    assert first_of_2027 == CURATED_SLUGS[(index + 1) % len(CURATED_SLUGS)]


def test_rotation_skips_what_was_already_offered() -> None:
    natural = challenge_for_week(2026, 20, set()).slug
    index = CURATED_SLUGS.index(natural)
    following = CURATED_SLUGS[(index + 1) % len(CURATED_SLUGS)]
    after_that = CURATED_SLUGS[(index + 2) % len(CURATED_SLUGS)]
    assert challenge_for_week(2026, 20, {natural}).slug == following
    assert challenge_for_week(2026, 20, {natural, following}).slug == after_that
    # slugs that are not (or no longer) curated do not matter
    assert challenge_for_week(2026, 20, {"retired-competition"}).slug == natural


def test_rotation_when_everything_was_offered() -> None:
    everything = set(CURATED_SLUGS)
    assert challenge_for_week(2026, 20, everything) == challenge_for_week(2026, 20, set())
    only_one_left = everything - {"connectx"}
    assert challenge_for_week(2026, 20, only_one_left).slug == "connectx"


def test_rotation_rejects_weeks_that_do_not_exist() -> None:
    with pytest.raises(ValueError):
        challenge_for_week(2027, 53, set())  # 2027 has 52 ISO weeks
    with pytest.raises(ValueError):
        challenge_for_week(2026, 0, set())
