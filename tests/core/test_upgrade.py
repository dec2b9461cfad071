"""An SQLite file made by the release before the outbox (schema 4) upgrades in place.

`tests/core/data/release-0004.db` was written by StudyBot at schema version 4 (commit 8ed5622):
a weekly paper schedule in Berlin with last week's post and its thread, a queued paper, a
Kaggle subscription and two finished sections. Migrating it keeps every row, and the paper
club computes the schedule's next due time from its history, so the next week is posted once.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.database import Database, DatabaseError
from cogs.kaggle.repo import KaggleRepo
from cogs.papers.repo import PaperRepo

FIXTURE = Path(__file__).parent / "data" / "release-0004.db"
STORED_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
TIME_COLUMN = re.compile(
    r"(_at|_utc|_since|_seen|^deadline|^enabled_date|^last_success|^last_failure|^published)$"
)


def stored_times(path: Path) -> list[tuple[str, str]]:
    """(table.column, value) of every non-null value in a column that holds an instant."""
    found = []
    with sqlite3.connect(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        for table in tables:
            for column in [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')]:
                if not TIME_COLUMN.search(column):
                    continue
                for (value,) in conn.execute(
                    f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
                ):
                    found.append((f"{table}.{column}", str(value)))
    return found


def counts(path: Path) -> dict[str, int]:
    """Rows per table."""
    with sqlite3.connect(path) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


async def test_a_schema_4_file_upgrades_in_place_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "studybot.db"
    shutil.copy(FIXTURE, path)
    before = counts(path)
    assert before["paper_schedules"] == 1 and before["progress_completions"] == 2

    async with Database(path) as db:
        assert await db.user_version() == 4
        assert await db.migrate() == [5, 6, 7, 8]
        papers = PaperRepo(db)
        assert await papers.fill_next_due() == 1
        [schedule] = await papers.schedules()
        # Last claimed: Tuesday 2026-11-17 18:00 in Berlin; next: the Tuesday after.
        assert schedule.next_due == datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
        assert await papers.fill_next_due() == 0  # once only
        post = await papers.current_post(111)
        assert post is not None and post.title.startswith("ImageNet Classification")
        assert (post.message_id, post.thread_id) == (444, 444)
        assert [entry.arxiv_id for entry in await papers.queue(111)] == ["1706.03762"]
        [subscription] = await KaggleRepo(db).guild_subscriptions(111)
        assert subscription.channel_id == 666

    after = counts(path)
    assert {table: after[table] for table in before} == before
    # One time encoding: every stored instant is now fixed-width ISO UTC text to the microsecond.
    times = stored_times(path)
    assert len(times) >= 10, times
    assert {column: value for column, value in times if not STORED_TIME.match(value)} == {}
    assert after["outbox"] == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "studybot.db"
    shutil.copy(FIXTURE, path)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    async with Database(path) as db:
        with pytest.raises(DatabaseError, match="newer than this StudyBot knows"):
            await db.migrate()
