"""Pure renderers for the Kaggle feature: announcements, reminders, summaries and /kaggle list."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

import discord

from bot.text import clip, timestamp
from cogs.kaggle.repo import (
    REMIND_DAY,
    KaggleStatus,
    StoredCompetition,
    SubscribeOutcome,
    SubscribeResult,
)
from roadmap.kaggle_data import CuratedCompetition

KAGGLE_BLUE = discord.Colour(0x20BEFF)
REMINDER_ORANGE = discord.Colour(0xF39C12)
PER_PAGE = 5
SUMMARY_LINES = 15

CATEGORY_NAMES: dict[str, str] = {
    "all": "all categories",
    "featured": "Featured",
    "research": "Research",
    "playground": "Playground",
    "getting-started": "Getting Started",
}

CREDENTIALS_HINT = "`KAGGLE_API_TOKEN` (or `KAGGLE_USERNAME` + `KAGGLE_KEY`)"
NO_CREDENTIALS_NOTE = (
    "StudyBot has no Kaggle credentials, so these are curated beginner competitions that stay "
    "open. Live announcements of new competitions need `KAGGLE_API_TOKEN` (or "
    "`KAGGLE_USERNAME` + `KAGGLE_KEY`) in the bot's settings."
)

# Characters that start markdown inside one line of text (emphasis, code, spoilers, links).
_MARKDOWN = re.compile(r"([\\*_~`|\[\]])")
# An URL Discord accepts in an embed and that cannot break out of a markdown link.
_SAFE_URL = re.compile(r"^https?://[^\s<>()\[\]\"'`]+$")


def category_name(category: str | None) -> str:
    """A competition category as people write it ("Getting Started")."""
    if not category:
        return "Other"
    return CATEGORY_NAMES.get(category, category.replace("-", " ").title())


def safe(text: str, limit: int) -> str:
    """Outside text made harmless (no markdown, no mentions, one line) within `limit`."""
    flat = " ".join(text.split()) or "(untitled)"
    escaped = _MARKDOWN.sub(r"\\\1", clip(flat, limit))
    return clip(discord.utils.escape_mentions(escaped), limit)


def safe_url(url: str) -> str | None:
    """The URL when it is safe to link, else None."""
    return url if len(url) <= 2000 and _SAFE_URL.match(url) else None


def link(title: str, url: str, limit: int = 120) -> str:
    """A markdown link with an escaped title, or the bare title when the URL is odd."""
    text = safe(title, limit)
    target = safe_url(url)
    return f"[{text}]({target})" if target else text


def deadline_text(deadline: datetime | None) -> str:
    """The deadline as Discord timestamps, or a note when Kaggle gave none."""
    if deadline is None:
        return "no deadline given"
    return f"{timestamp(deadline, 'D')} ({timestamp(deadline)})"


def sections_text(sections: Sequence[str], titles: Mapping[str, str], limit: int = 1024) -> str:
    """Roadmap sections with their titles, e.g. "4.3 Computer Vision · 7.2 Kaggle …"."""
    if not sections:
        return "7.2"
    labels = [f"{sid} {titles[sid]}" if sid in titles else sid for sid in sections]
    return clip(" · ".join(labels), limit)


def _facts(competition: StoredCompetition) -> str:
    """Category · reward · teams on one line."""
    parts = [category_name(competition.category)]
    if competition.reward:
        parts.append(safe(competition.reward, 60))
    if competition.team_count is not None:
        parts.append(f"{competition.team_count:,} teams")
    return " · ".join(parts)


def competition_embed(competition: StoredCompetition, titles: Mapping[str, str]) -> discord.Embed:
    """The announcement of one new competition."""
    embed = discord.Embed(
        title=clip(f"New on Kaggle: {safe(competition.title, 200)}", 256),
        url=safe_url(competition.url),
        description=safe(competition.description, 400) if competition.description else None,
        colour=KAGGLE_BLUE,
    )
    embed.add_field(name="Category", value=category_name(competition.category))
    embed.add_field(name="Reward", value=safe(competition.reward or "none listed", 100))
    embed.add_field(name="Deadline", value=deadline_text(competition.deadline))
    embed.add_field(
        name="Roadmap sections", value=sections_text(competition.sections, titles), inline=False
    )
    embed.set_footer(text="/kaggle list shows every open competition")
    return embed


def reminder_embed(competition: StoredCompetition, kind: str) -> discord.Embed:
    """A deadline reminder (7 days or 1 day before)."""
    lead = "Less than a day left" if kind == REMIND_DAY else "One week left"
    embed = discord.Embed(
        title=clip(f"⏰ {lead}: {safe(competition.title, 200)}", 256),
        url=safe_url(competition.url),
        description=f"The competition closes {deadline_text(competition.deadline)}. "
        "Submit before then!",
        colour=REMINDER_ORANGE,
    )
    embed.add_field(name="Category", value=category_name(competition.category))
    if competition.reward:
        embed.add_field(name="Reward", value=safe(competition.reward, 100))
    return embed


def summary_embed(
    competitions: Sequence[StoredCompetition], category: str, now: datetime
) -> discord.Embed:
    """The one summary a new subscription gets: the competitions open right now."""
    scope = "" if category == "all" else f" ({category_name(category)})"
    embed = discord.Embed(title=f"Kaggle competitions open now{scope}", colour=KAGGLE_BLUE)
    if not competitions:
        embed.description = (
            "No competition of this category is open on Kaggle right now. "
            "New ones will be announced here as they appear."
        )
    else:
        lines: list[str] = []
        budget = 4096 - 60  # room for the "…and N more" line
        for competition in competitions[:SUMMARY_LINES]:
            ends = (
                f"ends {timestamp(competition.deadline)}" if competition.deadline else "no deadline"
            )
            line = f"• {link(competition.title, competition.url)} — {_facts(competition)} · {ends}"
            if len(line) + 1 > budget:
                break
            lines.append(line)
            budget -= len(line) + 1
        more = len(competitions) - len(lines)
        if more > 0:
            lines.append(f"…and {more} more: see `/kaggle list`.")
        embed.description = clip("\n".join(lines), 4096)
    embed.set_footer(
        text="New competitions will be announced here, with reminders 7 days and 1 day "
        "before each deadline."
    )
    embed.timestamp = now
    return embed


def challenge_embed(
    challenge: CuratedCompetition, iso_year: int, iso_week: int, titles: Mapping[str, str]
) -> discord.Embed:
    """The curated challenge of the week (used when the bot has no Kaggle credentials)."""
    embed = discord.Embed(
        title=clip(f"🏆 Challenge of the week: {safe(challenge.title, 200)}", 256),
        url=safe_url(challenge.url),
        description=safe(challenge.description, 400),
        colour=KAGGLE_BLUE,
    )
    embed.add_field(name="Category", value=category_name(challenge.category))
    embed.add_field(name="Deadline", value="open all year")
    embed.add_field(
        name="Roadmap sections", value=sections_text(challenge.sections, titles), inline=False
    )
    embed.set_footer(text=f"Week {iso_week} of {iso_year} · a new beginner challenge every week")
    return embed


def _field_value(competition: StoredCompetition, titles: Mapping[str, str]) -> str:
    """One competition's /kaggle list entry (≤ 1024 characters)."""
    lines = [
        f"{_facts(competition)}",
        f"Deadline: {deadline_text(competition.deadline)}",
        f"Sections: {sections_text(competition.sections, titles, 300)}",
    ]
    target = safe_url(competition.url)
    if target:
        lines.append(f"[Open on Kaggle]({target})")
    return clip("\n".join(lines), 1024)


