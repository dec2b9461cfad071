"""Pure renderers of the progress feature: reply texts and embeds, names always escaped."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import discord

from bot.text import clip, plain, timestamp
from cogs.progress.repo import Board, Change, Finisher, Standing
from cogs.progress.stats import (
    Period,
    RankFacts,
    percent,
    period_end,
    period_start,
)
from roadmap.model import Section

COLOUR = 0x57F287
NAME_WIDTH = 64
PAGE_SIZE = 10
WHO_PAGE_SIZE = 10
START_HINT = "`/done 1.1` (or press ✅ under `/topic`)"
PERIOD_TITLES: dict[str, str] = {"week": "This week", "month": "This month", "all": "All time"}


def sections_word(count: int) -> str:
    """'1 section', '12 sections'."""
    return f"{count:,} section" + ("" if count == 1 else "s")


def section_name(section: Section) -> str:
    """A section as shown in replies: bold id and title."""
    return f"**{section.id} {discord.utils.escape_markdown(section.title)}**"


def standing_text(standing: Standing) -> str:
    """'You've finished 12 of 30 sections (40%) and you're #3 of 57 on the all-time board.'"""
    done = (
        f"You've finished {standing.done} of {standing.total} sections "
        f"({percent(standing.done, standing.total)}%)"
    )
    if standing.hidden:
        return f"{done}. You're hidden from the leaderboards; `/privacy show` brings you back."
    if standing.rank is None:
        return f"{done}; mark a section done to get on the leaderboard."
    return (
        f"{done} and you're **#{standing.rank}** of {standing.board_size:,} on the all-time board."
    )


def done_reply(section: Section, change: Change) -> str:
    """The reply to /done and the ✅ button."""
    if change.changed:
        return f"✅ Marked {section_name(section)} done. {standing_text(change.standing)}"
    when = f" {timestamp(change.done_at)}" if change.done_at is not None else ""
    return (
        f"You already marked {section_name(section)} done{when}; nothing changed. "
        f"{standing_text(change.standing)} (To unmark it: `/undo {section.id}`.)"
    )


def undo_reply(section: Section, change: Change) -> str:
    """The reply to /undo."""
    if change.changed:
        return f"↩️ Unmarked {section_name(section)}. {standing_text(change.standing)}"
    return (
        f"{section_name(section)} isn't marked done, so there was nothing to undo. "
        f"{standing_text(change.standing)} (To mark it: `/done {section.id}`.)"
    )


def not_found_text(query: str, suggestions: Sequence[Section], command: str) -> str:
    """The error for a section query that matches nothing, with the closest sections."""
    if not query.strip():
        return (
            f"Tell me which section: `/{command} 4.5`, a title such as "
            "`Transformers and Attention`, or a word such as `transformer`, "
            "then pick it from the list."
        )
    shown = plain(query, 60)
    example = suggestions[0].id if suggestions else "4.5"
    text = f"No roadmap section matches “{shown}”."
    if suggestions:
        closest = ", ".join(f"{s.id} {discord.utils.escape_markdown(s.title)}" for s in suggestions)
        text += f" Closest: {closest}."
    return text + f" Try `/{command} {example}`, or pick a section from the list as you type."


def period_label(period: Period, now: datetime) -> str:
    """'This week (Mon 23 Nov – Sun 29 Nov 2026, UTC)', 'November 2026 (UTC)', 'All time'."""
    start, end = period_start(period, now), period_end(period, now)
    if start is None or end is None:
        return PERIOD_TITLES["all"]
    if period == "week":
        last_day = end - timedelta(days=1)
        return f"This week ({start:%a %d %b} – {last_day:%a %d %b %Y}, UTC)"
    return f"{start:%B %Y} (UTC)"


def board_embed(board: Board, period: Period, now: datetime, caller_id: int) -> discord.Embed:
    """One leaderboard page with the caller's own rank and points."""
    embed = discord.Embed(title=f"🏆 Leaderboard — {period_label(period, now)}", colour=COLOUR)
    if board.size == 0:
        when = {"week": " this week", "month": " this month", "all": ""}[period]
        embed.description = (
            f"Nobody here has finished a section{when} yet. Be the first: {START_HINT}."
        )
    elif not board.entries:
        embed.description = "This page is empty now; go back with ◀."
    else:
        lines = []
        for entry in board.entries:
            you = " ← you" if entry.user_id == caller_id else ""
            lines.append(
                f"`#{entry.rank}` **{plain(entry.name, NAME_WIDTH)}** — "
                f"{sections_word(entry.points)}{you}"
            )
        embed.description = "\n".join(lines)
    embed.add_field(name="You", value=_me_text(board, period), inline=False)
    footer = [f"Page {board.page + 1} of {board.page_count}"] if board.page_count > 1 else []
    footer.append(f"{board.size:,} on the board · ties share a rank")
    if period == "week":
        footer.append("weeks run Monday–Sunday UTC")
    embed.set_footer(text=" · ".join(footer))
    return embed


