"""What StudyBot needs of a channel it posts in, checked the same way by every feature."""

from __future__ import annotations

import discord

#: Channel types a scheduled post (and its discussion thread) can go in.
POSTABLE_TYPES = (discord.ChannelType.text, discord.ChannelType.news)

_POST_PERMISSIONS = (
    ("View Channel", "view_channel"),
    ("Send Messages", "send_messages"),
    ("Embed Links", "embed_links"),
)


def missing_post_permissions(channel: discord.abc.GuildChannel) -> list[str]:
    """The permissions StudyBot lacks to post embeds in `channel` (empty when it can)."""
    me = channel.guild.me
    if me is None:
        return []
    perms = channel.permissions_for(me)
    return [label for label, flag in _POST_PERMISSIONS if not getattr(perms, flag)]
