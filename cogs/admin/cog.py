"""The Admin cog: /admin status, the server's whole StudyBot set-up on one page."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.ui import Paginator
from cogs.admin import embeds
from cogs.admin.group import attach, detach, status_sources

STATUS = "status"


class Admin(commands.Cog, name="Admin"):
    """Server set-up: /admin status, and the /admin command the features hang their own on."""

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot
        self.status_command = _status_command(self)

    async def cog_load(self) -> None:
        """Put /admin status under /admin."""
        attach(self.bot, self.status_command)

    async def cog_unload(self) -> None:
        """Take /admin status off /admin."""
        detach(self.bot, STATUS)

    async def show_status(self, interaction: discord.Interaction[StudyBot]) -> None:
        """Reply (privately) with every feature's part of the server's set-up and health."""
        require_guild(interaction)
        guild = interaction.guild
        if guild is None:
            raise UserFacingError("StudyBot is still loading this server; try again in a minute.")
        parts = [
            (await source.admin_status(guild), source.start_hint)
            for source in status_sources(self.bot)
        ]
        pages = embeds.status_embeds(guild.name, embeds.status_lines(parts))
        none = discord.AllowedMentions.none()
        if len(pages) == 1:
            await interaction.response.send_message(
                embed=pages[0], ephemeral=True, allowed_mentions=none
            )
            return
        view = Paginator.of_embeds(interaction.user.id, pages)
        await interaction.response.send_message(
            embed=pages[0], view=view, ephemeral=True, allowed_mentions=none
        )


def _status_command(cog: Admin) -> app_commands.Command[Any, ..., None]:
    """/admin status as a command object of its own, to sit under the shared /admin group."""

    async def status(interaction: discord.Interaction[StudyBot]) -> None:
        await cog.show_status(interaction)

    return app_commands.Command(
        name=STATUS,
        description="Everything StudyBot is set up to do in this server, and what needs fixing",
        callback=status,
    )
