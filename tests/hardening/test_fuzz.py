"""Property-based fuzzing of every registered command through the simulator.

Hypothesis generates interactions for every slash command and option the bot registered —
sections, periods, members, channels of the wrong type, times, time zones, weekdays, arXiv ids
and URLs, categories, huge, empty and odd Unicode strings, markdown, `@everyone`, ids of other
servers — and sends them to the running bot. Every interaction must be answered within
Discord's 3-second window, never through the unexpected-error path, and nothing the bot sends
may ping anyone. `STUDYBOT_FUZZ_EXAMPLES` sets the number of interactions (the CI profile runs
2,000; the long profile more). It runs once per storage engine.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import FakeClock
from bot.settings import Settings
from tests.conftest import START, BotHarness, ErrorLog
from tests.engines import Target
from tests.fakes.arxiv import FakeArxiv
from tests.profile import scaled
from tests.simulator import (
    DiscordSimulator,
    SimChannel,
    SimGuild,
    SimMessage,
    SimRole,
    SimUser,
    SimValidationError,
    use_simulator,
)

PING = re.compile(r"@everyone|@here|<@[!&]?\d+>")
EXAMPLES = int(os.environ.get("STUDYBOT_FUZZ_EXAMPLES", str(scaled(2000, 20000))))
WINDOW = 3.0

SUB_COMMAND, SUB_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)

INTERESTING = [
    "4.5",
    "2.2",
    "7.4",
    "1.1",
    "9.9",
    "0.0",
    "4.",
    ".5",
    "4.5.6",
    "-1",
    "30",
    "7",
    "3",
    "transformer",
    "pandas",
    "svm",
    "gan",
    "docker",
    "prophet",
    "attention",
    "kaggle",
    "week",
    "month",
    "all",
    "featured",
    "research",
    "playground",
    "getting-started",
    "monday",
    "Sunday",
    "8",
    "18:00",
    "02:30",
    "25:00",
    "12:60",
    "noon",
    "9:5",
    "Europe/Berlin",
    "America/New_York",
    "UTC",
    "Mars/Olympus",
    "../etc/passwd",
    "UTC+3",
    "1706.03762",
    "1706.03762v7",
    "arXiv:1512.03385",
    "https://arxiv.org/abs/1810.04805v2",
    "http://arxiv.org/pdf/2005.14165.pdf",
    "hep-th/9901001",
    "9999.99999",
    "arxiv.org/abs/",
    "https://example.com/paper.pdf",
    "javascript:alert(1)",
    "@everyone",
    "@here",
    "<@1>",
    "<@&1>",
    "<#1>",
    "**bold** __under__ `code` ||spoiler||",
    "# Heading\n> quote\n- list",
    "```py\nprint(1)\n```",
    "[link](https://evil.example)",
    "",
    " ",
    "\u200b",
    "\u202eevil",
    "\x00",
    "🙂" * 40,
    "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǧ̗͚̚o̙̔ͮ̇͐̇",
    "ﷺ" * 30,
    "a" * 5000,
    "4.5" * 1000,
]

text_values = st.one_of(
    st.sampled_from(INTERESTING),
    st.text(max_size=60),
    st.text(min_size=200, max_size=5000),
    st.from_regex(r"[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True),
)


@dataclass
class Fuzzing:
    """The running world the fuzzer talks to, and what it saw."""

    sim: DiscordSimulator
    harness: BotHarness
    guild: SimGuild
    other: SimGuild
    members: dict[int, list[SimUser]]
    channels: list[SimChannel]
    roles: list[SimRole]
    users: list[SimUser]
    leaves: list[tuple[str, list[dict[str, Any]]]]
    errors: ErrorLog
    # Roles a /paper schedule was explicitly given as its ping role: the only roles a message
    # may ping (and then only in the role's own server).
    ping_roles: dict[int, SimRole] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)
    rejected_by_sim: Counter[str] = field(default_factory=Counter)
    slowest: float = 0.0


def leaf_commands(commands: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Every invocable command path with its options."""
    leaves = []
    for command in commands:
        if command.get("type", 1) != 1:
            continue
        options = command.get("options") or []
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_GROUP)]
        if not subs:
            leaves.append((command["name"], options))
        for sub in subs:
            if sub["type"] == SUB_COMMAND:
                leaves.append((f"{command['name']} {sub['name']}", sub.get("options") or []))
            else:
                for leaf in sub.get("options") or []:
                    path = f"{command['name']} {sub['name']} {leaf['name']}"
                    leaves.append((path, leaf.get("options") or []))
    return leaves


