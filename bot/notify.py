"""Telling a server's admins about a problem once: system channel first, else a DM.

`pause_and_notify` is the one path every feature takes when its scheduled work in a server
has to stop (a deleted channel, a lost permission, a post that could not be sent): the pause
is recorded first, and only the call that actually paused tells the admins, so they hear of it
once however many runs or processes meet the problem.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

log = logging.getLogger(__name__)


async def notify_admins(
    client: discord.Client, guild_id: int, text: str, *, fallback_user_id: int | None = None
) -> bool:
    """Post `text` in the guild's system channel, else DM `fallback_user_id`; True if sent."""
    budget = getattr(client, "budget", None)
    guild = client.get_guild(guild_id)
    channel = guild.system_channel if guild is not None else None
    if channel is not None:
        try:
            if budget is not None:
                await budget.acquire()
            await channel.send(text, allowed_mentions=discord.AllowedMentions.none())
            return True
        except discord.HTTPException as exc:
            log.info("system channel of guild %s refused a notice: %s", guild_id, exc.status)
    if fallback_user_id is not None:
        try:
            user = client.get_user(fallback_user_id) or await client.fetch_user(fallback_user_id)
            if budget is not None:
                await budget.acquire()
            await user.send(text, allowed_mentions=discord.AllowedMentions.none())
            return True
        except discord.HTTPException as exc:
            log.info("could not DM user %s about guild %s: %s", fallback_user_id, guild_id, exc)
    log.warning("no way to tell the admins of guild %s: %s", guild_id, text)
    return False


async def pause_and_notify(
    client: discord.Client,
    *,
    guild_id: int,
    pause: Callable[[], Awaitable[bool]] | None,
    text: str,
    fallback_user_id: int | None = None,
) -> bool:
    """Record a pause (None: nothing to pause) and, if this call paused it, tell the admins."""
    if pause is not None and not await pause():
        return False
    log.info("guild %s: %s", guild_id, text)
    if client.is_ready() and client.get_guild(guild_id) is None:
        return False  # StudyBot left that server: there is nobody there to tell
    return await notify_admins(client, guild_id, text, fallback_user_id=fallback_user_id)
