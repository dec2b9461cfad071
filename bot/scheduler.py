"""The bot's one APScheduler and the agenda: one job that wakes at the earliest due time.

Scheduled work lives in our own tables (a schedule's next due time, an unsent post's next
attempt). Each feature registers a *due source* with the agenda: how to read its earliest due
time, and how to deliver what is due. The agenda keeps a single APScheduler job armed at the
earliest time over every source, runs the sources that are due when it fires, and arms itself
again; a feature that changes a due time calls `Agenda.rearm()`. Ten thousand schedules cost
one job and one indexed MIN() per source, never a job each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from bot.clock import Clock

log = logging.getLogger(__name__)

AGENDA_JOB_ID = "agenda"
#: The agenda wakes at least this often even when nothing is due, so that a clock that jumped
#: (a suspended machine) or a due time written by another process is never missed for long.
MAX_SLEEP = timedelta(minutes=5)

#: The shortest pause between two wakes when work stays due after it ran.
RETRY_FLOOR_SECONDS = 5.0

NextDue = Callable[[], Awaitable[datetime | None]]
RunDue = Callable[[datetime], Awaitable[object]]


def make_scheduler() -> AsyncIOScheduler:
    """Create the scheduler the bot owns; its jobs are armed from our tables at start-up."""
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={
            # A job that could not run on time runs once, not once per missed firing; the
            # features' own claim tables decide whether a late run still sends anything.
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": 6 * 60 * 60,
        },
    )


@dataclass(frozen=True)
class DueSource:
    """A feature's scheduled work: its earliest due time and how to deliver what is due."""

    name: str
    next_due: NextDue
    run: RunDue


class Agenda:
    """One APScheduler job, armed at the earliest due time of every registered source."""

    def __init__(self, scheduler: AsyncIOScheduler, clock: Clock) -> None:
        self.scheduler = scheduler
        self.clock = clock
        self._sources: dict[str, DueSource] = {}
        self._lock = asyncio.Lock()
        self._done = asyncio.Condition()
        self.finished = 0
        self.armed_for: datetime | None = None
        #: The longest the job sleeps when nothing is due sooner.
        self.max_sleep = MAX_SLEEP
        self.wakes = 0

    def register(self, name: str, next_due: NextDue, run: RunDue) -> None:
        """Add (or replace) a feature's due source."""
        self._sources[name] = DueSource(name, next_due, run)

    def unregister(self, name: str) -> None:
        """Remove a feature's due source."""
        self._sources.pop(name, None)

    async def earliest(self) -> datetime | None:
        """The earliest due time over every source (None when nothing is scheduled)."""
        earliest: datetime | None = None
        for source in list(self._sources.values()):
            try:
                due = await source.next_due()
            except Exception:
                log.exception("could not read the next due time of %s", source.name)
                continue
            if due is not None and (earliest is None or due < earliest):
                earliest = due
        return earliest

    async def rearm(self, *, floor: float = 0.0, immediately: bool = False) -> datetime | None:
        """Arm the one job at the earliest due time (or `max_sleep` from now); returns it."""
        if not self.scheduler.running:
            return None
        now = self.clock()
        earliest = await self.earliest()
        wake = now + self.max_sleep if earliest is None else min(earliest, now + self.max_sleep)
        if immediately:
            wake = now
        # The job runs on the real clock; the delay comes from our (injectable) clock, so a
        # test that moves its clock to a due time and rearms makes the job fire at once.
        delay = max(floor, (wake - now).total_seconds())
        run_date = datetime.now(UTC) + timedelta(seconds=delay)
        self.scheduler.add_job(
            self.wake,
            DateTrigger(run_date=run_date),
            id=AGENDA_JOB_ID,
            name="deliver what is due",
            replace_existing=True,
            misfire_grace_time=None,
            # Wakes queue on the agenda's own lock; APScheduler must never drop one.
            max_instances=1000,
        )
        self.armed_for = wake
        return wake

    async def wake(self) -> None:
        """Run every source that is due now, then arm the job again."""
        async with self._lock:
            self.wakes += 1
            number = self.wakes
            try:
                now = self.clock()
                for source in list(self._sources.values()):
                    try:
                        due = await source.next_due()
                        if due is not None and due <= now:
                            await source.run(now)
                    except Exception:
                        log.exception("scheduled work of %s failed", source.name)
            finally:
                # Work that is still due after its run (Discord down, say) is retried after a
                # pause rather than in a tight loop.
                await self.rearm(floor=RETRY_FLOOR_SECONDS)
                async with self._done:
                    self.finished = number
                    self._done.notify_all()

    async def run_now(self) -> None:
        """Make the one job fire now (as it would at a due time) and wait until it has run."""
        after = self.wakes  # a wake that starts after this call
        await self.rearm(immediately=True)
        async with self._done:
            await self._done.wait_for(lambda: self.finished > after)

    def stop(self) -> None:
        """Remove the job (the bot is closing)."""
        self._sources.clear()
        try:
            self.scheduler.remove_job(AGENDA_JOB_ID)
        except JobLookupError:
            pass
