"""Telling a server's admins about a problem once: system channel first, else a DM."""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)


async def notify_admins(
    client: discord.Client, guild_id: int, text: str, *, fallback_user_id: int | None = None
) -> bool:
    """Post `text` in the guild's system channel, else DM `fallback_user_id`; True if sent."""
    guild = client.get_guild(guild_id)
    channel = guild.system_channel if guild is not None else None
    if channel is not None:
        try:
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            return True
        except discord.HTTPException as exc:
            log.info("system channel of guild %s refused a notice: %s", guild_id, exc.status)
    if fallback_user_id is not None:
        try:
            user = client.get_user(fallback_user_id) or await client.fetch_user(fallback_user_id)
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
            return True
        except discord.HTTPException as exc:
            log.info("could not DM user %s about guild %s: %s", fallback_user_id, guild_id, exc)
    log.warning("no way to tell the admins of guild %s: %s", guild_id, text)
    return False
