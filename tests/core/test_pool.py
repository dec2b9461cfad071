"""The PostgreSQL pool hands connections back without a reset query, and never mid-transaction."""

from __future__ import annotations

import pytest

from bot.database import Database, DatabaseError, PostgresDatabase
from tests.engines import Target

pytestmark = pytest.mark.postgres_only


async def test_a_connection_released_inside_a_transaction_comes_back_rolled_back(
    database_target: Target,
) -> None:
    async with Database(database_target) as db:
        assert isinstance(db, PostgresDatabase)
        await db.migrate()
        conn = await db.pool.acquire()
        await conn.execute("BEGIN")
        await conn.execute("INSERT INTO meta (key, value) VALUES ('half', 'done')")
        assert conn.is_in_transaction()
        await db.pool.release(conn)
        # The pool holds one idle connection per release: every later statement sees no
        # leftover transaction and no uncommitted row.
        for _ in range(db.pool_size + 1):
            assert await db.fetch_value("SELECT COUNT(*) FROM meta WHERE key = 'half'") == 0
        async with db.pool.acquire() as again:
            assert not again.is_in_transaction()


async def test_statements_outside_a_transaction_send_no_reset_query(
    database_target: Target,
) -> None:
    async with Database(database_target) as db:
        await db.migrate()
        await db.fetch_value("SELECT 1")
        # asyncpg's default reset runs RESET ALL, which would undo a session setting; with
        # the pool's own release the setting made on the idle connection is still there.
        async with db.pool.acquire() as conn:
            await conn.execute("SET application_name = 'studybot-kept'")
        assert await db.fetch_value("SHOW application_name") == "studybot-kept"


async def test_a_read_only_database_stops_start_up_in_one_line(database_target: Target) -> None:
    async with Database(database_target) as db:
        await db.migrate()
    assert isinstance(database_target, str)
    read_only = f"{database_target}&default_transaction_read_only=on"
    with pytest.raises(DatabaseError, match=r"^cannot open the database .* it is read-only"):
        await Database(read_only).connect()
