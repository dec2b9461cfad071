"""A bad or unreachable PostgreSQL URL at start-up: one line, a non-zero exit, within seconds.

`studybot run`, `migrate` and `move-to` are run as a user runs them, against: a port nothing
listens on, a server that never answers (the connection attempt gives up after 5 s), a server
that refuses the password, a database that does not exist on the local server, a URL that
cannot be read and a URL with an option the driver rejects. Every URL carries a password,
which must not appear anywhere in what is printed (tests/hardening/test_secrets.py also
checks the logs).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.cli.helpers import BAD_DATABASES, COMMANDS, SECRET, bad_database, run_command
from tests.engines import PostgresServer


@pytest.mark.parametrize("name", BAD_DATABASES)
async def test_a_database_that_cannot_be_used_is_one_line_and_a_quick_exit(
    tmp_path: Path, name: str, postgres_server: PostgresServer | None
) -> None:
    async with bad_database(name, postgres_server) as bad:
        results = await asyncio.gather(
            *(run_command(command, bad.url, tmp_path) for command in COMMANDS)
        )
    for result in results:
        shown = f"{result.args}: {result.stderr!r}"
        assert result.returncode == bad.code, shown
        assert "Traceback" not in result.stderr, shown
        [line] = result.error_lines
        assert line.startswith("studybot: "), shown
        if bad.code == 1:
            assert bad.says in line, shown
            assert "postgresql://studybot:***@" in line or "postgres:***@" in line, shown
        else:
            assert bad.says in line, shown
        assert SECRET not in result.stdout + result.stderr, shown
        # the connection attempt gives up after 5 s; Python's start-up and imports add a few
        assert result.seconds < 15, shown