def list_note(status: KaggleStatus, poll_minutes: int) -> str:
    """Where /kaggle list's competitions come from and how fresh they are."""
    if status.last_success is None:
        reason = (
            "StudyBot could not reach Kaggle yet"
            if status.failing
            else "Kaggle's live list has not loaded yet"
        )
        return (
            f"{reason}; meanwhile, these beginner competitions are always open. "
            f"StudyBot checks Kaggle every {poll_minutes} minutes."
        )
    as_of = timestamp(status.last_success)
    if status.auth_error:
        return f"This is the list as of {as_of}."
    if status.failing:
        return f"Kaggle is not answering right now: this is the list as of {as_of}."
    return f"Checked on Kaggle {as_of}."


def credentials_warning(status: KaggleStatus, now: datetime) -> str:
    """The note admins get on /kaggle list while Kaggle refuses the credentials."""
    since = status.auth_error_since or now
    return (
        f"⚠️ Kaggle has refused StudyBot's credentials since {timestamp(since)} "
        f"({status.auth_error}), so new competitions are not announced. Check "
        f"{CREDENTIALS_HINT} in StudyBot's settings and restart it. Only admins see this note."
    )


def page_count(total: int) -> int:
    """How many /kaggle list pages `total` competitions fill (at least one)."""
    return max(1, -(-total // PER_PAGE))


def list_page(
    competitions: Sequence[StoredCompetition],
    titles: Mapping[str, str],
    note: str,
    now: datetime,
    *,
    page: int = 0,
    total: int | None = None,
) -> discord.Embed:
    """One /kaggle list page (`competitions` are that page's, at most five)."""
    total = len(competitions) if total is None else total
    embed = discord.Embed(
        title="Active Kaggle competitions", description=clip(note, 1000), colour=KAGGLE_BLUE
    )
    if total == 0:
        embed.description = clip(f"{note}\n\nNo competition is open right now.", 4096)
    for competition in competitions[:PER_PAGE]:
        embed.add_field(
            name=safe(competition.title, 200),
            value=_field_value(competition, titles),
            inline=False,
        )
    embed.set_footer(text=f"Page {page + 1} of {page_count(total)} · {total} open")
    embed.timestamp = now
    return embed


def list_embeds(
    competitions: Sequence[StoredCompetition],
    titles: Mapping[str, str],
    note: str,
    now: datetime,
) -> list[discord.Embed]:
    """Every /kaggle list page of a list of active competitions."""
    total = len(competitions)
    return [
        list_page(
            competitions[n * PER_PAGE : (n + 1) * PER_PAGE],
            titles,
            note,
            now,
            page=n,
            total=total,
        )
        for n in range(page_count(total))
    ]


def curated_embeds(
    curated: Sequence[CuratedCompetition],
    titles: Mapping[str, str],
    this_week: str | None,
    note: str,
) -> list[discord.Embed]:
    """/kaggle list pages of the curated beginner competitions."""
    pages = [curated[i : i + PER_PAGE] for i in range(0, len(curated), PER_PAGE)] or [[]]
    embeds = []
    for number, page in enumerate(pages, start=1):
        embed = discord.Embed(
            title="Beginner Kaggle competitions", description=clip(note, 1000), colour=KAGGLE_BLUE
        )
        for challenge in page:
            name = safe(challenge.title, 200)
            if challenge.slug == this_week:
                name = f"🏆 {name} (this week's challenge)"
            value = "\n".join(
                [
                    f"{category_name(challenge.category)} · open all year",
                    safe(challenge.description, 300),
                    f"Sections: {sections_text(challenge.sections, titles, 300)}",
                    f"[Open on Kaggle]({challenge.url})",
                ]
            )
            embed.add_field(name=clip(name, 256), value=clip(value, 1024), inline=False)
        embed.set_footer(text=f"Page {number} of {len(pages)} · {len(curated)} competitions")
        embeds.append(embed)
    return embeds


def subscribed_text(result: SubscribeResult, mention: str, live: bool, has_list: bool) -> str:
    """The reply to /kaggle subscribe."""
    category = result.subscription.category
    scope = category_name(category)
    if result.outcome is SubscribeOutcome.UNCHANGED:
        return f"{mention} already gets Kaggle posts for {scope}; nothing changed."
    if not live:
        lead = (
            f"{mention} will get a curated beginner challenge every week, starting now."
            if result.outcome is SubscribeOutcome.CREATED
            else f"{mention} gets the weekly beginner challenge again."
        )
        return (
            f"{lead} Live announcements of new competitions need {CREDENTIALS_HINT} in "
            "StudyBot's settings."
        )
    if result.outcome is SubscribeOutcome.CREATED:
        lead = f"New Kaggle competitions ({scope}) will be announced in {mention}."
    else:
        changes = []
        if result.previous_category not in (None, category):
            was = category_name(result.previous_category)
            changes.append(f"it now follows {scope} (was {was})")
        if result.resumed:
            changes.append("its paused posts are resumed")
        lead = f"Updated {mention}: {' and '.join(changes)}."
    summary = (
        "A summary of the competitions open now is posted there first"
        if has_list
        else "A summary of the competitions open now follows after StudyBot's first check of Kaggle"
    )
    return (
        f"{lead} {summary}; then each new one gets its own post, with reminders 7 days and "
        "1 day before its deadline."
    )
