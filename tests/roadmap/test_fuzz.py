"""Arbitrary input never crashes the parser or the look-ups."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roadmap.lookup import SectionIndex
from roadmap.parser import RoadmapError, load_roadmap, parse_roadmap

INDEX = SectionIndex(load_roadmap())

# Lines built from the pieces a roadmap is made of, so the fuzzer reaches deep states.
_PIECES = st.sampled_from(
    [
        "# Title",
        "## Phase 1: A (1 month)",
        "## Phase 2",
        "### 1.1 S",
        "### 2.1 T",
        "### x",
        "- **Core Topics:**",
        "- **Resources:**",
        "- item",
        "  - nested",
        "\t* tabbed",
        "- Label:",
        "1. **Name** (note)",
        "**Months 1-2:** x",
        "**Time Estimate:** y",
        "## Study Tips:",
        "## Essential Free Resources Summary",
        "### Cat:",
        "## Recommended Learning Path",
        "---",
        "",
        "text",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=30)), max_size=40))
def test_parser_returns_a_roadmap_or_lists_issues(lines: list[str]) -> None:
    text = "\n".join(lines)
    try:
        roadmap = parse_roadmap(text)
    except RoadmapError as error:
        assert error.issues
        line_count = len(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        assert all(0 <= issue.line <= line_count for issue in error.issues)
        assert [issue.line for issue in error.issues] == sorted(i.line for i in error.issues)
    else:
        assert roadmap.phases
        assert all(phase.sections for phase in roadmap.phases)
        SectionIndex(roadmap).autocomplete("a")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_lookups_never_raise(query: str) -> None:
    found = INDEX.find(query)
    assert found is None or found in INDEX.sections
    choices = INDEX.autocomplete(query)
    assert len(choices) <= 25
    assert all(len(name) <= 100 for name, _ in choices)
    assert len(INDEX.closest(query)) <= 5
    assert len(INDEX.search(query)) <= 25
