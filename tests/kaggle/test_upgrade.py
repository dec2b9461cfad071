"""Kaggle's tables in a file made by the 0.1.0 release (schema 4) upgrade in place.

`tests/core/data/release-0004.db` holds one Kaggle subscription, stored as 0.1.0 stored every
Kaggle time: integer epoch seconds. Rows for every other time column are added in that same
old form first (the release file has no competitions, claims or poll history), then the
file is migrated: each time reads back as ISO-8601 UTC text with microseconds, no row is
lost, and the claims still belong to their subscriptions.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import db_time
from bot.database import Database
from cogs.kaggle.repo import ANNOUNCE, REMIND_WEEK, KaggleRepo, weekly_kind
from tests.engines import query

FIXTURE = Path(__file__).parents[1] / "core" / "data" / "release-0004.db"
KAGGLE_TABLES = (
    "kaggle_competitions",
    "kaggle_subscriptions",
    "kaggle_deliveries",
    "kaggle_status",
)

GUILD = 111
CREATED = 1794301200  # the release file's subscription, created 2026-11-10 09:00 UTC
DEADLINE = 1796083140  # 2026-11-30 23:59 UTC
ENABLED = 1795219200  # 2026-11-21 00:00 UTC
SEEN = 1795435200  # 2026-11-23 12:00 UTC
LATER = 1795437000  # 2026-11-23 12:30 UTC
WEEK = weekly_kind(2026, 47)


def at(epoch: int) -> str:
    """The stored text of an epoch second after the upgrade."""
    return db_time(datetime.fromtimestamp(epoch, UTC))


def add_schema_4_rows(path: Path) -> None:
    """Rows in every Kaggle time column, written the way 0.1.0 wrote them (epoch seconds)."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        conn.executemany(
            "INSERT INTO kaggle_competitions (ref, title, url, category, reward, deadline, "
            "enabled_date, team_count, tags, sections, first_seen, last_seen, listed) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    "https://www.kaggle.com/competitions/tabular-sprint",
                    "Tabular Sprint",
                    "https://www.kaggle.com/competitions/tabular-sprint",
                    "Featured",
                    "$10,000",
                    DEADLINE,
                    ENABLED,
                    12,
                    '["tabular"]',
                    '["3.3"]',
                    SEEN,
                    LATER,
                    1,
                ),
                (
                    "https://www.kaggle.com/competitions/open-ended",
                    "Open Ended",
                    "https://www.kaggle.com/competitions/open-ended",
                    "Getting Started",
                    None,
                    None,
                    None,
                    None,
                    "[]",
                    "[]",
                    SEEN,
                    SEEN,
                    1,
                ),
            ],
        )
        conn.execute(
            "UPDATE kaggle_subscriptions SET summarised_at = ? WHERE id = 1", (CREATED + 60,)
        )
        conn.execute(
            "INSERT INTO kaggle_subscriptions (id, guild_id, channel_id, category, "
            "subscribed_by, created_at, updated_at, summarised_at, paused_at, pause_reason) "
            "VALUES (2, ?, 667, 'featured', 333, ?, ?, NULL, ?, 'the channel was deleted')",
            (GUILD, SEEN, LATER, LATER),
        )
        conn.executemany(
            "INSERT INTO kaggle_deliveries (subscription_id, competition_ref, kind, claimed_at) "
            "VALUES (?, ?, ?, ?)",
            [
                (1, "https://www.kaggle.com/competitions/tabular-sprint", ANNOUNCE, SEEN),
                (1, "https://www.kaggle.com/competitions/tabular-sprint", REMIND_WEEK, LATER),
                (1, "titanic", WEEK, CREATED + 120),
                (2, "https://www.kaggle.com/competitions/open-ended", ANNOUNCE, SEEN),
            ],
        )
        conn.execute(
            "UPDATE kaggle_status SET last_success = ?, last_failure = ?, failure = 'HTTP 401', "
            "auth_error = 'HTTP 401', auth_error_since = ? WHERE id = 1",
            (SEEN, LATER, LATER),
        )


def counts(path: Path) -> dict[str, int]:
    """Rows per Kaggle table."""
    return {t: query(path, f"SELECT COUNT(*) FROM {t}")[0][0] for t in KAGGLE_TABLES}


