"""The Help cog: /help, generated from the command tree so it never goes stale."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import StudyBot
from bot.ui import Paginator
from cogs.help.embeds import help_embeds, walk_commands


class Help(commands.Cog):
    """What StudyBot does and its commands."""

    help_title = "Getting help"

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    @app_commands.command(name="help", description="What StudyBot does and its commands")
    async def help(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Show the generated command list."""
        embeds = help_embeds(walk_commands(self.bot.tree.get_commands()))
        if len(embeds) == 1:
            await interaction.response.send_message(embed=embeds[0], ephemeral=True)
            return
        view = Paginator.of_embeds(interaction.user.id, embeds)
        await interaction.response.send_message(embed=embeds[0], view=view, ephemeral=True)
