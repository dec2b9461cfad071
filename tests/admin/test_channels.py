"""The one "can StudyBot and the invoker post here" check, also when the cache lacks StudyBot."""

from __future__ import annotations

import discord

from bot.channels import missing_post_permissions
from tests.conftest import BotHarness, World
from tests.simulator import EMBED_LINKS, DiscordSimulator


async def test_without_its_own_member_cached_the_bot_fetches_it_and_still_checks(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.me is not None
    guild._remove_member(guild.me)  # a cache that lost StudyBot's own member
    assert guild.me is None
    # (discord.py then puts in a stand-in without roles when an interaction arrives)
    channel = guild.get_channel(world.kaggle.id)
    assert isinstance(channel, discord.TextChannel)
    # Nothing can be confirmed without the member, so nothing passes.
    assert missing_post_permissions(channel) == ["View Channel", "Send Messages", "Embed Links"]

    # Denied through StudyBot's role: a member without roles would seem allowed.
    [bot_role] = [r for r in world.guild.roles if r.managed]
    sim.set_channel_overwrite(world.kaggle, bot_role, deny=EMBED_LINKS)
    seen = len(sim.requests)
    res = await sim.invoke(
        world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle}
    )
    assert res.ephemeral
    assert res.content.startswith(
        f"StudyBot can't post in {world.kaggle.mention}: it needs Embed Links there."
    )
    fetched = [
        r
        for r in sim.requests[seen:]
        if r.method == "GET"
        and r.path.endswith(f"/guilds/{world.guild.id}/members/{sim.bot_user.id}")
    ]
    assert len(fetched) == 1, sim.requests[seen:]
    me = guild.me
    assert me is not None and me.joined_at is None, "discord.py's stand-in is still cached"
    rows = await bot.db.fetch_all("SELECT id FROM kaggle_subscriptions", ())
    assert rows == []

    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule",
        {"channel": world.papers, "weekday": 1, "time": "18:00", "timezone": "Europe/Berlin"},
    )  # fmt: skip
    assert res.ephemeral and res.content.startswith("📄 Scheduled"), res.content
