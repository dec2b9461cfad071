"""/done and /undo end to end: lookup, idempotence, replies, and bad input rendered harmlessly."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.conftest import ErrorLog, TestStudyBot, World
from tests.progress.conftest import completions
from tests.simulator import DiscordSimulator

NO_MENTIONS: dict[str, list[str]] = {"parse": []}


async def test_done_marks_a_section_and_a_second_done_changes_nothing(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    res = await sim.invoke(world.guild, world.alice, "done", {"section": "4.5"})
    assert res.ephemeral
    assert res.content.startswith("✅ Marked **4.5 Transformers and Attention** done.")
    assert "1 of 30 sections (3%)" in res.content
    assert "**#1** of 1 on the all-time board" in res.content
    assert res.allowed_mentions == NO_MENTIONS

    again = await sim.invoke(world.guild, world.alice, "done", {"section": "4.5"})
    assert again.ephemeral
    assert "You already marked **4.5 Transformers and Attention** done <t:" in again.content
    assert "nothing changed" in again.content
    assert "1 of 30 sections (3%)" in again.content
    assert completions(settings.database) == {(world.guild.id, world.alice.id, "4.5")}
    assert sim.messages_in(world.general) == []  # private replies only


async def test_done_finds_sections_like_topic_and_reports_rank(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})
    await sim.invoke(world.guild, world.bob, "done", {"section": "Calculus"})
    res = await sim.invoke(world.guild, world.alice, "done", {"section": "transformer"})
    assert "**4.5 Transformers and Attention**" in res.content
    assert "**#2** of 2" in res.content
    res = await sim.invoke(world.guild, world.alice, "done", {"section": " 1.1. "})
    assert "**1.1 Linear Algebra**" in res.content
    assert "2 of 30 sections (6%)" in res.content
    assert "**#1** of 2" in res.content  # tied with bob: both #1
    assert completions(settings.database, world.guild.id) == {
        (world.guild.id, world.bob.id, "1.1"),
        (world.guild.id, world.bob.id, "1.2"),
        (world.guild.id, world.alice.id, "4.5"),
        (world.guild.id, world.alice.id, "1.1"),
    }


async def test_done_and_undo_autocomplete_like_topic(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    for command in ("done", "undo", "who"):
        choices = await sim.autocomplete(
            world.guild, world.alice, command, {"section": "transf"}, "section"
        )
        assert choices[0] == {"name": "4.5 Transformers and Attention", "value": "4.5"}
        everything = await sim.autocomplete(
            world.guild, world.alice, command, {"section": ""}, "section"
        )
        assert len(everything) == 25 and everything[0]["value"] == "1.1"
    long = await sim.autocomplete(
        world.guild, world.alice, "done", {"section": "x" * 5000}, "section"
    )
    assert len(long) <= 25


async def test_undo_unmarks_and_a_second_undo_says_there_was_nothing(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator, settings: Settings
) -> None:
    await sim.invoke(world.guild, world.alice, "done", {"section": "2.1"})
    await sim.invoke(world.guild, world.alice, "done", {"section": "2.2"})
    res = await sim.invoke(world.guild, world.alice, "undo", {"section": "2.1"})
    assert res.ephemeral
    assert res.content.startswith("↩️ Unmarked **2.1 Python Programming**.")
    assert "1 of 30 sections (3%)" in res.content
    res = await sim.invoke(world.guild, world.alice, "undo", {"section": "2.1"})
    assert "isn't marked done, so there was nothing to undo" in res.content
    assert "`/done 2.1`" in res.content
    assert completions(settings.database) == {(world.guild.id, world.alice.id, "2.2")}
    res = await sim.invoke(world.guild, world.alice, "undo", {"section": "2.2"})
    assert "0 of 30 sections (0%)" in res.content
    assert "mark a section done to get on the leaderboard" in res.content


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zzzz", "No roadmap section matches “zzzz”."),
        ("9.9", "No roadmap section matches “9.9”."),
        ("", "Tell me which section: `/done 4.5`"),
        ("   ", "Tell me which section: `/done 4.5`"),
        ("x" * 5000, "No roadmap section matches “xxxx"),
        ("@everyone **bold** <@1>", "No roadmap section matches “@\u200beveryone \\*\\*bold\\*\\*"),
        ("\u202e\u0301\U0001f9e0\ufeff", "No roadmap section matches"),
        ("ｔｒａｎｓｆｏｒｍｅｒ 💥", "No roadmap section matches"),
    ],
)
async def test_bad_sections_get_a_clear_private_error_and_store_nothing(
    progress_bot: TestStudyBot,
    world: World,
    sim: DiscordSimulator,
    settings: Settings,
    error_log: ErrorLog,
    query: str,
    expected: str,
) -> None:
    for command in ("done", "undo", "who"):
        res = await sim.invoke(world.guild, world.alice, command, {"section": query})
        assert res.ephemeral
        assert res.content.startswith(expected.replace("/done", f"/{command}"))
        assert f"`/{command} " in res.content  # says what to type instead
        assert len(res.content) < 600
        assert res.allowed_mentions == NO_MENTIONS
    assert completions(settings.database) == set()
    assert error_log.records == []


async def test_unknown_word_suggests_the_closest_sections(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    res = await sim.invoke(world.guild, world.alice, "done", {"section": "transformer networks"})
    if "Closest:" in res.content:  # the lookup may resolve it; then it is a success
        assert "`/done " in res.content
    res = await sim.invoke(world.guild, world.alice, "done", {"section": "4.9"})
    assert "Closest: 4." in res.content


async def test_names_with_markdown_and_mentions_render_harmlessly(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    world.guild.member(world.bob).nick = "**Bob** @everyone <@&123456789012345678> __x__ `y`"
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert board.allowed_mentions == NO_MENTIONS
    description = board.embeds[0]["description"]
    assert (
        "\\*\\*Bob\\*\\* @\u200beveryone <@\u200b&123456789012345678> \\_\\_x\\_\\_ \\`y\\`"
        in description
    )
    assert "@everyone" not in board.text
    who = await sim.invoke(world.guild, world.alice, "who", {"section": "1.1"})
    assert who.allowed_mentions == NO_MENTIONS
    assert "@everyone" not in who.text and "\\*\\*Bob\\*\\*" in who.text


async def test_display_name_is_the_last_one_seen(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator
) -> None:
    await sim.invoke(world.guild, world.bob, "done", {"section": "1.1"})
    world.guild.member(world.bob).nick = "Robert"
    await sim.invoke(world.guild, world.bob, "progress", {})  # any interaction refreshes it
    board = await sim.invoke(world.guild, world.alice, "progress", {})
    assert "**Robert**" in board.embeds[0]["description"]
    assert "Bob" not in board.embeds[0]["description"]


async def test_huge_and_odd_display_names_stay_within_discord_limits(
    progress_bot: TestStudyBot, world: World, sim: DiscordSimulator, error_log: ErrorLog
) -> None:
    odd = ["@everyone " + "W" * 5000, "\u202e\u0000Z̷̢̛̤a̸l̴g̵o̶ 🧠", "", "`" * 300, "\n\n\n"]
    members = [sim.add_member(world.guild, f"odd{n}", nick=nick) for n, nick in enumerate(odd)]
    for member in members:
        res = await sim.invoke(world.guild, member, "done", {"section": "1.1"})
        assert "Marked" in res.content
        card = await sim.invoke(world.guild, member, "rank", {})
        assert card.attachments and len(card.embeds[0]["title"]) <= 256
    board = await sim.invoke(world.guild, members[0], "progress", {})
    who = await sim.invoke(world.guild, members[0], "who", {"section": "1.1"})
    for res in (board, who):
        assert res.allowed_mentions == NO_MENTIONS
        assert "@everyone" not in res.text
        assert len(res.embeds[0]["description"]) <= 4096
    assert error_log.records == []
