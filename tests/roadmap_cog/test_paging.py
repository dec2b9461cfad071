"""Sections far bigger than one embed: split over pages, never cut, never refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import BotHarness, ErrorLog, World
from tests.roadmap_cog.conftest import WITHOUT_PROGRESS, huge_roadmap
from tests.roadmap_cog.limits import assert_within_limits
from tests.simulator import DiscordSimulator, SimMessage


def lines_of(embed: dict[str, Any]) -> list[str]:
    """Every line of an embed's description and fields, markdown escapes removed."""
    parts = [embed.get("description") or ""]
    parts += [field["value"] for field in embed.get("fields") or []]
    return [line.replace("\\", "") for part in parts for line in part.split("\n")]


@pytest.fixture
async def huge(
    harness: BotHarness, roadmap_file: Callable[[str, str], Path], world: World
) -> BotHarness:
    """The bot serving a roadmap whose sections hold 200 topics of 300 chars and 60 resources."""
    path = roadmap_file("huge.md", huge_roadmap(topics=200, topic_chars=300, resources=60))
    harness.settings = harness.settings.model_copy(update={"roadmap": path})
    harness.cogs = WITHOUT_PROGRESS
    await harness.start()
    return harness


async def read_every_page(
    sim: DiscordSimulator, world: World, message: SimMessage, section_id: str
) -> list[dict[str, Any]]:
    """Turn the pages of a /topic message one by one; every page as sent."""
    pages = [dict(message.embeds[0])]
    while True:
        forward = [
            cid for cid in message.custom_ids() if cid.startswith(f"roadmap:page:{section_id}:")
        ]
        turn = [cid for cid in forward if int(cid.rsplit(":", 1)[1]) == len(pages)]
        if not turn:
            break
        res = await sim.click(world.guild, world.alice, message, turn[0])
        assert res.message is message
        pages.append(dict(message.embeds[0]))
    return pages


async def test_a_huge_section_is_split_over_pages_with_nothing_lost(
    huge: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    assert huge.bot is not None
    section = huge.bot.roadmap.section("1.1")
    assert section is not None and len(section.topics()) == 200
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "1.1"})
    assert not res.ephemeral
    message = res.message
    assert message is not None
    pages = await read_every_page(sim, world, message, "1.1")
    total = len(pages)
    assert total >= 12, "200 × 300 characters cannot fit in fewer than 12 embeds of 6000"
    assert_within_limits(pages)
    for number, page in enumerate(pages, start=1):
        assert page["title"] == "1.1 Enormous Section 1"
        assert f"Page {number} of {total}" in page["footer"]["text"]
        assert "Phase 1: Everything" in page["description"]
    shown = [line for page in pages for line in lines_of(page)]
    for item in section.topics():
        assert shown.count(f"• {item}") == 1, f"{item[:20]}… missing or repeated"
    for item in section.resources:
        assert shown.count(f"• {item}") == 1, f"{item} missing or repeated"
    order = [line for line in shown if line.startswith("• Topic 1-")]
    assert order == [f"• {item}" for item in section.topics()], "topics keep the roadmap's order"
    names = [field["name"] for page in pages for field in page.get("fields") or []]
    assert names[0] == "Core Topics"
    assert set(names) == {
        "Core Topics",
        "Core Topics (continued)",
        "Resources",
        "Resources (continued)",
    }
    # On the last page, the forward button is disabled and the nav row still leads on.
    assert message.find_component("roadmap:page:last") is not None
    assert message.find_component("roadmap:nav:1.2") is not None
    assert error_log.records == []


async def test_page_buttons_survive_a_restart_and_others_get_a_private_page(
    huge: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "1.2"})
    message = res.message
    assert message is not None
    assert message.custom_ids()[:2] == ["roadmap:nav:1.1", "roadmap:nav:2.1"]
    assert "roadmap:page:1.2:1" in message.custom_ids()
    await huge.restart()
    turned = await sim.click(world.guild, world.alice, message, "roadmap:page:1.2:1")
    assert turned.message is message
    assert message.embeds[0]["footer"]["text"].startswith("Page 2 of ")
    assert "roadmap:page:1.2:0" in message.custom_ids()
    assert "roadmap:page:1.2:2" in message.custom_ids()

    peek = await sim.click(world.guild, world.bob, message, "roadmap:page:1.2:2")
    assert peek.ephemeral
    assert peek.embeds[0]["footer"]["text"].startswith("Page 3 of ")
    assert message.embeds[0]["footer"]["text"].startswith("Page 2 of "), "alice's page stays"

    # Navigating to another section starts at its first page.
    moved = await sim.click(world.guild, world.alice, message, "roadmap:nav:2.1")
    assert moved.message is message
    assert message.embeds[0]["title"] == "2.1 Small"
    assert not any(cid.startswith("roadmap:page:") for cid in message.custom_ids())
    assert error_log.records == []
