"""Slow work comes after the acknowledgement: /rank's card and /privacy delete's confirmation.

Discord drops an interaction that is not answered within 3 seconds, and in production every
answer travels 100–200 ms each way. /rank renders and uploads a PNG, and confirming a deletion
erases data in every feature; both must acknowledge first and then do the work, and what the
member finally sees must be what they saw before.
"""

from __future__ import annotations

import asyncio
import io
from typing import Any

from discord.ext import commands
from PIL import Image

from bot.settings import Settings
from tests.conftest import BotHarness, World
from tests.progress.conftest import PROGRESS_COGS, completions
from tests.simulator import DiscordSimulator

DEFERRED_MESSAGE = 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: "StudyBot is thinking…"
DEFERRED_UPDATE = 6  # DEFERRED_UPDATE_MESSAGE: the pressed button shows it is working
EPHEMERAL = 64


class SlowFeature(commands.Cog, name="PaperClub"):
    """A feature whose data takes as long to delete as the test wants."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()

    async def export_member_data(self, guild_id: int, user_id: int) -> dict[str, Any]:
        return {}

    async def delete_member_data(self, guild_id: int, user_id: int) -> int:
        self.started.set()
        await self.release.wait()
        return 1


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


async def test_confirming_a_deletion_is_acknowledged_before_anything_is_deleted(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    feature = SlowFeature()
    harness.cogs = PROGRESS_COGS
    harness.extra_cogs = [feature]
    await harness.start()
    await sim.invoke(world.guild, world.alice, "done", {"section": "1.1"})
    prompt = await sim.invoke(world.guild, world.alice, "privacy delete", {})
    message = prompt.message
    assert message is not None
    confirm, cancel = message.custom_ids()

    press = await sim.click(world.guild, world.alice, message, confirm, wait=False)
    await asyncio.wait_for(feature.started.wait(), 5)
    # The slow deletion has begun, and the press was acknowledged before it: the bot awaits
    # Discord's answer to the callback before it runs the action.
    assert press.response_type == DEFERRED_UPDATE
    assert not press.settled, "the result is not shown before the deletion finished"

    # Presses meanwhile are acknowledged too: a second confirm deletes nothing twice, and a
    # cancel cannot claim that nothing was changed.
    for button in (confirm, cancel):
        again = await sim.click(world.guild, world.alice, message, button, wait=False)
        await again.wait_until(lambda: again.response_type is not None)  # noqa: B023
        assert again.response_type == DEFERRED_UPDATE
        assert again.followups == []

    feature.release.set()
    await press.wait_settled()
    assert press.message is not None
    # 1 completion + the member row + 1 record of the other feature
    assert press.message.content.startswith("Deleted 3 records.")
    assert press.message.embeds == []
    assert all(b.get("disabled") for b in press.message.buttons())
    assert press.ephemeral
    assert completions(settings.database) == set()
