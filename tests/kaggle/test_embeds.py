"""The Kaggle renderers stay within Discord's embed limits and render outside text harmlessly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from cogs.kaggle import embeds
from cogs.kaggle.repo import REMIND_DAY, REMIND_WEEK, StoredCompetition
from roadmap.kaggle_data import load_curated

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TITLES = {"3.3": "Classification", "7.2": "Kaggle Competitions"}


def stored(index: int, text: str = "Cup", url: str | None = None) -> StoredCompetition:
    return StoredCompetition(
        ref=f"https://www.kaggle.com/competitions/c{index}",
        title=f"{text} {index}",
        url=url or f"https://www.kaggle.com/competitions/c{index}",
        description=text * 3,
        category="featured",
        reward=text,
        deadline=NOW + timedelta(days=index + 1),
        enabled_date=None,
        team_count=index,
        tags=(),
        sections=("3.3", "7.2") * 50,
        first_seen=NOW,
    )


def within_limits(embed: discord.Embed) -> None:
    assert len(embed.title or "") <= 256
    assert len(embed.description or "") <= 4096
    assert len(embed.fields) <= 25
    for field in embed.fields:
        assert len(field.name or "") <= 256 and len(field.value or "") <= 1024
    assert len(embed) <= 6000


def test_every_renderer_respects_discord_limits_with_huge_text() -> None:
    huge = "**@everyone** `x` ||y|| " * 800
    comps = [stored(i, huge) for i in range(40)]
    rendered = [
        embeds.competition_embed(comps[0], TITLES),
        embeds.reminder_embed(comps[0], REMIND_WEEK),
        embeds.reminder_embed(comps[0], REMIND_DAY),
        embeds.summary_embed(comps, "all", NOW),
        *embeds.list_embeds(comps, TITLES, "note " * 500, NOW),
        *embeds.curated_embeds(load_curated(), TITLES, "titanic", "note " * 500),
    ]
    for embed in rendered:
        within_limits(embed)
        assert "@everyone" not in str(embed.to_dict())
    assert len(embeds.list_embeds(comps, TITLES, "n", NOW)) == 8
    summary = rendered[3].description or ""
    assert summary.endswith("more: see `/kaggle list`.")
    assert all(line.endswith(":R>") for line in summary.splitlines()[:-1]), "whole lines only"
    short = embeds.summary_embed([stored(i) for i in range(40)], "all", NOW)
    assert (short.description or "").endswith("…and 25 more: see `/kaggle list`.")


def test_odd_urls_are_not_linked() -> None:
    odd = stored(1, url="https://example.org/a b)(x")
    assert embeds.competition_embed(odd, TITLES).url is None
    assert embeds.link("Cup", "javascript:alert(1)") == "Cup"
    assert embeds.link("Cup", "https://www.kaggle.com/c/x") == "[Cup](https://www.kaggle.com/c/x)"


def test_empty_lists_render_a_helpful_line() -> None:
    (page,) = embeds.list_embeds([], TITLES, "Checked.", NOW)
    assert "No competition is open right now." in (page.description or "")
    summary = embeds.summary_embed([], "research", NOW)
    assert summary.title == "Kaggle competitions open now (Research)"
    assert "New ones will be announced here" in (summary.description or "")
