"""The Privacy cog: /privacy hide|show|export|delete, over the bot's member data registry."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_guild
from bot.client import StudyBot
from bot.errors import UserFacingError
from bot.ui import ConfirmView
from cogs.privacy import embeds

NONE = discord.AllowedMentions.none()

Interaction = discord.Interaction[StudyBot]


class Privacy(commands.Cog, name="Privacy"):
    """A member's own data in a server: leave the leaderboards, export it, delete it.

    It owns no data: every feature registers its storage with ``bot.member_data`` (the
    ``bot.personal.MemberData`` protocol), and these commands reach exactly those features.
    """

    help_title = "Your data"

    privacy = app_commands.Group(
        name="privacy", description="Leave or rejoin the leaderboards, export or delete your data"
    )

    def __init__(self, bot: StudyBot) -> None:
        self.bot = bot

    async def _set_hidden(self, interaction: Interaction, hidden: bool) -> bool:
        guild_id = require_guild(interaction)
        registry = self.bot.member_data
        if not registry.has_listing:
            raise UserFacingError(embeds.NO_LISTING)
        user = interaction.user
        return await registry.set_hidden(
            guild_id, user.id, user.display_name, hidden, self.bot.clock()
        )

    @privacy.command(name="hide", description="Leave the leaderboards and /who (progress is kept)")
    async def hide(self, interaction: Interaction) -> None:
        """Hide the caller from leaderboards, /who and other members' /rank."""
        changed = await self._set_hidden(interaction, True)
        await interaction.response.send_message(
            embeds.hide_reply(changed), ephemeral=True, allowed_mentions=NONE
        )

    @privacy.command(name="show", description="Rejoin the leaderboards and /who")
    async def show(self, interaction: Interaction) -> None:
        """Show the caller on leaderboards again."""
        changed = await self._set_hidden(interaction, False)
        await interaction.response.send_message(
            embeds.show_reply(changed), ephemeral=True, allowed_mentions=NONE
        )

    @privacy.command(
        name="export", description="A JSON file of everything StudyBot holds about you here"
    )
    async def export(self, interaction: Interaction) -> None:
        """Send the caller a JSON file of their data in this server, from every feature."""
        guild_id = require_guild(interaction)
        user_id = interaction.user.id
        features = await self.bot.member_data.export(guild_id, user_id)
        data = embeds.export_document(guild_id, user_id, self.bot.clock(), features)
        file = discord.File(io.BytesIO(data), filename=embeds.export_filename(guild_id, user_id))
        await interaction.response.send_message(
            embeds.EXPORT_TEXT, file=file, ephemeral=True, allowed_mentions=NONE
        )

    @privacy.command(name="delete", description="Delete everything StudyBot holds about you here")
    async def delete(self, interaction: Interaction) -> None:
        """Ask for confirmation, then delete the caller's data in this server everywhere."""
        guild_id = require_guild(interaction)
        user_id = interaction.user.id
        registry = self.bot.member_data

        async def confirmed(_: discord.Interaction[Any]) -> str:
            return embeds.deleted_text(await registry.delete(guild_id, user_id))

        view = ConfirmView(user_id, confirmed, confirm_label="Delete my data")
        callback = await interaction.response.send_message(
            embeds.delete_prompt(registry.summaries()),
            view=view,
            ephemeral=True,
            allowed_mentions=NONE,
        )
        if isinstance(callback.resource, discord.InteractionMessage):
            view.message = callback.resource
