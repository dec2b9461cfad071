"""/progress, /rank and /who end to end: ties, pages, periods, hidden members, isolation."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from discord.ext import commands
from PIL import Image

from bot.clock import FakeClock
from bot.ui import OWNER_ONLY
from tests.conftest import BotHarness, TestStudyBot, World
from tests.progress.conftest import PROGRESS_COGS, completions
from tests.simulator import DiscordSimulator, SimUser

ROOT = Path(__file__).resolve().parents[2]


def progress_cog(bot: TestStudyBot) -> Any:
    """The loaded Progress cog (its class is re-imported with each bot, so no isinstance)."""
    cog = bot.get_cog("Progress")
    assert cog is not None and cog.qualified_name == "Progress"
    return cog


def board_lines(res: Any) -> list[str]:
    return res.embeds[0]["description"].splitlines()


def you(res: Any) -> str:
    fields = {f["name"]: f["value"] for f in res.embeds[0]["fields"]}
    return str(fields["You"])


async def done(sim: DiscordSimulator, world: World, user: SimUser, *sections: str) -> None:
    for section in sections:
        res = await sim.invoke(world.guild, user, "done", {"section": section})
        assert "Marked" in res.content, res.content


class FakePaperClub(commands.Cog, name="PaperClub"):
    """Stands in for the paper club: papers read per member."""

    def __init__(self, read: dict[int, int]) -> None:
        self.read = read

    async def papers_read(self, guild_id: int, user_id: int) -> int:
        return self.read.get(user_id, 0)


async def test_ties_share_a_rank_and_the_caller_sees_their_own(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    await done(sim, world, world.alice, "1.1", "1.2")
    await done(sim, world, world.bob, "1.1", "2.1")
    await done(sim, world, world.admin, "1.1")
    res = await sim.invoke(world.guild, world.admin, "progress", {})
    assert not res.ephemeral
    assert res.embeds[0]["title"] == "🏆 Leaderboard — All time"
    assert board_lines(res) == [
        "`#1` **Alice** — 2 sections",
        "`#1` **Bob** — 2 sections",
        "`#3` **Boss** — 1 section ← you",
    ]
    assert you(res) == "**#3** of 3 · 1 section"
    assert res.components == []  # one page: no buttons


async def test_pages_of_ten_only_the_caller_turns_them(
    harness: BotHarness, world: World, sim: DiscordSimulator
) -> None:
    harness.cogs = PROGRESS_COGS
    bot = await harness.start()
    repo = progress_cog(bot).repo
    sections = [s.id for s in bot.roadmap.sections]
    members = [sim.add_member(world.guild, f"m{n:02d}", global_name=f"M{n:02d}") for n in range(25)]
    for n, member in enumerate(members):
        for section in sections[: 30 - n // 3]:  # ties of three: 30, 30, 30, 29, 29, 29, ...
            await repo.mark_done(world.guild.id, member.id, f"M{n:02d}", section, harness.clock())
    caller = members[-1]  # rank 25 of 25, on page 3
    res = await sim.invoke(world.guild, caller, "progress", {"period": "all"})
    lines = board_lines(res)
    assert len(lines) == 10
    assert lines[0] == "`#1` **M00** — 30 sections"
    assert lines[9] == "`#10` **M09** — 27 sections"
    assert you(res) == "**#25** of 25 · 22 sections"
    assert "Page 1 of 3" in res.embeds[0]["footer"]["text"]
    message = res.message
    assert message is not None

    turned = await sim.click(world.guild, caller, message, message.custom_ids()[1])
    lines = board_lines(turned)
    assert lines[0] == "`#10` **M10** — 27 sections"  # tied with M09 on the page before
    assert lines[-1] == "`#19` **M19** — 24 sections"
    assert "Page 2 of 3" in turned.embeds[0]["footer"]["text"]

    other = await sim.click(world.guild, world.bob, message, message.custom_ids()[1])
    assert other.ephemeral and other.content == OWNER_ONLY
    assert "Page 2 of 3" in message.embeds[0]["footer"]["text"]  # unchanged

    last = await sim.click(world.guild, caller, message, message.custom_ids()[1])
    lines = board_lines(last)
    assert lines[-1] == "`#25` **M24** — 22 sections ← you"
    assert len(lines) == 5
    assert you(last) == "**#25** of 25 · 22 sections"


async def test_week_and_month_are_calendar_periods_in_utc(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 10, 31, 23, 0, tzinfo=UTC))  # Saturday, week 44, October
    await done(sim, world, world.alice, "1.2")
    clock.set(datetime(2026, 11, 16, 8, 0, tzinfo=UTC))  # Monday, week 47
    await done(sim, world, world.alice, "1.1")
    clock.set(datetime(2026, 11, 23, 0, 0, tzinfo=UTC))  # Monday 00:00, week 48 begins
    await done(sim, world, world.bob, "1.1")
    clock.set(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))

    week = await sim.invoke(world.guild, world.alice, "progress", {"period": "week"})
    assert week.embeds[0]["title"] == (
        "🏆 Leaderboard — This week (Mon 23 Nov – Sun 29 Nov 2026, UTC)"
    )
    assert board_lines(week) == ["`#1` **Bob** — 1 section"]
    assert you(week).startswith("No sections done this week yet: `/done 1.1`")

    month = await sim.invoke(world.guild, world.alice, "progress", {"period": "month"})
    assert month.embeds[0]["title"] == "🏆 Leaderboard — November 2026 (UTC)"
    assert board_lines(month) == ["`#1` **Alice** — 1 section ← you", "`#1` **Bob** — 1 section"]

    everything = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board_lines(everything)[0] == "`#1` **Alice** — 2 sections ← you"

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # a new week and a new month
    for period in ("week", "month"):
        empty = await sim.invoke(world.guild, world.alice, "progress", {"period": period})
        assert empty.embeds[0]["description"].startswith(
            f"Nobody here has finished a section this {period} yet. Be the first: `/done 1.1`"
        )
    assert len(board_lines(await sim.invoke(world.guild, world.bob, "progress", {}))) == 2

    # Undoing October's section takes it off all time (and October), not off December.
    await done(sim, world, world.bob, "2.1")
    await sim.invoke(world.guild, world.alice, "undo", {"section": "1.2"})
    month = await sim.invoke(world.guild, world.alice, "progress", {"period": "month"})
    assert board_lines(month) == ["`#1` **Bob** — 1 section"]
    everything = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board_lines(everything) == [
        "`#1` **Bob** — 2 sections",
        "`#2` **Alice** — 1 section ← you",
    ]


async def test_empty_board_says_how_to_start(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    res = await sim.invoke(world.guild, world.alice, "progress", {})
    assert res.embeds[0]["description"] == (
        "Nobody here has finished a section yet. Be the first: "
        "`/done 1.1` (or press ✅ under `/topic`)."
    )
    assert "`/done 1.1`" in you(res)


async def test_hidden_members_are_left_out_until_they_come_back(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    await done(sim, world, world.alice, "1.1")
    await done(sim, world, world.bob, "1.1", "1.2")
    res = await sim.invoke(world.guild, world.bob, "privacy hide", {})
    assert res.ephemeral and "You're now hidden" in res.content
    again = await sim.invoke(world.guild, world.bob, "privacy hide", {})
    assert "already hidden" in again.content

    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board_lines(board) == ["`#1` **Alice** — 1 section ← you"]
    assert "1 on the board" in board.embeds[0]["footer"]["text"]
    own = await sim.invoke(world.guild, world.bob, "progress", {})
    assert you(own) == "You're hidden from the leaderboards. `/privacy show` brings you back."
    who = await sim.invoke(world.guild, world.alice, "who", {"section": "1.1"})
    assert "Bob" not in who.text and "1 member" in who.text
    assert await progress_cog(progress_bot).finished_count(world.guild.id, "1.1") == 1

    private = await sim.invoke(world.guild, world.alice, "rank", {"member": world.bob})
    assert private.ephemeral and "keeps their progress private" in private.content
    assert private.attachments == []
    mine = await sim.invoke(world.guild, world.bob, "rank", {})
    assert mine.ephemeral  # their own card, shown only to them
    assert "hidden from the leaderboards" in mine.text
    marked = await sim.invoke(world.guild, world.bob, "done", {"section": "2.1"})
    assert "You're hidden from the leaderboards" in marked.content
    assert "3 of 30" in marked.content

    back = await sim.invoke(world.guild, world.bob, "privacy show", {})
    assert "Welcome back" in back.content
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board_lines(board)[0] == "`#1` **Bob** — 3 sections"
    assert await progress_cog(progress_bot).finished_count(world.guild.id, "1.1") == 2
    not_hidden = await sim.invoke(world.guild, world.alice, "privacy show", {})
    assert "You're not hidden" in not_hidden.content


async def test_rank_card_and_its_text_twin(
    harness: BotHarness, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    harness.cogs = PROGRESS_COGS
    harness.extra_cogs = [FakePaperClub({world.alice.id: 3})]
    await harness.start()
    for moment, section in (
        (datetime(2026, 10, 27, tzinfo=UTC), "2.1"),  # week 44
        (datetime(2026, 11, 10, tzinfo=UTC), "1.1"),  # week 46
        (datetime(2026, 11, 17, tzinfo=UTC), "1.2"),  # week 47
        (datetime(2026, 11, 18, tzinfo=UTC), "1.4"),  # week 47
    ):
        clock.set(moment)
        await done(sim, world, world.alice, section)
    await done(sim, world, world.bob, "1.1", "1.2", "1.3", "1.4", "2.1")
    clock.set(datetime(2026, 11, 24, 12, tzinfo=UTC))  # week 48: nothing yet this week

    res = await sim.invoke(world.guild, world.alice, "rank", {})
    assert not res.ephemeral
    embed = res.embeds[0]
    assert embed["title"] == "Progress of Alice"
    text = embed["description"]
    assert "**13%** of the roadmap · 4 of 30 sections" in text
    assert "**Rank:** #2 of 2 (all time)" in text
    assert "**Weekly streak:** 2 weeks" in text  # weeks 46 and 47, counted from last week
    assert "**Papers read:** 3" in text
    assert "**Next up:** 1.3 Probability and Statistics — `/topic 1.3`" in text
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Phase 1 · Mathematical Foundations"].endswith(" 3/4")
    assert fields["Phase 2 · Programming Foundations"].endswith(" 1/3")
    assert fields["Phase 7 · Practical Experience"].endswith(" 0/4")
    assert embed["image"]["url"] == "attachment://progress.png"
    ((name, blob),) = res.attachments
    assert name == "progress.png"
    image = Image.open(io.BytesIO(blob))
    assert image.format == "PNG" and image.width == 800

    await done(sim, world, world.alice, "1.3")  # this week: the streak grows to 3
    res = await sim.invoke(world.guild, world.alice, "rank", {})
    assert "**Weekly streak:** 3 weeks" in res.embeds[0]["description"]
    assert "**Next up:** 2.2 Essential Libraries" in res.embeds[0]["description"]

    other = await sim.invoke(world.guild, world.alice, "rank", {"member": world.admin})
    text = other.embeds[0]["description"]
    assert other.embeds[0]["title"] == "Progress of Boss"
    assert "**0%** of the roadmap · 0 of 30 sections" in text
    assert "**Rank:** not on the board yet" in text
    assert "**Weekly streak:** 0 weeks" in text and "**Papers read:** 0" in text

    robot = await sim.invoke(world.guild, world.alice, "rank", {"member": sim.bot_user})
    assert robot.ephemeral and "Bots don't work through the roadmap" in robot.content


async def test_who_lists_finishers_most_recent_first_in_pages(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator, clock: FakeClock
) -> None:
    empty = await sim.invoke(world.guild, world.alice, "who", {"section": "4.5"})
    assert empty.ephemeral
    assert "Nobody here has marked **4.5 Transformers and Attention** done yet" in empty.text
    assert "`/done 4.5`" in empty.text

    others = [sim.add_member(world.guild, f"p{n}", global_name=f"P{n:02d}") for n in range(11)]
    for member in [world.alice, world.bob, *others]:
        clock.advance(timedelta(seconds=1))
        await done(sim, world, member, "4.5")
    res = await sim.invoke(world.guild, world.admin, "who", {"section": "transformers"})
    assert res.embeds[0]["title"] == "Who finished 4.5 Transformers and Attention"
    lines = res.embeds[0]["description"].splitlines()
    assert [line.split("**")[1] for line in lines] == [f"P{n:02d}" for n in range(10, 0, -1)]
    assert "13 members · most recent first" in res.embeds[0]["footer"]["text"]
    message = res.message
    assert message is not None
    second = await sim.click(world.guild, world.admin, message, message.custom_ids()[1])
    names = [line.split("**")[1] for line in second.embeds[0]["description"].splitlines()]
    assert names == ["P00", "Bob", "Alice"]


async def test_nothing_of_one_guild_shows_in_another(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    sim.add_member(world.other_guild, "alice", user=world.alice)
    await done(sim, world, world.alice, "1.1", "1.2")
    await done(sim, world, world.bob, "1.1")
    res = await sim.invoke(world.other_guild, world.carol, "done", {"section": "1.1"})
    assert "1 of 30 sections" in res.content and "**#1** of 1" in res.content

    board = await sim.invoke(world.other_guild, world.carol, "progress", {})
    assert board_lines(board) == ["`#1` **Carol** — 1 section ← you"]
    who = await sim.invoke(world.other_guild, world.carol, "who", {"section": "1.1"})
    assert "Carol" in who.text and "Alice" not in who.text and "Bob" not in who.text
    elsewhere = await sim.invoke(world.other_guild, world.alice, "rank", {})
    assert "0 of 30 sections" in elsewhere.embeds[0]["description"]
    home = await sim.invoke(world.guild, world.alice, "progress", {})
    assert "Carol" not in home.text
    cog = progress_cog(progress_bot)
    assert await cog.finished_count(world.guild.id, "1.1") == 2
    assert await cog.finished_count(world.other_guild.id, "1.1") == 1
    assert await cog.finished_count(world.other_guild.id, "1.2") == 0


async def test_sections_a_custom_roadmap_drops_stop_counting_but_are_kept(
    harness: BotHarness, world: World, sim: DiscordSimulator, tmp_path: Path
) -> None:
    shipped = (ROOT / "roadmap" / "ml-mastery-roadmap.md").read_text("utf-8")
    start, end = shipped.index("### 4.6 "), shipped.index("## Phase 5")
    custom = tmp_path / "custom.md"
    custom.write_text(shipped[:start] + shipped[end:], "utf-8")
    harness.cogs = PROGRESS_COGS
    await harness.start()
    await done(sim, world, world.alice, "4.6", "1.1")
    await done(sim, world, world.bob, "4.6")

    harness.settings = harness.settings.model_copy(update={"roadmap": custom})
    await harness.restart()
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board_lines(board) == ["`#1` **Alice** — 1 section ← you"]
    card = await sim.invoke(world.guild, world.alice, "rank", {})
    assert "1 of 29 sections" in card.embeds[0]["description"]
    assert await progress_cog(harness.bot).finished_count(world.guild.id, "4.6") == 0
    assert len(completions(harness.settings.database)) == 3  # nothing deleted

    harness.settings = harness.settings.model_copy(update={"roadmap": None})
    await harness.restart()
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board_lines(board)[0] == "`#1` **Alice** — 2 sections ← you"
    assert await progress_cog(harness.bot).finished_count(world.guild.id, "4.6") == 2
