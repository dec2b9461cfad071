"""The pure renderers: every part of the roadmap fits Discord's limits and nothing is cut."""

from __future__ import annotations

import discord
import pytest

from cogs.roadmap import embeds
from roadmap.lookup import SectionIndex
from roadmap.model import (
    PathStep,
    Phase,
    ResourceCategory,
    ResourceItem,
    Roadmap,
    Section,
    TopicGroup,
)
from roadmap.parser import load_roadmap
from tests.roadmap_cog.limits import assert_within_limits


def text_of(pages: list[discord.Embed]) -> str:
    """All visible text of the pages, markdown escapes removed."""
    parts = []
    for page in pages:
        parts += [page.title or "", page.description or ""]
        parts += [f"{field.name}\n{field.value}" for field in page.fields]
    return "\n".join(parts).replace("\\", "")


def joined(pages: list[discord.Embed]) -> str:
    """The field values run together, to find wrapped lines whole."""
    values = [field.value or "" for page in pages for field in page.fields]
    return "".join("".join(values).replace("\\", "").split())


def odd_roadmap() -> Roadmap:
    """A roadmap built to break every limit at once."""
    no_spaces = "x" * 5000
    long_words = " ".join(f"word{n}" for n in range(1500))
    groups = [TopicGroup(name=f"Group {n}", items=[f"item {n}"], line=n) for n in range(40)]
    groups.append(TopicGroup(name="G" * 400, items=[no_spaces, long_words], line=99))
    groups.append(TopicGroup(name=None, items=["*bold?* _under_ `code` @everyone"], line=100))
    big = Section(
        id="1.1",
        title="T" * 1000,
        phase=1,
        groups=groups,
        resources=[f"Resource {n} " + "r" * 200 for n in range(80)],
        line=5,
    )
    empty = Section(id="1.2", title="Nothing here", phase=1, groups=[], resources=[], line=50)
    phases = [Phase(number=1, title="P" * 300, duration="1 week", sections=[big, empty], line=3)]
    phases += [
        Phase(
            number=n,
            title=f"Phase title {n}",
            duration=None,
            sections=[
                Section(
                    id=f"{n}.{m}", title=f"S {m} " * 30, phase=n, groups=[], resources=[], line=m
                )
                for m in range(1, 40)
            ],
            line=n * 100,
        )
        for n in range(2, 30)
    ]
    return Roadmap(
        title="R" * 300,
        phases=phases,
        resources_summary=[
            ResourceCategory(
                name=f"Category {n}",
                items=[ResourceItem(name=f"Name {m} " * 10, note="n" * 100) for m in range(30)],
            )
            for n in range(12)
        ],
        learning_path=[PathStep(months=f"Months {n}", text="t " * 400) for n in range(30)],
        study_tips=["tip " * 300 for _ in range(40)],
        time_estimate="forever " * 50,
    )


def test_a_section_that_breaks_every_limit_is_split_and_complete() -> None:
    roadmap = odd_roadmap()
    section = roadmap.sections[0]
    pages = embeds.section_pages(roadmap, section)
    assert_within_limits(pages)
    # Room is left on every page for the footer and the finished line added when sending.
    for page in pages:
        assert len(page) <= embeds.EMBED_TOTAL_LIMIT - embeds.PAGE_RESERVE
    sent = [
        embeds.topic_extras(
            page, index=i, total=len(pages), position="Section 1 of 999", finished=12345
        )
        for i, page in enumerate(pages)
    ]
    assert_within_limits(sent)
    squashed = joined(pages)
    assert "T" * 1000 in "".join((pages[0].description or "").split()), "the title is whole"
    assert "G" * 400 in squashed, "the long group name is shown whole"
    assert "x" * 5000 in squashed, "an item longer than a field is wrapped, not cut"
    assert "".join(f"word{n}" for n in range(1500)) in squashed
    for n in range(40):
        assert f"• item {n}" in text_of(pages)
    for resource in section.resources:
        assert resource in text_of(pages)
    # Shown as typed (markdown escaped); the mention gets a zero-width space and pings nobody.
    assert "*bold?* _under_ `code` @\u200beveryone" in text_of(pages)
    raw = "\n".join(field.value for page in pages for field in page.fields)
    assert "@everyone" not in raw, "a mention in the roadmap is defused"


def test_a_section_without_topics_says_so() -> None:
    roadmap = odd_roadmap()
    [page] = embeds.section_pages(roadmap, roadmap.sections[1])
    assert "lists no topics or resources" in (page.description or "")


@pytest.mark.parametrize(
    "render",
    [
        lambda r: embeds.roadmap_pages(r),
        lambda r: embeds.phase_pages(r.phases[0], len(r.phases)),
        lambda r: embeds.phase_pages(r.phases[5], len(r.phases)),
        lambda r: embeds.path_pages(r),
        lambda r: embeds.resources_pages(r.resources_summary),
        lambda r: embeds.resources_pages(r.resources_summary[:1]),
        lambda r: embeds.tips_pages(r.study_tips),
    ],
    ids=["roadmap", "phase", "phase-many", "path", "resources", "category", "tips"],
)
def test_every_overview_fits_the_limits(render: object) -> None:
    roadmap = odd_roadmap()
    pages = render(roadmap)  # type: ignore[operator]
    assert pages
    assert_within_limits(pages)
    if len(pages) > 1:
        assert all(f"of {len(pages)}" in (page.footer.text or "") for page in pages)


def test_the_roadmap_overview_lists_every_section_of_a_huge_roadmap() -> None:
    roadmap = odd_roadmap()
    text = text_of(embeds.roadmap_pages(roadmap))
    for section in roadmap.sections[2:]:
        assert f"{section.id} {section.title}" in text.replace("`", "")


def test_search_pages_of_the_shipped_roadmap() -> None:
    roadmap = load_roadmap()
    index = SectionIndex(roadmap)
    titles = {section.id: section.title for section in roadmap.sections}
    hits = index.search("learning", limit=25)
    pages = embeds.search_pages("learning **now** @everyone", hits, titles)
    assert_within_limits(pages)
    text = text_of(pages)
    assert "@everyone" not in (pages[0].title or "")
    assert "25 matches" in text


def test_wrap_never_loses_a_character() -> None:
    for text, limit in [("a b c d e f", 3), ("abcdefghij", 4), ("\\*\\*\\*\\*", 3), ("", 5)]:
        pieces = embeds.wrap(text, limit)
        assert all(len(piece) <= limit for piece in pieces)
        assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
