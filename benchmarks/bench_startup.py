"""Start-up time and resident memory of `studybot run`, measured as a user runs it.

Figures: the time from process start to the first answered interaction on an empty database
and on a large one (100,000 members' progress), and the resident memory after start-up with
1,000 guilds in the simulator against the same figure with one guild.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Figure, Report
from tests.simulator import DiscordSimulator, bot_process_env, use_simulator


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def start_and_measure(database: Path, guilds: int) -> tuple[float, float]:
    """Run `python -m bot run` against a simulator with `guilds` guilds; (seconds, MiB)."""
    sim = DiscordSimulator(token="bench-token")
    await sim.start()
    try:
        with use_simulator(sim):
            first = sim.add_guild("Guild 0")
            member = sim.add_member(first, "member")
            for n in range(1, guilds):
                sim.add_guild(f"Guild {n}")
            env = bot_process_env(sim, database)
            started = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "run", cwd=database.parent, env=env,
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            try:
                await sim.wait_for_bot(timeout=300, wait_for_sync=False)
                while True:
                    try:
                        await sim.invoke(first, member, "help", {}, timeout=30)
                        break
                    except Exception:
                        await asyncio.sleep(0.05)
                elapsed = time.perf_counter() - started
                await asyncio.sleep(1.0)  # let guild caches settle before reading memory
                memory = rss_mib(proc.pid)
            finally:
                proc.send_signal(signal.SIGTERM)
                _, err = await asyncio.wait_for(proc.communicate(), 60)
            if proc.returncode != 0:
                raise RuntimeError(f"bot exited {proc.returncode}: {err.decode()[-2000:]}")
            return elapsed, memory
    finally:
        await sim.stop()


async def large_database() -> Path:
    """The progress benchmark's database: 100,000 members, 1,500,000 completions."""
    from benchmarks.bench_progress import cached_database
    from roadmap.parser import load_roadmap

    path, _ = await cached_database([section.id for section in load_roadmap().sections])
    return path


async def run(profile: str = "quick") -> Report:
    """Measure start-up time and memory; print and return the figures."""
    report = Report("Start-up and memory")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        empty_s, one_guild_mib = await start_and_measure(folder / "empty.db", 1)
        large = await large_database()
        copy = folder / "large-copy.db"
        with sqlite3.connect(large) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        large_s, _ = await start_and_measure(copy, 1)
        _, many_mib = await start_and_measure(folder / "many.db", 1000)
    report.add(Figure("start-up to first answer, empty database", empty_s, "s"))
    report.add(
        Figure(
            "start-up to first answer, large database",
            large_s,
            "s",
            baseline=empty_s,
            baseline_name="empty database",
            goal="within 2x of the empty database",
            ok=large_s <= 2 * empty_s,
        )
    )
    report.add(
        Figure(
            "resident memory after start-up, 1,000 guilds",
            many_mib,
            "MiB",
            baseline=one_guild_mib,
            baseline_name="1 guild",
        )
    )
    return report


if __name__ == "__main__":
    asyncio.run(run(sys.argv[1] if len(sys.argv) > 1 else "quick"))
