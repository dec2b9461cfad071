"""The outbox's leases on both engines: who may send a row, and when a row left leased is free.

A row is sent only by the process holding its lease. A lease left by a process that died on
this machine (a SIGKILL, a crash) is taken back at once, at start-up too; one held by a process
elsewhere is respected until it runs out; and a process whose lease was taken writes nothing
to the row any more.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest

from bot.clock import db_time
from bot.database import Database
from bot.outbox import NewPost, Outbox
from tests.engines import Target, query

DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_target: Target) -> AsyncIterator[Database]:
    """A migrated database on the engine under test."""
    database = Database(database_target)
    await database.connect()
    await database.migrate()
    yield database
    await database.close()


def outbox_on(db: Database) -> Outbox:
    """An outbox over the database, for its lease statements (nothing is sent here)."""
    holder: Any = SimpleNamespace(db=db, clock=lambda: DUE)
    return Outbox(cast(Any, holder))


async def one_post(db: Database) -> int:
    """A paper post due now."""
    async with db.transaction() as tx:
        post = NewPost("paper", 1, 111, 222, DUE, DUE + timedelta(hours=6))
        return await Outbox.enqueue(tx, post, DUE)


def lease(target: Target, post_id: int, holder: str, until: datetime) -> None:
    """Leave a row leased the way a process that stopped would."""
    query(
        target,
        "UPDATE outbox SET lease_holder = ?, lease_until = ? WHERE id = ?",
        (holder, db_time(until), post_id),
    )


def dead_pid() -> int:
    """The id of a process of this machine that has exited."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                           capture_output=True, text=True)  # fmt: skip
    return int(child.stdout)


async def test_a_lease_left_by_a_dead_process_here_is_taken_back_at_once(
    db: Database, database_target: Target
) -> None:
    post_id = await one_post(db)
    gone = f"{socket.gethostname()}:{dead_pid()}:0badf00d"
    lease(database_target, post_id, gone, datetime.now(UTC) + timedelta(minutes=5))
    outbox = outbox_on(db)
    # At start-up the row is due now, not when the dead process's lease would run out.
    assert await outbox.next_due() == DUE
    [taken] = await outbox.take(DUE)
    assert taken.id == post_id
    assert query(database_target, "SELECT lease_holder FROM outbox") == [(outbox.holder,)]


async def test_a_lease_held_elsewhere_is_respected_until_it_runs_out(
    db: Database, database_target: Target
) -> None:
    post_id = await one_post(db)
    until = datetime.now(UTC) + timedelta(minutes=5)
    lease(database_target, post_id, "another-machine:4242:cafe0123", until)
    outbox = outbox_on(db)
    assert await outbox.next_due() == until
    assert await outbox.take(DUE) == []
    lease(database_target, post_id, "another-machine:4242:cafe0123", datetime.now(UTC))
    [taken] = await outbox.take(DUE)
    assert taken.id == post_id


async def test_a_lease_of_an_outbox_alive_in_this_process_is_respected(db: Database) -> None:
    await one_post(db)
    first, second = outbox_on(db), outbox_on(db)
    assert len(await first.take(DUE)) == 1
    await second.free_dead_leases()
    assert await second.take(DUE) == []
    # Once the first has drained (the bot closed), a new outbox may take the row at once.
    await first.drain(grace=0)
    assert await second.free_dead_leases() == 1
    assert len(await second.take(DUE)) == 1


async def test_an_outbox_that_lost_its_lease_writes_nothing(
    db: Database, database_target: Target
) -> None:
    post_id = await one_post(db)
    stale, current = outbox_on(db), outbox_on(db)
    [post] = await stale.take(DUE)
    lease(database_target, post_id, current.holder, datetime.now(UTC) + timedelta(minutes=1))
    await stale._set(post.id, status="sent", message_id=99)
    await current._set(post.id, error="still mine")
    rows = query(database_target, "SELECT status, message_id, error FROM outbox")
    assert rows == [("pending", None, "still mine")]
