"""The scheduler part of `retention-bot run`: APScheduler ticks, the database decides what runs.

APScheduler's own job store is not shared between processes (its FAQ says so), so it only
provides the tick; whether a job's period is due and unclaimed is decided by `schedule.py`
and `claims.py`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.routing import BaseRoute

from bot.context import AppContext
from bot.jobs.claims import claim, finish
from bot.jobs.schedule import Schedule

log = logging.getLogger(__name__)

JobFunction = Callable[[AppContext, str], Awaitable[str]]
"""A job: given the context and its period, does its work and returns a one-line outcome."""


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
        except Exception as exc:
            log.exception("job %s for %s failed", job.name, period)
            await asyncio.to_thread(
                finish,
                ctx.uow(),
                job.name,
                period,
                ctx.clock.now(),
                ok=False,
                detail=f"{type(exc).__name__}: {exc}",
            )
            ran.append((job.name, period, f"failed: {exc}"))
            continue
        await asyncio.to_thread(finish, ctx.uow(), job.name, period, ctx.clock.now(), ok=True, detail=outcome)
        log.info("job %s for %s: %s", job.name, period, outcome)
        ran.append((job.name, period, outcome))
    return ran


class SchedulerComponent:
    name = "scheduler"

    def __init__(
        self, ctx: AppContext, jobs: list[ScheduledJob] | None = None, tick_seconds: float = 30
    ) -> None:
        self.routes: list[BaseRoute] = []
        self._ctx = ctx
        self._jobs = jobs if jobs is not None else default_jobs(ctx)
        self._tick_seconds = tick_seconds
        self._scheduler: AsyncIOScheduler | None = None

    async def start(self) -> None:
        scheduler = AsyncIOScheduler(
            timezone=self._ctx.settings.tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        scheduler.add_job(self.tick, "interval", seconds=self._tick_seconds, id="tick", next_run_time=None)
        scheduler.start()
        self._scheduler = scheduler
        await self.tick()  # catch up at once after downtime, not at the first interval

    async def tick(self) -> list[tuple[str, str, str]]:
        """Run what is due now; (job, period, outcome) for what ran here (the demo shows them)."""
        return await run_due_jobs(self._ctx, self._jobs)

    async def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None


def default_jobs(ctx: AppContext) -> list[ScheduledJob]:
    """The daily jobs of SPEC §6 that exist so far (the digest and automations register here)."""
    jobs: list[ScheduledJob] = []
    from handlers.slack.digest_post import scheduled_digest  # the digest posts to Slack

    digest = scheduled_digest(ctx)
    if digest is not None:
        jobs.append(digest)
    from bot.jobs.automations import automation_jobs  # imports this module

    jobs.extend(automation_jobs(ctx))
    return jobs
