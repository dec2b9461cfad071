"""A stand-in feature that puts its own subgroup under /admin from its own package.

It is loaded as an extension, the way a later feature (a digest, a board, cohorts) would be:
it defines its `AdminSubgroup`, attaches it when it loads and detaches it when it unloads,
without any change to the admin cog.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from cogs.admin.group import AdminSubgroup, StatusSection, attach, detach


class Digest(commands.Cog, name="Digest"):
    """The stand-in feature: it counts previews."""

    help_title = "Weekly digest"

    def __init__(self) -> None:
        self.previews = 0


class DigestAdmin(AdminSubgroup):
    """/admin digest, thin over the Digest cog."""

    start_hint = "`/admin digest preview` shows the digest"

    def __init__(self, feature: Digest) -> None:
        super().__init__(name="digest", description="The weekly digest")
        self.feature = feature
        self.help_title = feature.help_title

    @app_commands.command(name="preview", description="The digest as it would be posted now")
    async def preview(self, interaction: discord.Interaction[commands.Bot]) -> None:
        """Count a preview and say so."""
        self.feature.previews += 1
        await interaction.response.send_message(
            f"Digest preview #{self.feature.previews}", ephemeral=True
        )

    async def admin_status(self, guild: discord.Guild) -> StatusSection:
        """How many previews were shown."""
        lines = [f"{self.feature.previews} previews shown"] if self.feature.previews else []
        return StatusSection(self.help_title, lines)


async def setup(bot: commands.Bot) -> None:
    """Load the stand-in feature and attach its admin subgroup."""
    feature = Digest()
    await bot.add_cog(feature)
    attach(bot, DigestAdmin(feature))


async def teardown(bot: commands.Bot) -> None:
    """Detach the admin subgroup."""
    detach(bot, "digest")
