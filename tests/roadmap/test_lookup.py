"""Finding sections by id, title and fuzzy words; autocomplete and search."""

from __future__ import annotations

import time

import pytest

from roadmap.lookup import SearchHit, SectionIndex, SectionNotFound
from roadmap.model import Roadmap
from roadmap.parser import load_roadmap, parse_roadmap


@pytest.fixture(scope="module")
def index() -> SectionIndex:
    return SectionIndex(load_roadmap())


def _long_roadmap() -> Roadmap:
    """60 sections in 3 phases, every title 300 characters long."""
    words = "Long title about gradient descent and many other things "
    parts = ["# Wide roadmap"]
    for phase in range(1, 4):
        parts.append(f"## Phase {phase}: Phase {phase} ({phase} months)")
        for minor in range(1, 21):
            title = (f"Topic {phase}-{minor} " + words * 10)[:300].strip()
            parts.append(f"### {phase}.{minor} {title}\n- **Core Topics:**\n  - item {minor}")
    return parse_roadmap("\n".join(parts))


# --- find -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "section_id"),
    [
        ("transformer", "4.5"),
        ("transformers", "4.5"),
        ("pandas", "2.2"),
        ("svm", "3.3"),
        ("gan", "4.6"),
        ("docker", "6.1"),
        ("prophet", "6.5"),
        ("attention", "4.5"),
        ("linear algebra", "1.1"),
        ("pytorch", "4.2"),
        ("kaggle", "7.2"),
        # ids, with the slips people make
        ("4.5", "4.5"),
        (" 4.5 ", "4.5"),
        ("4.5.", "4.5"),
        ("7.4", "7.4"),
        # titles and labels, any case
        ("Transformers and Attention", "4.5"),
        ("transformers AND attention", "4.5"),
        ("4.5 Transformers and Attention", "4.5"),
        ("Supervised Learning - Classification", "3.3"),
        # abbreviations from parentheses and initials
        ("SVM", "3.3"),
        ("GANs", "4.6"),
        ("lstm", "4.4"),
        ("cnn", "4.3"),
        ("rl", "6.2"),
        ("xai", "6.4"),
        # sub-group names and topics
        ("NumPy", "2.2"),
        ("matplotlib", "2.2"),
        ("tensorflow", "4.2"),
        ("dbscan", "3.4"),
        ("shap values", "6.4"),
        ("Self-attention mechanism", "4.5"),
        # typos
        ("tranformer", "4.5"),
        ("pytroch", "4.2"),
        ("kagle", "7.2"),
    ],
)
def test_find(index: SectionIndex, query: str, section_id: str) -> None:
    section = index.find(query)
    assert section is not None, query
    assert section.id == section_id


@pytest.mark.parametrize(
    "query",
    [
        "zzqxj",
        "",
        "   ",
        "x" * 5000,
        "transformer " * 500,
        "🎉🔥💯",
        "@everyone",
        "@here",
        "<@123456789012345678>",
        "**__~~||`>",
        "```\ncode\n```",
        "the and of",
        "4.9",
        "9.1",
        "0.0",
        "1..1",
        "quantum computing",
        "\x00\u200b\u202e",
    ],
)
def test_find_returns_none_for_garbage(index: SectionIndex, query: str) -> None:
    started = time.perf_counter()
    assert index.find(query) is None
    # A sanity bound only; the real figures are in benchmarks/.
    assert time.perf_counter() - started < 0.05


def test_prefix_is_not_a_typo(index: SectionIndex) -> None:
    # "transf" could be transfer learning or transformers: don't guess, suggest.
    assert index.find("transf") is None
    assert [section.id for section in index.closest("transf")][:2] == ["4.5", "4.3"]


# --- resolve / closest ------------------------------------------------------------------------


def test_resolve_returns_the_section(index: SectionIndex) -> None:
    assert index.resolve("transformer").id == "4.5"


def test_resolve_unknown_id_suggests_the_phase(index: SectionIndex) -> None:
    with pytest.raises(SectionNotFound) as caught:
        index.resolve("4.9")
    error = caught.value
    assert error.query == "4.9"
    assert [section.id for section in error.suggestions] == ["4.6", "4.5", "4.4", "4.3", "4.2"]
    assert str(error) == "no roadmap section matches '4.9'"


def test_resolve_prefix_suggests_matches(index: SectionIndex) -> None:
    with pytest.raises(SectionNotFound) as caught:
        index.resolve("regre")
    assert [section.id for section in caught.value.suggestions] == ["3.2", "3.3"]


def test_resolve_garbage_has_no_suggestions(index: SectionIndex) -> None:
    with pytest.raises(SectionNotFound) as caught:
        index.resolve("zzqxj")
    assert caught.value.suggestions == []
    with pytest.raises(SectionNotFound) as caught:
        index.resolve("x" * 5000)
    assert caught.value.suggestions == []
    assert len(str(caught.value)) < 100


def test_closest_limits(index: SectionIndex) -> None:
    assert len(index.closest("attention")) == 5
    assert [s.id for s in index.closest("attention", limit=2)] == ["4.5", "4.4"]
    assert index.closest("attention", limit=0) == []