def draw_value(data: st.DataObject, spec: dict[str, Any], world: Fuzzing) -> Any:
    """A value for one option: valid, borderline or hostile."""
    kind = spec["type"]
    choices = spec.get("choices")
    if choices and kind in (STRING, INTEGER, NUMBER) and data.draw(st.integers(0, 9)) > 0:
        return data.draw(st.sampled_from([c["value"] for c in choices]))
    if kind == STRING:
        return data.draw(text_values)
    if kind == INTEGER:
        return data.draw(st.one_of(st.integers(-3, 40), st.integers(-(2**53), 2**53)))
    if kind == NUMBER:
        return data.draw(st.floats(allow_nan=False, allow_infinity=False, width=32))
    if kind == BOOLEAN:
        return data.draw(st.booleans())
    if kind == USER:
        return data.draw(st.sampled_from(world.users))
    if kind == CHANNEL:
        return data.draw(st.sampled_from(world.channels))
    if kind == ROLE:
        return data.draw(st.sampled_from(world.roles))
    if kind == MENTIONABLE:
        return data.draw(st.sampled_from([*world.users, *world.roles]))
    return None


async def fuzz_one(world: Fuzzing, data: st.DataObject) -> None:
    """Send one generated interaction and check what came back."""
    guild = data.draw(st.sampled_from([world.guild, world.guild, world.other]))
    user = data.draw(st.sampled_from(world.members[guild.id]))
    channels = [c for c in guild.channels if c.type == 0]
    channel = data.draw(st.sampled_from(channels))
    path, specs = data.draw(st.sampled_from(world.leaves))
    options: dict[str, Any] = {}
    for spec in specs:
        if spec["type"] == ATTACHMENT:
            continue
        if spec.get("required") or data.draw(st.booleans()):
            options[spec["name"]] = draw_value(data, spec, world)
    autocompletable = [s["name"] for s in specs if s.get("autocomplete")]
    if autocompletable and data.draw(st.integers(0, 3)) == 0:
        focused = data.draw(st.sampled_from(autocompletable))
        options.setdefault(focused, data.draw(text_values))
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            choices = await world.sim.autocomplete(guild, user, path, options, focused, channel)
        except SimValidationError:
            world.rejected_by_sim[path] += 1
            return
        elapsed = loop.time() - started
        world.slowest = max(world.slowest, elapsed)
        assert elapsed < WINDOW, f"autocomplete /{path} took {elapsed:.2f}s"
        assert len(choices) <= 25
        assert all(1 <= len(c["name"]) <= 100 for c in choices)
        world.sent[f"{path} (autocomplete)"] += 1
        return
    try:
        res = await world.sim.invoke(
            guild, user, path, options, channel, enforce_permissions=False, unchecked=True
        )
    except SimValidationError:
        world.rejected_by_sim[path] += 1
        return
    world.sent[path] += 1
    if path.endswith("paper schedule") and isinstance(options.get("role"), SimRole):
        world.ping_roles[options["role"].id] = options["role"]
    world.slowest = max(world.slowest, res.latency)
    assert res.latency < WINDOW, f"/{path} {options!r} answered after {res.latency:.2f}s"
    assert "error code" not in res.text, f"/{path} {options!r} hit an unexpected error: {res.text}"
    if res.ephemeral and not res.embeds and not res.attachments:
        assert len(res.content.strip()) >= 10, f"/{path} gave a bare reply: {res.content!r}"


def assert_no_pings(
    messages: Iterable[SimMessage], bot_id: int, ping_roles: dict[int, SimRole]
) -> None:
    """No message the bot sent could mention anyone but a role it was given as a ping role.

    A ping role counts only in its own server, and never when it is @everyone (whose role id
    is the server's id): @everyone and @here are never pinged, whatever the bot was given.
    """
    for message in messages:
        if message.author_id != bot_id:
            continue
        mentions = message.allowed_mentions
        if mentions is None:
            # Discord parses every mention in content sent without allowed_mentions.
            assert not PING.search(message.content), f"unguarded ping: {message.content!r}"
            continue
        parse = mentions.get("parse", [])
        assert "everyone" not in parse and "users" not in parse, mentions
        assert not mentions.get("users"), mentions
        if "roles" in parse:
            raise AssertionError(f"role pings allowed wholesale: {mentions}")
        allowed = {
            str(role.id)
            for role in ping_roles.values()
            if role.guild_id == message.guild_id and role.id != message.guild_id
        }
        pinged = {str(role) for role in mentions.get("roles", [])}
        assert str(message.guild_id) not in pinged, f"@everyone pinged: {mentions}"
        assert pinged <= allowed, f"pinged {pinged - allowed}, allowed only {allowed}"


