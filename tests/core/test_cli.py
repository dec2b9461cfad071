"""The `studybot` command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.simulator import DiscordSimulator, bot_process_env, use_simulator


def run_cli(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in an empty folder with a clean environment."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_token_says_how_to_set_it(tmp_path: Path) -> None:
    result = run_cli(["run"], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN is not set" in lines[0]
    assert "Traceback" not in result.stderr


def test_invalid_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = run_cli(["run"], tmp_path, {"DISCORD_TOKEN": "x", "STUDYBOT_LOG_LEVEL": "LOUD"})
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "STUDYBOT_LOG_LEVEL" in result.stderr
    assert "Traceback" not in result.stderr


def test_migrate_and_backup(tmp_path: Path) -> None:
    env = {"STUDYBOT_DATABASE": str(tmp_path / "db" / "studybot.db")}
    first = run_cli(["migrate"], tmp_path, env)
    assert first.returncode == 0, first.stderr
    assert "migrated" in first.stdout
    again = run_cli(["migrate"], tmp_path, env)
    assert again.returncode == 0 and "up to date" in again.stdout
    backup = run_cli(["backup", str(tmp_path / "copy.db")], tmp_path, env)
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(tmp_path / "copy.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_newer_database_is_refused_by_migrate(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 9999")
    result = run_cli(["migrate"], tmp_path, {"STUDYBOT_DATABASE": str(path)})
    assert result.returncode == 1
    assert "newer than this StudyBot knows" in result.stderr
    assert "Traceback" not in result.stderr


async def _start_process(
    sim: DiscordSimulator, tmp_path: Path, token: str
) -> asyncio.subprocess.Process:
    # INFO logging, as a user runs it: the test proves start-up and shutdown print no traceback
    env = bot_process_env(sim, tmp_path / "studybot.db", token=token, STUDYBOT_LOG_LEVEL="INFO")
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_rejected_token_is_one_clear_line(tmp_path: Path) -> None:
    async with DiscordSimulator(token="the-real-token") as sim:
        proc = await _start_process(sim, tmp_path, "a-wrong-token")
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    text = err.decode()
    assert "Discord rejected the token" in text
    assert "Traceback" not in text


async def test_studybot_run_comes_up_answers_help_and_stops_on_sigterm(tmp_path: Path) -> None:
    sim = DiscordSimulator(token="sim-token")
    await sim.start()
    try:
        with use_simulator(sim):
            guild = sim.add_guild("Study Group")
            alice = sim.add_member(guild, "alice")
            proc = await _start_process(sim, tmp_path, "sim-token")
            try:
                await sim.wait_for_bot(timeout=60, wait_for_sync=True)
                res = await sim.invoke(guild, alice, "help", {}, timeout=10)
                assert "Machine Learning Mastery Roadmap" in res.text
                assert res.ephemeral
            finally:
                proc.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        await sim.stop()
    text = err.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text
    assert (tmp_path / "studybot.db").exists()


def test_help_lists_move_to_and_the_postgresql_backup(tmp_path: Path) -> None:
    result = run_cli(["--help"], tmp_path)
    assert result.returncode == 0
    assert "move-to" in result.stdout
    assert "pg_dump on PostgreSQL" in result.stdout
    usage = run_cli(["move-to", "--help"], tmp_path)
    assert usage.returncode == 0 and "URL" in usage.stdout
