"""The scheduler part of `retention-bot run`: APScheduler ticks, the database decides what runs.

APScheduler's own job store is not shared between processes (its FAQ says so), so it only
provides the tick; whether a job's period is due and unclaimed is decided by `schedule.py`
and `claims.py`.

The tick runs at start (catching up after downtime), every `tick_seconds` for as long as the
process runs (retrying what failed), and once more at the moment the soonest job falls due, so
the digest arrives at DIGEST_TIME to the second rather than up to a tick late.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.routing import BaseRoute

from bot.context import AppContext
from bot.events import JobGaveUp
from bot.jobs.claims import claim, finish, next_retry
from bot.jobs.schedule import Schedule

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: the process stopped; tried again at the next start"
WAKE_MARGIN = timedelta(milliseconds=20)
"""Wake a little after the due moment, so the tick never finds the job a hair short of due."""

JobFunction = Callable[[AppContext, str], Awaitable[str]]
"""A job: given the context and its period, does its work and returns a one-line outcome."""
Sweep = Callable[[AppContext], Awaitable[str | None]]
"""Work done at every tick, claimed row by row in the database rather than once per period (the
first-response clock's overdue flags); returns a one-line outcome when it did something."""


class JobFailed(Exception):
    """A job's failure with what a person can do about it (the give-up report shows both)."""

    def __init__(self, reason: str, fix: str | None = None) -> None:
        super().__init__(reason)
        self.fix = fix


@dataclass(frozen=True)
class ScheduledJob:
    name: str
    schedule: Schedule
    run: JobFunction


async def run_due_jobs(ctx: AppContext, jobs: list[ScheduledJob]) -> list[tuple[str, str, str]]:
    """Run every job whose period is due and that this process manages to claim.

    Returns (job, period, outcome) for what ran here.
    """
    ran: list[tuple[str, str, str]] = []
    for job in jobs:
        now = ctx.clock.now()
        period = job.schedule.due_period(now)
        if period is None or not await asyncio.to_thread(claim, ctx.uow(), job.name, period, now):
            continue
        try:
            outcome = await job.run(ctx, period)
        except asyncio.CancelledError:  # the process is stopping: free the claim for the next start
            finish(ctx.uow(), job.name, period, ctx.clock.now(), ok=False, detail=INTERRUPTED)
            log.info("job %s for %s interrupted: the process is stopping", job.name, period)
            raise
        except Exception as exc:
            reason = str(exc) if isinstance(exc, JobFailed) else f"{type(exc).__name__}: {exc}"
            fix = exc.fix if isinstance(exc, JobFailed) else None
            finished = await ctx.call(  # the give-up and its report (an outbox row) in one transaction
                finish,
                job.name,
                period,
                ctx.clock.now(),
                ok=False,
                detail=reason,
                retry=ctx.rules.schedule,
                on_give_up=functools.partial(_report, job.name, period, reason, fix),
            )
            tries = f"try {finished.attempts} of {ctx.rules.schedule.retry_tries}"
            if finished.status == "gave_up":
                log.error("job %s for %s failed (%s), giving up: %s", job.name, period, tries, reason)
            else:
                when = finished.retry_at.isoformat(timespec="seconds") if finished.retry_at else "now"
                log.warning(
                    "job %s for %s failed (%s), again at %s: %s", job.name, period, tries, when, reason
                )
            ran.append((job.name, period, f"failed: {reason}"))
        else:
            finished = await asyncio.to_thread(
                finish, ctx.uow(), job.name, period, ctx.clock.now(), ok=True, detail=outcome
            )
            log.info("job %s for %s: %s", job.name, period, outcome)
            ran.append((job.name, period, outcome))
        ctx.metrics.job_finished(job.name, finished.status)
    return ran


async def run_sweeps(ctx: AppContext, sweeps: list[Sweep]) -> list[str]:
    """Run every sweep once; one that fails is logged and tried again at the next tick."""
    done: list[str] = []
    for sweep in sweeps:
        try:
            outcome = await sweep(ctx)
        except Exception:
            log.exception("scheduler: %s failed; tried again at the next tick", _sweep_name(sweep))
            continue
        if outcome:
            done.append(outcome)
    return done


def _sweep_name(sweep: Sweep) -> str:
    return getattr(sweep, "__name__", repr(sweep))


def _report(job_name: str, period: str, reason: str, fix: str | None, attempts: int) -> JobGaveUp:
    return JobGaveUp(job_name, period, attempts, reason, fix)


class SchedulerComponent:
    name = "scheduler"

    def __init__(
        self,
        ctx: AppContext,
        jobs: list[ScheduledJob] | None = None,
        tick_seconds: float = 30,
        sweeps: list[Sweep] | None = None,
    ) -> None:
        self.routes: list[BaseRoute] = []
        self._ctx = ctx
        self._jobs = jobs if jobs is not None else default_jobs(ctx)
        # Given jobs alone (a test's), no sweeps unless given too.
        self._sweeps = sweeps if sweeps is not None else default_sweeps() if jobs is None else []
        self._tick_seconds = tick_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._running = asyncio.Lock()
        self._ticks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        scheduler = AsyncIOScheduler(
            timezone=self._ctx.settings.tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # No next_run_time argument: APScheduler 3 reads next_run_time=None as "add it paused".
        scheduler.add_job(self._trigger, "interval", seconds=self._tick_seconds, id="tick")
        # Catch up at once after downtime, not at the first interval; in the background, so a slow
        # job (scoring, the digest's chart) never holds up the bot's start.
        scheduler.add_job(self._trigger, id="catch-up", kwargs={"first": True})
        scheduler.start()
        self._scheduler = scheduler

    async def _trigger(self, *, first: bool = False) -> None:
        """APScheduler's job: run a tick in a task of our own, which `stop` cancels and awaits
        (a tick cancelled inside APScheduler's executor is logged as a crash)."""
        task = asyncio.create_task(self._background_tick(first), name="scheduler-tick")
        self._ticks.add(task)
        task.add_done_callback(self._ticks.discard)

    async def _background_tick(self, first: bool) -> None:
        try:
            ran = await self.tick()
        except Exception:  # e.g. the database is unreachable: the next tick tries again
            log.exception("scheduler tick failed")
            return
        if first:
            log.info("scheduler: caught up at start (%d job run(s) here)", len(ran))

    async def tick(self) -> list[tuple[str, str, str]]:
        """Run what is due now; (job, period, outcome) for what ran here (the demo shows them)."""
        async with self._running:  # the interval, the due-time wake-up and the demo never overlap
            ran = await run_due_jobs(self._ctx, self._jobs)
            await run_sweeps(self._ctx, self._sweeps)
        await self._wake_when_next_due()
        return ran

    async def _wake_when_next_due(self) -> None:
        """Tick again when the soonest job falls due or a failed one may be retried, if that comes
        before the next interval tick."""
        scheduler = self._scheduler
        if scheduler is None or not self._jobs:
            return
        now = self._ctx.clock.now()
        moments = [job.schedule.next_run(now) for job in self._jobs]
        retry = await asyncio.to_thread(next_retry, self._ctx.uow())
        if retry is not None:
            moments.append(retry if retry.tzinfo else retry.replace(tzinfo=UTC))
        delay = min(moments) - now
        if delay >= timedelta(seconds=self._tick_seconds):
            return
        # APScheduler waits on the system clock; ctx.clock may run ahead of it (the demo's "advance").
        run_date = datetime.now(UTC) + max(delay, timedelta()) + WAKE_MARGIN
        scheduler.add_job(self.tick, "date", run_date=run_date, id="due", replace_existing=True)

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for task in list(self._ticks):
            task.cancel()
        await asyncio.gather(*self._ticks, return_exceptions=True)


def default_jobs(ctx: AppContext) -> list[ScheduledJob]:
    """The daily jobs of SPEC §6 that exist so far (the digest and automations register here)."""
    from bot.jobs.automations import automation_jobs  # these modules import this one
    from bot.jobs.digest import digest_jobs

    return [*digest_jobs(ctx), *automation_jobs(ctx)]


def default_sweeps() -> list[Sweep]:
    """What every tick does besides the due jobs."""
    from bot.jobs.response_clock import flag_overdue_conversations

    return [flag_overdue_conversations]
