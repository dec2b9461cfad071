"""The one error path: friendly ephemeral replies for user errors, logged codes for the rest."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

if TYPE_CHECKING:
    from bot.client import StudyBot

log = logging.getLogger(__name__)


class UserFacingError(app_commands.AppCommandError):
    """An error the user caused; its message says what was wrong and what to type instead.

    It derives from discord.py's own error type so that it reaches the tree's error handler
    unchanged whether a check, a transformer, a callback or an autocomplete raised it.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def new_error_code() -> str:
    """A short code that ties a user's report to one log line."""
    return secrets.token_hex(3).upper()


def _unwrap(error: BaseException) -> BaseException:
    """Find the exception a command really raised."""
    while isinstance(error, app_commands.CommandInvokeError | app_commands.TransformerError):
        inner = error.__cause__ or getattr(error, "original", None)
        if inner is None or inner is error:
            break
        error = inner
    return error


# Where Discord's client names a permission differently from discord.py's flag.
_PERMISSION_LABELS = {
    "manage_guild": "Manage Server",
    "view_channel": "View Channels",
    "read_messages": "View Channels",
    "view_guild_insights": "View Server Insights",
    "mention_everyone": "Mention Everyone",
    "moderate_members": "Timeout Members",
    "use_application_commands": "Use Application Commands",
    "manage_expressions": "Manage Expressions",
    "manage_emojis": "Manage Expressions",
    "manage_emojis_and_stickers": "Manage Expressions",
    "external_emojis": "Use External Emojis",
    "use_external_emojis": "Use External Emojis",
    "external_stickers": "Use External Stickers",
    "use_external_stickers": "Use External Stickers",
    "send_tts_messages": "Send Text-to-Speech Messages",
    "use_voice_activation": "Use Voice Activity",
}


def permission_label(flag: str) -> str:
    """A permission as Discord shows it: `manage_roles` → "Manage Roles"."""
    return _PERMISSION_LABELS.get(flag, flag.replace("_", " ").title())


def permission_list(flags: list[str]) -> str:
    """Permission names joined for a sentence: "Manage Roles and Manage Server"."""
    labels = list(dict.fromkeys(permission_label(flag) for flag in flags))
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def describe_check_failure(error: app_commands.AppCommandError) -> str | None:
    """The message for discord.py's own check and cooldown failures, if it is one."""
    if isinstance(error, app_commands.NoPrivateMessage):
        return "StudyBot's commands work inside a server, not in direct messages."
    if isinstance(error, app_commands.MissingPermissions):
        missing = error.missing_permissions
        noun = "permission" if len(missing) == 1 else "permissions"
        return f"You need the {permission_list(missing)} {noun} for this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        lacking = permission_list(error.missing_permissions)
        return f"StudyBot is missing permissions here: {lacking}. Ask an admin to grant them."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.CommandNotFound | app_commands.CommandSignatureMismatch):
        return "That command is out of date. Wait a minute for Discord to refresh it, then retry."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    if isinstance(error, app_commands.TransformerError):
        return describe_bad_option(error)
    return None


def describe_bad_option(error: app_commands.TransformerError) -> str:
    """The message for an option value discord.py could not convert."""
    kind = error.type
    if kind in (discord.AppCommandOptionType.user, discord.AppCommandOptionType.mentionable):
        return "That member isn't in this server. Pick a member of this server."
    if kind is discord.AppCommandOptionType.channel:
        return "That channel can't be used here. Pick a text channel of this server."
    if kind is discord.AppCommandOptionType.role:
        return "That role isn't in this server. Pick a role of this server."
    shown = discord.utils.escape_mentions(discord.utils.escape_markdown(str(error.value)[:80]))
    return f"“{shown}” isn't a valid choice for this option. Pick one from the list Discord shows."


async def send_ephemeral(interaction: discord.Interaction[Any], message: str) -> None:
    """Reply privately, whether or not the interaction was answered or deferred already."""
    text = message[:2000]
    try:
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            # The "thinking…" placeholder keeps the deferral's visibility; removing it lets
            # the error go out privately even after a public deferral.
            try:
                await interaction.delete_original_response()
            except discord.HTTPException:
                pass
        if interaction.response.is_done():
            await interaction.followup.send(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
        else:
            await interaction.response.send_message(
                text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )
    except discord.HTTPException:
        log.warning("could not deliver an error reply for interaction %s", interaction.id)


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    """Turn any error from a command, autocomplete or component into the right reply."""
    error = _unwrap(error)
    if isinstance(error, UserFacingError):
        await send_ephemeral(interaction, error.message)
        return
    if isinstance(error, app_commands.AppCommandError):
        message = describe_check_failure(error)
        if message is not None:
            await send_ephemeral(interaction, message)
            return
    code = new_error_code()
    name = interaction.command.qualified_name if interaction.command else "component"
    log.error(
        "error %s in %s (guild %s)",
        code,
        name,
        interaction.guild_id,
        exc_info=(type(error), error, error.__traceback__),
    )
    if interaction.type is discord.InteractionType.autocomplete:
        return
    await send_ephemeral(
        interaction,
        f"Something went wrong on StudyBot's side (error code `{code}`). "
        "Nothing you did was lost; try again, and give the code to an admin if it keeps happening.",
    )


class StudyTree(app_commands.CommandTree["StudyBot"]):
    """The command tree: guild-only commands and the one error path."""

    async def on_error(
        self, interaction: discord.Interaction[StudyBot], error: app_commands.AppCommandError
    ) -> None:
        """Route every command error through `report_error`."""
        await report_error(interaction, error)
