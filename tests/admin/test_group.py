"""The one /admin command: features hang their own subgroups on it, all hidden and checked."""

from __future__ import annotations

from typing import Any

from discord import app_commands

from bot.checks import ADMIN_HINT, is_admin_command
from tests.admin.conftest import ADMIN_COGS, admin_status
from tests.conftest import BotHarness, World
from tests.simulator import DiscordSimulator

DIGEST = "tests.admin.digest_feature"


def admin_children(harness: BotHarness) -> set[str]:
    """The names directly under /admin in the bot's command tree (empty without /admin)."""
    assert harness.bot is not None
    group = harness.bot.tree.get_command("admin")
    return {c.name for c in group.commands} if isinstance(group, app_commands.Group) else set()


def help_fields(text_embeds: list[dict[str, Any]]) -> dict[str, str]:
    """/help's fields by feature title."""
    return {f["name"]: f["value"] for e in text_embeds for f in e.get("fields", [])}


async def test_a_feature_attaches_its_admin_subgroup_from_its_own_package(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = (*ADMIN_COGS, DIGEST)
    bot = await harness.start()
    [admin] = [c for c in sim.global_commands if c["name"] == "admin"]
    assert {o["name"] for o in admin["options"]} == {"paper", "kaggle", "status", "digest"}
    assert str(admin["default_member_permissions"]) == "32"
    [digest] = [o for o in admin["options"] if o["name"] == "digest"]
    assert "default_member_permissions" not in digest
    preview = next(
        c for c in bot.tree.walk_commands() if c.qualified_name == "admin digest preview"
    )
    assert is_admin_command(preview), "attach gives every command the bot's own check"

    # Re-granted to a member in Integrations: the bot refuses, and the command never ran.
    res = await sim.invoke(
        world.guild, world.alice, "admin digest preview", {}, enforce_permissions=False
    )
    assert res.ephemeral and res.content == ADMIN_HINT
    res = await sim.invoke(world.guild, world.admin, "admin digest preview", {})
    assert res.ephemeral and res.content == "Digest preview #1"

    fields = help_fields((await sim.invoke(world.guild, world.alice, "help", {})).embeds)
    assert fields["Weekly digest"] == (
        "`/admin digest preview` — The digest as it would be posted now *(admins)*"
    )
    [status] = (await admin_status(sim, world)).embeds
    assert "**Weekly digest**\n• 1 previews shown" in status["description"]


async def test_help_lists_admin_commands_last_under_their_own_feature(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await harness.start()
    fields = help_fields((await sim.invoke(world.guild, world.bob, "help", {})).embeds)
    papers = fields["Weekly paper club"].splitlines()
    assert papers[-2:] == [
        "`/admin paper schedule channel weekday time timezone [role]` — Post a paper of the "
        "week in a channel *(admins)*",
        "`/admin paper unschedule channel` — Stop the paper of the week in a channel *(admins)*",
    ]
    assert all("(admins)" not in line for line in papers[:-2])
    assert all(line.startswith("`/paper ") for line in papers[:-2])
    kaggle = fields["Kaggle challenges"].splitlines()
    assert kaggle[0].startswith("`/kaggle list` — ")
    assert [line.split("`")[1] for line in kaggle[1:]] == [
        "/admin kaggle subscribe channel [category]",
        "/admin kaggle unsubscribe channel",
    ]
    assert fields["Server admin"] == (
        "`/admin status` — Everything StudyBot is set up to do in this server, and what needs "
        "fixing *(admins)*"
    )


async def test_unloading_a_feature_takes_its_subgroup_off_admin(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = (*ADMIN_COGS, DIGEST)
    bot = await harness.start()
    assert admin_children(harness) == {"paper", "kaggle", "status", "digest"}
    await bot.unload_extension(DIGEST)
    assert admin_children(harness) == {"paper", "kaggle", "status"}
    await bot.reload_extension("cogs.admin")
    assert admin_children(harness) == {"paper", "kaggle", "status"}
    for name in ("cogs.papers", "cogs.kaggle"):
        await bot.unload_extension(name)
    assert admin_children(harness) == {"status"}
    await bot.unload_extension("cogs.admin")
    assert bot.tree.get_command("admin") is None, "an empty /admin is not left behind"


async def test_a_feature_without_the_admin_cog_still_gets_its_admin_commands(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = ("cogs.papers",)
    await harness.start()
    assert admin_children(harness) == {"paper"}
    [admin] = [c for c in sim.global_commands if c["name"] == "admin"]
    assert str(admin["default_member_permissions"]) == "32"
    res = await sim.invoke(
        world.guild,
        world.alice,
        "admin paper unschedule",
        {"channel": world.papers},
        enforce_permissions=False,
    )
    assert res.ephemeral and res.content == ADMIN_HINT
