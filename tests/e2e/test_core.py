"""The bot core end to end: login, sync, /help and the one error path."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import UserFacingError
from bot.settings import Settings
from tests.conftest import BotHarness, ErrorLog, World
from tests.engines import query
from tests.simulator import DiscordSimulator


class Faulty(commands.Cog):
    """Commands that fail on purpose, to prove the error path."""

    @app_commands.command(name="oops", description="Fails with a user error")
    async def oops(self, interaction: discord.Interaction) -> None:
        raise UserFacingError("That section does not exist. Try /topic 4.5.")

    @app_commands.command(name="boom", description="Fails unexpectedly")
    async def boom(self, interaction: discord.Interaction) -> None:
        raise RuntimeError("database exploded")

    @app_commands.command(name="late-boom", description="Fails after deferring")
    async def late_boom(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        raise KeyError("gone")


async def test_bot_logs_in_syncs_once_and_answers_help(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    assert bot.synced_commands
    names = {c["name"] for c in sim.global_commands}
    assert "help" in names
    # every command is guild-only
    assert all(c.get("contexts") == [0] for c in sim.global_commands)

    res = await sim.invoke(world.guild, world.alice, "help", {})
    assert res.ephemeral
    assert "Machine Learning Mastery Roadmap" in res.text
    assert "/help" in res.text

    syncs = sim.command_syncs
    bot = await harness.restart()
    assert not bot.synced_commands, "an unchanged command tree must not be synced again"
    assert sim.command_syncs == syncs
    res = await sim.invoke(world.guild, world.bob, "help", {})
    assert "/help" in res.text


async def test_the_bot_keeps_its_facts_in_the_database_under_test(
    harness: BotHarness, settings: Settings, engine: str
) -> None:
    bot = await harness.start()
    assert bot.db.dialect == engine
    # The synced command tree's hash is what lets a restart skip the sync: it is stored.
    [(key, digest)] = query(
        settings.database, "SELECT key, value FROM meta WHERE key LIKE 'command_hash:%'"
    )
    assert key.endswith(":global") and len(digest) == 64


async def test_help_lists_every_registered_command(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.extra_cogs = [Faulty()]
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "help", {})
    for command in sim.global_commands:
        assert f"/{command['name']}" in res.text
    fields = {f["name"]: f["value"] for e in res.embeds for f in e.get("fields", [])}
    assert {
        "Roadmap lookup", "Group progress", "Weekly paper club", "Kaggle challenges", "Your data"
    } <= set(fields)  # fmt: skip
    paper_usage = "`/admin paper schedule channel weekday time timezone [role]`"
    assert paper_usage in fields["Weekly paper club"]
    admin_lines = [line for v in fields.values() for line in v.splitlines() if "(admins)" in line]
    assert sorted(" ".join(line.split("`")[1].split()[:3]) for line in admin_lines) == [
        "/admin kaggle subscribe", "/admin kaggle unsubscribe", "/admin paper schedule",
        "/admin paper unschedule", "/admin status",
    ]  # fmt: skip
    privacy = [line.split("`")[1] for line in fields["Your data"].splitlines()]
    assert privacy == ["/privacy hide", "/privacy show", "/privacy export", "/privacy delete"]
    assert "/privacy" not in fields["Group progress"]


async def test_user_error_is_ephemeral_and_not_logged(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    harness.extra_cogs = [Faulty()]
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "oops", {})
    assert res.ephemeral
    assert res.content == "That section does not exist. Try /topic 4.5."
    assert error_log.records == []
    assert sim.messages_in(world.general) == []


async def test_unexpected_error_shows_a_code_that_is_logged(
    harness: BotHarness, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    harness.extra_cogs = [Faulty()]
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "boom", {})
    assert res.ephemeral
    assert "error code" in res.content
    code = res.content.split("`")[1]
    assert len(code) == 6
    logged = [r for r in error_log.records if code in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].levelno == logging.ERROR
    assert logged[0].exc_info is not None and "database exploded" in str(logged[0].exc_info[1])
    assert "database exploded" not in res.content

    res = await sim.invoke(world.guild, world.alice, "late-boom", {})
    assert res.deferred
    await res.wait_followups(1, timeout=5)
    assert res.message is None or res.message.deleted
    assert len(res.followups) == 1
    assert res.followups[0].ephemeral
    assert "error code" in res.followups[0].content
    error_log.records.clear()
