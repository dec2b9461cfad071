"""Pure rendering for /privacy: the replies, the export file and the warning before a delete."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

EXPORT_FORMAT = "studybot-member-export/1"
EXPORT_TEXT = "Here is everything StudyBot holds about you in this server."
NO_LISTING = (
    "StudyBot's leaderboards aren't running in this bot, so there is nothing to leave or "
    "rejoin. `/privacy export` and `/privacy delete` still cover your data."
)


def hide_reply(changed: bool) -> str:
    """The answer to /privacy hide."""
    if changed:
        return (
            "You're now hidden: the leaderboards, `/who` and other members' `/rank` leave "
            "you out. Your progress is kept; `/privacy show` brings you back."
        )
    return "You're already hidden from the leaderboards. `/privacy show` brings you back."


def show_reply(changed: bool) -> str:
    """The answer to /privacy show."""
    if changed:
        return "Welcome back: you're on the leaderboards and in `/who` again."
    return "You're not hidden: the leaderboards already include you. (`/privacy hide` to leave.)"


def export_filename(guild_id: int, user_id: int) -> str:
    """The name of a member's export file."""
    return f"studybot-data-{guild_id}-{user_id}.json"


def export_document(
    guild_id: int, user_id: int, now: datetime, features: Mapping[str, Mapping[str, Any]]
) -> bytes:
    """A member's export: every feature's data about them in one guild, as UTF-8 JSON."""
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": now.astimezone(UTC).isoformat(),
        "guild_id": str(guild_id),
        "user_id": str(user_id),
        "features": dict(features),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()


def delete_prompt(summaries: Sequence[str]) -> str:
    """The warning shown before /privacy delete; `summaries` say what each feature holds."""
    held = f": {'; '.join(summaries)}" if summaries else ""
    return (
        f"This deletes **everything StudyBot holds about you in this server**{held}. "
        "It can't be undone. Want a copy first? Use `/privacy export`."
    )


def deleted_text(removed: int) -> str:
    """What a confirmed delete did."""
    word = "record" if removed == 1 else "records"
    return (
        f"Deleted {removed} {word}. StudyBot holds nothing more about you in this server "
        "(using a command again starts afresh)."
    )
