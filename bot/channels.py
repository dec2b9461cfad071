"""The channels StudyBot posts in: one option type and one "who can post here" check.

Every feature that posts in a channel an admin names (the paper of the week, Kaggle posts, and
later the digest and boards) takes it through `PostChannelOption` and checks it with
`check_post_channel`, and `/admin status` reports problems with `channel_problem`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from bot.errors import UserFacingError

log = logging.getLogger(__name__)

#: Channel types a scheduled post (and its discussion thread) can go in.
POSTABLE_TYPES = (discord.ChannelType.text, discord.ChannelType.news)

#: (label shown to admins, discord.Permissions flag)
Need = tuple[str, str]

#: What StudyBot needs to post an embed.
BOT_POST: tuple[Need, ...] = (
    ("View Channel", "view_channel"),
    ("Send Messages", "send_messages"),
    ("Embed Links", "embed_links"),
)
#: What StudyBot needs besides to open a discussion thread on its post and write in it.
BOT_THREADS: tuple[Need, ...] = (
    ("Create Public Threads", "create_public_threads"),
    ("Send Messages in Threads", "send_messages_in_threads"),
)
#: What the invoker needs to name a channel: they must be able to see it and post in it.
MEMBER_POST: tuple[Need, ...] = (
    ("View Channel", "view_channel"),
    ("Send Messages", "send_messages"),
)

_TYPE_NAMES = {
    discord.ChannelType.voice: "a voice channel",
    discord.ChannelType.stage_voice: "a stage channel",
    discord.ChannelType.category: "a category",
    discord.ChannelType.forum: "a forum",
    discord.ChannelType.media: "a media channel",
    discord.ChannelType.public_thread: "a thread",
    discord.ChannelType.private_thread: "a thread",
    discord.ChannelType.news_thread: "a thread",
}
CHANNEL_HINT = "Pick one of this server's text or announcement channels."


def bot_needs(*, threads: bool) -> tuple[Need, ...]:
    """What StudyBot needs in a channel: posting, and opening threads when `threads`."""
    return BOT_POST + BOT_THREADS if threads else BOT_POST


def lacking(perms: discord.Permissions, needs: tuple[Need, ...]) -> list[str]:
    """The labels of the needed permissions that `perms` does not grant."""
    return [label for label, flag in needs if not getattr(perms, flag)]


def missing_post_permissions(
    channel: discord.abc.GuildChannel, *, threads: bool = False
) -> list[str]:
    """The permissions StudyBot lacks to post embeds in `channel` (empty when it can).

    When StudyBot's own member is not in the guild cache nothing can be confirmed, so every
    needed permission counts as missing (`bot_member` fetches it, where you can await).
    """
    needs = bot_needs(threads=threads)
    me = known_member(channel.guild)
    if me is None:
        return [label for label, _ in needs]
    return lacking(channel.permissions_for(me), needs)


def known_member(guild: discord.Guild) -> discord.Member | None:
    """StudyBot's own member as Discord sent it, or None when the cache holds none.

    When an interaction arrives and the cache has no member for the bot, discord.py puts in a
    stand-in without roles (and without a join date); its permissions would be @everyone's,
    not StudyBot's, so it does not count.
    """
    me = guild.me
    if me is None or me.joined_at is None:
        return None
    return me


async def bot_member(guild: discord.Guild, client: discord.Client) -> discord.Member:
    """StudyBot's own member in `guild`: from the cache, else fetched from Discord."""
    me = known_member(guild)
    if me is not None:
        return me
    if client.user is None:
        raise RuntimeError("the client is not logged in")
    log.info("own member of guild %s not cached; fetching it", guild.id)
    return await guild.fetch_member(client.user.id)


@dataclass(frozen=True)
class PostAccess:
    """What the invoker and StudyBot may do in a channel that passed `check_post_channel`."""

    invoker: discord.Permissions
    bot: discord.Permissions


