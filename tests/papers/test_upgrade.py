"""The paper club's tables and the outbox upgrade from the 0.1.0 release to one time encoding.

`tests/core/data/release-0004.db` was written by StudyBot 0.1.0 (migrations 0001-0004): a
weekly schedule in Berlin with last week's claim and post, and a queued paper, every instant
stored as ISO-8601 text to the second. The copy here also gets the rows the old code wrote
that the file lacks (a paused schedule, a vote, a read, a paper that left the queue, outbox
rows at schema 5) before the rest of the migrations run. Afterwards every stored instant is
fixed-width text with microseconds (`bot.clock.db_time`) naming the same instant, NULLs are
still NULL, nothing is lost, and the bot carries on: the next week is claimed once.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import parse_db_time
from bot.database import Database, load_migrations
from cogs.papers.repo import PaperRepo
from roadmap.reading_list import load_reading_list

FIXTURE = Path(__file__).parents[1] / "core" / "data" / "release-0004.db"

#: Every column of the paper club and the outbox that holds an instant.
TIME_COLUMNS = {
    "arxiv_papers": ("published", "fetched_at"),
    "paper_schedules": ("active_since", "paused_at", "next_due_utc"),
    "paper_claims": ("occurrence_utc", "claimed_at"),
    "paper_queue": ("suggested_at", "posted_at"),
    "paper_votes": ("voted_at",),
    "paper_posts": ("created_at", "posted_at"),
    "paper_reads": ("read_at",),
    "outbox": (
        "created_at",
        "due_at",
        "give_up_at",
        "next_attempt_at",
        "first_attempt_at",
        "last_attempt_at",
    ),
}
FIXED_WIDTH = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
#: How the released code wrote an instant (`isoformat(timespec="seconds")` in UTC).
OLD_FORM = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")

# Berlin's Tuesday 18:00 is 17:00 UTC in winter: the fixture's last post was 2026-11-17.
NEXT_WEEK = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


def snapshot(path: Path) -> dict[str, list[dict[str, object]]]:
    """Every row of the paper tables and the outbox, by table, in id order."""
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        tables = [
            t
            for (t,) in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")
            if t in TIME_COLUMNS
        ]
        return {
            table: [dict(row) for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')]
            for table in tables
        }


def old_rows_at_schema_4(conn: sqlite3.Connection) -> None:
    """Rows the 0.1.0 paper club wrote that the fixture lacks, written the way it wrote them."""
    conn.executescript(
        """
        INSERT INTO paper_schedules (id, guild_id, channel_id, weekday, at_time, timezone,
            created_by, active_since, paused_at, pause_reason)
        VALUES (2, 111, 223, 4, '09:30', 'America/New_York', 333,
            '2026-10-01T08:15:42+00:00', '2026-11-02T10:00:01+00:00', 'the channel is gone');
        INSERT INTO arxiv_papers VALUES ('1810.04805', 'BERT', '["Jacob Devlin"]', 'BERT.',
            '2018-10-11T00:00:00+00:00', 'https://arxiv.org/abs/1810.04805', 'cs.CL',
            '2026-11-11T10:00:00+00:00');
        INSERT INTO paper_queue (id, guild_id, arxiv_id, suggested_by, suggested_at, posted_at)
        VALUES (2, 111, '1810.04805', 556, '2026-11-11T10:00:00+00:00',
            '2026-11-03T17:00:00+00:00');
        INSERT INTO paper_votes VALUES (1, 556, 111, '2026-11-12T08:00:05+00:00');
        INSERT INTO paper_reads VALUES (1, 555, 111, '2026-11-18T07:30:59+00:00');
        """
    )


def old_rows_at_schema_5(conn: sqlite3.Connection) -> None:
    """Outbox rows as the code of schema 5 wrote them: one done, one left unconfirmed."""
    conn.executescript(
        """
        INSERT INTO outbox (kind, ref, guild_id, channel_id, nonce, payload, thread_name,
            status, created_at, due_at, give_up_at, next_attempt_at, first_attempt_at,
            last_attempt_at, attempts, message_id, thread_id)
        VALUES ('paper', 1, 111, 222, 'studybot-1', '{}', 'AlexNet', 'done',
            '2026-11-17T17:00:00+00:00', '2026-11-17T17:00:00+00:00',
            '2026-11-17T23:00:00+00:00', '2026-11-17T17:00:00+00:00',
            '2026-11-17T17:00:01+00:00', '2026-11-17T17:00:01+00:00', 1, 444, 444);
        INSERT INTO outbox (kind, ref, guild_id, channel_id, nonce, status, created_at, due_at,
            give_up_at, next_attempt_at)
        VALUES ('kaggle', 7, 111, 666, 'studybot-2', 'pending', '2026-11-20T12:00:00+00:00',
            '2026-11-20T12:00:00+00:00', '2026-11-20T18:00:00+00:00',
            '2026-11-20T12:05:00+00:00');
        """
    )


@pytest.fixture
def upgraded_from(tmp_path: Path) -> Path:
    """A copy of the 0.1.0 file with the extra old rows, migrated to schema 5 only."""
    path = tmp_path / "studybot.db"
    shutil.copy(FIXTURE, path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        old_rows_at_schema_4(conn)
    conn.close()
    return path


async def migrate_to(path: Path, version: int, tmp_path: Path) -> list[int]:
    """Apply the shipped SQLite migrations up to `version` (a folder of just those)."""
    folder = tmp_path / f"migrations-{version}"
    folder.mkdir()
    for migration in load_migrations(dialect="sqlite"):
        if migration.version <= version:
            (folder / migration.name).write_text(migration.sql, "utf-8")
    async with Database(path, migrations_dir=folder) as db:
        return await db.migrate()


async def test_every_stored_instant_becomes_fixed_width_microseconds(
    upgraded_from: Path, tmp_path: Path
) -> None:
    path = upgraded_from
    assert await migrate_to(path, 5, tmp_path) == [5]
    with sqlite3.connect(path) as conn:
        old_rows_at_schema_5(conn)
    conn.close()
    before = snapshot(path)

    latest = load_migrations(dialect="sqlite")[-1].version
    async with Database(path) as db:
        assert await db.migrate() == list(range(6, latest + 1))
    after = snapshot(path)

    # Nothing lost, nothing added, and only the time columns changed.
    assert {t: len(rows) for t, rows in after.items()} == {t: len(r) for t, r in before.items()}
    converted = 0
    for table, columns in TIME_COLUMNS.items():
        for old, new in zip(before[table], after[table], strict=True):
            for column, value in old.items():
                if column not in columns:
                    assert new[column] == value, (table, column)
                elif value is None:
                    assert new[column] is None, (table, column)
                else:
                    assert FIXED_WIDTH.match(str(new[column])), (table, column, new[column])
                    assert parse_db_time(str(new[column])) == datetime.fromisoformat(str(value))
                    converted += 1
    assert converted == 26  # every non-NULL instant of the rows above
    # No text anywhere in these tables is still in the old form (a column the list missed).
    for table, rows in after.items():
        for row in rows:
            for column, value in row.items():
                assert not (isinstance(value, str) and OLD_FORM.match(value)), (table, column)
    assert after["paper_schedules"][0]["next_due_utc"] is None  # computed by the bot, below

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


async def test_the_paper_club_carries_on_after_the_upgrade(upgraded_from: Path) -> None:
    path = upgraded_from
    reading_list = load_reading_list()
    async with Database(path) as db:
        await db.migrate()
        papers = PaperRepo(db)
        # The active schedule's next week comes from its history; the paused one gets one too.
        assert await papers.fill_next_due() == 2
        berlin, new_york = await papers.schedules()
        assert berlin.next_due == NEXT_WEEK
        assert berlin.last_claimed == datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
        assert berlin.active_since == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
        assert new_york.paused and new_york.paused_at == datetime(2026, 11, 2, 10, 0, 1, tzinfo=UTC)
        assert await papers.next_due() == NEXT_WEEK
        post = await papers.current_post(111)
        assert post is not None and post.title.startswith("ImageNet Classification")
        assert post.posted_at == datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
        [waiting] = await papers.queue(111)
        assert waiting.arxiv_id == "1706.03762"
        assert waiting.suggested_at == datetime(2026, 11, 10, 9, 0, tzinfo=UTC)
        assert await papers.papers_read(111, 555) == 1

        # Next week is claimed once: the queued paper, and a second claim finds it taken.
        now = NEXT_WEEK + timedelta(seconds=2)
        due = await papers.due_schedules(now)
        assert [s.id for s in due] == [berlin.id]
        claim = await papers.claim(
            due[0],
            NEXT_WEEK,
            late=False,
            now=now,
            next_due=NEXT_WEEK + timedelta(weeks=1),
            give_up_at=NEXT_WEEK + timedelta(hours=6),
            reading_list=reading_list,
            thread_name="Attention Is All You Need",
        )
        assert claim is not None and claim.post_id is not None
        assert (
            await papers.claim(
                due[0],
                NEXT_WEEK,
                late=False,
                now=now,
                next_due=NEXT_WEEK + timedelta(weeks=1),
                give_up_at=NEXT_WEEK + timedelta(hours=6),
                reading_list=reading_list,
                thread_name="Attention Is All You Need",
            )
            is None
        )
        assert await papers.queue(111) == []
        assert [status for _, _, status in await papers.claims(berlin.id)] == [
            "posted",
            "claimed",
        ]
