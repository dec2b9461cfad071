"""The ✅ button (`progress:done:<id>`): what /done does, for whoever presses, after restarts."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.settings import Settings
from cogs.progress.views import done_button
from tests.conftest import BotHarness, World
from tests.progress.conftest import PROGRESS_COGS, completions
from tests.simulator import DiscordSimulator, SimMessage


class TopicStandIn(commands.Cog):
    """Posts a message carrying a ✅ button, as /topic does."""

    @app_commands.command(name="post-done-button", description="Test: a message with ✅")
    async def post(self, interaction: discord.Interaction, section: str) -> None:
        view = discord.ui.View(timeout=None)
        view.add_item(done_button(section))
        await interaction.response.send_message(f"Section {section}", view=view)


async def post_button(sim: DiscordSimulator, world: World, section: str) -> SimMessage:
    res = await sim.invoke(world.guild, world.admin, "post-done-button", {"section": section})
    assert res.message is not None
    assert res.message.custom_ids() == [f"progress:done:{section}"]
    return res.message


async def test_pressing_done_marks_the_section_for_the_presser(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    harness.cogs = PROGRESS_COGS
    harness.extra_cogs = [TopicStandIn()]
    await harness.start()
    message = await post_button(sim, world, "4.5")

    res = await sim.click(world.guild, world.alice, message, "progress:done:4.5")
    assert res.ephemeral
    assert res.content.startswith("✅ Marked **4.5 Transformers and Attention** done.")
    assert "1 of 30 sections (3%)" in res.content and "**#1** of 1" in res.content
    assert res.allowed_mentions == {"parse": []}
    again = await sim.click(world.guild, world.alice, message, "progress:done:4.5")
    assert "You already marked **4.5 Transformers and Attention** done" in again.content
    bob = await sim.click(world.guild, world.bob, message, "progress:done:4.5")
    assert "Marked" in bob.content and "**#1** of 2" in bob.content
    assert message.content == "Section 4.5" and message.edits == 0  # the post is untouched
    assert completions(settings.database) == {
        (world.guild.id, world.alice.id, "4.5"),
        (world.guild.id, world.bob.id, "4.5"),
    }

    # After a restart, the old message's button still works.
    harness.extra_cogs = []
    await harness.restart()
    after = await sim.click(world.guild, world.admin, message, "progress:done:4.5")
    assert "Marked **4.5" in after.content and "**#1** of 3" in after.content
    assert len(completions(settings.database)) == 3


async def test_a_button_for_a_section_the_roadmap_lacks_explains_itself(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    harness.cogs = PROGRESS_COGS
    harness.extra_cogs = [TopicStandIn()]
    await harness.start()
    message = await post_button(sim, world, "9.9")
    res = await sim.click(world.guild, world.alice, message, "progress:done:9.9")
    assert res.ephemeral
    assert res.content.startswith("Section 9.9 is not in the roadmap any more.")
    assert completions(settings.database) == set()


async def test_the_topic_message_done_button(
    harness: BotHarness, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    harness.cogs = ("cogs.roadmap", "cogs.progress")
    await harness.start()
    if not any(command["name"] == "topic" for command in sim.global_commands):
        pytest.skip("the roadmap feature does not provide /topic yet")
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.5"})
    message = res.message
    assert message is not None and "progress:done:4.5" in message.custom_ids()
    pressed = await sim.click(world.guild, world.bob, message, "progress:done:4.5")
    assert pressed.ephemeral
    assert pressed.content.startswith("✅ Marked **4.5 Transformers and Attention** done.")
    assert completions(settings.database) == {(world.guild.id, world.bob.id, "4.5")}