async def start_world(database: Target, errors: ErrorLog) -> tuple[Fuzzing, FakeArxiv]:
    """Start the simulator, fake arXiv and the bot with two servers."""
    sim = DiscordSimulator(token="fuzz-token")
    await sim.start()
    arxiv = FakeArxiv()
    await arxiv.start()
    guild = sim.add_guild("Study Group")
    for name in ("paper-club", "kaggle"):
        sim.add_channel(guild, name)
    sim.add_channel(guild, "Study Room", type=2)
    sim.add_channel(guild, "Stage", type=13)
    sim.add_channel(guild, "Forum", type=15)
    readers = sim.add_role(guild, "readers")
    alice = sim.add_member(guild, "alice", global_name="@everyone **Alice**")
    bob = sim.add_member(guild, "bob", nick="<@&1> `bob`")
    admin = sim.add_member(guild, "boss", admin=True)
    other = sim.add_guild("Other Group")
    carol = sim.add_member(other, "carol")
    other_admin = sim.add_member(other, "otheradmin", admin=True)
    other_role = sim.add_role(other, "other-readers")
    settings_ = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token="fuzz-token",
        database=database,
        discord_api_base=sim.api_base,
        discord_gateway_url=sim.gateway_url,
        arxiv_api_base=arxiv.base_url,
        arxiv_min_interval_seconds=0,
        kaggle_api_base="http://127.0.0.1:9",
    )
    harness = BotHarness(sim, settings_, FakeClock(START))
    await harness.start()
    world = Fuzzing(
        sim=sim,
        harness=harness,
        guild=guild,
        other=other,
        members={guild.id: [alice, bob, admin], other.id: [carol, other_admin]},
        channels=[c for g in (guild, other) for c in g.channels],
        roles=[readers, other_role, *guild.roles],
        users=[alice, bob, admin, carol, other_admin, sim.bot_user],
        leaves=leaf_commands(sim.global_commands),
        errors=errors,
    )
    return world, arxiv


def test_fuzz_every_command(database_target: Target) -> None:
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    try:
        with asyncio.Runner() as runner:
            world, arxiv = runner.run(start_world(database_target, errors))
            with use_simulator(world.sim):
                try:

                    @settings(
                        max_examples=EXAMPLES,
                        deadline=None,
                        database=None,
                        suppress_health_check=list(HealthCheck),
                    )
                    @given(st.data())
                    def one(data: st.DataObject) -> None:
                        runner.run(fuzz_one(world, data))

                    # Hypothesis stops early when a small command space is exhausted; keep
                    # drawing fresh runs until the interaction budget is spent.
                    rounds = 0
                    while sum(world.sent.values()) < EXAMPLES * 0.9 and rounds < 100:
                        one()
                        rounds += 1
                finally:
                    runner.run(world.harness.stop())
                    runner.run(arxiv.stop())
                    runner.run(world.sim.stop())
    finally:
        logging.getLogger().removeHandler(errors)
    total = sum(world.sent.values())
    print(
        f"fuzzed {total} interactions over {len(world.sent)} command paths; "
        f"slowest {world.slowest * 1000:.0f} ms; refused by the simulator: "
        f"{sum(world.rejected_by_sim.values())}"
    )
    invoked = {path.removesuffix(" (autocomplete)") for path in world.sent}
    assert invoked >= {path for path, _ in world.leaves}, "some commands were never fuzzed"
    assert total >= EXAMPLES * 0.9
    unexpected = [r for r in errors.records if r.name.startswith(("bot", "cogs", "discord"))]
    assert unexpected == [], [r.getMessage() for r in unexpected[:5]]
    assert world.sim.server_errors == []
    assert_no_pings(world.sim.all_messages, world.sim.bot_user.id, world.ping_roles)


def test_ping_guard_allows_only_a_given_role_of_the_same_server() -> None:
    guild_id, other_id, bot_id = 1000, 2000, 99
    readers = SimRole(id=1001, name="readers", guild_id=guild_id)
    everyone = SimRole(id=guild_id, name="@everyone", guild_id=guild_id)
    other_readers = SimRole(id=2001, name="other-readers", guild_id=other_id)
    lurkers = SimRole(id=1002, name="lurkers", guild_id=guild_id)

    def post(guild: int, *roles: int, parse: list[str] | None = None) -> SimMessage:
        mentions = {"parse": parse or [], "roles": [str(r) for r in roles]}
        return SimMessage(1, 10, guild, bot_id, "<@&1001> read this", allowed_mentions=mentions)

    given = {readers.id: readers, everyone.id: everyone, other_readers.id: other_readers}
    assert_no_pings([post(guild_id, readers.id), post(guild_id)], bot_id, given)
    # someone else's message is not the bot's to guard
    assert_no_pings([SimMessage(2, 10, guild_id, 5, "@everyone")], bot_id, {})
    refused = [
        post(guild_id, everyone.id),  # @everyone, even though the bot was given it
        post(guild_id, lurkers.id),  # a role of the server the bot was never given
        post(guild_id, other_readers.id),  # a role given in another server
        post(other_id, readers.id),  # a role pinged outside its own server
        post(guild_id, parse=["everyone"]),
        post(guild_id, parse=["roles"]),
        SimMessage(3, 10, guild_id, bot_id, "hello @here"),  # no allowed_mentions at all
    ]
    for message in refused:
        with pytest.raises(AssertionError):
            assert_no_pings([message], bot_id, given)
