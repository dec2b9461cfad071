"""Permission checks the bot enforces itself, whatever Discord's default permissions say."""

from __future__ import annotations

from typing import Any

import discord

from bot.errors import UserFacingError
from bot.text import plain

ADMIN_HINT = "You need the Manage Server permission for this command. Ask a server admin."


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member holds Manage Server (or Administrator) in this guild."""
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


async def require_manage_guild(interaction: discord.Interaction[Any]) -> bool:
    """The bot's own Manage Server check, on every /admin command.

    `/admin` is hidden from members by its default permissions, but a server can re-grant it
    to anyone in Server Settings → Integrations, so the bot checks the invoker itself too.
    """
    if not is_admin(interaction):
        raise UserFacingError(ADMIN_HINT)
    return True


def is_admin_command(command: Any) -> bool:
    """Whether a command (not a group) carries the bot's own Manage Server check."""
    return require_manage_guild in getattr(command, "checks", ())


def require_guild(interaction: discord.Interaction[Any]) -> int:
    """The guild id of an interaction, or a user error outside a guild."""
    if interaction.guild_id is None:
        raise UserFacingError("StudyBot's commands work inside a server, not in direct messages.")
    return interaction.guild_id


def check_ping_role(guild: discord.Guild, role: discord.Role, invoker: discord.Permissions) -> None:
    """Refuse a role the invoker may not have StudyBot ping (`invoker`: their channel rights).

    A role ping needs the role to be mentionable or the invoker to hold Mention Everyone;
    @everyone and roles managed by an integration (a bot's role, the booster role) are never
    a readers' role.
    """
    if role.is_default():
        raise UserFacingError(
            "Pick a role of readers to ping, not @everyone, or leave the role out."
        )
    if guild.get_role(role.id) is None:
        raise UserFacingError("That role isn't in this server. Pick a role of this server.")
    name = plain(role.name, 80)
    if role.managed:
        raise UserFacingError(
            f"The role {name} is managed by an integration (a bot's own role or the booster "
            "role), so it can't be the role to ping. Pick a role of readers, or leave it out."
        )
    if not role.mentionable and not invoker.mention_everyone:
        raise UserFacingError(
            f"You can't ping the role {name}: it isn't mentionable and you don't have Mention "
            "Everyone in that channel, so StudyBot won't ping it for you. Make the role "
            "mentionable (Server Settings → Roles), ask someone with Mention Everyone, or "
            "leave the role out."
        )
