"""Acknowledged /done writes are synced to disk before they are acknowledged.

Power loss cannot be simulated here, but what decides whether an acknowledged write survives
it can be watched: the system calls. A child process runs the real Database and ProgressRepo
(group commit included) under `strace`, and writes one line to an acknowledgement file each
time a /done returns, the moment the bot would reply. Every write to the write-ahead log must
be followed by an fsync/fdatasync of the log before the next acknowledgement. With
`synchronous = NORMAL` the log is synced only at checkpoints, and this test fails.

On PostgreSQL the server syncs its write-ahead log before a commit returns when
`synchronous_commit` is on (and `fsync` is): the running bot's connections are checked for that.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import TestStudyBot

ROOT = Path(__file__).resolve().parents[2]
MARKS = 40

CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from datetime import UTC, datetime
    from bot.database import Database
    from cogs.progress.repo import ProgressRepo
    from roadmap.parser import load_roadmap

    async def main(path, acks):
        sections = [section.id for section in load_roadmap(None).sections]
        fd = os.open(acks, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
        async with Database(path) as db:
            await db.migrate()
            repo = ProgressRepo(db, sections)
            await repo.ensure_counters()

            async def done(user, section):
                change = await repo.mark_done(1, user, f"user {user}", section, now)
                assert change.changed
                os.write(fd, f"ack {user} {section}".encode())

            # one at a time, then rushes that share group-commit batches
            for user in range(1, 11):
                await done(user, sections[0])
            for burst in range(3):
                await asyncio.gather(*(done(u, sections[1 + burst]) for u in range(1, 11)))
        os.close(fd)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)

# strace -y prints each descriptor with its path: `123 fdatasync(5</tmp/x/db.sqlite-wal>) = 0`.
# A call interrupted by another thread's is split: `123 fdatasync(5</…-wal> <unfinished ...>`,
# later `123 <... fdatasync resumed>) = 0`; it has returned only at the second line.
STARTED = re.compile(r"^(\d+)\s+(\w+)\((?:\d+<([^>]*)>)?")
RESUMED = re.compile(r"^(\d+)\s+<\.\.\. (\w+) resumed>")
WRITES = ("write", "pwrite64", "pwritev", "pwritev2", "writev")
SYNCS = ("fsync", "fdatasync")


def returned_calls(lines: list[str]) -> list[tuple[str, str]]:
    """(call, path) of every traced call, in the order the calls returned."""
    calls: list[tuple[str, str]] = []
    unfinished: dict[str, tuple[str, str]] = {}
    for line in lines:
        resumed = RESUMED.match(line)
        if resumed is not None:
            tid, name = resumed.groups()
            started = unfinished.pop(tid, (name, ""))
            calls.append(started)
            continue
        match = STARTED.match(line)
        if match is None:
            continue
        tid, name, path = match.groups()
        if line.rstrip().endswith("<unfinished ...>"):
            unfinished[tid] = (name, path or "")
        else:
            calls.append((name, path or ""))
    return calls


def trace(tmp_path: Path) -> tuple[list[str], Path]:
    """Run the child under strace; the trace lines and the database path."""
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    database, acks, log = tmp_path / "db.sqlite", tmp_path / "acks", tmp_path / "trace"
    result = subprocess.run(
        [
            "strace",
            "-f",
            "-y",
            "-s",
            "0",
            "-o",
            str(log),
            "-e",
            "trace=write,pwrite64,pwritev,pwritev2,writev,fsync,fdatasync",
            sys.executable,
            "-c",
            CHILD,
            str(database),
            str(acks),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 and "ptrace" in result.stderr:
        pytest.skip(f"strace cannot trace here: {result.stderr.strip()[:200]}")
    assert result.returncode == 0, result.stderr
    return log.read_text().splitlines(), database


@pytest.mark.sqlite_only
def test_every_acknowledged_done_was_synced_first(tmp_path: Path) -> None:
    lines, database = trace(tmp_path)
    wal, ack_file = f"{database}-wal", str(tmp_path / "acks")
    unsynced = False
    acks = 0
    syncs_per_ack: list[int] = [0]  # log syncs before the first acknowledgement, then after each
    for name, path in returned_calls(lines):
        if path == wal and name in WRITES:
            unsynced = True
        elif path == wal and name in SYNCS:
            unsynced = False
            syncs_per_ack[-1] += 1
        elif path == ack_file and name in WRITES:
            acks += 1
            assert not unsynced, f"/done {acks} was acknowledged before the log was synced"
            syncs_per_ack.append(0)
    assert acks == MARKS
    # One at a time, each /done is its own transaction: one sync each.
    assert all(count >= 1 for count in syncs_per_ack[1:10])
    # The three rushes of ten share transactions (group commit): fewer syncs than replies.
    assert 3 <= sum(syncs_per_ack[10:]) < MARKS - 10


@pytest.mark.sqlite_only
async def test_the_running_bot_syncs_every_commit(bot: TestStudyBot) -> None:
    assert await bot.db.fetch_value("PRAGMA journal_mode") == "wal"
    assert await bot.db.fetch_value("PRAGMA synchronous") == 2  # FULL


@pytest.mark.postgres_only
async def test_the_running_bot_commits_only_once_the_server_synced(bot: TestStudyBot) -> None:
    # Every pooled connection, not just one: a commit on any of them is an acknowledgement.
    async with bot.db.transaction() as first, bot.db.transaction() as second:
        for tx in (first, second):
            assert await tx.fetch_value("SHOW synchronous_commit") == "on"
            assert await tx.fetch_value("SHOW fsync") == "on"
