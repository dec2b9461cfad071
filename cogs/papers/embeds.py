"""Pure renderers for the paper club: the weekly post, the queue, the current paper."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import discord

from bot.text import clip, plain, timestamp
from cogs.papers.arxiv import ArxivPaper
from cogs.papers.repo import PostRecord, QueueEntry, Schedule
from cogs.papers.schedule import WEEKDAYS
from roadmap.reading_list import ReadingPaper

COLOUR = discord.Colour.from_rgb(179, 27, 27)  # arXiv red
ABSTRACT_LIMIT = 600
QUEUE_PAGE_SIZE = 10
NO_SECTION = "—"


@dataclass(frozen=True, slots=True)
class PostContent:
    """Everything the weekly post shows about its paper."""

    title: str
    url: str
    authors: list[str]
    abstract: str | None
    section: str | None
    year: int | None
    arxiv_id: str | None
    source: str  # "queue" or "reading list"
    votes: int = 0
    suggested_by: int | None = None


def content_from_arxiv(
    paper: ArxivPaper,
    section: str | None,
    *,
    source: str,
    votes: int = 0,
    suggested_by: int | None = None,
) -> PostContent:
    """The post content of a paper described by arXiv."""
    return PostContent(
        title=paper.title,
        url=paper.abs_url,
        authors=list(paper.authors),
        abstract=paper.summary or None,
        section=section,
        year=paper.published.year,
        arxiv_id=paper.arxiv_id,
        source=source,
        votes=votes,
        suggested_by=suggested_by,
    )


def content_from_reading(
    paper: ReadingPaper, arxiv: ArxivPaper | None, section: str | None
) -> PostContent:
    """The post content of a reading-list paper, with arXiv's abstract when it is known."""
    return PostContent(
        title=arxiv.title if arxiv is not None else paper.title,
        url=arxiv.abs_url if arxiv is not None else paper.url,
        authors=list(arxiv.authors) if arxiv is not None and arxiv.authors else paper.authors,
        abstract=arxiv.summary if arxiv is not None and arxiv.summary else None,
        section=section,
        year=paper.year,
        arxiv_id=paper.arxiv_id,
        source="reading list",
    )


def format_authors(authors: Sequence[str], limit: int = 6) -> str:
    """Authors as one line: the first `limit` names, then how many more."""
    if not authors:
        return "unknown"
    names = [plain(name, 80) for name in authors[:limit]]
    text = ", ".join(names)
    if len(authors) > limit:
        text += f" and {len(authors) - limit} more"
    return clip(text, 1024)


def post_title(title: str) -> str:
    """A paper title made safe for an embed title."""
    return clip(discord.utils.escape_markdown(" ".join(title.split())), 256)


def paper_post_embed(content: PostContent) -> discord.Embed:
    """The weekly post: title, authors, a short abstract, the link and the roadmap section."""
    abstract = (
        clip(discord.utils.escape_markdown(" ".join(content.abstract.split())), ABSTRACT_LIMIT)
        if content.abstract
        else "_No abstract at hand: follow the link to read it._"
    )
    embed = discord.Embed(
        title=post_title(content.title),
        url=content.url,
        description=abstract,
        colour=COLOUR,
    )
    embed.set_author(name="📄 Paper of the week")
    embed.add_field(name="Authors", value=format_authors(content.authors), inline=False)
    embed.add_field(name="Roadmap section", value=content.section or NO_SECTION, inline=True)
    if content.year is not None:
        embed.add_field(name="Year", value=str(content.year), inline=True)
    link = f"arXiv:{content.arxiv_id}" if content.arxiv_id else "Read it"
    embed.add_field(name="Link", value=f"[{link}]({content.url})", inline=True)
    if content.source == "queue":
        who = f"<@{content.suggested_by}>" if content.suggested_by else "a member"
        votes = "vote" if content.votes == 1 else "votes"
        embed.add_field(
            name="From the queue",
            value=f"Suggested by {who} · {content.votes} {votes}",
            inline=False,
        )
    embed.set_footer(
        text="Discuss it in the thread below · /paper read when you have read it · "
        "/paper suggest the next one"
    )
    return embed