@pytest.mark.sqlite_only
async def test_kaggle_times_become_iso_text_and_every_row_survives(tmp_path: Path) -> None:
    path = tmp_path / "studybot.db"
    shutil.copy(FIXTURE, path)
    add_schema_4_rows(path)
    before = counts(path)
    assert before == {
        "kaggle_competitions": 2,
        "kaggle_subscriptions": 2,
        "kaggle_deliveries": 4,
        "kaggle_status": 1,
    }

    async with Database(path) as db:
        assert 8 in await db.migrate()
    assert counts(path) == before

    assert query(
        path,
        "SELECT ref, deadline, enabled_date, first_seen, last_seen, listed "
        "FROM kaggle_competitions ORDER BY ref",
    ) == [
        ("https://www.kaggle.com/competitions/open-ended", None, None, at(SEEN), at(SEEN), 1),
        (
            "https://www.kaggle.com/competitions/tabular-sprint",
            at(DEADLINE),
            at(ENABLED),
            at(SEEN),
            at(LATER),
            1,
        ),
    ]
    assert at(DEADLINE) == "2026-11-30T23:59:00.000000+00:00"
    assert query(
        path,
        "SELECT id, channel_id, created_at, updated_at, summarised_at, paused_at, pause_reason "
        "FROM kaggle_subscriptions ORDER BY id",
    ) == [
        (1, 666, at(CREATED), at(CREATED), at(CREATED + 60), None, None),
        (2, 667, at(SEEN), at(LATER), None, at(LATER), "the channel was deleted"),
    ]
    assert query(
        path,
        "SELECT subscription_id, kind, claimed_at FROM kaggle_deliveries "
        "ORDER BY subscription_id, kind",
    ) == [
        (1, ANNOUNCE, at(SEEN)),
        (1, REMIND_WEEK, at(LATER)),
        (1, WEEK, at(CREATED + 120)),
        (2, ANNOUNCE, at(SEEN)),
    ]
    assert query(
        path, "SELECT id, last_success, last_failure, auth_error_since FROM kaggle_status"
    ) == [(1, at(SEEN), at(LATER), at(LATER))]

    # Every time column is TEXT now, and the indexes came back.
    for table in KAGGLE_TABLES:
        types = {name: kind for _, name, kind, *_ in query(path, f"PRAGMA table_info({table})")}
        times = [c for c in types if c.endswith(("_at", "_seen", "_date", "deadline", "_since"))]
        times += [c for c in ("last_success", "last_failure") if c in types]
        assert times and all(types[c] == "TEXT" for c in times), (table, types)
    indexes = {
        row[0]
        for row in query(
            path, "SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
        )
    }
    assert {
        "kaggle_competitions_listed_deadline",
        "kaggle_subscriptions_guild",
        "kaggle_deliveries_one_weekly",
    } <= indexes
    [reference] = query(path, "PRAGMA foreign_key_list(kaggle_deliveries)")
    assert reference[2] == "kaggle_subscriptions" and reference[6] == "CASCADE"
    assert query(path, "PRAGMA integrity_check") == [("ok",)]
    assert query(path, "PRAGMA foreign_key_check") == []

    # The upgraded file works as a new one would.
    now = datetime.fromtimestamp(LATER, UTC)
    async with Database(path) as db:
        repo = KaggleRepo(db)
        first, paused = await repo.guild_subscriptions(GUILD)
        assert first.created_at == datetime(2026, 11, 10, 9, 0, tzinfo=UTC) and first.summarised
        assert paused.paused_at == now and paused.pause_reason == "the channel was deleted"
        [active] = await repo.active_subscriptions()
        assert active.id == first.id
        status = await repo.status()
        assert status.last_success == datetime.fromtimestamp(SEEN, UTC)
        assert status.auth_error_since == now and status.failing
        titles = [c.title for c in await repo.active_competitions(now)]
        assert titles == ["Tabular Sprint", "Open Ended"]  # soonest deadline first, none last
        [tabular, _] = await repo.active_competitions(now)
        assert tabular.deadline == datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
        assert tabular.enabled_date == datetime(2026, 11, 21, tzinfo=UTC)
        assert await repo.weekly_claimed(first.id, WEEK)
        assert not await repo.claim(first.id, "house-prices", WEEK, now), "one challenge a week"
        assert not await repo.claim(first.id, tabular.ref, ANNOUNCE, now), "claimed before"
        assert await repo.guild_challenge(GUILD, WEEK) == "titanic"
        # One week left of the deadline is covered by the old remind7 claim: nothing is due
        # until the last day.
        week_left = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
        assert await repo.due_reminders(first.id, week_left) == []
        day_left = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
        assert [d.kind for d in await repo.due_reminders(first.id, day_left)] == ["remind1"]
        # The claims still hang off their subscription: removing it removes them.
        assert await repo.unsubscribe(GUILD, 666) is not None
        assert await repo.claims(first.id) == []
        assert await repo.claims(paused.id) == [
            (
                "https://www.kaggle.com/competitions/open-ended",
                ANNOUNCE,
            )
        ]
