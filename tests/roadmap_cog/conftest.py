"""Fixtures for the Roadmap cog: a stand-in Progress cog and custom roadmap files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from discord.ext import commands

from bot.client import DEFAULT_COGS
from tests.conftest import BotHarness

WITHOUT_PROGRESS = tuple(name for name in DEFAULT_COGS if name != "cogs.progress")


class FakeProgress(commands.Cog, name="Progress"):
    """Stands in for the Progress cog: only the finished count the Roadmap cog asks for."""

    def __init__(self, counts: dict[tuple[int, str], int] | None = None) -> None:
        self.counts = counts or {}
        self.asked: list[tuple[int, str]] = []

    async def finished_count(self, guild_id: int, section_id: str) -> int:
        """How many members of a guild finished a section."""
        self.asked.append((guild_id, section_id))
        return self.counts.get((guild_id, section_id), 0)


@pytest.fixture
def without_progress(harness: BotHarness) -> BotHarness:
    """The harness with every default cog but Progress."""
    harness.cogs = WITHOUT_PROGRESS
    return harness


@pytest.fixture
def roadmap_file(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a roadmap markdown file and return its path."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def huge_roadmap(topics: int = 200, topic_chars: int = 300, resources: int = 60) -> str:
    """A roadmap whose sections are far too big for one embed."""
    lines = ["# Huge Roadmap", "", "## Phase 1: Everything (12 months)", ""]
    for section in (1, 2):
        lines += [f"### 1.{section} Enormous Section {section}", "- **Core Topics:**"]
        for number in range(topics):
            head = f"Topic {section}-{number:03d} "
            body = ("lorem ipsum dolor " * 40)[: topic_chars - len(head) - 1] + "x"
            lines.append("  - " + head + body)
        lines.append("- **Resources:**")
        for number in range(resources):
            lines.append(f"  - Resource {section}-{number:02d} with a fairly long descriptive name")
        lines.append("")
    lines += ["## Phase 2: After (1 month)", "", "### 2.1 Small", "- **Core Topics:**", "  - One"]
    return "\n".join(lines) + "\n"


def long_titles_roadmap(sections: int = 40) -> str:
    """A roadmap with many sections whose titles are far longer than a choice name."""
    lines = ["# Long Titles", "", "## Phase 1: Long (2 months)", ""]
    for number in range(1, sections + 1):
        title = f"Section number {number} about " + "very long words " * 20
        lines += [
            f"### 1.{number} {title.strip()}",
            "- **Core Topics:**",
            f"  - Topic {number}",
            "",
        ]
    return "\n".join(lines)
