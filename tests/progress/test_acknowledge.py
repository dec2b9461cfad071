"""Slow work comes after the acknowledgement: /rank's card.

Discord drops an interaction that is not answered within 3 seconds, and in production every
answer travels 100–200 ms each way. /rank renders and uploads a PNG; it must acknowledge first
and then do the work, and what the member finally sees must be what they saw before. (The
same for confirming /privacy delete: tests/privacy/test_commands.py.)
"""

from __future__ import annotations

import io

from PIL import Image

from tests.conftest import BotHarness, World
from tests.progress.conftest import PROGRESS_COGS
from tests.simulator import DiscordSimulator

DEFERRED_MESSAGE = 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "StudyBot is thinking…"
EPHEMERAL = 64


async def test_rank_defers_before_the_card_and_the_card_is_unchanged(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = PROGRESS_COGS
    await harness.start()
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})

    res = await sim.invoke(world.guild, world.alice, "rank", {})
    assert res.response_type == DEFERRED_MESSAGE
    assert not res.response_data.get("flags", 0) & EPHEMERAL
    assert not res.ephemeral
    embed = res.embeds[0]
    assert embed["title"] == "Progress of Alice"
    assert "**3%** of the roadmap · 1 of 30 sections" in embed["description"]
    assert "**Rank:** #1 of 1 (all time)" in embed["description"]
    assert embed["image"]["url"] == "attachment://progress.png"
    ((name, blob),) = res.attachments
    assert name == "progress.png"
    assert Image.open(io.BytesIO(blob)).format == "PNG"
    assert len(res.all_messages) == 1, "one card, not a placeholder and a card"

    other = await sim.invoke(world.guild, world.bob, "rank", {"member": world.alice})
    assert other.response_type == DEFERRED_MESSAGE
    assert other.embeds[0]["title"] == "Progress of Alice"


async def test_a_hidden_member_s_own_card_is_private_from_the_deferral_on(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = PROGRESS_COGS
    await harness.start()
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.bob, "privacy hide", {})

    mine = await sim.invoke(world.guild, world.bob, "rank", {})
    assert mine.response_type == DEFERRED_MESSAGE
    # The deferral fixes the visibility of the answer: it must already be ephemeral.
    assert mine.response_data.get("flags", 0) & EPHEMERAL
    assert mine.ephemeral
    assert "hidden from the leaderboards" in mine.text
    assert mine.attachments and mine.attachments[0][0] == "progress.png"

    # Someone else asking gets the refusal straight away, privately, with no card rendered.
    private = await sim.invoke(world.guild, world.alice, "rank", {"member": world.bob})
    assert private.response_type == 4
    assert private.ephemeral and "keeps their progress private" in private.content
    assert private.attachments == []
