"""The 3-second window at production latency: the slowest acknowledgement of every interaction.

With 150 ms between StudyBot and Discord each way, the latency suite's scenario
(tests/latency/stage.py) runs in a fresh server each round: a server with two dozen members'
progress, a paper queue, a posted paper of the week, paper schedules and Kaggle subscriptions;
then every slash command (the /admin ones as an admin), every button of their answers and every
autocomplete at once across members, arXiv taking 3.5 s to answer /paper suggest.

Figures:
* the floor: `/noop` (answers at once) invoked alone, one after another, median — what the
  latency alone costs (one leg for the event, one for the callback: about 0.3 s);
* for each command, button and autocomplete, the slowest acknowledgement over every round,
  from the dispatch of INTERACTION_CREATE to the callback's arrival at Discord, against
  Discord's 3 s window, with its ratio to the floor.

Run: ``python -m benchmarks.bench_latency [smoke|quick|full]``; run alone it also writes its
own section at the end of benchmarks/RESULTS.md (replacing the one from an earlier run).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from benchmarks.common import Figure, Report, bench_world, format_ratio, median
from bot.clock import FakeClock
from tests.fakes.arxiv import FakeArxiv
from tests.fakes.kaggle import FakeKaggle
from tests.latency.stage import (
    LATENCY,
    SLOW_ARXIV,
    WINDOW,
    Ack,
    build_stage,
    invoke_checked,
    kaggle_records,
    late_interactions,
    long_section_roadmap,
    refused_callbacks,
    run_everything,
    slowest,
)

#: Rounds of the whole scenario, each in a fresh server and bot.
PROFILES = {"smoke": 1, "quick": 5, "full": 10, "long": 20}
FLOOR_SAMPLES = 10
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KAGGLE_TOKEN = "kaggle-bench-token"
RESULTS = Path(__file__).with_name("RESULTS.md")
TITLE = "Acknowledgement at 150 ms each way"
KINDS = ("command", "component", "autocomplete")


async def one_round() -> tuple[list[Ack], list[float]]:
    """The scenario once at 150 ms each way; every acknowledgement, and the floor samples."""
    arxiv, kaggle = FakeArxiv(), FakeKaggle(token=KAGGLE_TOKEN, competitions=kaggle_records())
    await arxiv.start()
    await kaggle.start()
    clock = FakeClock(START)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            extra = {
                "arxiv_api_base": arxiv.base_url,
                "arxiv_min_interval_seconds": 0,
                "kaggle_api_token": SecretStr(KAGGLE_TOKEN),
                "kaggle_api_base": kaggle.base_url,
                "roadmap": long_section_roadmap(Path(tmp) / "roadmap.md"),
            }
            async with bench_world(clock=clock, extra_settings=extra) as world:
                sim = world.sim
                stage = await build_stage(
                    sim, world.bot, clock, arxiv, kaggle, world.guild, world.admin
                )
                sim.latency = LATENCY
                floor = []
                for _ in range(FLOOR_SAMPLES):
                    ack, _ = await invoke_checked(sim, world.guild, world.member, "noop", {}, "ok")
                    floor.append(ack.acked_after)
                before = list(sim.interactions)
                acks = await run_everything(stage, besides={"noop"})
                assert late_interactions(sim, before) == []
                assert refused_callbacks(sim) == []
                sim.latency = None
                return acks, floor
    finally:
        await kaggle.stop()
        await arxiv.stop()


async def run(profile: str = "quick") -> Report:
    """Run the scenario `PROFILES[profile]` times; print and return the slowest of each."""
    rounds = PROFILES.get(profile, PROFILES["quick"])
    report = Report(f"{TITLE} ({profile})")
    acks: list[Ack] = []
    floor: list[float] = []
    for n in range(rounds):
        started = time.perf_counter()
        got, samples = await one_round()
        acks += got
        floor += samples
        print(
            f"round {n + 1}/{rounds}: {len(got)} interactions in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    base = median(floor)
    report.add(
        Figure(
            f"floor: /noop alone, median of {len(floor)} (the latency alone)",
            base,
            "s",
            note=f"slowest {max(floor):.3f} s; {rounds} rounds of {len(acks) // rounds} "
            f"interactions at once across members; arXiv answers in {SLOW_ARXIV} s",
        )
    )
    worst = slowest(acks)
    order = sorted(worst.values(), key=lambda a: (KINDS.index(a.kind), a.name))
    for ack in order:
        deferred = {5: "a deferral (thinking…)", 6: "a deferred update"}.get(ack.response_type)
        report.add(
            Figure(
                f"{ack.name} slowest",
                ack.acked_after,
                "s",
                goal=f"< {WINDOW:.0f} s (Discord's window)",
                baseline=base,
                baseline_name="/noop floor",
                ok=ack.acked_after < WINDOW,
                note=f"acknowledged by {deferred}; the answer follows" if deferred else "",
            )
        )
    overall = max(worst.values(), key=lambda a: a.acked_after)
    print(
        f"slowest of all: {overall.name} {overall.acked_after:.3f} s "
        f"({format_ratio(overall.acked_after / base)} the floor)",
        flush=True,
    )
    return report


def section(report: Report, profile: str) -> str:
    """This benchmark's section of RESULTS.md, in the same layout as `python -m benchmarks`."""
    lines = [
        f"## {report.title}",
        "",
        f"`python -m benchmarks.bench_latency {profile}` (run on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        "| figure | value | baseline (same run) | ratio | goal | met |",
        "|---|---|---|---|---|---|",
    ]
    for fig in report.figures:
        baseline = f"{fig.baseline:.3f} {fig.unit} ({fig.baseline_name})" if fig.baseline else "—"
        ratio = format_ratio(fig.ratio) if fig.ratio is not None else "—"
        met = "—" if fig.ok is None else ("yes" if fig.ok else "**no**")
        lines.append(
            f"| {fig.name} | {fig.value:.3f} {fig.unit} | {baseline} | {ratio} | "
            f"{fig.goal or '—'} | {met} |"
        )
    notes = [f"- {fig.name}: {fig.note}" for fig in report.figures if fig.note]
    return "\n".join([*lines, "", *notes, ""])


def write_section(report: Report, profile: str, path: Path = RESULTS) -> None:
    """Put this benchmark's section at the end of RESULTS.md, replacing an earlier one."""
    text = path.read_text("utf-8") if path.exists() else "# StudyBot benchmark results\n"
    head = f"## {TITLE}"
    start = text.find(head)
    if start != -1:
        end = text.find("\n## ", start + len(head))
        text = text[:start] + (text[end + 1 :] if end != -1 else "")
    path.write_text(text.rstrip("\n") + "\n\n" + section(report, profile), "utf-8")


async def main(profile: str) -> None:
    """Measure, then write the section."""
    report = await run(profile)
    write_section(report, profile)
    print(f"wrote the section '{report.title}' of {RESULTS}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "quick"))