def post_content_line(role_id: int | None, late_for: datetime | None) -> str | None:
    """The message text above the embed: the role ping and, when late, a note saying so."""
    lines = []
    if role_id is not None:
        lines.append(f"<@&{role_id}>")
    if late_for is not None:
        lines.append(
            f"⏰ Posted late: this was due {timestamp(late_for, 'f')}, while StudyBot was offline."
        )
    return "\n".join(lines) or None


def empty_week_embed() -> discord.Embed:
    """The post for a week with nothing left: the queue is empty and the reading list done."""
    return discord.Embed(
        title="No paper this week",
        description=(
            "The queue is empty and this server has read the whole reading list. "
            "Suggest the next paper with `/paper suggest 1706.03762` (an arXiv id or link) "
            "and vote with `/paper vote`."
        ),
        colour=COLOUR,
    )


def thread_name(title: str) -> str:
    """The discussion thread's name (Discord allows 1-100 characters)."""
    return clip(" ".join(title.split()) or "Paper of the week", 100)


def queue_embed(
    entries: Sequence[QueueEntry],
    *,
    page: int,
    pages: int,
    total: int,
    next_reading: ReadingPaper | None,
) -> discord.Embed:
    """One page of the queue, most votes first."""
    embed = discord.Embed(title="📚 Paper queue", colour=COLOUR)
    if not entries:
        lines = ["The queue is empty. Suggest a paper with `/paper suggest` and an arXiv id."]
        if next_reading is not None:
            lines.append(
                f"Until then the next paper comes from the reading list: "
                f"**{plain(next_reading.title, 200)}**."
            )
        embed.description = "\n".join(lines)
        return embed
    start = page * QUEUE_PAGE_SIZE
    lines = []
    for rank, entry in enumerate(entries, start=start + 1):
        votes = "vote" if entry.votes == 1 else "votes"
        who = f"<@{entry.suggested_by}>" if entry.suggested_by else "a former member"
        lines.append(
            f"**{rank}.** [{plain(entry.title, 180)}]({entry.abs_url}) · "
            f"{entry.votes} {votes}\n   suggested by {who} {timestamp(entry.suggested_at)}"
        )
    embed.description = clip("\n".join(lines), 4096)
    footer = f"{total} paper{'s' if total != 1 else ''} waiting · the top one is next"
    if pages > 1:
        footer = f"Page {page + 1}/{pages} · " + footer
    embed.set_footer(text=footer + " · /paper vote to move one up")
    return embed


def current_embed(post: PostRecord, next_post: datetime | None) -> discord.Embed:
    """This week's paper: what it is, where to discuss it, how many read it."""
    embed = discord.Embed(title=post_title(post.title), url=post.url, colour=COLOUR)
    embed.set_author(name="📄 This week's paper")
    lines = []
    if post.posted_at is not None:
        lines.append(f"Posted {timestamp(post.posted_at)} in <#{post.channel_id}>.")
    if post.thread_id is not None:
        lines.append(f"Discussion: <#{post.thread_id}>")
    readers = "member has" if post.readers == 1 else "members have"
    lines.append(f"{post.readers} {readers} read it. Done? `/paper read`")
    embed.description = "\n".join(lines)
    embed.add_field(name="Roadmap section", value=post.section or NO_SECTION, inline=True)
    embed.add_field(name="Link", value=f"[Read it]({post.url})", inline=True)
    if next_post is not None:
        embed.add_field(name="Next paper", value=timestamp(next_post), inline=True)
    return embed


def schedule_summary(schedule: Schedule) -> str:
    """A schedule in words, e.g. 'every Tuesday at 18:00 (Europe/Berlin)'."""
    return (
        f"every {WEEKDAYS[schedule.weekday]} at {schedule.at.strftime('%H:%M')} "
        f"({schedule.timezone})"
    )