# --- autocomplete -----------------------------------------------------------------------------


def test_autocomplete_empty_lists_sections_in_order(index: SectionIndex) -> None:
    choices = index.autocomplete("")
    assert len(choices) == 25
    assert choices[0] == ("1.1 Linear Algebra", "1.1")
    assert choices[16] == ("4.5 Transformers and Attention", "4.5")
    assert [value for _, value in choices] == [s.id for s in index.sections[:25]]


def test_autocomplete_best_first(index: SectionIndex) -> None:
    assert index.autocomplete("4.5")[0] == ("4.5 Transformers and Attention", "4.5")
    assert [value for _, value in index.autocomplete("4")] == [
        "4.1",
        "4.2",
        "4.3",
        "4.4",
        "4.5",
        "4.6",
    ]
    assert index.autocomplete("trans")[0] == ("4.5 Transformers and Attention", "4.5")
    assert index.autocomplete("pyt")[0][1] == "2.1"
    assert "4.2" in [value for _, value in index.autocomplete("pyt")]
    assert index.autocomplete("gan")[0][1] == "4.6"
    assert index.autocomplete("zzqxj") == []
    assert index.autocomplete("x" * 5000) == []
    assert index.autocomplete("@everyone") == []


def test_autocomplete_respects_discord_limits() -> None:
    wide = SectionIndex(_long_roadmap())
    assert len(wide.sections) == 60
    for query in ("", "gradient", "topic", "long title", "3", "2.1", "x" * 300):
        choices = wide.autocomplete(query)
        assert len(choices) <= 25
        assert all(len(name) <= 100 for name, _ in choices)
        assert all(wide.roadmap.section(value) is not None for _, value in choices)
    assert len(wide.autocomplete("")) == 25
    assert len(wide.autocomplete("gradient")) == 25
    name, value = wide.autocomplete("2.13")[0]
    assert value == "2.13"
    assert name.startswith("2.13 Topic 2-13 Long title about gradient descent")
    assert len(name) == 100
    assert name.endswith("…")


def test_autocomplete_is_fast(index: SectionIndex) -> None:
    queries = ["", "4.5", "trans", "tranformer", "attention mech", "zzqxj", "x" * 100]
    started = time.perf_counter()
    for _ in range(20):
        for query in queries:
            index.autocomplete(query)
    per_call = (time.perf_counter() - started) / (20 * len(queries))
    # Sanity bound only (real figures are measured in benchmarks/): well under 2 ms.
    assert per_call < 0.05


# --- search -----------------------------------------------------------------------------------


def _hits(index: SectionIndex, query: str) -> list[tuple[str | None, str, str]]:
    return [(hit.section_id, hit.kind, hit.text) for hit in index.search(query)]


def test_search_attention(index: SectionIndex) -> None:
    hits = _hits(index, "attention")
    assert hits[0] == ("4.5", "section", "Transformers and Attention")
    assert ("4.4", "topic", "Attention mechanisms") in hits
    assert ("6.4", "topic", "Attention visualization") in hits
    assert ("7.3", "topic", "Attention Is All You Need") in hits
    assert ("4.5", "resource", "Attention Is All You Need paper") in hits
    # Topics rank above resources that say the same thing.
    position = hits.index
    assert position(("7.3", "topic", "Attention Is All You Need")) < position(
        ("4.5", "resource", "Attention Is All You Need paper")
    )


def test_search_scores_are_ranked(index: SectionIndex) -> None:
    hits = index.search("kaggle")
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < score <= 100 for score in scores)
    assert hits[0] == SearchHit(
        section_id="7.2", kind="section", text="Kaggle Competitions", score=89.0
    )


def test_search_covers_the_resources_summary(index: SectionIndex) -> None:
    hits = _hits(index, "colab")
    assert hits == [(None, "resource", "Google Colab (free GPU)")]
    yannic = _hits(index, "Yannic Kilcher")
    assert yannic == [(None, "resource", "Yannic Kilcher")]


def test_search_exact_topic_first(index: SectionIndex) -> None:
    hits = index.search("pandas")
    assert (hits[0].section_id, hits[0].kind, hits[0].text, hits[0].score) == (
        "2.2",
        "topic",
        "Pandas",
        98.0,
    )
    assert [hit.text for hit in hits[1:]] == [
        "Pandas official documentation",
        "Kaggle: Pandas course",
    ]


def test_search_phrases_typos_and_unicode(index: SectionIndex) -> None:
    assert _hits(index, "r²") == [("3.2", "topic", "Cost functions (MSE, MAE, RMSE, R²)")]
    assert _hits(index, "gradient descent")[0] == (
        "1.4",
        "topic",
        "Gradient descent and variants",
    )
    assert ("6.1", "topic", "Docker containerization") in _hits(index, "dokcer")


def test_search_limit_and_garbage(index: SectionIndex) -> None:
    assert len(index.search("learning")) == 25
    assert len(index.search("learning", limit=3)) == 3
    assert index.search("learning", limit=0) == []
    for garbage in ("zzqxj", "", "x" * 5000, "🎉", "@everyone", "**"):
        assert index.search(garbage) == []
