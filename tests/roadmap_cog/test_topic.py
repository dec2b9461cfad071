"""/topic end to end: lookup, what a section shows, errors, autocomplete and the buttons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.client import StudyBot
from tests.conftest import BotHarness, ErrorLog, World
from tests.roadmap_cog.conftest import WITHOUT_PROGRESS, FakeProgress, long_titles_roadmap
from tests.simulator import DiscordSimulator, SimMessage


def fields(embed: dict[str, Any]) -> dict[str, str]:
    """Field name -> value of an embed."""
    return {field["name"]: field["value"] for field in embed.get("fields") or []}


def unescape(text: str) -> str:
    """Embed text as a member reads it (markdown escapes removed)."""
    return text.replace("\\", "")


def button(message: SimMessage, custom_id: str) -> dict[str, Any]:
    """The button with this custom id; fails the test when it is missing."""
    found = message.find_component(custom_id)
    assert found is not None, f"no {custom_id!r} on the message: {message.custom_ids()}"
    return found


async def test_topic_by_id_shows_the_whole_section(
    without_progress: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    bot = await without_progress.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.5"})
    assert not res.ephemeral, "a section is shown to the whole channel"
    assert res.allowed_mentions == {"parse": []}
    [embed] = res.embeds
    assert embed["title"] == "4.5 Transformers and Attention"
    assert "Phase 4: Deep Learning" in embed["description"]
    assert "3-4 months" in embed["description"]
    shown = fields(embed)
    assert "• Self-attention mechanism" in shown["Core Topics"]
    assert "• Vision Transformers (ViT)" in unescape(shown["Core Topics"])
    section = bot.roadmap.section("4.5")
    assert section is not None
    text = unescape(res.text)
    for item in [*section.topics(), *section.resources]:
        assert item in text
    assert "Section 17 of 30" in embed["footer"]["text"]
    # Without the Progress cog there is no count and no ✅ button.
    assert "finished" not in res.text
    assert res.message is not None
    assert res.message.custom_ids() == ["roadmap:nav:4.4", "roadmap:nav:4.6"]
    assert button(res.message, "roadmap:nav:4.4")["label"] == "◀ 4.4"
    assert button(res.message, "roadmap:nav:4.6")["label"] == "4.6 ▶"
    assert error_log.records == []


async def test_fuzzy_words_titles_and_ids_find_their_sections(
    without_progress: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await without_progress.start()
    cases = {
        "transformer": "4.5",
        "pandas": "2.2",
        "svm": "3.3",
        "gan": "4.6",
        "docker": "6.1",
        "prophet": "6.5",
        "Explainable AI (XAI)": "6.4",
        "reinforcement learning": "6.2",
        " 7.3 ": "7.3",
    }
    for query, expected in cases.items():
        res = await sim.invoke(world.guild, world.bob, "topic", {"section": query})
        assert not res.ephemeral, (query, res.text)
        title = res.embeds[0]["title"]
        assert title.startswith(f"{expected} "), f"{query!r} opened {title!r}"


async def test_sub_groups_are_shown_under_their_names(
    without_progress: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await without_progress.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "2.2"})
    shown = fields(res.embeds[0])
    assert list(shown) == ["NumPy", "Pandas", "Matplotlib/Seaborn", "Resources"]
    assert "• Broadcasting" in shown["NumPy"]
    assert "• DataFrames and Series" in shown["Pandas"]
    assert "• Heatmaps and correlation plots" in shown["Matplotlib/Seaborn"]
    assert "Kaggle: Pandas course" in shown["Resources"]

    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.2"})
    shown = fields(res.embeds[0])
    assert list(shown) == ["TensorFlow/Keras", "PyTorch", "Resources"]
    assert "• SavedModel format" in shown["TensorFlow/Keras"]
    assert "• nn.Module" in shown["PyTorch"]

    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "7.3"})
    shown = fields(res.embeds[0])
    assert "• Attention Is All You Need" in shown["Read foundational papers"]


async def test_finished_count_and_done_button_come_from_the_progress_cog(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    progress = FakeProgress({(world.guild.id, "4.5"): 3, (world.guild.id, "4.6"): 1})
    harness.cogs = WITHOUT_PROGRESS
    harness.extra_cogs = [progress]
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "transformer"})
    assert "✅ 3 members finished this" in res.embeds[0]["description"]
    assert res.message is not None
    assert res.message.custom_ids() == ["roadmap:nav:4.4", "progress:done:4.5", "roadmap:nav:4.6"]
    assert button(res.message, "progress:done:4.5")["label"] == "Mark done"
    assert progress.asked == [(world.guild.id, "4.5")]

    moved = await sim.click(world.guild, world.alice, res.message, "roadmap:nav:4.6")
    assert "✅ 1 member finished this" in moved.embeds[0]["description"]
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "1.1"})
    assert "Nobody here has finished this yet" in res.embeds[0]["description"]


async def test_unknown_sections_get_a_private_hint(
    without_progress: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    await without_progress.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "9.9"})
    assert res.ephemeral
    assert "No roadmap section matches “9.9”" in res.content
    assert "/topic" in res.content

    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.9"})
    assert res.ephemeral
    assert "Closest sections:" in res.content
    assert "`4.5` Transformers and Attention" in res.content

    hostile = "@everyone **qqxv** <@&1>"
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": hostile})
    assert res.ephemeral
    assert "@everyone" not in res.content, "the echo must not be a live mention"
    assert "**qqxv**" not in res.content, "the echo must not render as markdown"
    assert "qqxv" in res.content
    assert res.allowed_mentions == {"parse": []}
    assert "Type a section id such as `/topic 1.1`" in res.content or "Closest" in res.content

    for garbage in ("zzzzzzzz", "!!!", "x" * 100):
        res = await sim.invoke(world.guild, world.alice, "topic", {"section": garbage})
        assert res.ephemeral and "No roadmap section matches" in res.content

    res = await sim.invoke(
        world.guild, world.alice, "topic", {"section": "y" * 600}, unchecked=True
    )
    assert res.ephemeral and "too long" in res.content
    assert sim.messages_in(world.general) == [], "rejected commands post nothing publicly"
    assert error_log.records == []


async def test_autocomplete_offers_at_most_25_short_choices_best_first(
    without_progress: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await without_progress.start()
    choices = await sim.autocomplete(world.guild, world.alice, "topic", {"section": ""}, "section")
    assert len(choices) == 25
    assert choices[0] == {"name": "1.1 Linear Algebra", "value": "1.1"}

    for typed, first in (("transf", "4.5"), ("4.", "4.1"), ("panda", "2.2"), ("gan", "4.6")):
        choices = await sim.autocomplete(
            world.guild, world.alice, "topic", {"section": typed}, "section"
        )
        assert choices, typed
        assert choices[0]["value"] == first, (typed, choices[:3])
        assert len(choices) <= 25
        assert all(1 <= len(choice["name"]) <= 100 for choice in choices)

    res = await sim.invoke(world.guild, world.alice, "topic", {"section": choices[0]["value"]})
    assert res.embeds[0]["title"] == "4.6 Generative Models"


async def test_autocomplete_with_long_custom_titles(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    roadmap_file: Callable[[str, str], Path],
) -> None:
    path = roadmap_file("long.md", long_titles_roadmap(40))
    harness.settings = harness.settings.model_copy(update={"roadmap": path})
    harness.cogs = WITHOUT_PROGRESS
    await harness.start()
    for typed in ("", "section", "1.", "1.3", "very long words", "about"):
        choices = await sim.autocomplete(
            world.guild, world.alice, "topic", {"section": typed}, "section"
        )
        assert 1 <= len(choices) <= 25, typed
        assert all(1 <= len(choice["name"]) <= 100 for choice in choices)
        assert all(len(choice["value"]) <= 100 for choice in choices)
    choices = await sim.autocomplete(
        world.guild, world.alice, "topic", {"section": "1.37"}, "section"
    )
    assert choices[0]["value"] == "1.37"
    assert choices[0]["name"].startswith("1.37 Section number 37 about very long words")
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "1.37"})
    title = res.embeds[0]["title"]
    assert len(title) <= 256
    # The title is longer than an embed title allows: it is shown whole in the description.
    assert "Section number 37 about" + " very long words" * 20 in res.embeds[0]["description"]


async def test_previous_and_next_walk_the_roadmap_in_order(
    without_progress: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot: StudyBot = await without_progress.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "1.1"})
    message = res.message
    assert message is not None
    assert button(message, "roadmap:nav:first")["disabled"] is True
    seen = ["1.1"]
    for _ in range(len(bot.roadmap.sections) - 1):
        following = message.custom_ids()[-1]
        moved = await sim.click(world.guild, world.alice, message, following)
        assert moved.response_type == 7, "the requester's own message is edited in place"
        assert moved.message is message
        seen.append(message.embeds[0]["title"].split(" ", 1)[0])
    assert seen == [section.id for section in bot.roadmap.sections]
    assert seen[-1] == "7.4"
    assert button(message, "roadmap:nav:last")["disabled"] is True
    assert message.custom_ids() == ["roadmap:nav:7.3", "roadmap:nav:last"]

    back = await sim.click(world.guild, world.alice, message, "roadmap:nav:7.3")
    assert back.message is message
    assert message.embeds[0]["title"] == "7.3 Research Papers"
    assert len(sim.messages_in(world.general)) == 1, "navigating posts nothing new"


async def test_other_members_get_their_own_private_copy(
    without_progress: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await without_progress.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.5"})
    message = res.message
    assert message is not None
    peek = await sim.click(world.guild, world.bob, message, "roadmap:nav:4.6")
    assert peek.ephemeral
    assert peek.embeds[0]["title"] == "4.6 Generative Models"
    assert message.embeds[0]["title"] == "4.5 Transformers and Attention", "alice's is unchanged"
    # Bob's private copy has working buttons of its own.
    assert peek.message is not None
    again = await sim.click(world.guild, world.bob, peek.message, "roadmap:nav:5.1")
    assert again.message is peek.message
    assert peek.message.embeds[0]["title"] == "5.1 NLP Fundamentals"


async def test_buttons_keep_working_after_a_restart(
    without_progress: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    await without_progress.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "6.5"})
    message = res.message
    assert message is not None
    await without_progress.restart()
    moved = await sim.click(world.guild, world.alice, message, "roadmap:nav:6.6")
    assert moved.message is message
    assert message.embeds[0]["title"] == "6.6 Graph Neural Networks"
    moved = await sim.click(world.guild, world.alice, message, "roadmap:nav:6.5")
    assert message.embeds[0]["title"] == "6.5 Time Series Analysis"
    assert error_log.records == []


async def test_a_button_to_a_section_that_left_the_roadmap_explains_itself(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    roadmap_file: Callable[[str, str], Path],
) -> None:
    harness.cogs = WITHOUT_PROGRESS
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "7.3"})
    message = res.message
    assert message is not None
    small = "# Small\n\n## Phase 1: One (1 week)\n\n### 1.1 Only\n- **Core Topics:**\n  - A\n"
    harness.settings = harness.settings.model_copy(
        update={"roadmap": roadmap_file("small.md", small)}
    )
    await harness.restart()
    res = await sim.click(world.guild, world.alice, message, "roadmap:nav:7.4")
    assert res.ephemeral
    assert "Section 7.4 is not in this server's roadmap" in res.content
    assert message.embeds[0]["title"] == "7.3 Research Papers"


async def test_with_the_real_progress_cog_a_press_on_done_shows_up_in_the_count(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    bot = await harness.start()
    if bot.get_cog("Progress") is None:  # pragma: no cover - only before the feature lands
        return
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.5"})
    assert "Nobody here has finished this yet" in res.embeds[0]["description"]
    assert res.message is not None
    await sim.click(world.guild, world.alice, res.message, "progress:done:4.5")
    res = await sim.invoke(world.guild, world.bob, "topic", {"section": "4.5"})
    assert "✅ 1 member finished this" in res.embeds[0]["description"]
    other = await sim.invoke(world.other_guild, world.carol, "topic", {"section": "4.5"})
    assert "Nobody here has finished this yet" in other.embeds[0]["description"]
    assert error_log.records == []
