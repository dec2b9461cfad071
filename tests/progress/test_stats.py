"""Pure parts of progress: periods, ranks, streaks, the card and the embeds' limits."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from cogs.progress import embeds
from cogs.progress.card import drawable, fit, font, render_card
from cogs.progress.repo import Board, BoardEntry, clean_name
from cogs.progress.stats import (
    Level,
    RankFacts,
    locate,
    month_key,
    next_section,
    percent,
    period_end,
    period_keys,
    period_start,
    phase_progress,
    rank_of,
    week_key,
    weekly_streak,
)
from roadmap.parser import load_roadmap

ROADMAP = load_roadmap(None)
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Tuesday of ISO week 48


def test_period_keys_are_utc_calendar_periods() -> None:
    assert period_keys(NOW) == ("all", "2026-W48", "2026-11")
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)  # Sunday night UTC
    assert week_key(late) == "2026-W48"
    assert week_key(late + timedelta(hours=1)) == "2026-W49"
    assert week_key(datetime(2027, 1, 1, tzinfo=UTC)) == "2026-W53"
    assert week_key(datetime(2024, 12, 30, tzinfo=UTC)) == "2025-W01"
    from zoneinfo import ZoneInfo

    # 01:00 in Berlin on the 1st is still the previous month in UTC.
    assert month_key(datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))) == "2026-11"
    with pytest.raises(ValueError):
        week_key(datetime(2026, 11, 24))


def test_period_bounds() -> None:
    assert period_start("week", NOW) == datetime(2026, 11, 23, tzinfo=UTC)
    assert period_end("week", NOW) == datetime(2026, 11, 30, tzinfo=UTC)
    december = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)
    assert period_start("month", december) == datetime(2026, 12, 1, tzinfo=UTC)
    assert period_end("month", december) == datetime(2027, 1, 1, tzinfo=UTC)
    assert period_start("all", NOW) is None and period_end("all", NOW) is None


def test_competition_ranking_and_positions() -> None:
    levels = [Level(5, 1), Level(3, 2), Level(1, 4)]
    assert [rank_of(levels, p) for p in (5, 3, 1)] == [1, 2, 4]
    assert rank_of(levels, 7) == 1
    assert locate(levels, 0) == (5, 0)
    assert locate(levels, 2) == (3, 1)
    assert locate(levels, 3) == (1, 0)
    assert locate(levels, 6) == (1, 3)
    assert locate(levels, 7) is None
    assert locate([], 0) is None


def test_percent_rounds_down() -> None:
    assert percent(0, 30) == 0
    assert percent(1, 30) == 3
    assert percent(29, 30) == 96
    assert percent(30, 30) == 100
    assert percent(1, 0) == 0


def test_weekly_streak_counts_back_from_this_week_or_last() -> None:
    def weeks_ago(*n: int) -> list[datetime]:
        return [NOW - timedelta(weeks=k) for k in n]

    assert weekly_streak([], NOW) == 0
    assert weekly_streak(weeks_ago(0), NOW) == 1
    assert weekly_streak(weeks_ago(0, 1, 2), NOW) == 3
    assert weekly_streak(weeks_ago(1, 2), NOW) == 2  # nothing yet this week: still alive
    assert weekly_streak(weeks_ago(2, 3), NOW) == 0  # a whole week missed
    assert weekly_streak(weeks_ago(0, 1, 3, 4), NOW) == 2
    assert weekly_streak(weeks_ago(0, 0, 0), NOW) == 1
    # across the new year and a 53-week year
    new_year = datetime(2027, 1, 5, tzinfo=UTC)
    dates = [datetime(2026, 12, 30, tzinfo=UTC), datetime(2026, 12, 22, tzinfo=UTC), new_year]
    assert weekly_streak(dates, new_year) == 3


def test_phases_and_next_section() -> None:
    done = {"1.1", "1.2", "2.1", "9.9"}
    phases = phase_progress(ROADMAP, done)
    assert [(p.number, p.done, p.total) for p in phases][:3] == [(1, 2, 4), (2, 1, 3), (3, 0, 5)]
    upcoming = next_section(ROADMAP, done)
    assert upcoming is not None and upcoming.id == "1.3"
    assert next_section(ROADMAP, {s.id for s in ROADMAP.sections}) is None


def facts(name: str, done: set[str], **changes: object) -> RankFacts:
    upcoming = next_section(ROADMAP, done)
    values: dict[str, object] = {
        "name": name,
        "done": len(done),
        "total": ROADMAP.section_count,
        "phases": phase_progress(ROADMAP, done),
        "papers_read": 2,
        "streak": 1,
        "next_section": (upcoming.id, upcoming.title) if upcoming else None,
        "rank": 4,
        "board_size": 100_000,
        "hidden": False,
    }
    values.update(changes)
    return RankFacts(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "Alice",
        "",
        "x" * 5000,
        "**bold** @everyone <@123456789012345678>",
        "\u202eevil\u200b\u0000\x07 name",
        "Z̷̢̛̤̦̻͓̻̰̓̈́̏̉̈́ͅa̸̢̧̛̹̲l̴g̵o̶",
        "漢字かな 🧠🔥 العربية",
    ],
)
def test_card_renders_any_name(name: str) -> None:
    blob = render_card(facts(name, {"1.1", "2.1"}))
    image = Image.open(io.BytesIO(blob))
    assert image.format == "PNG" and image.width == 800


def test_card_at_zero_and_everything_done() -> None:
    for done in (set(), {s.id for s in ROADMAP.sections}):
        image = Image.open(io.BytesIO(render_card(facts("A", done, hidden=True, rank=None))))
        assert image.format == "PNG"


def test_text_is_cleaned_and_clipped_for_the_card() -> None:
    assert drawable("a\u202eb\u200bc\x00\nd") == "abc d"
    face = font(20)
    clipped = fit("word " * 100, face, 200)
    assert clipped.endswith("…") and face.getlength(clipped) <= 200


def test_embeds_respect_discord_limits_with_huge_names() -> None:
    name = clean_name("W" * 5000 + " @everyone")
    assert len(name) == 100
    embed = embeds.rank_embed(facts(name, {"1.1"}), "progress.png")
    assert len(embed.title or "") <= 256
    assert len(embed.fields) == len(ROADMAP.phases) <= 25
    assert len(embed) <= 6000
    entries = [BoardEntry(n + 1, n, name, 30 - n) for n in range(10)]
    board = Board("all", 0, 10_000, 100_000, entries, entries[3], False)
    rendered = embeds.board_embed(board, "all", NOW, caller_id=3)
    assert len(rendered.description or "") <= 4096
    assert len(rendered) <= 6000
    assert "@everyone" not in (rendered.description or "")
    assert "Page 1 of 10000" in (rendered.footer.text or "")