async def check_post_channel(
    interaction: discord.Interaction[Any], channel: discord.TextChannel, *, threads: bool
) -> PostAccess:
    """Refuse a channel the invoker cannot see and post in, or StudyBot cannot post in.

    `threads`: the feature opens a discussion thread on its posts, so StudyBot also needs
    Create Public Threads and Send Messages in Threads there.
    """
    member = interaction.user
    if not isinstance(member, discord.Member):
        raise UserFacingError("StudyBot's commands work inside a server, not in direct messages.")
    mine = channel.permissions_for(member)
    missing = lacking(mine, MEMBER_POST)
    if missing:
        raise UserFacingError(
            f"You can't post in {channel.mention} yourself (you need {_and(missing)} there), "
            "so StudyBot won't post there for you. Pick a channel you can post in."
        )
    try:
        me = await bot_member(channel.guild, interaction.client)
    except discord.HTTPException as exc:
        log.warning("could not fetch own member of guild %s: HTTP %s", channel.guild.id, exc.status)
        raise UserFacingError(
            "StudyBot couldn't read its own permissions in this server just now, so it can't "
            "tell whether it may post there. Try again in a minute."
        ) from None
    theirs = channel.permissions_for(me)
    missing = lacking(theirs, bot_needs(threads=threads))
    if missing:
        command = interaction.command.qualified_name if interaction.command else "the command"
        grant = "that" if len(missing) == 1 else "them"
        raise UserFacingError(
            f"StudyBot can't post in {channel.mention}: it needs {_and(missing)} there. "
            f"Grant {grant} in the channel's permissions, then run `/{command}` again."
        )
    return PostAccess(invoker=mine, bot=theirs)


async def channel_problem(
    guild: discord.Guild, channel_id: int, client: discord.Client, *, threads: bool
) -> str | None:
    """What stops StudyBot posting in a channel of `guild` now, in words; None if nothing."""
    channel = guild.get_channel(channel_id)
    if channel is None:
        return "the channel no longer exists"
    if not isinstance(channel, discord.TextChannel):
        return "it is no longer a text channel"
    try:
        me = await bot_member(guild, client)
    except discord.HTTPException:
        return "StudyBot could not read its own permissions in this server"
    missing = lacking(channel.permissions_for(me), bot_needs(threads=threads))
    return f"StudyBot lacks {_and(missing)} there" if missing else None


def _and(labels: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(labels) <= 1:
        return "".join(labels)
    return f"{', '.join(labels[:-1])} and {labels[-1]}"


class PostChannel(app_commands.Transformer):
    """A text or announcement channel of the server the command runs in.

    Discord's `channel_types` filter only shapes the client's picker; a stale command or a
    hand-made request can send any channel, so the bot checks the type and the server itself.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        """A channel option."""
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        """Discord offers text and announcement channels only."""
        return list(POSTABLE_TYPES)

    async def transform(
        self, interaction: discord.Interaction[Any], value: Any, /
    ) -> discord.TextChannel:
        """The cached channel of this server, or a user error saying what to pick instead."""
        guild = interaction.guild
        channel_id = getattr(value, "id", None)
        # discord.py stamps resolved channels with the interaction's guild, so where a channel
        # really lives is read from the bot's own cache of this server.
        channel = (
            guild.get_channel_or_thread(channel_id)
            if guild is not None and isinstance(channel_id, int)
            else None
        )
        if channel is None:
            raise UserFacingError(f"That channel is not in this server. {CHANNEL_HINT}")
        if channel.type not in POSTABLE_TYPES or not isinstance(channel, discord.TextChannel):
            kind = _TYPE_NAMES.get(channel.type, "not a text channel")
            raise UserFacingError(
                f"{channel.mention} is {kind}: StudyBot posts need a text or announcement "
                f"channel. {CHANNEL_HINT}"
            )
        return channel


#: The channel option of every command that names a channel for StudyBot to post in.
PostChannelOption = app_commands.Transform[discord.TextChannel, PostChannel]
