"""End-to-end tests of the Discord simulator driving a real discord.py commands.Bot."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.simulator import (
    MANAGE_GUILD,
    DiscordSimulator,
    SimChannel,
    SimGuild,
    SimUser,
    SimValidationError,
    use_simulator,
)

TOKEN = "sim-token"


class VoteView(discord.ui.View):
    """A persistent-ish view with a counter button and a select."""

    def __init__(self) -> None:
        super().__init__(timeout=30)
        self.votes = 0

    @discord.ui.button(label="Yes", custom_id="vote:yes", style=discord.ButtonStyle.success)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Count a vote by editing the message (type 7)."""
        self.votes += 1
        await interaction.response.edit_message(content=f"votes: {self.votes}", view=self)

    @discord.ui.button(label="Close", custom_id="vote:close", style=discord.ButtonStyle.danger)
    async def close(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        """Answer with an ephemeral message (type 4)."""
        await interaction.response.send_message("closed", ephemeral=True)

    @discord.ui.select(
        custom_id="vote:pick",
        options=[
            discord.SelectOption(label="A", value="a"),
            discord.SelectOption(label="B", value="b"),
        ],
    )
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        """Defer the update (type 6), then edit the original message."""
        await interaction.response.defer()
        await interaction.edit_original_response(content=f"picked {select.values[0]}")


class NoteModal(discord.ui.Modal, title="Add a note"):
    """A modal with one text input."""

    note: discord.ui.TextInput = discord.ui.TextInput(label="Note", custom_id="note", max_length=50)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Echo the submitted note."""
        await interaction.response.send_message(f"note saved: {self.note.value}", ephemeral=True)


class SimBot(commands.Bot):
    """The test bot: a few app commands exercising every simulator feature."""

    def __init__(self, guild_id: int) -> None:
        super().__init__(
            command_prefix="!", intents=discord.Intents.default(), guild_ready_timeout=0.05
        )
        self.guild_id = guild_id
        self.errors: list[BaseException] = []
        self.forbidden: list[discord.Forbidden] = []

    async def setup_hook(self) -> None:
        """Register commands and sync them (global + one guild command)."""
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        register_commands(self)
        guild = discord.Object(self.guild_id)
        await self.tree.sync()
        await self.tree.sync(guild=guild)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Skip discord.py's 5 s pause before re-IDENTIFYing (keeps the tests fast)."""

    async def on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Record errors so tests can assert on them."""
        self.errors.append(error)
        logging.getLogger(__name__).error("command error", exc_info=error)


def register_commands(bot: SimBot) -> None:
    """Add the test commands to the bot's tree."""
    tree = bot.tree
    paper = app_commands.Group(name="paper", description="Paper tools")

    @paper.command(name="schedule", description="Schedule a paper")
    @app_commands.describe(title="Paper title", week="Week number")
    async def schedule(
        interaction: discord.Interaction,
        title: app_commands.Range[str, 3, 40],
        week: app_commands.Range[int, 1, 52] = 1,
    ) -> None:
        await interaction.response.send_message(f"scheduled {title} in week {week}")

    @paper.command(name="list", description="List papers")
    async def list_(interaction: discord.Interaction) -> None:
        embed = discord.Embed(title="Papers", description="Attention is all you need")
        embed.add_field(name="week 1", value="transformers")
        embed.set_footer(text="page 1/1")
        await interaction.response.send_message(embed=embed)

    tree.add_command(paper)

    @tree.command(name="kitchen", description="Every option type")
    async def kitchen(
        interaction: discord.Interaction,
        text: str,
        count: int,
        ratio: float,
        flag: bool,
        who: discord.Member,
        where: discord.TextChannel,
        role: discord.Role,
        thing: discord.Member | discord.Role,
        file: discord.Attachment | None = None,
    ) -> None:
        data = (await file.read()).decode() if file else "-"
        await interaction.response.send_message(
            f"text={text} count={count} ratio={ratio} flag={flag} who={who.name} "
            f"perms={who.guild_permissions.manage_guild} where={where.name} role={role.name} "
            f"thing={getattr(thing, 'name', '?')} file={data}"
        )

    @tree.command(name="level", description="Pick a level")
    async def level(
        interaction: discord.Interaction, level: Literal["beginner", "advanced"]
    ) -> None:
        await interaction.response.send_message(f"level {level}")

    async def section_ac(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        sections = ["4.5 Transformers", "4.6 Translation", "5.1 Diffusion"]
        return [app_commands.Choice(name=s, value=s[:3]) for s in sections if current in s.lower()]

    @tree.command(name="topic", description="Show a topic")
    @app_commands.autocomplete(section=section_ac)
    async def topic(interaction: discord.Interaction, section: str) -> None:
        await interaction.response.send_message(f"Topic {section}")

    @tree.command(name="vote", description="Start a vote")
    async def vote(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("votes: 0", view=VoteView())

    @tree.command(name="slow", description="Deferred with followup")
    async def slow(interaction: discord.Interaction, private: bool = False) -> None:
        await interaction.response.defer(thinking=True, ephemeral=private)
        await asyncio.sleep(0.05)
        await interaction.followup.send("done thinking")
        await interaction.followup.send("second followup")

    @tree.command(name="secret", description="Ephemeral reply")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("only you", ephemeral=True)

    @tree.command(name="report", description="Attachment reply")
    async def report(interaction: discord.Interaction) -> None:
        file = discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="report.csv")
        await interaction.response.send_message("here", file=file)

    @tree.command(name="announce", description="Channel send + thread")
    async def announce(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.defer(ephemeral=True)
        channel = interaction.channel
        assert isinstance(channel, discord.TextChannel)
        msg = await channel.send(f"📣 {text}")
        thread = await msg.create_thread(name=f"discuss {text}")
        await thread.send("discuss here")
        await msg.edit(content=f"📣 {text} (thread open)")
        await interaction.followup.send(f"announced in {thread.mention}", ephemeral=True)

    @tree.command(name="editme", description="Edit the original response")
    async def editme(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("draft")
        await interaction.edit_original_response(content="final")

    @tree.command(name="post", description="Post into a channel")
    async def post(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        try:
            await channel.send("hello")
        except discord.Forbidden as exc:
            bot.forbidden.append(exc)
            await interaction.response.send_message(f"forbidden {exc.code}", ephemeral=True)
            return
        await interaction.response.send_message("posted", ephemeral=True)

    @tree.command(name="dm", description="DM the caller")
    async def dm(interaction: discord.Interaction) -> None:
        await interaction.user.send("psst")
        await interaction.response.send_message("sent", ephemeral=True)

    @tree.command(name="note", description="Open a modal")
    async def note(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(NoteModal())

    @tree.command(name="settings", description="Admins only")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def settings(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("settings ok", ephemeral=True)

    @tree.command(name="broken", description="Never answers")
    async def broken(interaction: discord.Interaction) -> None:
        raise RuntimeError("boom")

    @tree.command(name="export", description="Deferred file followup")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True)
        file = discord.File(io.BytesIO(b"\x89PNG fake"), filename="chart.png")
        await interaction.followup.send("your chart", file=file, ephemeral=True)

    @tree.context_menu(name="Profile")
    async def profile(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"profile of {member.name}", ephemeral=True)

    @app_commands.command(name="local", description="Guild-only command")
    async def local(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"local in {interaction.guild_id}")

    tree.add_command(local, guild=discord.Object(bot.guild_id))


@dataclass
class World:
    """The simulated guild and its members."""

    sim: DiscordSimulator
    guild: SimGuild
    papers: SimChannel
    alice: SimUser
    admin: SimUser


@pytest.fixture
async def sim() -> AsyncIterator[DiscordSimulator]:
    """A started simulator with discord.py pointed at it."""
    simulator = DiscordSimulator(token=TOKEN)
    await simulator.start()
    with use_simulator(simulator):
        yield simulator
    await simulator.stop()


@pytest.fixture
def world(sim: DiscordSimulator) -> World:
    """A guild with a papers channel, a plain member and an admin."""
    guild = sim.add_guild("Study Group")
    papers = sim.add_channel(guild, "papers")
    alice = sim.add_member(guild, "alice", global_name="Alice")
    admin = sim.add_member(guild, "boss", admin=True)
    return World(sim, guild, papers, alice, admin)


@pytest.fixture
async def bot(sim: DiscordSimulator, world: World) -> AsyncIterator[SimBot]:
    """The real bot, logged in and connected to the simulator."""
    client = SimBot(world.guild.id)
    await client.login(sim.token)
    task = asyncio.create_task(client.connect())
    await sim.wait_for_bot(timeout=10)
    await asyncio.wait_for(client.wait_until_ready(), 5)
    yield client
    await client.close()
    await asyncio.wait_for(task, 5)
    assert sim.unknown_routes == []
    assert sim.server_errors == []
    assert sim.spec_violations == []


# ---------------------------------------------------------------- login / sync


async def test_login_ready_and_command_sync(sim: DiscordSimulator, world: World, bot: SimBot):
    assert bot.user is not None and bot.user.id == sim.bot_user.id
    assert bot.application_id == sim.application_id
    assert sim.identifies == 1 and sim.gateway_connects == 1
    guild = bot.get_guild(world.guild.id)
    assert guild is not None and guild.name == "Study Group"
    assert {c.name for c in guild.text_channels} == {"general", "papers"}
    assert guild.me is not None and guild.me.id == sim.bot_user.id
    names = {c["name"] for c in sim.global_commands}
    assert {"paper", "kitchen", "topic", "vote", "slow", "settings"} <= names
    assert [c["name"] for c in sim.guild_commands[world.guild.id]] == ["local"]
    assert all(c["application_id"] == str(sim.application_id) for c in sim.global_commands)
    assert sim.commands_synced.is_set() and sim.ready_event.is_set()


async def test_wrong_token_is_login_failure(sim: DiscordSimulator):
    client = commands.Bot(command_prefix="!", intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await client.login("wrong-token")
    await client.close()
    assert ("GET", "/users/@me", 401) in sim.requests


# ---------------------------------------------------------------- responses


async def test_subcommand_immediate_response(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(world.guild, world.alice, "paper schedule", {"title": "BERT", "week": 3})
    assert res.response_type == 4 and not res.deferred and not res.ephemeral
    assert res.content == "scheduled BERT in week 3"
    assert res.latency is not None and res.latency < 2
    assert res.message is not None and res.message in sim.messages_in(world.guild.general)
    payload = res.payload
    assert payload["data"]["options"][0] == {
        "name": "schedule",
        "type": 1,
        "options": [
            {"name": "title", "type": 3, "value": "BERT"},
            {"name": "week", "type": 4, "value": 3},
        ],
    }
    assert payload["member"]["permissions"] == str(
        sim.permissions_for(world.guild, world.alice, world.guild.general)
    )


async def test_embed_response_and_text(world: World, bot: SimBot):
    res = await world.sim.invoke(world.guild, world.alice, "paper list")
    assert res.embeds[0]["title"] == "Papers"
    for part in ("Papers", "Attention is all you need", "week 1", "transformers", "page 1/1"):
        assert part in res.text


async def test_every_option_type_and_resolved(world: World, bot: SimBot):
    sim = world.sim
    readers = sim.add_role(world.guild, "readers")
    res = await sim.invoke(
        world.guild,
        world.alice,
        "kitchen",
        {
            "text": "hi",
            "count": 2,
            "ratio": 0.5,
            "flag": True,
            "who": world.admin,
            "where": world.papers,
            "role": readers,
            "thing": world.alice,
            "file": ("notes.txt", b"attached!"),
        },
    )
    assert res.content == (
        "text=hi count=2 ratio=0.5 flag=True who=boss perms=True where=papers "
        "role=readers thing=alice file=attached!"
    )
    resolved = res.payload["data"]["resolved"]
    assert set(resolved) == {"users", "members", "channels", "roles", "attachments"}


async def test_choices_and_autocomplete(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(world.guild, world.alice, "level", {"level": "advanced"})
    assert res.content == "level advanced"
    choices = await sim.autocomplete(
        world.guild, world.alice, "topic", {"section": "trans"}, focused="section"
    )
    assert choices == [
        {"name": "4.5 Transformers", "value": "4.5"},
        {"name": "4.6 Translation", "value": "4.6"},
    ]
    res = await sim.invoke(world.guild, world.alice, "topic", {"section": "4.5"})
    assert res.content == "Topic 4.5"


async def test_deferred_with_followups(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(world.guild, world.alice, "slow")
    assert res.deferred and res.response_type == 5
    assert res.content == "done thinking"
    followups = await res.wait_followups(2, timeout=2)
    assert [m.content for m in followups] == ["done thinking", "second followup"]
    assert followups[0] is res.message
    assert "second followup" in res.text
    assert [m.content for m in sim.messages_in(world.guild.general)] == [
        "done thinking",
        "second followup",
    ]
    private = await sim.invoke(world.guild, world.alice, "slow", {"private": True})
    await private.wait_followups(2)
    assert private.ephemeral and private.message is not None and private.message.ephemeral


async def test_concurrent_invocations(world: World, bot: SimBot):
    sim = world.sim
    pending = [
        await sim.invoke(world.guild, world.alice, "slow", wait=False),
        await sim.invoke(world.guild, world.admin, "secret", wait=False),
    ]
    slow, secret = await asyncio.gather(*(r.wait_settled() for r in pending))
    assert slow.content == "done thinking" and secret.content == "only you"
    assert slow.settled and secret.latency is not None


async def test_ephemeral_reply_not_in_channel(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(world.guild, world.alice, "secret")
    assert res.ephemeral and res.content == "only you"
    assert sim.messages_in(world.guild.general) == []
    assert res.message in sim.all_messages


async def test_attachment_reply(world: World, bot: SimBot):
    res = await world.sim.invoke(world.guild, world.alice, "report")
    assert res.attachments == [("report.csv", b"a,b\n1,2\n")]
    assert res.content == "here"


async def test_channel_send_thread_and_edit(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(world.guild, world.alice, "announce", {"text": "exam"}, world.papers)
    assert res.ephemeral
    [announcement] = sim.messages_in(world.papers)
    assert announcement.content == "📣 exam (thread open)" and announcement.edits == 1
    assert announcement.thread is not None and announcement.thread.name == "discuss exam"
    assert sim.threads == [announcement.thread]
    assert [m.content for m in sim.messages_in(announcement.thread)] == ["discuss here"]
    assert f"<#{announcement.thread.id}>" in res.content


async def test_edit_original_response(world: World, bot: SimBot):
    res = await world.sim.invoke(world.guild, world.alice, "editme")
    await res.wait_until(lambda: res.message is not None and res.message.edits == 1)
    assert res.content == "final"


async def test_buttons_and_select(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(world.guild, world.alice, "vote")
    assert res.message is not None
    assert res.message.custom_ids() == ["vote:yes", "vote:close", "vote:pick"]
    click = await sim.click(world.guild, world.admin, res.message, "vote:yes")
    assert click.response_type == 7 and click.message is res.message
    assert res.message.content == "votes: 1"
    closed = await sim.click(world.guild, world.alice, res.message, "vote:close")
    assert closed.ephemeral and closed.content == "closed"
    picked = await sim.click(world.guild, world.alice, res.message, "vote:pick", values=["b"])
    assert picked.response_type == 6 and res.message.content == "picked b"
    with pytest.raises(SimValidationError):
        await sim.click(world.guild, world.alice, res.message, "vote:nope")
    with pytest.raises(SimValidationError):
        await sim.click(world.guild, world.alice, res.message, "vote:pick", values=["z"])


async def test_modal_roundtrip(world: World, bot: SimBot):
    sim = world.sim
    opened = await sim.invoke(world.guild, world.alice, "note")
    assert opened.response_type == 9 and opened.modal is not None
    submitted = await sim.submit_modal(world.guild, world.alice, opened, {"note": "read ch. 4"})
    assert submitted.content == "note saved: read ch. 4" and submitted.ephemeral


async def test_dm_and_guild_command(world: World, bot: SimBot):
    sim = world.sim
    await sim.invoke(world.guild, world.alice, "dm")
    assert [m.content for m in sim.dms_to(world.alice)] == ["psst"]
    res = await sim.invoke(world.guild, world.alice, "local")
    assert res.content == f"local in {world.guild.id}"
    assert res.payload["data"]["guild_id"] == str(world.guild.id)


async def test_default_permissions_enforced(world: World, bot: SimBot):
    sim = world.sim
    with pytest.raises(SimValidationError, match="default_member_permissions"):
        await sim.invoke(world.guild, world.alice, "settings")
    res = await sim.invoke(world.guild, world.admin, "settings")
    assert res.content == "settings ok"
    assert sim.permissions_for(world.guild, world.admin) & MANAGE_GUILD


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("command", "options", "match"),
    [
        ("nope", {}, "unknown command"),
        ("paper", {}, "needs a subcommand"),
        ("paper delete", {}, "unknown subcommand"),
        ("paper schedule", {}, "missing required option 'title'"),
        ("paper schedule", {"title": "BERT", "bogus": 1}, "unknown option"),
        ("paper schedule", {"title": 5}, "expected string"),
        ("paper schedule", {"title": "ab"}, "min_length"),
        ("paper schedule", {"title": "x" * 41}, "max_length"),
        ("paper schedule", {"title": "BERT", "week": 53}, "max_value"),
        ("paper schedule", {"title": "BERT", "week": "3"}, "expected integer"),
        ("paper schedule", {"title": "BERT", "week": True}, "expected integer"),
        ("level", {"level": "expert"}, "not one of the choices"),
    ],
)
async def test_invalid_invocations_rejected(
    world: World, bot: SimBot, command: str, options: dict, match: str
):
    sim = world.sim
    before = len(sim.interactions)
    with pytest.raises(SimValidationError, match=match):
        await sim.invoke(world.guild, world.alice, command, options)
    assert len(sim.interactions) == before


async def test_entity_option_validation(world: World, bot: SimBot):
    sim = world.sim
    voice = sim.add_channel(world.guild, "lounge", type=2)
    base = {
        "text": "hi",
        "count": 1,
        "ratio": 1.0,
        "flag": False,
        "who": world.alice,
        "where": world.papers,
        "role": world.guild.everyone,
        "thing": world.alice,
    }
    with pytest.raises(SimValidationError, match="channel_types"):
        await sim.invoke(world.guild, world.alice, "kitchen", {**base, "where": voice})
    with pytest.raises(SimValidationError, match="SimUser"):
        await sim.invoke(world.guild, world.alice, "kitchen", {**base, "who": world.papers})
    with pytest.raises(SimValidationError, match="autocomplete"):
        await sim.autocomplete(world.guild, world.alice, "level", {"level": "b"}, focused="level")
    outsider = sim.add_user("outsider")
    with pytest.raises(SimValidationError, match="not a member"):
        await sim.invoke(world.guild, outsider, "secret")


# ---------------------------------------------------------------- faults / gateway


async def test_forbidden_send_raises_in_bot(world: World, bot: SimBot):
    sim = world.sim
    sim.set_bot_permissions(world.papers, allow_send=False)
    res = await sim.invoke(world.guild, world.alice, "post", {"channel": world.papers})
    assert res.content == "forbidden 50013"
    assert isinstance(bot.forbidden[0], discord.Forbidden)
    assert sim.messages_in(world.papers) == []
    assert (f"/channels/{world.papers.id}/messages", 403) in [
        (r.path, r.status) for r in sim.requests
    ]


async def test_unknown_channel_404(world: World, bot: SimBot):
    sim = world.sim
    channel = bot.get_channel(world.papers.id)
    assert isinstance(channel, discord.TextChannel)
    sim.remove_channel(world.papers)
    with pytest.raises(discord.NotFound) as info:
        await channel.send("hello?")
    assert info.value.code == 10003


async def test_rate_limit_is_retried(world: World, bot: SimBot):
    sim = world.sim
    sim.fail("POST", r"^/channels/\d+/messages$", 429, retry_after=0.2)
    res = await sim.invoke(world.guild, world.alice, "post", {"channel": world.papers})
    assert res.content == "posted"
    statuses = [r.status for r in sim.requests if r.path == f"/channels/{world.papers.id}/messages"]
    assert statuses == [429, 200]
    assert [m.content for m in sim.messages_in(world.papers)] == ["hello"]


async def test_injected_server_errors(world: World, bot: SimBot):
    sim = world.sim
    channel = bot.get_channel(world.papers.id)
    assert isinstance(channel, discord.TextChannel)
    sim.fail("POST", r"/messages$", 503)
    with pytest.raises(discord.DiscordServerError):
        await channel.send("x")
    sim.fail("*", r"/messages$", 403, body={"message": "Missing Access", "code": 50001})
    with pytest.raises(discord.Forbidden) as info:
        await channel.send("x")
    assert info.value.code == 50001
    await channel.send("works again")
    assert [m.content for m in sim.messages_in(world.papers)] == ["works again"]


async def test_gateway_drop_resumes(world: World, bot: SimBot):
    sim = world.sim
    await sim.drop_gateway(resume=True)
    assert sim.resumes == 1 and sim.gateway_connects == 2 and sim.identifies == 1
    res = await sim.invoke(world.guild, world.alice, "secret")
    assert res.content == "only you"


async def test_gateway_invalidated_session_reidentifies(world: World, bot: SimBot):
    sim = world.sim
    await sim.drop_gateway(resume=False)
    assert sim.identifies == 2
    res = await sim.invoke(world.guild, world.alice, "secret")
    assert res.content == "only you"


async def test_unanswered_interaction_times_out(world: World, bot: SimBot):
    with pytest.raises(TimeoutError, match="never answered"):
        await world.sim.invoke(world.guild, world.alice, "broken", timeout=0.5)
    assert bot.errors


async def test_guild_lifecycle_events(world: World, bot: SimBot):
    sim = world.sim
    second = sim.add_guild("Second Group")
    bob = sim.add_member(second, "bob", user=world.alice)
    await sim.flush()
    await asyncio.sleep(0.05)
    assert bot.get_guild(second.id) is not None
    res = await sim.invoke(second, bob, "secret")
    assert res.content == "only you"
    with pytest.raises(SimValidationError):
        await sim.invoke(second, bob, "local")
    await sim.remove_guild(second)
    await asyncio.sleep(0.05)
    assert bot.get_guild(second.id) is None


async def test_dm_invocation_context_menu_and_file_followup(world: World, bot: SimBot):
    sim = world.sim
    res = await sim.invoke(None, world.alice, "secret")
    assert res.content == "only you" and res.payload["context"] == 1
    with pytest.raises(SimValidationError, match="unknown command"):
        await sim.invoke(None, world.alice, "local")
    with pytest.raises(SimValidationError, match="not available in"):
        await sim.invoke(None, world.admin, "settings")
    res = await sim.invoke_context_menu(world.guild, world.alice, "Profile", world.admin)
    assert res.content == "profile of boss"
    res = await sim.invoke(world.guild, world.alice, "export")
    assert res.deferred and res.ephemeral
    assert res.attachments == [("chart.png", b"\x89PNG fake")] and res.content == "your chart"


async def test_live_world_changes_reach_the_bot(world: World, bot: SimBot):
    sim = world.sim
    late = sim.add_channel(world.guild, "late-channel")
    role = sim.add_role(world.guild, "late-role")
    await sim.flush()
    await asyncio.sleep(0.02)
    guild = bot.get_guild(world.guild.id)
    assert guild is not None
    assert guild.get_channel(late.id) is not None and guild.get_role(role.id) is not None
    sim.set_bot_permissions(late, allow_send=False)
    await sim.flush()
    await asyncio.sleep(0.02)
    channel = guild.get_channel(late.id)
    assert isinstance(channel, discord.TextChannel)
    assert not channel.permissions_for(guild.me).send_messages
    await sim.dispatch("CHANNEL_DELETE", sim.channel_payload(late))
    await asyncio.sleep(0.02)
    assert guild.get_channel(late.id) is None


async def test_global_rate_limit_and_abrupt_drop(world: World, bot: SimBot):
    sim = world.sim
    sim.fail("POST", r"/messages$", 429, retry_after=0.1, global_=True)
    res = await sim.invoke(world.guild, world.alice, "post", {"channel": world.papers})
    assert res.content == "posted"
    await sim.drop_gateway(abrupt=True)
    assert sim.resumes == 1
    res = await sim.invoke(world.guild, world.alice, "paper list")
    assert res.embeds


async def test_bot_restart_reidentifies(sim: DiscordSimulator, world: World, bot: SimBot):
    first = await sim.invoke(world.guild, world.alice, "vote")
    await bot.close()
    await asyncio.sleep(0.02)
    assert not sim.connected
    second = SimBot(world.guild.id)
    await second.login(sim.token)
    task = asyncio.create_task(second.connect())
    try:
        await sim.wait_for_bot(timeout=5)
        assert sim.identifies == 2 and sim.command_syncs == 4
        res = await sim.invoke(world.guild, world.alice, "secret")
        assert res.content == "only you"
        assert first.message is not None
        with pytest.raises(TimeoutError, match="never answered"):
            await sim.click(world.guild, world.alice, first.message, "vote:yes", timeout=0.3)
    finally:
        await second.close()
        await asyncio.wait_for(task, 5)
