"""`studybot backup PATH` on PostgreSQL: pg_dump in custom format, the password kept off argv."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from bot.transfer import pg_environment
from tests.cli.helpers import run_cli
from tests.engines import PostgresServer, query

SECRET = "pw-Kd9-backup-secret"

FAKE_PG_DUMP = """#!/bin/sh
# Records how it was called, then writes a file where it was told to.
{{
  printf 'argv:'; for a in "$@"; do printf ' %s' "$a"; done; printf '\\n'
  printf 'PGPASSWORD=%s\\nPGHOST=%s\\nPGPORT=%s\\nPGUSER=%s\\nPGDATABASE=%s\\nPGSSLMODE=%s\\n' \\
    "$PGPASSWORD" "$PGHOST" "$PGPORT" "$PGUSER" "$PGDATABASE" "$PGSSLMODE"
}} > {record}
for a in "$@"; do case "$a" in --file=*) printf 'PGDMP' > "${{a#--file=}}";; esac; done
"""


def fake_pg_dump(tmp_path: Path) -> tuple[Path, Path]:
    """A folder holding a pg_dump that records its arguments and environment, and the record."""
    folder = tmp_path / "bin"
    folder.mkdir()
    record = tmp_path / "pg_dump.called"
    script = folder / "pg_dump"
    script.write_text(FAKE_PG_DUMP.format(record=record), "utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return folder, record


def test_the_url_goes_to_pg_dump_in_its_environment_not_its_arguments(tmp_path: Path) -> None:
    folder, record = fake_pg_dump(tmp_path)
    url = f"postgresql://study%20bot:{SECRET}@db.example:6543/studybot?sslmode=require"
    env = {"STUDYBOT_DATABASE": url, "PATH": f"{folder}:/usr/bin:/bin"}
    result = run_cli(["backup", str(tmp_path / "backups" / "studybot.dump")], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "backups" / "studybot.dump").read_bytes() == b"PGDMP"
    assert not list((tmp_path / "backups").glob("*.partial"))
    called = record.read_text("utf-8")
    argv = called.splitlines()[0]
    assert "--format=custom" in argv and "--no-password" in argv
    assert SECRET not in argv and "db.example" not in argv
    assert f"PGPASSWORD={SECRET}" in called
    assert "PGHOST=db.example\nPGPORT=6543\nPGUSER=study bot\nPGDATABASE=studybot" in called
    assert "PGSSLMODE=require" in called
    assert SECRET not in result.stdout + result.stderr
    assert "postgresql://study%20bot:***@db.example:6543/studybot" in result.stdout


def test_without_pg_dump_it_says_to_use_pg_dump(tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    url = f"postgresql://studybot:{SECRET}@127.0.0.1:1/studybot"
    env = {"STUDYBOT_DATABASE": url, "PATH": str(empty)}
    result = run_cli(["backup", str(tmp_path / "studybot.dump")], tmp_path, env)
    assert result.returncode == 1
    [line] = result.error_lines
    assert "pg_dump is not installed" in line and "pg_dump -Fc" in line
    assert SECRET not in result.stdout + result.stderr
    assert not (tmp_path / "studybot.dump").exists()


def test_pg_environment_maps_the_url() -> None:
    env, schema = pg_environment(
        "postgresql://u:p%40ss@h:5433/db?search_path=t_1&sslmode=verify-full&jit=off", base={}
    )
    assert env == {
        "PGHOST": "h",
        "PGPORT": "5433",
        "PGUSER": "u",
        "PGPASSWORD": "p@ss",
        "PGDATABASE": "db",
        "PGSSLMODE": "verify-full",
        "PGOPTIONS": "-c jit=off",
        "PGCONNECT_TIMEOUT": "5",
    }
    assert schema == "t_1"


def needs_pg_dump() -> None:
    if not any((Path(p) / "pg_dump").exists() for p in os.environ.get("PATH", "").split(":")):
        pytest.skip("pg_dump is not installed here")


@pytest.mark.postgres_only
def test_pg_dump_backs_up_a_database_that_restores(
    tmp_path: Path, database_target: str, postgres_server: PostgresServer
) -> None:
    needs_pg_dump()
    env = {"STUDYBOT_DATABASE": database_target}
    assert run_cli(["migrate"], tmp_path, env).returncode == 0
    query(database_target, "INSERT INTO meta (key, value) VALUES ('greeting', 'grüß dich')")
    dump = tmp_path / "studybot.dump"
    result = run_cli(["backup", str(dump)], tmp_path, env)
    assert result.returncode == 0, result.stderr
    assert "with pg_dump (custom format" in result.stdout
    assert dump.read_bytes()[:5] == b"PGDMP"  # the custom format's signature

    restored = postgres_server.new_database()
    try:
        restore_env, _ = pg_environment(restored)
        subprocess.run(
            ["pg_restore", "--no-owner", "--dbname", restored.rsplit("/", 1)[1], str(dump)],
            env=restore_env,
            check=True,
            capture_output=True,
        )
        schema = database_target.rsplit("search_path=", 1)[1]
        rows = query(restored, f'SELECT key, value FROM "{schema}".meta')
        assert ("greeting", "grüß dich") in rows
        tables = query(
            restored,
            "SELECT DISTINCT schemaname FROM pg_tables WHERE schemaname LIKE ?",
            ("t\\_%",),
        )
        assert tables == [(schema,)]  # only StudyBot's schema was dumped
    finally:
        postgres_server.drop_database(restored)


def test_a_failed_pg_dump_is_one_line_and_keeps_an_older_backup(tmp_path: Path) -> None:
    needs_pg_dump()
    dump = tmp_path / "studybot.dump"
    dump.write_bytes(b"last week's backup")
    env = {"STUDYBOT_DATABASE": f"postgresql://studybot:{SECRET}@127.0.0.1:1/studybot"}
    result = run_cli(["backup", str(dump)], tmp_path, env)
    assert result.returncode == 1
    [line] = result.error_lines
    assert line.startswith("studybot: pg_dump failed for postgresql://studybot:***@127.0.0.1:1/")
    assert SECRET not in result.stdout + result.stderr
    assert dump.read_bytes() == b"last week's backup"
    assert not (tmp_path / "studybot.dump.partial").exists()
