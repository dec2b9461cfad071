"""The Kaggle feature's lines of /admin status (pure rendering)."""

from __future__ import annotations

from datetime import datetime

from bot.text import plain, timestamp
from cogs.kaggle.embeds import CREDENTIALS_HINT, category_name
from cogs.kaggle.repo import KaggleStatus, Subscription


def subscription_line(subscription: Subscription, problem: str | None) -> str:
    """One subscription: channel and category; why it is paused; what blocks it."""
    text = f"<#{subscription.channel_id}> gets {category_name(subscription.category)}"
    if subscription.paused:
        since = f" {timestamp(subscription.paused_at)}" if subscription.paused_at else ""
        reason = plain(subscription.pause_reason or "no reason was recorded", 300)
        text += (
            f"\n  ⏸️ Paused{since}: {reason}. Run `/admin kaggle subscribe` for this channel "
            "again to resume it."
        )
    if problem:
        text += f"\n  ⚠️ {problem[0].upper()}{problem[1:]}."
    return text


def kaggle_health(status: KaggleStatus, *, live: bool, next_check: datetime | None) -> str:
    """Whether Kaggle answers StudyBot, from the poll status, and when it checks next."""
    after = f" Next check {timestamp(next_check)}." if next_check is not None else ""
    if not live:
        return (
            "ℹ️ StudyBot has no Kaggle credentials, so it posts a curated beginner challenge "
            f"every week instead of live announcements; those need {CREDENTIALS_HINT} in "
            "StudyBot's settings."
        )
    if status.auth_error:
        since = timestamp(status.auth_error_since) if status.auth_error_since else "recently"
        return (
            f"⛔ Kaggle has refused StudyBot's credentials since {since} "
            f"({plain(status.auth_error, 200)}): no new competitions are announced until "
            f"{CREDENTIALS_HINT} is fixed in StudyBot's settings.{after}"
        )
    if status.last_failure is not None:
        failed = timestamp(status.last_failure)
        reason = plain(status.failure or "no answer", 200)
        success = (
            f"it last answered {timestamp(status.last_success)}"
            if status.last_success is not None
            else "it has not answered yet"
        )
        return f"⚠️ Kaggle is not reachable: the check {failed} failed ({reason}); {success}.{after}"
    if status.last_success is not None:
        return f"✅ Kaggle is reachable: last checked {timestamp(status.last_success)}.{after}"
    return f"⏳ StudyBot has not checked Kaggle yet.{after}"
