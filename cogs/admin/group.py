"""The one top-level /admin command, and how a feature puts its admin commands under it.

Discord honours `default_member_permissions` on top-level commands only, so every admin
command lives under `/admin`, which carries Manage Server and is hidden from members. A feature
defines its own subgroup (an `AdminSubgroup`) in its own package and calls `attach` when it
loads; `detach` when it unloads. The feature's subgroup also answers for its part of
`/admin status`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_manage_guild

ADMIN = "admin"
AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group


@dataclass(frozen=True)
class StatusSection:
    """A feature's part of /admin status: what is set up in the server, and its health."""

    title: str
    #: One line per configured thing (schedule, subscription); empty: nothing set up.
    lines: list[str] = field(default_factory=list)
    #: Lines about the feature as a whole (e.g. whether Kaggle answers), shown when set up.
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class StatusSource(Protocol):
    """Something that reports its part of /admin status (an `AdminSubgroup`)."""

    help_title: str
    start_hint: str

    async def admin_status(self, guild: discord.Guild) -> StatusSection:
        """This feature's part of /admin status for `guild`."""
        ...


class AdminGroup(app_commands.Group):
    """/admin: hidden from members (Manage Server by default), checked by the bot as well."""

    help_title = "Server admin"

    def __init__(self) -> None:
        super().__init__(
            name=ADMIN,
            description="Set up StudyBot in this server (Manage Server)",
            guild_only=True,
            default_permissions=discord.Permissions(manage_guild=True),
        )
        # /admin outlives any one extension: discord.py drops an unloaded extension's top-level
        # commands by their module, which would take every feature's subgroup with it.
        # `detach` removes /admin once nothing is left under it.
        self.module = None


class AdminSubgroup(app_commands.Group):
    """A feature's /admin subgroup, e.g. /admin paper; subclass it in the feature's package."""

    #: The feature's title in /help and /admin status.
    help_title = "StudyBot"
    #: How to start using the feature, shown by /admin status while nothing is set up.
    start_hint = ""

    async def admin_status(self, guild: discord.Guild) -> StatusSection:
        """This feature's part of /admin status (nothing, unless the feature says more)."""
        return StatusSection(self.help_title)


def admin_group(bot: commands.Bot) -> app_commands.Group:
    """The bot's /admin command, added to its command tree on first use."""
    found = bot.tree.get_command(ADMIN)
    if isinstance(found, app_commands.Group):
        return found
    group = AdminGroup()
    bot.tree.add_command(group)
    return group


def _leaves(command: AnyCommand) -> Iterator[app_commands.Command[Any, ..., Any]]:
    if isinstance(command, app_commands.Command):
        yield command
        return
    for child in command.walk_commands():
        if isinstance(child, app_commands.Command):
            yield child


def attach(bot: commands.Bot, command: AnyCommand) -> None:
    """Put a feature's subgroup (or a single command) under /admin.

    Every command in it gets the bot's own Manage Server check: a server can re-grant `/admin`
    to anyone in its Integrations settings, so Discord's default permissions are not enough.
    Attach a subgroup once it holds all its commands.
    """
    for leaf in _leaves(command):
        if require_manage_guild not in leaf.checks:
            leaf.add_check(require_manage_guild)
    admin_group(bot).add_command(command)


def detach(bot: commands.Bot, name: str) -> None:
    """Take a feature's subgroup off /admin; /admin itself goes when nothing is left."""
    group = bot.tree.get_command(ADMIN)
    if not isinstance(group, app_commands.Group):
        return
    group.remove_command(name)
    if not group.commands:
        bot.tree.remove_command(ADMIN)


def status_sources(bot: commands.Bot) -> list[StatusSource]:
    """The attached subgroups that report a part of /admin status, in the order attached."""
    group = bot.tree.get_command(ADMIN)
    if not isinstance(group, app_commands.Group):
        return []
    return [sub for sub in group.commands if isinstance(sub, StatusSource)]
