"""Parsing custom and malformed roadmaps: shapes we accept, and issues with line numbers."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path

import pytest

from roadmap.model import Roadmap
from roadmap.parser import (
    RoadmapError,
    RoadmapIssue,
    check_roadmap_file,
    default_roadmap_path,
    load_roadmap,
    parse_roadmap,
)
from tests.roadmap.completeness import unaccounted_lines

DATA = Path(__file__).parent / "data"


def _issues(text: str) -> list[tuple[int, str]]:
    with pytest.raises(RoadmapError) as caught:
        parse_roadmap(text)
    return [(issue.line, issue.message) for issue in caught.value.issues]


def _lines(text: str) -> list[int]:
    return [line for line, _ in _issues(text)]


# --- malformed fixture files ----------------------------------------------------------------


def test_broken_structure_reports_every_issue_with_its_line() -> None:
    issues = check_roadmap_file(DATA / "broken_structure.md")
    assert [(issue.line, issue.message) for issue in issues] == [
        (3, "expected a phase heading like '## Phase 1: Title (duration)' before this bullet"),
        (7, "expected a section heading like '### 1.1 Title' before this bullet"),
        (8, "expected a section heading like '### 1.1 Title' before this bullet"),
        (14, "section 1.1 appears twice (first on line 10)"),
        (20, "section id 3.1 does not belong to phase 2; expected '### 2.N Title'"),
        (24, "phase 3 has no sections; expected '### 3.1 Title' headings under it"),
    ]


def test_broken_bodies_reports_every_issue_with_its_line() -> None:
    issues = check_roadmap_file(DATA / "broken_bodies.md")
    assert [issue.line for issue in issues] == [6, 12, 16, 20, 22, 25]
    messages = [issue.message for issue in issues]
    assert messages[0] == (
        "'Core Topics' in section 1.1 has no items; expected indented bullets like "
        "'  - topic' under it"
    )
    assert messages[1] == (
        "expected a bullet ('- item') in section 1.2; plain text has no place in a section"
    )
    assert messages[2] == "expected a section heading like '### 1.3 Title'"
    assert messages[3] == "section 1.3 has no topics or resources"
    assert messages[4].startswith("unknown heading '## Glossary'; expected '## Phase N:")
    assert messages[5].startswith("unexpected heading level 4 ('####')")


def test_broken_tail_reports_every_issue_with_its_line() -> None:
    issues = check_roadmap_file(DATA / "broken_tail.md")
    assert [(issue.line, issue.message) for issue in issues] == [
        (
            1,
            "expected the roadmap title like '# Machine Learning Mastery Roadmap' "
            "as the first line",
        ),
        (7, "expected a category heading like '### Video Courses:' before this item"),
        (9, "resource category 'Books' has no items"),
        (13, "expected a numbered resource like '1. **Name** (note)' under a category heading"),
        (17, "expected a learning path step like '**Months 1-3:** what to study'"),
        (21, "expected a study tip like '1. Learn by doing'"),
        (24, "a second time estimate; the first is on line 23"),
    ]


def test_error_text_lists_every_issue_as_line_n() -> None:
    text = (DATA / "broken_structure.md").read_text(encoding="utf-8")
    with pytest.raises(RoadmapError) as caught:
        parse_roadmap(text)
    lines = str(caught.value).split("\n")
    assert len(lines) == 6
    assert lines[0].startswith("line 3: expected a phase heading")
    assert lines[3] == "line 14: section 1.1 appears twice (first on line 10)"
    assert lines[5].startswith("line 24: phase 3 has no sections")


def test_load_roadmap_raises_with_the_same_issues() -> None:
    with pytest.raises(RoadmapError) as caught:
        load_roadmap(DATA / "broken_tail.md")
    assert [issue.line for issue in caught.value.issues] == [1, 7, 9, 13, 17, 21, 24]


# --- small malformed inputs -----------------------------------------------------------------


def test_empty_and_phase_less_files() -> None:
    assert _issues("") == [(0, "the roadmap is empty")]
    assert _issues("\n\n   \n") == [(0, "the roadmap is empty")]
    assert _issues("# Only a title\n\nSome prose.\n") == [
        (0, "no phases found; expected headings like '## Phase 1: Title (duration)'"),
        (3, "expected a phase heading like '## Phase 1: Title (duration)' before this text"),
    ]


def test_whole_file_issue_prints_without_line_zero() -> None:
    assert str(RoadmapIssue(line=0, message="no phases found")) == "no phases found"
    assert str(RoadmapIssue(line=7, message="bad")) == "line 7: bad"


def test_section_before_any_phase() -> None:
    text = "# T\n\n### 1.1 Lost\n- **Core Topics:**\n  - x\n"
    assert _issues(text) == [
        (0, "no phases found; expected headings like '## Phase 1: Title (duration)'"),
        (3, "expected a phase heading like '## Phase 1: Title (duration)' before this section"),
    ]


def test_indented_bullet_without_a_group() -> None:
    text = "# T\n## Phase 1: P\n### 1.1 S\n  - floating\n"
    assert _issues(text) == [
        (3, "section 1.1 has no topics or resources"),
        (4, "expected a group line like '- **Core Topics:**' before this indented bullet"),
    ]


def test_empty_resources_list_and_duplicate_phase() -> None:
    text = (
        "# T\n"
        "## Phase 1: A\n"
        "### 1.1 S\n"
        "- **Core Topics:**\n"
        "  - x\n"
        "- **Resources:**\n"
        "## Phase 1: Again\n"
        "### 1.2 S2\n"
        "- y\n"
    )
    assert _issues(text) == [
        (
            6,
            "'Resources' in section 1.1 has no items; expected indented bullets like "
            "'  - resource' under it",
        ),
        (7, "phase 1 appears twice (first on line 2)"),
    ]


def test_second_title_and_untitled_phase() -> None:
    text = "# T\n# Another\n## Phase 1\n### 1.1 S\n- x\n"
    assert _issues(text) == [
        (2, "a second title line; the title was already set on line 1"),
        (3, "phase 1 has no title; expected '## Phase 1: Title (duration)'"),
    ]


def test_all_issues_are_collected_not_just_the_first() -> None:
    broken_sections = "".join(f"### 1.{n} S{n}\ntext\n" for n in range(1, 21))
    lines = _lines("# T\n## Phase 1: P\n" + broken_sections)
    # Each section contributes its prose line and its emptiness.
    assert len(lines) == 40
    assert lines[:4] == [3, 4, 5, 6]


# --- shapes we accept -----------------------------------------------------------------------


@pytest.fixture
def custom() -> Roadmap:
    return load_roadmap(DATA / "custom_valid.md")


def test_custom_roadmap_of_another_shape(custom: Roadmap) -> None:
    assert custom.title == "Data Engineering Sprint"
    assert [(p.number, p.title, p.duration) for p in custom.phases] == [
        (1, "Warm-up", None),
        (2, "Pipelines", "3 weeks"),
        (3, "Capstone", "Self-paced"),
    ]
    assert [len(phase.sections) for phase in custom.phases] == [4, 1, 1]
    assert custom.section_count == 6
    shell = custom.section("1.1")
    assert shell is not None
    assert shell.topics() == ["Pipes and redirection", "grep, sed and awk"]
    assert shell.resources == ["The Missing Semester (MIT)"]
    sql = custom.section("1.2")
    assert sql is not None
    assert sql.topics() == ["SELECT, JOIN, GROUP BY", "Window functions"]
    assert sql.resources == []
    habits = custom.section("1.3")
    assert habits is not None
    assert [(group.name, group.items) for group in habits.groups] == [
        (None, ["Commit early", "Review pull requests"])
    ]
    containers = custom.section("1.4")
    assert containers is not None
    assert containers.topics() == ["Dockerfiles"]  # tab-indented bullets
    assert containers.resources == ["Docker docs"]
    final = custom.section("3.1")
    assert final is not None
    assert final.topics() == ["Ship a pipeline end to end"]
    assert custom.study_tips == ["Pair up", "Write it down"]
    assert custom.resources_summary == []
    assert custom.learning_path == []
    assert custom.time_estimate is None
    assert custom.neighbours("1.4") == ("1.3", "2.1")


def test_custom_roadmap_is_complete(custom: Roadmap) -> None:
    text = (DATA / "custom_valid.md").read_text(encoding="utf-8")
    assert unaccounted_lines(text, custom) == ([], [])


def test_crlf_and_bom_parse_like_the_original() -> None:
    original = default_roadmap_path().read_text(encoding="utf-8")
    expected = parse_roadmap(original)
    windows = "\ufeff" + original.replace("\n", "\r\n")
    assert parse_roadmap(windows) == expected
    assert parse_roadmap(original.replace("\n", "\r")) == expected


def test_crlf_file_keeps_line_numbers(tmp_path: Path) -> None:
    text = (DATA / "broken_structure.md").read_text(encoding="utf-8")
    path = tmp_path / "windows.md"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    assert [issue.line for issue in check_roadmap_file(path)] == [3, 7, 8, 14, 20, 24]


def test_heading_variants_are_tolerated() -> None:
    text = (
        "# **My Roadmap**\n"
        "## Phase 1 - Basics (6 weeks):\n"
        "### 1.1. Intro:\n"
        "+ **Core Topics**:\n"
        "   + One\n"
        "1. Loose numbered item\n"
        "## Phase 2: Deep Learning (DL)\n"
        "### 2.1 Nets\n"
        "- **Topics**\n"
        "  - Two\n"
        "    - Deeper nested item\n"
        "- Plain item ending with a colon:\n"
        "## Study Tips:\n"
        "* Tip one\n"
        "## Recommended Learning Path\n"
        "- Weeks 1-2: Basics\n"
        "## Time Estimate\n"
        "About 3 months\n"
    )
    roadmap = parse_roadmap(text)
    assert roadmap.title == "My Roadmap"
    assert [(p.title, p.duration) for p in roadmap.phases] == [
        ("Basics", "6 weeks"),
        ("Deep Learning (DL)", None),
    ]
    intro = roadmap.section("1.1")
    assert intro is not None
    assert intro.title == "Intro"
    assert [(group.name, group.items) for group in intro.groups] == [
        ("Core Topics", ["One"]),
        (None, ["Loose numbered item"]),
    ]
    nets = roadmap.section("2.1")
    assert nets is not None
    assert [(group.name, group.items) for group in nets.groups] == [
        ("Topics", ["Two", "Deeper nested item"]),
        (None, ["Plain item ending with a colon:"]),
    ]
    assert roadmap.study_tips == ["Tip one"]
    assert [(step.months, step.text) for step in roadmap.learning_path] == [("Weeks 1-2", "Basics")]
    assert roadmap.time_estimate == "About 3 months"


def test_many_phases_and_big_section_numbers() -> None:
    parts = ["# Big"]
    for phase in range(1, 13):
        parts.append(f"## Phase {phase}: P{phase} ({phase} weeks)")
        for minor in range(1, 12):
            parts.append(f"### {phase}.{minor} S{phase}-{minor}\n- topic {phase}.{minor}")
    roadmap = parse_roadmap("\n".join(parts))
    assert len(roadmap.phases) == 12
    assert roadmap.section_count == 132
    assert roadmap.sections[-1].id == "12.11"
    assert roadmap.neighbours("3.11") == ("3.10", "4.1")


# --- files that cannot be read --------------------------------------------------------------


def test_missing_file_is_an_issue_not_an_exception(tmp_path: Path) -> None:
    missing = tmp_path / "nope.md"
    issues = check_roadmap_file(missing)
    assert [(issue.line, issue.message) for issue in issues] == [(0, f"{missing} does not exist")]
    with pytest.raises(RoadmapError) as caught:
        load_roadmap(missing)
    assert str(caught.value) == f"{missing} does not exist"


def test_directory_and_non_utf8_files(tmp_path: Path) -> None:
    issues = check_roadmap_file(tmp_path)
    assert [(issue.line, issue.message) for issue in issues] == [
        (0, f"{tmp_path} is a directory, not a file")
    ]
    latin = tmp_path / "latin1.md"
    latin.write_bytes("# Roadmap\n\n## Phase 1: Café\n".encode("latin-1"))
    issues = check_roadmap_file(latin)
    assert [(issue.line, issue.message) for issue in issues] == [
        (0, f"{latin} is not valid UTF-8 text (byte 0xe9 on line 3); save it as UTF-8")
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path) -> None:
    locked = tmp_path / "locked.md"
    locked.write_text("# x\n", encoding="utf-8")
    locked.chmod(0)
    issues = check_roadmap_file(locked)
    assert [issue.message for issue in issues] == [f"{locked} cannot be read (permission denied)"]


def test_valid_file_has_no_issues() -> None:
    assert check_roadmap_file(default_roadmap_path()) == []
    assert check_roadmap_file(str(DATA / "custom_valid.md")) == []


def test_group_labels_without_a_dash() -> None:
    text = "# T\n## Phase 1: A\n### 1.1 S\n**Core Topics:**\n  - a\n**Resources:**\n  - b\n"
    section = parse_roadmap(text).sections[0]
    assert [(group.name, group.items, group.line) for group in section.groups] == [
        ("Core Topics", ["a"], 4)
    ]
    assert section.resources == ["b"]


@pytest.mark.parametrize(
    "hostile",
    [
        "**a" + " " * 100_000 + "x",
        "## Phase 1: a" + " " * 100_000 + "b",
        "### 1.1 a" + " " * 100_000 + "b",
        "- **a" + " :" * 50_000,
        "**" + "a:" * 50_000,
        "## Phase 1: x" + " (" * 50_000 + ")",
    ],
)
def test_hostile_long_lines_parse_in_linear_time(hostile: str) -> None:
    text = (
        "# T\n## Phase 1: P\n### 1.1 S\n- x\n"
        f"{hostile}\n## Essential Free Resources Summary\n### C\n{hostile}\n"
        f"## Recommended Learning Path\n{hostile}\n## Study Tips\n{hostile}\n"
    )
    started = time.perf_counter()
    with contextlib.suppress(RoadmapError):
        parse_roadmap(text)
    # Quadratic backtracking would take minutes here; linear parsing takes milliseconds.
    assert time.perf_counter() - started < 1.0
