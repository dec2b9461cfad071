"""The permission model, table-driven over every command.

Admin commands all live under /admin, which Discord hides from members (default permissions:
Manage Server); the bot refuses them to members itself too, since a server can re-grant /admin
to anyone (Discord's default permissions bypassed here). An admin can only name what they have
authority over: a channel they can see and post in, a role they may ping. Members change only
their own progress, votes and data; nothing of one server is visible from another.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.checks import ADMIN_HINT, is_admin_command
from tests.conftest import BotHarness, World
from tests.engines import query
from tests.simulator import (
    EMBED_LINKS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    DiscordSimulator,
    SimMessage,
    SimValidationError,
)
from tests.simulator.models import CREATE_PUBLIC_THREADS, MENTION_EVERYONE

Options = Callable[[World], dict[str, Any]]

ADMIN_COMMANDS: dict[str, Options] = {
    "admin paper schedule": lambda w: {
        "channel": w.papers, "weekday": 0, "time": "18:00", "timezone": "Europe/Berlin",
    },
    "admin paper unschedule": lambda w: {"channel": w.papers},
    "admin kaggle subscribe": lambda w: {"channel": w.kaggle},
    "admin kaggle unsubscribe": lambda w: {"channel": w.kaggle},
    "admin status": lambda w: {},
}  # fmt: skip

MEMBER_COMMANDS: dict[str, Options] = {
    "help": lambda w: {},
    "topic": lambda w: {"section": "4.5"},
    "phase": lambda w: {"number": 4},
    "roadmap": lambda w: {},
    "path": lambda w: {},
    "resources": lambda w: {},
    "tips": lambda w: {},
    "search": lambda w: {"query": "attention"},
    "done": lambda w: {"section": "1.1"},
    "undo": lambda w: {"section": "1.1"},
    "progress": lambda w: {},
    "rank": lambda w: {},
    "who": lambda w: {"section": "1.1"},
    "privacy hide": lambda w: {},
    "privacy show": lambda w: {},
    "privacy export": lambda w: {},
    "privacy delete": lambda w: {},
    "paper suggest": lambda w: {"paper": "1706.03762"},
    "paper queue": lambda w: {},
    "paper vote": lambda w: {"paper": "1706.03762"},
    "paper current": lambda w: {},
    "paper read": lambda w: {},
    "kaggle list": lambda w: {},
}

REFUSAL = "You need the Manage Server permission"
MANAGE_GUILD_VALUE = str(1 << 5)


#: StudyBot's own bookkeeping: facts like the synced command hash, and the schema version.
BOOKKEEPING = {"meta", "schema_version"}


async def dump(harness: BotHarness) -> dict[str, list[str]]:
    """Every row of every table but the bot's own bookkeeping, on either engine.

    The tables come from the running bot's database (`tables()`), the rows straight from the
    engine; rows are compared as text, in a fixed order, since PostgreSQL promises none.
    """
    assert harness.bot is not None
    return {
        table: sorted(
            repr(row) for row in query(harness.settings.database, f'SELECT * FROM "{table}"')
        )
        for table in await harness.bot.db.tables()
        if table not in BOOKKEEPING
    }


@pytest.fixture
async def started(harness: BotHarness) -> BotHarness:
    """The bot started (the shared settings lift arXiv's 3-second spacing for the fake)."""
    await harness.start()
    return harness


async def test_the_admin_table_is_exactly_the_admin_commands(started: BotHarness) -> None:
    assert started.bot is not None
    admin = {c.qualified_name for c in started.bot.tree.walk_commands() if is_admin_command(c)}
    assert admin == set(ADMIN_COMMANDS)
    under_admin = {
        c.qualified_name
        for c in started.bot.tree.walk_commands()
        if c.qualified_name.startswith("admin ") and not hasattr(c, "commands")
    }
    assert under_admin == admin, "every admin command is under /admin, and checked"
    every = {
        c.qualified_name
        for c in started.bot.tree.walk_commands()
        if not hasattr(c, "commands")  # leaves only, not groups
    }
    assert every == set(ADMIN_COMMANDS) | set(MEMBER_COMMANDS), "a command is missing a row"


def carriers(option: dict[str, Any], path: str) -> list[str]:
    """The paths under a synced command whose definition carries default permissions."""
    found = [path] if "default_member_permissions" in option else []
    for sub in option.get("options") or []:
        found += carriers(sub, f"{path} {sub['name']}")
    return found


async def test_only_admin_carries_manage_server_and_no_subcommand_carries_permissions(
    started: BotHarness, sim: DiscordSimulator
) -> None:
    assert started.bot is not None
    sent = {c["name"]: c for c in started.bot.command_payload(None)}
    synced = {c["name"]: c for c in sim.global_commands}
    assert set(sent) == set(synced)
    for name, command in sent.items():
        want = MANAGE_GUILD_VALUE if name == "admin" else None
        got = command["default_member_permissions"]
        assert (None if got is None else str(got)) == want, name
        stored = synced[name]["default_member_permissions"]
        assert (None if stored is None else str(stored)) == want, name
        for sub in command["options"]:
            assert carriers(sub, f"{name} {sub['name']}") == []
    assert sent["admin"]["dm_permission"] is False
    assert {o["name"] for o in sent["admin"]["options"]} == {"paper", "kaggle", "status"}


async def test_discord_hides_admin_from_members_and_shows_it_to_admins(
    started: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    with pytest.raises(SimValidationError, match="Discord hides the command"):
        await sim.invoke(world.guild, world.alice, "admin status", {})
    res = await sim.invoke(world.guild, world.admin, "admin status", {})
    assert res.ephemeral and "Nothing is set up in this server yet" in res.text


@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
async def test_admin_commands_are_refused_to_members_by_the_bot_itself(
    started: BotHarness, world: World, sim: DiscordSimulator, command: str
) -> None:
    before = await dump(started)
    posted = len(sim.all_messages)
    res = await sim.invoke(
        world.guild, world.alice, command, ADMIN_COMMANDS[command](world),
        enforce_permissions=False,
    )  # fmt: skip
    assert res.ephemeral
    assert res.content == ADMIN_HINT
    assert await dump(started) == before, "a refused command stored something"
    assert [m for m in sim.all_messages[posted:] if not m.ephemeral] == []


@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
async def test_admin_commands_work_for_admins(
    started: BotHarness, world: World, sim: DiscordSimulator, command: str
) -> None:
    if command.endswith("unschedule"):
        await sim.invoke(
            world.guild,
            world.admin,
            "admin paper schedule",
            ADMIN_COMMANDS["admin paper schedule"](world),
        )
    if command.endswith("unsubscribe"):
        await sim.invoke(
            world.guild,
            world.admin,
            "admin kaggle subscribe",
            ADMIN_COMMANDS["admin kaggle subscribe"](world),
        )
    res = await sim.invoke(world.guild, world.admin, command, ADMIN_COMMANDS[command](world))
    assert res.ephemeral
    assert REFUSAL not in res.text
    assert "error code" not in res.text


async def test_the_dump_sees_what_an_accepted_command_stores(
    started: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    before = await dump(started)
    assert before, "the dump found no tables"
    await sim.invoke(world.guild, world.admin, "admin kaggle subscribe", {"channel": world.kaggle})
    after = await dump(started)
    changed = {table for table in after if after[table] != before.get(table)}
    assert "kaggle_subscriptions" in changed
    assert any(str(world.kaggle.id) in row for row in after["kaggle_subscriptions"])


Setup = Callable[[DiscordSimulator, World], dict[str, Any]]


def paper_options(world: World, **changes: Any) -> dict[str, Any]:
    """Valid /admin paper schedule options in the paper-club channel, with some changed."""
    return {**ADMIN_COMMANDS["admin paper schedule"](world), **changes}


def quiet_role(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """A role that is not mentionable, named by an admin without Mention Everyone."""
    return paper_options(world, role=sim.add_role(world.guild, "readers"))


def everyone_role(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """@everyone as the ping role."""
    return paper_options(world, role=world.guild.everyone)


def managed_role(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """The bot's own (managed) role as the ping role."""
    [bot_role] = [r for r in world.guild.roles if r.managed]
    return paper_options(world, role=bot_role)


def hidden_paper_channel(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """The paper channel, which the admin cannot see."""
    sim.set_channel_overwrite(world.papers, world.admin, deny=VIEW_CHANNEL)
    return paper_options(world)


def read_only_kaggle_channel(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """The Kaggle channel, where the admin may read but not post."""
    sim.set_channel_overwrite(world.kaggle, world.admin, deny=SEND_MESSAGES)
    return {"channel": world.kaggle}


def hidden_kaggle_channel(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """The Kaggle channel, which the admin cannot see."""
    sim.set_channel_overwrite(world.kaggle, world.admin, deny=VIEW_CHANNEL)
    return {"channel": world.kaggle}


def no_threads_for_the_bot(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """The paper channel, where StudyBot may not open threads."""
    sim.set_bot_permissions(world.papers, deny=CREATE_PUBLIC_THREADS)
    return paper_options(world)


def no_embeds_for_the_bot(sim: DiscordSimulator, world: World) -> dict[str, Any]:
    """The Kaggle channel, where StudyBot may not embed links."""
    sim.set_bot_permissions(world.kaggle, deny=EMBED_LINKS)
    return {"channel": world.kaggle}


AUTHORITY: dict[str, tuple[str, Setup, str]] = {
    "non-mentionable role, no Mention Everyone": (
        "admin paper schedule", quiet_role,
        "You can't ping the role readers: it isn't mentionable and you don't have Mention Everyone",
    ),
    "@everyone as the role": (
        "admin paper schedule", everyone_role, "Pick a role of readers to ping, not @everyone",
    ),
    "a managed role": (
        "admin paper schedule", managed_role, "The role StudyBot is managed by an integration",
    ),
    "paper channel the admin cannot see": (
        "admin paper schedule", hidden_paper_channel,
        "You can't post in {papers} yourself (you need View Channel and Send Messages there)",
    ),
    "Kaggle channel the admin cannot see": (
        "admin kaggle subscribe", hidden_kaggle_channel,
        "You can't post in {kaggle} yourself (you need View Channel and Send Messages there)",
    ),
    "Kaggle channel the admin cannot post in": (
        "admin kaggle subscribe", read_only_kaggle_channel,
        "You can't post in {kaggle} yourself (you need Send Messages there)",
    ),
    "bot lacks Create Public Threads": (
        "admin paper schedule", no_threads_for_the_bot,
        "StudyBot can't post in {papers}: it needs Create Public Threads there.",
    ),
    "bot lacks Embed Links": (
        "admin kaggle subscribe", no_embeds_for_the_bot,
        "StudyBot can't post in {kaggle}: it needs Embed Links there.",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(AUTHORITY))
async def test_admins_can_only_name_what_they_have_authority_over(
    started: BotHarness, world: World, sim: DiscordSimulator, case: str
) -> None:
    command, setup, message = AUTHORITY[case]
    options = setup(sim, world)
    before = await dump(started)
    posted = len(sim.all_messages)
    res = await sim.invoke(world.guild, world.admin, command, options)
    assert res.ephemeral
    expected = message.format(papers=world.papers.mention, kaggle=world.kaggle.mention)
    assert res.content.startswith(expected), res.content
    assert await dump(started) == before, "a refused command stored something"
    assert [m for m in sim.all_messages[posted:] if not m.ephemeral] == []


async def test_mention_everyone_lets_an_admin_name_a_non_mentionable_role(
    started: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    pinger = sim.add_member(world.guild, "pinger", permissions=MENTION_EVERYONE, admin=True)
    options = quiet_role(sim, world)
    res = await sim.invoke(world.guild, pinger, "admin paper schedule", options)
    assert res.ephemeral and "📄 Scheduled" in res.content
    assert f"pinging {options['role'].mention}" in res.content


@pytest.mark.parametrize("command", sorted(MEMBER_COMMANDS))
async def test_member_commands_are_open_to_every_member(
    started: BotHarness, world: World, sim: DiscordSimulator, command: str
) -> None:
    res = await sim.invoke(world.guild, world.bob, command, MEMBER_COMMANDS[command](world))
    assert REFUSAL not in res.text
    assert "error code" not in res.text


def danger_button(message: SimMessage) -> str:
    """The custom id of a message's destructive (red) button."""
    return next(b["custom_id"] for b in message.buttons() if b.get("style") == 4)


async def test_members_change_only_their_own_data(
    started: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    g, alice, bob = world.guild, world.alice, world.bob
    await sim.invoke(g, alice, "done", {"section": "4.5"})
    await sim.invoke(g, alice, "paper suggest", {"paper": "1706.03762"})
    await sim.invoke(g, alice, "paper vote", {"paper": "1706.03762"})

    res = await sim.invoke(g, bob, "undo", {"section": "4.5"})
    assert res.ephemeral
    assert "isn't marked done, so there was nothing to undo" in res.content
    res = await sim.invoke(g, bob, "privacy delete", {})
    await sim.click(g, bob, res.message, danger_button(res.message))

    who = await sim.invoke(g, bob, "who", {"section": "4.5"})
    assert "Alice" in who.text
    queue = await sim.invoke(g, bob, "paper queue", {})
    assert "Attention Is All You Need" in queue.text
    assert "1 vote" in queue.text
    export = await sim.invoke(g, alice, "privacy export", {})
    body = export.attachments[0][1].decode()
    assert "4.5" in body and "1706.03762" in body


async def test_nothing_of_one_server_is_visible_from_another(
    started: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    g, other = world.guild, world.other_guild
    await sim.invoke(g, world.alice, "done", {"section": "4.5"})
    await sim.invoke(g, world.alice, "paper suggest", {"paper": "1512.03385"})
    carol = world.carol

    board = await sim.invoke(other, carol, "progress", {})
    assert "Alice" not in board.text
    who = await sim.invoke(other, carol, "who", {"section": "4.5"})
    assert "Alice" not in who.text
    queue = await sim.invoke(other, carol, "paper queue", {})
    assert "Deep Residual Learning" not in queue.text
    choices = await sim.autocomplete(other, carol, "paper vote", {"paper": ""}, focused="paper")
    assert all("Residual" not in c["name"] for c in choices)
    export = await sim.invoke(other, carol, "privacy export", {})
    body = export.attachments[0][1].decode()
    assert str(world.alice.id) not in body and "4.5" not in body
    rank = await sim.invoke(other, carol, "rank", {"member": world.alice}, unchecked=True)
    assert "error code" not in rank.text
    assert "4.5" not in rank.text or rank.ephemeral
