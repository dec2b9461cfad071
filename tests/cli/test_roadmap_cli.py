"""`studybot topic`, `studybot check-roadmap` and start-up on a bad roadmap, run as subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from roadmap.parser import load_roadmap
from tests.engines import Target, is_postgres, query

ROOT = Path(__file__).resolve().parents[2]

BROKEN = """\
# Broken

## Phase 1: Basics (1 month)

### 1.1 Intro
- **Core Topics:**
  - Something

### 1.1 Intro again
- **Core Topics:**
  - Other

### 2.1 Wrong phase
- **Core Topics:**
  - Thing
"""

CUSTOM = """\
# Data Engineering Sprint

## Phase 1: Warm-up (2 weeks)

### 1.1 Shell Basics
* **Core Topics:**
    * Pipes and redirection
* **Resources:**
    * The Missing Semester (MIT)

## Phase 2: Pipelines

### 2.1 Batch Jobs
- Airflow DAGs
"""


def run_cli(
    args: list[str], tmp_path: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ARGS` in an empty folder with a clean environment."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "STUDYBOT_DATABASE": str(tmp_path / "data" / "studybot.db"),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """A roadmap with a duplicate section (line 9) and a section in the wrong phase (line 13)."""
    path = tmp_path / "broken.md"
    path.write_text(BROKEN, encoding="utf-8")
    return path


def test_topic_by_id_prints_the_whole_section(tmp_path: Path) -> None:
    result = run_cli(["topic", "4.5"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "4.5 Transformers and Attention"
    assert lines[1] == "Phase 4: Deep Learning (3-4 months)"
    section = load_roadmap().section("4.5")
    assert section is not None
    for item in [*section.topics(), *section.resources]:
        assert f"  - {item}" in lines
    assert "previous: 4.4   next: 4.6" in lines
    assert result.stderr == ""


def test_topic_by_word_and_sub_groups(tmp_path: Path) -> None:
    result = run_cli(["topic", "transformer"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "4.5 Transformers and Attention"

    result = run_cli(["topic", "pandas"], tmp_path)
    lines = result.stdout.splitlines()
    assert lines[0] == "2.2 Essential Libraries"
    assert lines.index("NumPy:") < lines.index("Pandas:") < lines.index("Matplotlib/Seaborn:")
    assert lines[lines.index("Pandas:") + 1] == "  - DataFrames and Series"


def test_topic_unknown_is_one_line_without_traceback(tmp_path: Path) -> None:
    result = run_cli(["topic", "9.9"], tmp_path)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("studybot: no section matches '9.9'")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_topic_reads_the_configured_roadmap(tmp_path: Path) -> None:
    custom = tmp_path / "custom.md"
    custom.write_text(CUSTOM, encoding="utf-8")
    result = run_cli(["topic", "airflow"], tmp_path, {"STUDYBOT_ROADMAP": str(custom)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["2.1 Batch Jobs", "Phase 2: Pipelines"]
    assert "  - Airflow DAGs" in result.stdout


def test_check_roadmap_accepts_good_files(tmp_path: Path) -> None:
    result = run_cli(["check-roadmap", str(ROOT / "roadmap" / "ml-mastery-roadmap.md")], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("ok: 7 phases, 30 sections")

    custom = tmp_path / "custom.md"
    custom.write_text(CUSTOM, encoding="utf-8")
    result = run_cli(["check-roadmap", str(custom)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == f"{custom}: ok: 2 phases, 2 sections"


def test_check_roadmap_prints_every_problem_with_its_line(tmp_path: Path, broken: Path) -> None:
    result = run_cli(["check-roadmap", str(broken)], tmp_path)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{broken}:9: section 1.1 appears twice (first on line 5)"
    assert lines[1].startswith(f"{broken}:13: section id 2.1 does not belong to phase 1")
    assert lines[-1] == f"{broken}: 2 problems; the bot will not start with this roadmap"
    assert "Traceback" not in result.stdout + result.stderr

    result = run_cli(["check-roadmap", str(tmp_path / "missing.md")], tmp_path)
    assert result.returncode == 1
    assert (
        result.stdout.splitlines()[0]
        == f"{tmp_path / 'missing.md'}: {tmp_path / 'missing.md'} does not exist"
    )


def test_run_refuses_to_start_on_an_invalid_roadmap(
    tmp_path: Path, broken: Path, database_target: Target
) -> None:
    env = {
        "STUDYBOT_DATABASE": str(database_target),
        "DISCORD_TOKEN": "not-used",
        "STUDYBOT_ROADMAP": str(broken),
        # Nothing may be contacted: the roadmap is checked before anything else.
        "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10",
        "DISCORD_GATEWAY_URL": "ws://127.0.0.1:9/",
    }
    result = run_cli(["run"], tmp_path, env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        f"studybot: the roadmap {broken} is invalid (check it with `studybot check-roadmap FILE`):"
    )
    assert lines[1] == "  line 9: section 1.1 appears twice (first on line 5)"
    assert lines[2].startswith("  line 13: section id 2.1 does not belong to phase 1")
    assert len(lines) == 3
    # nothing is created: no file, and no table on PostgreSQL
    if is_postgres(database_target):
        tables = "SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()"
        assert query(database_target, tables) == [(0,)]
    else:
        assert not Path(database_target).exists()
