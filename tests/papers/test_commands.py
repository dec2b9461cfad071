"""/paper and /admin paper end to end: what members and admins see, and what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.clock import FakeClock
from tests.conftest import BotHarness, ErrorLog, World
from tests.fakes.arxiv import FakeArxiv
from tests.papers.conftest import bot_posts, paper_club, schedule_posts
from tests.simulator import (
    EMBED_LINKS,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    DiscordSimulator,
    InteractionResult,
    SimMessage,
)
from tests.simulator.models import (
    CREATE_PUBLIC_THREADS,
    MENTION_EVERYONE,
    SEND_MESSAGES_IN_THREADS,
)

DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # Tuesday 18:00 in Berlin
ADMIN_ONLY = "You need the Manage Server permission for this command. Ask a server admin."


def schedule_options(channel: Any, **changes: Any) -> dict[str, Any]:
    """Valid /admin paper schedule options, with some changed."""
    options = {"channel": channel, "weekday": 1, "time": "18:00", "timezone": "Europe/Berlin"}
    options.update(changes)
    return options


async def final_reply(res: InteractionResult) -> SimMessage:
    """The message that finally answered a command (after a deferral, the first follow-up)."""
    if res.deferred:
        await res.wait_followups(1)
        return res.followups[-1]
    assert res.message is not None
    return res.message


def options_of(sim: DiscordSimulator, path: str) -> dict[str, dict[str, Any]]:
    """The synced option specs of a command path such as "admin paper schedule", by name."""
    first, *rest = path.split()
    [node] = [c for c in sim.global_commands if c["name"] == first]
    for word in rest:
        [node] = [o for o in node["options"] if o["name"] == word]
    return {o["name"]: o for o in node["options"]}


def drop_channel_types(sim: DiscordSimulator) -> None:
    """Forget the channel-type filter, as an outdated or hostile client would."""
    for path in ("admin paper schedule", "admin paper unschedule"):
        options_of(sim, path)["channel"].pop("channel_types", None)


# -- /admin paper schedule and /admin paper unschedule ------------------------------------------


async def test_schedule_replies_with_the_first_post_and_rescheduling_updates(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    res = await schedule_posts(sim, world.guild, world.admin, world.papers)
    assert res.content.startswith("📄 Scheduled: the paper of the week goes to")
    assert world.papers.mention in res.content
    assert "every Tuesday at 18:00 (Europe/Berlin)" in res.content
    assert f"<t:{int(DUE.timestamp())}:F>" in res.content

    role = sim.add_role(world.guild, "readers", mentionable=True)
    res = await schedule_posts(
        sim, world.guild, world.admin, world.papers, weekday=4, time="7:05",
        timezone="america/new_york", role=role,
    )  # fmt: skip
    assert res.content.startswith("📄 Updated:")
    assert "every Friday at 07:05 (America/New_York), pinging" in res.content
    [schedule] = await paper_club(bot).repo.schedules()
    assert (schedule.weekday, schedule.at.strftime("%H:%M")) == (4, "07:05")
    assert (schedule.timezone, schedule.role_id) == ("America/New_York", role.id)
    # A mentionable role needs no Mention Everyone of the admin, and StudyBot can ping it.
    assert "can't be mentioned" not in res.content


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time": "25:00"}, "Give the time as HH:MM in 24-hour form, e.g. 18:30"),
        ({"time": "6pm"}, "Give the time as HH:MM in 24-hour form, e.g. 18:30"),
        ({"timezone": "Mars/Olympus"}, "Unknown time zone Mars/Olympus: pick one from the list"),
        ({"timezone": "@everyone"}, "Unknown time zone: pick one from the list"),
    ],
)
async def test_schedule_refuses_bad_times_and_zones(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    changes: dict[str, Any],
    message: str,
) -> None:
    bot = await harness.start()
    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule", schedule_options(world.papers, **changes)
    )
    assert res.ephemeral
    assert res.content.startswith(message)
    assert await paper_club(bot).repo.schedules() == []


async def test_schedule_refuses_voice_channels_other_servers_and_everyone(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    channel = options_of(sim, "admin paper schedule")["channel"]
    assert channel["channel_types"] == [0, 5]  # Discord offers text and announcement only

    drop_channel_types(sim)
    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule", schedule_options(world.voice)
    )
    assert res.ephemeral
    assert res.content.startswith(f"{world.voice.mention} is a voice channel: StudyBot posts")
    assert "text or announcement channel" in res.content

    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin paper schedule",
        schedule_options(world.other_guild.general),
    )
    assert res.ephemeral and "That channel is not in this server" in res.content

    res = await sim.invoke(
        world.guild,
        world.admin,
        "admin paper schedule",
        schedule_options(world.papers, role=world.guild.everyone),
    )
    assert res.ephemeral and "not @everyone" in res.content
    assert await paper_club(bot).repo.schedules() == []


async def test_schedule_refuses_a_channel_the_bot_cannot_post_in(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    sim.set_bot_permissions(world.papers, allow_send=False)
    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule", schedule_options(world.papers)
    )
    assert res.ephemeral
    assert "StudyBot can't post in" in res.content and "Send Messages" in res.content
    assert await paper_club(bot).repo.schedules() == []


@pytest.mark.parametrize(
    ("deny", "needs"),
    [
        (VIEW_CHANNEL, "View Channel, Send Messages, Embed Links, Create Public Threads and "
         "Send Messages in Threads"),
        (SEND_MESSAGES, "Send Messages and Embed Links"),  # embeds ride on sending
        (EMBED_LINKS, "Embed Links"),
        (CREATE_PUBLIC_THREADS, "Create Public Threads"),
        (SEND_MESSAGES_IN_THREADS, "Send Messages in Threads"),
    ],
)  # fmt: skip
async def test_schedule_refuses_a_channel_missing_anything_the_bot_needs_there(
    harness: BotHarness, world: World, sim: DiscordSimulator, deny: int, needs: str
) -> None:
    bot = await harness.start()
    sim.set_bot_permissions(world.papers, deny=deny)
    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule", schedule_options(world.papers)
    )
    assert res.ephemeral
    assert res.content.startswith(
        f"StudyBot can't post in {world.papers.mention}: it needs {needs} there. Grant "
    )
    assert res.content.endswith("then run `/admin paper schedule` again.")
    assert await paper_club(bot).repo.schedules() == []


@pytest.mark.parametrize(
    ("deny", "needs"),
    [(VIEW_CHANNEL, "View Channel and Send Messages"), (SEND_MESSAGES, "Send Messages")],
)
async def test_schedule_refuses_a_channel_the_admin_cannot_see_or_post_in(
    harness: BotHarness, world: World, sim: DiscordSimulator, deny: int, needs: str
) -> None:
    bot = await harness.start()
    sim.set_channel_overwrite(world.papers, world.admin, deny=deny)
    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule", schedule_options(world.papers)
    )
    assert res.ephemeral
    assert res.content == (
        f"You can't post in {world.papers.mention} yourself (you need {needs} there), so "
        "StudyBot won't post there for you. Pick a channel you can post in."
    )
    assert await paper_club(bot).repo.schedules() == []


async def test_a_role_ping_needs_a_mentionable_role_or_mention_everyone(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    quiet = sim.add_role(world.guild, "readers")  # not mentionable, as Discord creates roles
    res = await sim.invoke(
        world.guild, world.admin, "admin paper schedule", schedule_options(world.papers, role=quiet)
    )
    assert res.ephemeral
    assert res.content.startswith(
        "You can't ping the role readers: it isn't mentionable and you don't have Mention "
        "Everyone in that channel"
    )
    assert await paper_club(bot).repo.schedules() == []

    pinger = sim.add_member(world.guild, "pinger", permissions=MENTION_EVERYONE, admin=True)
    res = await schedule_posts(sim, world.guild, pinger, world.papers, role=quiet)
    assert f", pinging {quiet.mention}." in res.content
    # StudyBot itself lacks Mention Everyone, so the admin is told the ping won't notify.
    assert f"⚠️ {quiet.mention} can't be mentioned by StudyBot" in res.content
    [stored] = await paper_club(bot).repo.schedules()
    assert (stored.role_id, stored.created_by) == (quiet.id, pinger.id)

    # Mention Everyone taken away in that very channel: an update is refused, nothing changes.
    sim.set_channel_overwrite(world.papers, pinger, deny=MENTION_EVERYONE)
    res = await sim.invoke(
        world.guild,
        pinger,
        "admin paper schedule",
        schedule_options(world.papers, role=quiet, time="09:00"),
    )
    assert res.ephemeral and res.content.startswith("You can't ping the role readers")
    assert await paper_club(bot).repo.schedules() == [stored]


async def test_everyone_managed_and_foreign_roles_are_never_the_ping_role(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    pinger = sim.add_member(world.guild, "pinger", permissions=MENTION_EVERYONE, admin=True)
    [bot_role] = [r for r in world.guild.roles if r.managed]
    elsewhere = sim.add_role(world.other_guild, "elsewhere", mentionable=True)
    refusals = {
        world.guild.everyone.id: "Pick a role of readers to ping, not @everyone",
        bot_role.id: f"The role {bot_role.name} is managed by an integration",
        elsewhere.id: "That role isn't in this server.",
    }
    for role in (world.guild.everyone, bot_role, elsewhere):
        res = await sim.invoke(
            world.guild, pinger, "admin paper schedule", schedule_options(world.papers, role=role)
        )
        assert res.ephemeral
        assert res.content.startswith(refusals[role.id]), res.content
    assert await paper_club(bot).repo.schedules() == []


async def test_admin_commands_are_refused_to_members_by_the_bot_itself(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    res = await sim.invoke(
        world.guild,
        world.alice,
        "admin paper schedule",
        schedule_options(world.papers),
        enforce_permissions=False,
    )
    assert res.ephemeral and res.content == ADMIN_ONLY
    assert await paper_club(bot).repo.schedules() == []

    await schedule_posts(sim, world.guild, world.admin, world.papers)
    res = await sim.invoke(
        world.guild,
        world.alice,
        "admin paper unschedule",
        {"channel": world.papers},
        enforce_permissions=False,
    )
    assert res.ephemeral and res.content == ADMIN_ONLY
    assert len(await paper_club(bot).repo.schedules()) == 1


async def test_unschedule_stops_posts_and_says_when_there_was_none(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    res = await sim.invoke(
        world.guild, world.admin, "admin paper unschedule", {"channel": world.papers}
    )
    assert res.ephemeral and "There is no paper of the week in" in res.content

    await schedule_posts(sim, world.guild, world.admin, world.papers)
    res = await sim.invoke(
        world.guild, world.admin, "admin paper unschedule", {"channel": world.papers}
    )
    assert res.ephemeral
    assert "Stopped the paper of the week" in res.content
    assert "every Tuesday at 18:00 (Europe/Berlin)" in res.content
    clock.set(DUE)
    await paper_club(bot).run_due()
    assert bot_posts(sim, world.papers) == []


async def test_timezone_autocomplete_offers_iana_names(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    await harness.start()
    choices = await sim.autocomplete(
        world.guild,
        world.admin,
        "admin paper schedule",
        {"channel": world.papers, "timezone": "berl"},
        focused="timezone",
    )
    assert choices[0] == {"name": "Europe/Berlin", "value": "Europe/Berlin"}
    choices = await sim.autocomplete(
        world.guild, world.admin, "admin paper schedule", {"timezone": ""}, focused="timezone"
    )
    assert len(choices) == 25 and {"name": "UTC", "value": "UTC"} in choices


# -- /paper suggest -----------------------------------------------------------------------------


async def test_suggest_adds_with_arxiv_metadata_and_refuses_duplicates(
    harness: BotHarness, world: World, sim: DiscordSimulator, fake_arxiv: FakeArxiv
) -> None:
    bot = await harness.start()
    res = await sim.invoke(
        world.guild, world.alice, "paper suggest", {"paper": "https://arxiv.org/abs/1706.03762v7"}
    )
    assert res.deferred and not res.ephemeral
    assert "suggested a paper: #1 in the queue" in res.text
    assert "Attention Is All You Need" in res.text
    assert "Ashish Vaswani" in res.text
    assert fake_arxiv.request_ids() == [["1706.03762"]]

    for text in ("1706.03762", "arxiv.org/pdf/1706.03762v2"):
        res = await sim.invoke(world.guild, world.bob, "paper suggest", {"paper": text})
        reply = await final_reply(res)
        assert reply.ephemeral
        assert "**Attention Is All You Need** is already in the queue (0 votes)" in reply.content
    # Cached for good: another server's suggestion asks arXiv nothing.
    res = await sim.invoke(world.other_guild, world.carol, "paper suggest", {"paper": "1706.03762"})
    assert "#1 in the queue" in res.text
    assert len(fake_arxiv.requests) == 1
    assert await paper_club(bot).repo.queue_size(world.guild.id) == 1


async def test_suggest_refuses_a_paper_the_server_already_had(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    await schedule_posts(sim, world.guild, world.admin, world.papers)
    await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1810.04805"})
    clock.set(DUE)
    await paper_club(bot).run_due()
    res = await sim.invoke(world.guild, world.bob, "paper suggest", {"paper": "1810.04805"})
    reply = await final_reply(res)
    assert reply.ephemeral
    assert "This server already had **BERT" in reply.content


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not a paper", "That is not an arXiv paper. Give an arXiv id like 1706.03762"),
        ("@everyone", "That is not an arXiv paper."),
        ("2101.99999", "arXiv has no paper 2101.99999. Check the id and try again."),
    ],
)
async def test_suggest_refuses_bad_and_unknown_ids(
    harness: BotHarness, world: World, sim: DiscordSimulator, text: str, message: str
) -> None:
    bot = await harness.start()
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": text})
    reply = await final_reply(res)
    assert reply.ephemeral
    assert reply.content.startswith(message)
    assert "@everyone" not in reply.content
    assert await paper_club(bot).repo.queue_size(world.guild.id) == 0


async def test_suggest_when_arxiv_is_down_says_try_later(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    fake_arxiv: FakeArxiv,
    error_log: ErrorLog,
) -> None:
    bot = await harness.start()
    fake_arxiv.fail(503)
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    reply = await final_reply(res)
    assert reply.ephemeral
    assert reply.content == "arXiv did not answer, try again later"
    assert res.message is None or res.message.deleted  # no public "thinking…" left behind
    assert await paper_club(bot).repo.queue_size(world.guild.id) == 0
    assert error_log.records == []
    res = await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": "1706.03762"})
    assert "#1 in the queue" in res.text


async def test_slow_arxiv_does_not_lose_the_interaction(
    harness: BotHarness, world: World, sim: DiscordSimulator, fake_arxiv: FakeArxiv
) -> None:
    await harness.start()
    sim.interaction_deadline = 0.5  # Discord's 3 s, shortened to keep the test quick
    fake_arxiv.slow(1.0)
    res = await sim.invoke(
        world.guild, world.alice, "paper suggest", {"paper": "1706.03762"}, timeout=10
    )
    assert res.deferred and res.latency is not None and res.latency < 0.5
    assert "Attention Is All You Need" in res.text
    assert not res.ephemeral


# -- /paper queue and /paper vote ---------------------------------------------------------------


async def test_queue_lists_most_votes_first_and_pages(
    harness: BotHarness,
    world: World,
    sim: DiscordSimulator,
    clock: FakeClock,
    fake_arxiv: FakeArxiv,
) -> None:
    await harness.start()
    res = await sim.invoke(world.guild, world.alice, "paper queue")
    assert not res.ephemeral
    assert "The queue is empty" in res.text
    assert "ImageNet Classification with Deep Convolutional Neural Networks" in res.text

    for n in range(12):
        fake_arxiv.add_paper(f"2401.{n:05d}", f"Queued paper number {n:02d}", ["A. Author"])
        await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": f"2401.{n:05d}"})
        clock.advance(timedelta(minutes=1))
    await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "2401.00007"})
    await sim.invoke(world.guild, world.alice, "paper vote", {"paper": "2401.00007"})
    await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "2401.00003"})

    res = await sim.invoke(world.guild, world.alice, "paper queue")
    text = res.text
    ranks = ["**1.** [Queued paper number 07]", "**2.** [Queued paper number 03]"]
    ranks.append("**3.** [Queued paper number 00]")  # ties: the oldest first
    assert [text.index(rank) for rank in ranks] == sorted(text.index(rank) for rank in ranks)
    assert "2 votes" in text and "Page 1/2" in text and "12 papers waiting" in text
    assert "Queued paper number 11" not in text
    assert res.message is not None
    [_, forward] = res.message.buttons()
    page2 = await sim.click(world.guild, world.alice, res.message, forward["custom_id"])
    assert "**11.** [Queued paper number 10]" in page2.text
    assert "**12.** [Queued paper number 11]" in page2.text


async def test_vote_once_per_member_with_autocomplete(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    bot = await harness.start()
    for arxiv_id in ("1706.03762", "1810.04805"):
        await sim.invoke(world.guild, world.alice, "paper suggest", {"paper": arxiv_id})
    await sim.invoke(world.other_guild, world.carol, "paper suggest", {"paper": "1412.6980"})

    choices = await sim.autocomplete(
        world.guild, world.bob, "paper vote", {"paper": "bert"}, focused="paper"
    )
    assert choices == [
        {
            "name": "BERT: Pre-training of Deep Bidirectional Transformers for Language "
            "Understanding · 0 votes",
            "value": "1810.04805",
        }
    ]
    choices = await sim.autocomplete(
        world.guild, world.bob, "paper vote", {"paper": ""}, focused="paper"
    )
    assert {c["value"] for c in choices} == {"1706.03762", "1810.04805"}  # this server's only

    res = await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "1810.04805"})
    assert res.ephemeral
    assert "Voted for **BERT" in res.content and "1 vote, #1 in the queue" in res.content
    res = await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "1810.04805"})
    assert res.ephemeral and "You already voted for **BERT" in res.content
    res = await sim.invoke(world.guild, world.alice, "paper vote", {"paper": "attention is all"})
    # Tied on votes, the older suggestion goes first.
    assert "Voted for **Attention Is All You Need**: 1 vote, #1 in the queue" in res.content

    res = await sim.invoke(world.guild, world.bob, "paper vote", {"paper": "1412.6980"})
    assert res.ephemeral and "not in this server's queue" in res.content
    entry = await paper_club(bot).repo.queue_entry(world.guild.id, "1810.04805")
    assert entry is not None and entry.votes == 1


# -- /paper current and /paper read -------------------------------------------------------------


async def test_current_and_read_count_on_rank(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    bot = await harness.start()
    cog = paper_club(bot)
    for command in ("paper current", "paper read"):
        res = await sim.invoke(world.guild, world.alice, command)
        assert res.ephemeral and "no paper of the week" in res.content

    await schedule_posts(sim, world.guild, world.admin, world.papers)
    clock.set(DUE)
    await cog.run_due()
    [post] = bot_posts(sim, world.papers)
    assert post.thread is not None

    res = await sim.invoke(world.guild, world.alice, "paper current")
    assert not res.ephemeral
    assert "ImageNet Classification with Deep Convolutional Neural Networks" in res.text
    assert post.thread.mention in res.text and "0 members have read it" in res.text
    assert "7.3 Research Papers" in res.text
    next_week = int((DUE + timedelta(weeks=1)).timestamp())
    assert f"<t:{next_week}:R>" in res.text

    res = await sim.invoke(world.guild, world.alice, "paper read")
    assert res.ephemeral
    assert "Marked **ImageNet Classification" in res.content and "1 paper read" in res.content
    res = await sim.invoke(world.guild, world.alice, "paper read")
    assert res.ephemeral and "You already marked" in res.content
    assert await cog.papers_read(world.guild.id, world.alice.id) == 1
    assert await cog.papers_read(world.guild.id, world.bob.id) == 0
    assert await cog.papers_read(world.other_guild.id, world.alice.id) == 0

    clock.set(DUE + timedelta(weeks=1))
    await cog.run_due()
    res = await sim.invoke(world.guild, world.alice, "paper current")
    assert "Deep Residual Learning" in res.text
    res = await sim.invoke(world.guild, world.alice, "paper read")
    assert "2 papers read" in res.content
    assert await cog.papers_read(world.guild.id, world.alice.id) == 2
