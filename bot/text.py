"""Small text helpers for rendering user-supplied strings harmlessly."""

from __future__ import annotations

from datetime import datetime

import discord


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def plain(text: str, limit: int = 100) -> str:
    """A user-supplied name made safe to show: no markdown, no mentions, one line, clipped."""
    flat = clip(" ".join(text.split()) or "(no name)", limit)
    return discord.utils.escape_mentions(discord.utils.escape_markdown(flat))


def timestamp(moment: datetime, style: discord.utils.TimestampStyle = "R") -> str:
    """A Discord timestamp tag for an aware datetime."""
    return discord.utils.format_dt(moment, style)
