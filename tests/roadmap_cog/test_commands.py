"""/phase, /roadmap, /path, /resources, /tips and /search, on shipped and custom roadmaps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.conftest import BotHarness, ErrorLog, World
from tests.roadmap_cog.conftest import WITHOUT_PROGRESS
from tests.roadmap_cog.limits import assert_within_limits
from tests.simulator import DiscordSimulator

CUSTOM = """\
# Data Engineering Sprint

## Phase 1: Warm-up (2 weeks)

### 1.1 Shell Basics
* **Core Topics:**
    * Pipes and redirection
    * grep, sed and awk
* **Resources:**
    * The Missing Semester (MIT)

### 1.2 SQL
* **Core Topics:**
    * Window functions

## Phase 2: Pipelines

### 2.1 Batch Jobs
- **Core Topics:**
  - Airflow DAGs
- **Resources:**
  - Airflow documentation

## Essential Free Resources Summary

### Podcasts:
1. **Data Engineering Podcast**

### Books:
1. **Fundamentals of Data Engineering** by Reis, Housley

## Study Tips
- Pair up
- Write it down
"""


def unescape(text: str) -> str:
    """Embed text as a member reads it."""
    return text.replace("\\", "")


async def test_phase_shows_its_sections_and_refuses_unknown_numbers(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    harness.cogs = WITHOUT_PROGRESS
    bot = await harness.start()
    res = await sim.invoke(world.guild, world.alice, "phase", {"number": 4})
    assert not res.ephemeral
    [embed] = res.embeds
    assert embed["title"] == "Phase 4: Deep Learning"
    assert "3-4 months" in embed["description"]
    phase = bot.roadmap.phase(4)
    assert phase is not None
    for section in phase.sections:
        assert f"`{section.id}` **{section.title}**" in unescape(res.text)
    assert "`3.1`" not in res.text and "`5.1`" not in res.text

    res = await sim.invoke(world.guild, world.alice, "phase", {"number": 6})
    assert "Ongoing" in res.embeds[0]["description"]

    for number in (9, 0, -3, 2**40):
        res = await sim.invoke(
            world.guild, world.alice, "phase", {"number": number}, unchecked=True
        )
        assert res.ephemeral
        assert f"There is no phase {number} in this roadmap: it has phases 1–7." in res.content
        assert "/phase 1" in res.content
    public = [m for m in sim.messages_in(world.general) if not m.ephemeral]
    assert len(public) == 2, "only /phase 4 and /phase 6 were posted"

    choices = await sim.autocomplete(world.guild, world.alice, "phase", {"number": ""}, "number")
    assert [c["value"] for c in choices] == [1, 2, 3, 4, 5, 6, 7]
    assert choices[3]["name"] == "Phase 4: Deep Learning (3-4 months)"
    choices = await sim.autocomplete(
        world.guild, world.alice, "phase", {"number": "deep"}, "number"
    )
    assert [c["value"] for c in choices] == [4]
    choices = await sim.autocomplete(world.guild, world.alice, "phase", {"number": "5"}, "number")
    assert [c["value"] for c in choices] == [5]
    assert error_log.records == []


async def test_roadmap_path_and_tips(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = WITHOUT_PROGRESS
    bot = await harness.start()
    res = await sim.invoke(world.guild, world.bob, "roadmap", {})
    assert not res.ephemeral
    assert_within_limits(res.embeds)
    text = unescape(res.text)
    assert "Machine Learning Mastery Roadmap" in text
    assert "30 sections in 7 phases" in text
    assert "12-18 months for solid foundation, lifetime for mastery" in text
    for phase in bot.roadmap.phases:
        assert f"Phase {phase.number}: {phase.title} · {phase.duration}" in text
        for section in phase.sections:
            assert f"`{section.id}` {section.title}" in text

    res = await sim.invoke(world.guild, world.bob, "path", {})
    text = unescape(res.text)
    assert (
        "**Months 1-3:** Mathematical foundations (linear algebra, calculus, probability)" in text
    )
    assert "**Months 12+:** Advanced topics, MLOps, and continuous learning" in text
    assert "**Time estimate:** 12-18 months" in text

    res = await sim.invoke(world.guild, world.bob, "tips", {})
    text = unescape(res.text)
    assert "1. Learn by doing - implement algorithms from scratch" in text
    assert "10. Focus on understanding concepts, not memorizing code" in text
    assert res.allowed_mentions == {"parse": []}


async def test_resources_all_one_category_and_a_wrong_one(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = WITHOUT_PROGRESS
    bot = await harness.start()
    res = await sim.invoke(world.guild, world.alice, "resources", {})
    assert not res.ephemeral
    names = [field["name"] for embed in res.embeds for field in embed.get("fields") or []]
    assert names == [category.name for category in bot.roadmap.resources_summary]
    assert len(names) == 6
    text = unescape(res.text)
    assert "**Coursera** (audit for free)" in text
    assert "**Deep Learning** by Goodfellow, Bengio, Courville" in text
    assert "**Google Colab** (free GPU)" in text

    res = await sim.invoke(
        world.guild, world.alice, "resources", {"category": "Books (Free Online)"}
    )
    assert [f["name"] for f in res.embeds[0]["fields"]] == ["Books (Free Online)"]
    res = await sim.invoke(world.guild, world.alice, "resources", {"category": "youtube"})
    assert [f["name"] for f in res.embeds[0]["fields"]] == ["YouTube Channels"]
    assert "**3Blue1Brown**" in res.text

    res = await sim.invoke(
        world.guild, world.alice, "resources", {"category": "**podcasts** @here"}
    )
    assert res.ephemeral
    assert "is not a resource category" in res.content
    assert "`Video Courses`" in res.content and "`Practice Platforms`" in res.content
    assert "@here" not in res.content and "**podcasts**" not in res.content

    choices = await sim.autocomplete(
        world.guild, world.alice, "resources", {"category": ""}, "category"
    )
    assert [c["value"] for c in choices] == names
    choices = await sim.autocomplete(
        world.guild, world.alice, "resources", {"category": "plat"}, "category"
    )
    assert [c["value"] for c in choices] == ["Interactive Platforms", "Practice Platforms"]


async def test_search_ranks_hits_with_their_section_ids(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    harness.cogs = WITHOUT_PROGRESS
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "search", {"query": "attention"})
    assert res.ephemeral
    lines = unescape(res.embeds[0]["description"]).split("\n")
    assert lines[0].endswith(" matches, best first. Open one with `/topic <id>`.")
    hits = [line for line in lines[1:] if line[:1].isdigit()]
    assert hits[0] == "1. **`4.5` Transformers and Attention** — section title"
    expected = [
        "`4.4` Recurrent Neural Networks (RNNs)** — topic: Attention mechanisms",
        "`6.4` Explainable AI (XAI)** — topic: Attention visualization",
        "`7.3` Research Papers** — topic: Attention Is All You Need",
    ]
    for hit in expected:
        assert any(line.endswith(hit) for line in hits), hit
    positions = [next(i for i, line in enumerate(hits) if line.endswith(hit)) for hit in expected]
    assert all(position < 8 for position in positions), hits

    res = await sim.invoke(world.guild, world.alice, "search", {"query": "hugging face"})
    assert "`—` resources summary** — resource: Hugging Face course" in unescape(res.text)

    for garbage in ("qqqqzzzz", "!!!", "the of and", "@everyone"):
        res = await sim.invoke(world.guild, world.alice, "search", {"query": garbage})
        assert res.ephemeral
        assert "Nothing in the roadmap matches" in res.content
        assert "`attention`" in res.content
        assert "@everyone" not in res.content
    res = await sim.invoke(
        world.guild, world.alice, "search", {"query": "q" * 3000}, unchecked=True
    )
    assert res.ephemeral and "too long" in res.content
    assert error_log.records == []


async def test_a_custom_roadmap_from_settings(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    roadmap_file: Callable[[str, str], Path],
    error_log: ErrorLog,
) -> None:
    harness.settings = harness.settings.model_copy(
        update={"roadmap": roadmap_file("custom.md", CUSTOM)}
    )
    harness.cogs = WITHOUT_PROGRESS
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "airflow"})
    embed = res.embeds[0]
    assert embed["title"] == "2.1 Batch Jobs"
    assert "Phase 2: Pipelines" in embed["description"]
    assert "months" not in embed["description"], "a phase without a duration shows none"
    assert res.message is not None
    assert res.message.custom_ids() == ["roadmap:nav:1.2", "roadmap:nav:last"]

    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.5"})
    assert res.ephemeral and "No roadmap section matches" in res.content

    res = await sim.invoke(world.guild, world.alice, "roadmap", {})
    assert "Data Engineering Sprint" in res.text
    assert "3 sections in 2 phases" in res.text

    res = await sim.invoke(world.guild, world.alice, "phase", {"number": 3}, unchecked=True)
    assert res.ephemeral and "it has phases 1–2" in res.content

    choices = await sim.autocomplete(
        world.guild, world.alice, "resources", {"category": ""}, "category"
    )
    assert [c["value"] for c in choices] == ["Podcasts", "Books"]
    res = await sim.invoke(world.guild, world.alice, "resources", {"category": "Video Courses"})
    assert res.ephemeral and "Choose one of: `Podcasts`, `Books`" in res.content
    res = await sim.invoke(world.guild, world.alice, "resources", {"category": "books"})
    assert "**Fundamentals of Data Engineering** by Reis, Housley" in unescape(res.text)

    res = await sim.invoke(world.guild, world.alice, "path", {})
    assert res.ephemeral and "no recommended learning path" in res.content
    res = await sim.invoke(world.guild, world.alice, "tips", {})
    assert "1. Pair up" in res.text and "2. Write it down" in res.text
    assert error_log.records == []
