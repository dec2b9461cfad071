"""Pure rendering of /help from the command tree's own descriptions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext.commands import Cog

from bot.checks import is_admin_command

INTRO = (
    "StudyBot helps this server work through the **Machine Learning Mastery Roadmap** "
    "together: look up any part of the roadmap, mark sections done and see the group's "
    "progress, read a paper a week in the paper club, and take on Kaggle challenges."
)
FIELD_LIMIT = 1024


@dataclass(frozen=True)
class CommandLine:
    """One line of /help: the command as typed, its description, whether admins only."""

    usage: str
    description: str
    admin: bool
    category: str
    subcommand: bool = False


def _usage(command: app_commands.Command[Any, ..., Any]) -> str:
    parts = [f"/{command.qualified_name}"]
    for param in command.parameters:
        parts.append(param.display_name if param.required else f"[{param.display_name}]")
    return " ".join(parts)


def _category(command: app_commands.Command[Any, ..., Any]) -> str:
    """The feature a command belongs to: the `help_title` of its cog, subgroup or group.

    An admin command such as /admin paper schedule is bound to the feature's own /admin
    subgroup, which carries the feature's title, so it is listed with the feature.
    """
    owners: list[Any] = [command.binding, command.parent, command.root_parent]
    for owner in owners:
        title = getattr(owner, "help_title", None)
        if isinstance(title, str) and title:
            return title
    cog = command.binding
    if isinstance(cog, Cog):
        return cog.qualified_name
    return "StudyBot"


def walk_commands(
    commands: Iterable[
        app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu
    ],
) -> Iterator[CommandLine]:
    """Every slash command with its subcommands, as /help lines."""
    for command in commands:
        if isinstance(command, app_commands.Group):
            yield from walk_commands(command.commands)
            continue
        if not isinstance(command, app_commands.Command):
            continue
        yield CommandLine(
            _usage(command),
            command.description,
            is_admin_command(command),
            _category(command),
            subcommand=command.parent is not None,
        )


def help_embeds(lines: Iterable[CommandLine]) -> list[discord.Embed]:
    """The /help pages: an intro, then one field per feature (split when long)."""
    by_category: dict[str, list[str]] = {}
    # Within a feature, plain commands come before a group's subcommands, and the admin
    # commands (all under /admin) come last.
    for line in sorted(lines, key=lambda line: (line.admin, line.subcommand)):
        marker = " *(admins)*" if line.admin else ""
        by_category.setdefault(line.category, []).append(
            f"`{line.usage}` — {line.description}{marker}"
        )
    embed = discord.Embed(title="StudyBot help", description=INTRO, colour=0x5865F2)
    embeds = [embed]
    for category, entries in by_category.items():
        chunk: list[str] = []
        for entry in entries:
            if chunk and len("\n".join([*chunk, entry])) > FIELD_LIMIT:
                embed = _add_field(embeds, category, chunk)
                chunk = []
            chunk.append(entry)
        if chunk:
            embed = _add_field(embeds, category, chunk)
    embeds[-1].set_footer(
        text="Admin commands need the Manage Server permission. Times show in your own zone."
    )
    return embeds


def _add_field(embeds: list[discord.Embed], name: str, chunk: list[str]) -> discord.Embed:
    embed = embeds[-1]
    value = "\n".join(chunk)
    if len(embed.fields) >= 25 or len(embed) + len(name) + len(value) > 5500:
        embed = discord.Embed(title="StudyBot help (continued)", colour=0x5865F2)
        embeds.append(embed)
    embed.add_field(name=name, value=value, inline=False)
    return embed