def _me_text(board: Board, period: Period) -> str:
    if board.me_hidden:
        return "You're hidden from the leaderboards. `/privacy show` brings you back."
    if board.me is None:
        when = {"week": " this week", "month": " this month", "all": ""}[period]
        return f"No sections done{when} yet: {START_HINT} to join the board."
    return f"**#{board.me.rank}** of {board.size:,} · {sections_word(board.me.points)}"


def bar(done: int, total: int, width: int = 10) -> str:
    """A text progress bar such as '▰▰▰▱▱▱▱▱▱▱'."""
    filled = 0 if total <= 0 else round(width * done / total)
    return "▰" * filled + "▱" * (width - filled)


def rank_embed(facts: RankFacts, image: str | None = None) -> discord.Embed:
    """The text twin of the /rank card (for screen readers and image-less clients)."""
    name = plain(facts.name, NAME_WIDTH)
    embed = discord.Embed(title=clip(f"Progress of {name}", 256), colour=COLOUR)
    lines = [f"**{facts.percent}%** of the roadmap · {facts.done} of {facts.total} sections"]
    if facts.hidden:
        lines.append("**Rank:** hidden from the leaderboards")
    elif facts.rank is None:
        lines.append("**Rank:** not on the board yet")
    else:
        lines.append(f"**Rank:** #{facts.rank} of {facts.board_size:,} (all time)")
    weeks = "week" if facts.streak == 1 else "weeks"
    lines.append(f"**Weekly streak:** {facts.streak} {weeks}")
    papers = "unavailable" if facts.papers_read is None else str(facts.papers_read)
    lines.append(f"**Papers read:** {papers}")
    if facts.next_section is None:
        lines.append("**Next up:** nothing: the whole roadmap is done 🎉")
    else:
        section_id, title = facts.next_section
        lines.append(
            f"**Next up:** {section_id} {discord.utils.escape_markdown(title)} — "
            f"`/topic {section_id}`"
        )
    embed.description = "\n".join(lines)
    for phase in facts.phases:
        embed.add_field(
            name=clip(f"Phase {phase.number} · {phase.title}", 256),
            value=f"{bar(phase.done, phase.total)} {phase.done}/{phase.total}",
            inline=True,
        )
    if image is not None:
        embed.set_image(url=f"attachment://{image}")
    return embed


def who_embed(
    section: Section, finishers: Sequence[Finisher], total: int, page: int, page_count: int
) -> discord.Embed:
    """One page of the members who finished a section, most recent first."""
    embed = discord.Embed(
        title=clip(f"Who finished {section.id} {section.title}", 256), colour=COLOUR
    )
    if total == 0:
        embed.description = (
            f"Nobody here has marked {section_name(section)} done yet. "
            f"Be the first: `/done {section.id}`."
        )
        return embed
    if not finishers:
        embed.description = "This page is empty now; go back with ◀."
    else:
        embed.description = "\n".join(
            f"**{plain(f.name, NAME_WIDTH)}** — {timestamp(f.done_at)}" for f in finishers
        )
    footer = [f"Page {page + 1} of {page_count}"] if page_count > 1 else []
    footer.append(f"{total:,} member{'s' if total != 1 else ''} · most recent first")
    embed.set_footer(text=" · ".join(footer))
    return embed
