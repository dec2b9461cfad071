"""Packaging: a built wheel carries the roadmap and migrations; the Dockerfile is sane."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_works_from_any_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    target = tmp_path / "site"
    wheel = next(wheels.glob("studybot-*.whl"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "PYTHONPATH": str(target),
        "STUDYBOT_DATABASE": str(elsewhere / "db.sqlite"),
    }
    topic = subprocess.run(
        [sys.executable, "-m", "bot", "topic", "4.5"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert topic.returncode == 0, topic.stderr
    assert "Transformers and Attention" in topic.stdout
    migrate = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (
        str(target)
        in subprocess.run(
            [sys.executable, "-c", "import bot, migrations; print(bot.__file__)"],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )


def test_dockerfile_installs_the_package_and_keeps_data_in_a_volume() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    assert re.search(r"^FROM python:3\.\d+-slim", text, re.M)
    assert re.search(r"^RUN pip install \.", text, re.M)
    assert "STUDYBOT_DATABASE=/data/studybot.db" in text
    assert re.search(r'^VOLUME \["/data"\]', text, re.M)
    assert re.search(r"^USER studybot", text, re.M)
    assert text.strip().endswith('CMD ["studybot", "run"]')
    for folder in ("bot", "cogs", "roadmap", "migrations"):
        assert f"COPY {folder} ./{folder}" in text


def test_readme_starts_with_the_two_commands() -> None:
    lines = [line for line in (ROOT / "README.md").read_text("utf-8").splitlines() if line]
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert block[0].endswith(".venv/bin/studybot run")
    assert block[1].endswith(".venv/bin/pytest")
    assert "grep -m1 -E '^python3 -m venv" in (ROOT / ".ci" / "run").read_text("utf-8")
