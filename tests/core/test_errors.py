"""Check failures discord.py raises are told to the user in Discord's own words."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from bot.errors import describe_check_failure, permission_label
from tests.conftest import BotHarness, ErrorLog, World
from tests.simulator import DiscordSimulator


class Guarded(commands.Cog):
    """Commands behind discord.py's own permission checks."""

    @app_commands.command(name="roles-only", description="Needs Manage Roles")
    @app_commands.checks.has_permissions(manage_roles=True)
    async def roles_only(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("done")

    @app_commands.command(name="two-perms", description="Needs two permissions")
    @app_commands.checks.has_permissions(manage_guild=True, moderate_members=True)
    async def two_perms(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("done")


async def test_missing_permissions_name_what_is_missing(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    harness.extra_cogs = [Guarded()]
    await harness.start()

    res = await sim.invoke(world.guild, world.alice, "roles-only", {})
    assert res.ephemeral
    assert res.content == "You need the Manage Roles permission for this command."

    res = await sim.invoke(world.guild, world.alice, "two-perms", {})
    assert res.ephemeral
    assert res.content == (
        "You need the Manage Server and Timeout Members permissions for this command."
    )

    # an admin with Manage Server still lacks Timeout Members: only that one is named
    res = await sim.invoke(world.guild, world.admin, "two-perms", {})
    assert res.ephemeral
    assert res.content == "You need the Timeout Members permission for this command."

    roles_manager = sim.add_member(
        world.guild, "rolesmanager", permissions=discord.Permissions(manage_roles=True).value
    )
    res = await sim.invoke(world.guild, roles_manager, "roles-only", {})
    assert res.content == "done"
    assert error_log.records == []


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["manage_roles"], "You need the Manage Roles permission for this command."),
        (["manage_guild"], "You need the Manage Server permission for this command."),
        (
            ["manage_channels", "manage_guild", "mention_everyone"],
            "You need the Manage Channels, Manage Server and Mention Everyone permissions "
            "for this command.",
        ),
    ],
)
def test_missing_permissions_message(flags: list[str], expected: str) -> None:
    assert describe_check_failure(app_commands.MissingPermissions(flags)) == expected


def test_bot_missing_permissions_message() -> None:
    error = app_commands.BotMissingPermissions(["send_messages", "embed_links", "view_channel"])
    assert describe_check_failure(error) == (
        "StudyBot is missing permissions here: Send Messages, Embed Links and View Channels. "
        "Ask an admin to grant them."
    )


def test_every_permission_has_a_readable_label() -> None:
    for flag in discord.Permissions.VALID_FLAGS:
        label = permission_label(flag)
        assert "_" not in label and label[:1].isupper(), flag
