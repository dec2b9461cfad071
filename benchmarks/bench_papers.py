"""Paper club at scale: a 5,000-guild fan-out under Discord's rate limits, and start-up.

The simulator enforces Discord's rate limits throughout (per-route buckets, 50 requests a
second globally outside the interaction endpoints); nothing here turns them off.

Figures:
* 5,000 guilds whose paper of the week falls due at the same moment, written straight into
  SQLite with their `next_due_utc`, delivered through the real path (the agenda wakes, the
  paper club claims every due occurrence into the outbox, the outbox sends): every post and
  thread exactly once, every outbox row 'done'; the fan-out's time against the floor the global
  limit sets for the requests it made (requests ÷ 50 per second); the simulator's own 429s;
  the longest event-loop stall while the 5,000 due schedules are claimed and over the whole
  fan-out; ``/topic`` median and p99 during the fan-out against ``/topic`` just before it;
* the same fan-out without ``amortize_ratelimit_sweep`` (discord.py's own bucket sweep), when
  the profile asks for it;
* start-up with 10,000 schedules in the database: constructing the bot to ready to deliver
  (cogs loaded, the gateway up, the start-up settling run done and the agenda armed), against
  the same start-up with an empty database.

Run: ``python -m benchmarks.bench_papers [smoke|quick|long] [--postgres URL]`` (quick: about
17 minutes). With ``--postgres``, every database of the run is a fresh schema in that PostgreSQL
database (dropped afterwards) instead of an SQLite file; ``--postgres`` alone uses the local
server (``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import asyncio
import gc
import math
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from benchmarks.common import (
    BenchBot,
    BenchWorld,
    Figure,
    Report,
    bench_world,
    median,
    percentile,
    time_invocations,
)
from bot.clock import FakeClock, db_time, parse_db_time
from bot.database import Database
from bot.settings import Settings
from cogs.papers.schedule import next_occurrence, parse_timezone
from tests.engines import DEFAULT_SERVER, connect_postgres, with_schema
from tests.simulator import DiscordSimulator, SimChannel, use_simulator
from tests.simulator.ratelimits import GLOBAL_EXEMPT_PREFIXES

# Tuesday 2026-11-24 18:00 in Berlin.
DUE = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
COGS = ("cogs.help", "cogs.roadmap", "cogs.progress", "cogs.papers")
TOPIC = ("topic", {"section": "4.5"})
ABOUT = (
    "The simulator enforces Discord's rate limits throughout. 5,000 guilds, one paper schedule "
    "each, all due at the same moment, written into the database with their next due time; the "
    "fake clock moves to the due time and the agenda's one job delivers them (claims into the "
    "outbox, then the outbox sends at the rate budget's 47 requests/s, 16 posts in flight). "
    "A member runs `/topic 4.5` every 50 ms before and during the fan-out; a probe reads "
    "/topic's finished count through the bot's database every 50 ms; a task waking every 5 ms "
    "measures event-loop stalls. The simulator shares the bot's process and event loop, so its "
    "own work (above all checking every body against Discord's OpenAPI spec) weighs on the "
    "bot's figures: the third variant turns only those checks off to show how much. Why the "
    "goals are missed, with profiles: [results/papers.md](results/papers.md)."
)
#: A member using the bot, before and during the fan-out alike: one /topic every 50 ms.
SAMPLE_GAP = 0.05
#: How often the event-loop monitor wakes; its lateness is the stall.
MONITOR_INTERVAL = 0.005


@asynccontextmanager
async def fresh_database(folder: Path, name: str, postgres: str | None) -> AsyncIterator[Any]:
    """An empty database for one measurement: an SQLite file, or a schema on PostgreSQL."""
    if postgres is None:
        yield folder / name
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with connect_postgres(postgres) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_schema(postgres, schema)
    finally:
        with connect_postgres(postgres) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@dataclass(frozen=True)
class Variant:
    """One way of running the fan-out."""

    label: str
    #: Whether `amortize_ratelimit_sweep` stays installed (False: discord.py's own sweep).
    amortized: bool = True
    #: Whether the simulator checks every body against Discord's OpenAPI spec, as in the
    #: tests. Its checks run on the bot's event loop (the simulator shares the process), so
    #: turning them off shows how much of a figure is the simulator's own work.
    spec_validation: bool = True


SHIPPED = Variant("as shipped")
WITHOUT_PATCH = Variant("discord.py's own bucket sweep", amortized=False)
UNVALIDATED = Variant("as shipped, simulator not checking the spec", spec_validation=False)

PROFILES: dict[str, dict[str, Any]] = {
    # A minute's check that the benchmark itself works; its figures mean little.
    "smoke": {
        "guilds": 300,
        "variants": [SHIPPED, WITHOUT_PATCH, UNVALIDATED],
        "floor_samples": 50,
        "schedules": 1000,
    },
    "quick": {
        "guilds": 5000,
        "variants": [SHIPPED, WITHOUT_PATCH, UNVALIDATED],
        "floor_samples": 400,
        "schedules": 10_000,
    },
    "long": {
        "guilds": 5000,
        "variants": [SHIPPED, WITHOUT_PATCH, UNVALIDATED],
        "floor_samples": 1000,
        "schedules": 10_000,
    },
}


async def write_schedules(
    path: Path | str,
    channels: Sequence[tuple[int, int]],
    *,
    now: datetime,
    varied: bool = False,
    with_next_due: bool = True,
) -> None:
    """Create the database and one schedule per (guild, channel), directly in SQL.

    By default every schedule is Tuesday 18:00 in Berlin (one fan-out); `varied` spreads them
    over weekdays, times and zones the way many servers would set them. `next_due_utc` is what
    `PaperRepo.save_schedule` stores (the next occurrence after `now`); without it the bot
    computes it at start-up (`fill_next_due`), as after an upgrade.
    """
    zones = ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC", "Australia/Sydney")
    since = db_time(now)
    rows = []
    for n, (guild, channel) in enumerate(channels):
        if varied:
            weekday, at, zone = n % 7, clock_time((n * 7) % 24, (n * 13) % 60), zones[n % 5]
        else:
            weekday, at, zone = 1, clock_time(18, 0), "Europe/Berlin"
        tz = parse_timezone(zone)
        due = db_time(next_occurrence(now, weekday, at, tz)) if with_next_due else None
        rows.append((guild, channel, weekday, at.strftime("%H:%M"), zone, since, due))
    db = Database(path)
    await db.connect()
    try:
        await db.migrate()
        await db.executemany(
            "INSERT INTO paper_schedules (guild_id, channel_id, weekday, at_time, timezone, "
            "role_id, created_by, active_since, next_due_utc) "
            "VALUES (?, ?, ?, ?, ?, NULL, 1, ?, ?)",
            rows,
        )
    finally:
        await db.close()


def forget_interactions(sim: DiscordSimulator) -> None:
    """Drop the simulator's interaction and body logs (the benchmark never reads them).

    The simulator runs in the bot's process; its logs of thousands of interactions would
    otherwise grow the heap the cyclic GC walks, and its pauses would be measured as the bot's.
    `sim.requests` is kept: the fan-out's requests are counted from it.
    """
    sim.request_bodies.clear()
    sim.interactions.clear()


async def sample_topic(world: BenchWorld, more: Callable[[list[float]], bool]) -> list[float]:
    """/topic latencies of a member using the bot every SAMPLE_GAP seconds, while `more`."""
    samples: list[float] = []
    while more(samples):
        try:
            res = await world.sim.invoke(world.guild, world.member, *TOPIC, timeout=10)
            samples.append(res.latency if res.latency is not None else math.inf)
        except TimeoutError:
            # Starved: not answered within Discord's 3 s, so the member saw "did not respond".
            samples.append(math.inf)
        forget_interactions(world.sim)
        await asyncio.sleep(SAMPLE_GAP)
    return samples


async def sample_reads(
    world: BenchWorld, more: Callable[[], bool], gap: float = SAMPLE_GAP
) -> list[float]:
    """Seconds the database read behind /topic takes (its finished count), every `gap` s.

    It is the Progress cog's own `finished_count`, through the bot's one database connection,
    so it waits where /topic's read waits.
    """
    progress: Any = world.bot.get_cog("Progress")
    section = world.bot.sections.find(TOPIC[1]["section"])
    assert progress is not None and section is not None
    samples: list[float] = []
    while more():
        started = time.perf_counter()
        await progress.finished_count(world.guild.id, section.id)
        samples.append(time.perf_counter() - started)
        await asyncio.sleep(gap)
    return samples


@dataclass
class LoopMonitor:
    """Wakes every `interval` seconds; how late each wake is measures the event loop's stalls.

    It also notes when `started` (a callable) first turns true (the end of the claim phase)
    and, through `gc.callbacks`, every garbage-collector pause of 5 ms or more.
    """

    started: Callable[[], bool]
    interval: float = MONITOR_INTERVAL
    lags: list[tuple[float, float]] = field(default_factory=list)
    gc_pauses: list[tuple[float, int, float]] = field(default_factory=list)
    first_send: float | None = None
    _task: asyncio.Task[None] | None = None
    _gc_started: float = 0.0

    def start(self) -> None:
        """Start watching."""
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.create_task(self._watch())

    async def stop(self) -> None:
        """Stop watching."""
        gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
        elif now - self._gc_started >= 0.005:
            self.gc_pauses.append((self._gc_started, info["generation"], now - self._gc_started))

    async def _watch(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            after = time.perf_counter()
            self.lags.append((before, after - before - self.interval))
            if self.first_send is None and self.started():
                self.first_send = after

    def worst(self, start: float = 0.0, end: float = math.inf) -> float:
        """The longest stall (s) of the wakes that began in [start, end)."""
        return max((lag for at, lag in self.lags if start <= at < end), default=0.0)

    def describe(self, origin: float, start: float = 0.0, end: float = math.inf) -> str:
        """The three longest stalls in [start, end) and the GC pauses among them, in words."""
        lags = sorted((x for x in self.lags if start <= x[0] < end), key=lambda x: -x[1])[:3]
        parts = []
        for at, lag in lags:
            gcs = [g for g in self.gc_pauses if at - 0.001 <= g[0] <= at + lag + self.interval]
            why = "; ".join(f"gen-{gen} GC {pause * 1000:.0f} ms" for _, gen, pause in gcs)
            where = f"{lag * 1000:.0f} ms at {at - origin:.1f} s"
            parts.append(f"{where} ({why})" if why else where)
        return ", ".join(parts)


def fanout_requests(sim: DiscordSimulator, since: int) -> list[Any]:
    """The requests after index `since` that count against Discord's global limit."""
    return [r for r in sim.requests[since:] if not r.path.startswith(GLOBAL_EXEMPT_PREFIXES)]


