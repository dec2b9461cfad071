"""The permission model, table-driven over every command.

Admin-only commands are refused to members without Manage Server by the bot itself, even when
invoked directly (Discord's default permissions bypassed); members change only their own
progress, votes and data; nothing of one server is visible from another.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.checks import is_admin_command
from tests.conftest import BotHarness, World
from tests.simulator import DiscordSimulator, SimMessage

Options = Callable[[World], dict[str, Any]]

ADMIN_COMMANDS: dict[str, Options] = {
    "admin paper schedule": lambda w: {
        "channel": w.papers, "weekday": 0, "time": "18:00", "timezone": "Europe/Berlin",
    },
    "admin paper unschedule": lambda w: {"channel": w.papers},
    "admin kaggle subscribe": lambda w: {"channel": w.kaggle},
    "admin kaggle unsubscribe": lambda w: {"channel": w.kaggle},
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


def dump(path: Path) -> list[str]:
    """Every row of every table but the bot's own bookkeeping, as SQL text."""
    with sqlite3.connect(path) as conn:
        return [line for line in conn.iterdump() if 'INSERT INTO "meta"' not in line]


@pytest.fixture
async def started(harness: BotHarness) -> BotHarness:
    """The bot with arXiv's 3-second spacing lifted for the fake."""
    harness.options = {"arxiv_min_interval": 0}
    await harness.start()
    return harness


async def test_the_admin_table_is_exactly_the_admin_commands(started: BotHarness) -> None:
    assert started.bot is not None
    admin = {c.qualified_name for c in started.bot.tree.walk_commands() if is_admin_command(c)}
    assert admin == set(ADMIN_COMMANDS)
    every = {
        c.qualified_name
        for c in started.bot.tree.walk_commands()
        if not hasattr(c, "commands")  # leaves only, not groups
    }
    assert every == set(ADMIN_COMMANDS) | set(MEMBER_COMMANDS), "a command is missing a row"


@pytest.mark.parametrize("command", sorted(ADMIN_COMMANDS))
async def test_admin_commands_are_refused_to_members_by_the_bot_itself(
    started: BotHarness, world: World, sim: DiscordSimulator, command: str
) -> None:
    before = dump(started.settings.database)
    posted = len(sim.all_messages)
    res = await sim.invoke(
        world.guild, world.alice, command, ADMIN_COMMANDS[command](world),
        enforce_permissions=False,
    )  # fmt: skip
    assert res.ephemeral
    assert REFUSAL in res.content
    assert dump(started.settings.database) == before, "a refused command stored something"
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
    assert REFUSAL not in res.text
    assert "error code" not in res.text


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
    assert res.ephemeral or "not" in res.text.lower()
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
