"""Permission checks the bot enforces itself, whatever Discord's default permissions say."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError

ADMIN_HINT = "You need the Manage Server permission for this command. Ask a server admin."


def is_admin(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member holds Manage Server (or Administrator) in this guild."""
    perms = interaction.permissions
    return bool(perms.manage_guild or perms.administrator)


async def _require_admin(interaction: discord.Interaction[Any]) -> bool:
    if not is_admin(interaction):
        raise UserFacingError(ADMIN_HINT)
    return True


def admin_only() -> Any:
    """Mark a command admin-only: Discord hides it and the bot refuses it to non-admins."""

    def decorator(func: Any) -> Any:
        func = app_commands.default_permissions(manage_guild=True)(func)
        return app_commands.check(_require_admin)(func)

    return decorator


def is_admin_command(command: Any) -> bool:
    """Whether a command (not a group) carries the bot's own admin check."""
    return _require_admin in getattr(command, "checks", ())


def require_guild(interaction: discord.Interaction[Any]) -> int:
    """The guild id of an interaction, or a user error outside a guild."""
    if interaction.guild_id is None:
        raise UserFacingError("StudyBot's commands work inside a server, not in direct messages.")
    return interaction.guild_id