async def fan_out(
    report: Report,
    guilds: int,
    floor_samples: int,
    variant: Variant,
    *,
    freeze: bool = True,
    postgres: str | None = None,
) -> dict[str, float]:
    """Deliver `guilds` posts due at once while a member keeps using /topic."""
    clock = FakeClock(DUE - timedelta(hours=1))
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(Path(tmp), "papers.db", postgres) as path:
            return await _fan_out(
                report, guilds, floor_samples, variant, clock, path, freeze=freeze
            )


async def _fan_out(
    report: Report,
    guilds: int,
    floor_samples: int,
    variant: Variant,
    clock: FakeClock,
    path: Any,
    *,
    freeze: bool,
) -> dict[str, float]:
    channels: list[SimChannel] = []

    async def prepare(sim: DiscordSimulator) -> None:
        for n in range(guilds):
            guild = sim.add_guild(f"Study {n}")
            channels.append(sim.add_channel(guild, "paper-club"))
        await write_schedules(path, [(c.guild_id or 0, c.id) for c in channels], now=clock())

    async with bench_world(database=path, clock=clock, cogs=COGS, prepare=prepare) as world:
        bot, sim = world.bot, world.sim
        sim.spec_validation = variant.spec_validation
        if not variant.amortized:
            # Back to discord.py's own method (the patch is an instance attribute).
            vars(bot.http).pop("_try_clear_expired_ratelimits", None)
        await bot.settled()
        # Armed for the due time, or for its longest sleep when that comes first.
        assert bot.agenda.armed_for == min(DUE, clock() + bot.agenda.max_sleep)
        if freeze:
            # The simulator's 5,000-guild world lives in this process (a real bot's heap
            # does not hold Discord's side): keep it out of the cyclic GC's full passes.
            gc.collect()
            gc.freeze()

        await time_invocations(world, *TOPIC, 0)  # warm-up
        sampling = True
        reads_task = asyncio.create_task(sample_reads(world, lambda: sampling))
        floor = await sample_topic(world, lambda samples: len(samples) < floor_samples)
        sampling = False
        reads_before = await reads_task

        taken = bot.budget.taken
        monitor = LoopMonitor(lambda: bot.budget.taken > taken)
        requests_before = len(sim.requests)
        limited_before = len(sim.rate_limited)
        monitor.start()
        clock.set(DUE + timedelta(seconds=5))
        started = time.perf_counter()
        # What happens at the due time: the agenda's one job fires and delivers what is due.
        run = asyncio.create_task(bot.agenda.run_now())
        reads_task = asyncio.create_task(sample_reads(world, lambda: not run.done()))
        during = await sample_topic(world, lambda _: not run.done())
        reads_during = await reads_task
        await run
        elapsed = time.perf_counter() - started
        await monitor.stop()
        if freeze:
            gc.unfreeze()

        made = fanout_requests(sim, requests_before)
        limited = sim.rate_limited[limited_before:]
        statuses = Counter(r.status for r in made)
        floor_s = len(made) / (sim.global_rate or 50)
        claim_end = monitor.first_send or started
        stalls = {
            "claiming": monitor.worst(started, claim_end),
            "whole": monitor.worst(started),
        }
        rows: dict[str, int] = {
            row[0]: row[1]
            for row in await bot.db.fetch_all("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        }
        posts = [
            [m for m in sim.messages_in(c) if m.author_id == sim.bot_user.id] for c in channels
        ]
        own = [[m for m in ms if m.interaction_id is None] for ms in posts]
        once = sum(1 for ms in own if len(ms) == 1 and ms[0].thread is not None)
        twice = sum(1 for ms in own if len(ms) > 1)
        threads = sum(1 for ms in own for m in ms if m.thread is not None)
        threads_in_sim = sum(1 for t in sim.threads if t.parent_id in {c.id for c in channels})
        exact = (
            once == guilds and twice == 0 and threads_in_sim == guilds and rows == {"done": guilds}
        )

        tag = f"fan-out {guilds:,} guilds ({variant.label})"
        report.add(
            Figure(
                f"{tag}: channels with exactly one post and its thread",
                once,
                "channels",
                goal=f"= {guilds:,}, outbox rows all 'done'",
                ok=exact,
                note=f"{twice} with two posts, {threads} threads on posts, "
                f"{threads_in_sim} threads in the simulator, outbox rows {rows}, "
                f"spec violations {len(sim.spec_violations)}, "
                f"simulator errors {len(sim.server_errors)}",
            )
        )
        report.add(
            Figure(
                f"{tag}: time, due to the last post recorded",
                elapsed,
                "s",
                goal="≤ 1.1x the global-limit floor",
                baseline=floor_s,
                baseline_name=f"{len(made):,} requests ÷ {sim.global_rate}/s",
                ok=elapsed <= 1.1 * floor_s,
                note=f"{guilds / elapsed:.1f} posts/s, {len(made) / elapsed:.1f} requests/s; "
                f"claiming the {guilds:,} due schedules took {claim_end - started:.2f} s "
                f"before the first send, then {len(made) / (started + elapsed - claim_end):.1f}"
                f" requests/s; budget slots taken {bot.budget.taken - taken:,}; "
                f"answers {dict(sorted(statuses.items()))}",
            )
        )
        scopes = Counter(r.scope for r in limited)
        report.add(
            Figure(
                f"{tag}: 429s from the simulator's rate limits",
                len(limited),
                "429s",
                goal="a handful at most (≤ 5)",
                ok=len(limited) <= 5,
                note=f"by scope {dict(scopes)}; routes "
                f"{dict(Counter(r.route for r in limited).most_common(3))}",
            )
        )
        report.add(
            Figure(
                f"{tag}: longest event-loop stall while claiming the due schedules",
                stalls["claiming"] * 1000,
                "ms",
                note=f"monitor waking every {MONITOR_INTERVAL * 1000:g} ms; longest "
                f"{monitor.describe(started, started, claim_end)}; the design with a job "
                "per schedule stalled ~300 ms when 5,000 fired together",
            )
        )
        report.add(
            Figure(
                f"{tag}: longest event-loop stall over the whole fan-out",
                stalls["whole"] * 1000,
                "ms",
                note=f"longest {monitor.describe(started, started)}; p99 of the monitor's "
                f"lateness {percentile([lag for _, lag in monitor.lags], 99) * 1000:.2f} ms, "
                f"mean {statistics.fmean(lag for _, lag in monitor.lags) * 1000:.2f} ms; "
                f"{len(monitor.gc_pauses)} GC pauses ≥ 5 ms, "
                f"{sum(p for _, _, p in monitor.gc_pauses):.2f} s in all",
            )
        )
        unanswered = sum(math.isinf(x) for x in during)
        for stat, fn, goal in (
            ("median", median, 1.2),
            ("p99", lambda s: percentile(s, 99), 2.0),
        ):
            value, base = fn(during) * 1000, fn(floor) * 1000
            report.add(
                Figure(
                    f"{tag}: /topic {stat} during the fan-out",
                    value,
                    "ms",
                    goal=f"≤ {goal:g}x /topic just before",
                    baseline=base,
                    baseline_name="/topic before",
                    ok=value <= goal * base,
                    note=f"{len(during)} samples during, {len(floor)} before, "
                    f"{unanswered} not answered",
                )
            )
        for stat, fn in (("median", median), ("p99", lambda s: percentile(s, 99))):
            value, base = fn(reads_during) * 1000, fn(reads_before) * 1000
            report.add(
                Figure(
                    f"{tag}: the database read behind /topic (its finished count), {stat}",
                    value,
                    "ms",
                    baseline=base,
                    baseline_name="just before",
                    note=f"{len(reads_during)} reads during, {len(reads_before)} before, "
                    "through the bot's one connection, queued with the fan-out's writes",
                )
            )
        return {
            "elapsed": elapsed,
            "floor": floor_s,
            "stall": stalls["whole"],
            "p99": percentile(during, 99) / percentile(floor, 99),
        }


async def start_up_once(
    count: int, *, with_next_due: bool = True, postgres: str | None = None
) -> tuple[float, float]:
    """Seconds from constructing the bot to ready to deliver, and to the end of `setup_hook`.

    `count` schedules are stored, spread over weekdays, times and zones.
    """
    clock = FakeClock(DUE - timedelta(hours=1))
    sim = DiscordSimulator(token="bench-token")
    await sim.start()
    try:
        with use_simulator(sim), tempfile.TemporaryDirectory() as tmp:
            async with fresh_database(Path(tmp), "startup.db", postgres) as path:
                return await _start_up_once(sim, clock, path, count, with_next_due)
    finally:
        await sim.stop()


async def _start_up_once(
    sim: DiscordSimulator, clock: FakeClock, path: Any, count: int, with_next_due: bool
) -> tuple[float, float]:
    sim.add_guild("Study")
    await write_schedules(
        path,
        [(10_000 + n, 20_000 + n) for n in range(count)],
        now=clock(),
        varied=True,
        with_next_due=with_next_due,
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        discord_token=SecretStr("bench-token"),
        database=path,
        discord_api_base=sim.api_base,
        discord_gateway_url=sim.gateway_url,
        kaggle_api_base="http://127.0.0.1:9",
        arxiv_api_base="http://127.0.0.1:9/api/query",
    )
    gc.collect()
    started = time.perf_counter()
    bot = BenchBot(settings, clock=clock, cogs=COGS, guild_ready_timeout=0.05)
    await bot.login("bench-token")  # setup_hook: migrate, load cogs, register sources
    hooked = time.perf_counter() - started
    task = asyncio.create_task(bot.connect())
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 60)
        await asyncio.wait_for(bot.settled(), 60)  # settling run done, agenda armed
        elapsed = time.perf_counter() - started
        assert bot.agenda.armed_for is not None
        due = await bot.db.fetch_value(
            "SELECT COUNT(*) FROM paper_schedules WHERE next_due_utc IS NOT NULL"
        )
        assert due == count, (due, count)
        if count:
            earliest = await bot.db.fetch_value("SELECT MIN(next_due_utc) FROM paper_schedules")
            assert bot.agenda.armed_for == min(
                parse_db_time(earliest), clock() + bot.agenda.max_sleep
            ), (bot.agenda.armed_for, earliest)
    finally:
        await bot.close()
        await asyncio.wait_for(task, 30)
    return elapsed, hooked


async def start_up(
    report: Report, schedules: int, rounds: int = 7, postgres: str | None = None
) -> None:
    """Start-up to ready to deliver with `schedules` stored against an empty database.

    The two alternate, `rounds` times each, and the medians are compared: one start-up is
    short enough for the shared machine's noise to matter.
    """
    empty: list[tuple[float, float]] = []
    full: list[tuple[float, float]] = []
    await start_up_once(0, postgres=postgres)  # warm-up: imports, the OpenAPI spec, the roadmap
    for _ in range(rounds):
        empty.append(await start_up_once(0, postgres=postgres))
        full.append(await start_up_once(schedules, postgres=postgres))
    upgrade, _ = await start_up_once(schedules, with_next_due=False, postgres=postgres)
    ready = median([r for r, _ in full])
    ready_empty = median([r for r, _ in empty])
    extra = ready - ready_empty
    report.add(
        Figure(
            f"start-up with {schedules:,} schedules: constructing the bot to ready to deliver",
            ready,
            "s",
            goal="< 0.2 s beyond the empty start-up",
            baseline=ready_empty,
            baseline_name="empty database",
            ok=extra < 0.2,
            note=f"median of {rounds} each, alternating; {extra * 1000:+.0f} ms beyond the empty "
            f"start-up; runs {', '.join(f'{r:.3f}' for r, _ in full)} s against "
            f"{', '.join(f'{r:.3f}' for r, _ in empty)} s",
        )
    )
    hooked = median([h for _, h in full])
    hooked_empty = median([h for _, h in empty])
    report.add(
        Figure(
            f"start-up with {schedules:,} schedules: of which `setup_hook` (migrate, load the "
            "cogs, register the due sources)",
            hooked,
            "s",
            baseline=hooked_empty,
            baseline_name="empty database",
            note=f"{(hooked - hooked_empty) * 1000:+.0f} ms beyond the empty start-up",
        )
    )
    report.add(
        Figure(
            f"start-up with {schedules:,} schedules stored without their next due time",
            upgrade,
            "s",
            baseline=ready_empty,
            baseline_name="empty database",
            note="the first start after the upgrade: every next due time is computed once "
            f"({(upgrade - ready_empty) / schedules * 1e6:.0f} µs a schedule)",
        )
    )


async def run(profile: str = "quick", postgres: str | None = None) -> Report:
    """Run the paper-club benchmarks and print their figures (on PostgreSQL when given)."""
    settings = PROFILES.get(profile, PROFILES["quick"])
    engine = "" if postgres is None else ", PostgreSQL"
    report = Report(f"paper club ({profile}{engine})", about=ABOUT)
    await start_up(report, settings["schedules"], postgres=postgres)
    for variant in settings["variants"]:
        await fan_out(
            report, settings["guilds"], settings["floor_samples"], variant, postgres=postgres
        )
    return report


def main(argv: Sequence[str]) -> None:
    """`[profile] [--postgres [URL]]`."""
    args = list(argv)
    postgres: str | None = None
    if "--postgres" in args:
        at = args.index("--postgres")
        following = args[at + 1 : at + 2]
        postgres = following[0] if following and "://" in following[0] else DEFAULT_SERVER
        del args[at : at + 1 + (postgres is not DEFAULT_SERVER)]
    asyncio.run(run(args[0] if args else "quick", postgres))


if __name__ == "__main__":
    main(sys.argv[1:])
