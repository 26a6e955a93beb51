"""Claiming a job's period in the database: the one row per (job, period) that makes it run once,
across restarts and across several processes sharing one PostgreSQL database.

A run that failed is claimed again from its `retry_at` (growing delays); after the last try it is
`gave_up` and stays so: the scheduler reports it once and the next period starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import col, select

from bot.config.rules import ScheduleRules
from storage.models import JobRun
from storage.uow import UnitOfWork
from storage.upsert import insert_ignore

STALE_AFTER = timedelta(hours=1)
"""A run still 'running' after this is taken to have died with its process, and may be claimed again."""


def claim(uow: UnitOfWork, job_name: str, period: str, now: datetime) -> bool:
    """True if this caller now owns the run of `job_name` for `period` (fresh, failed or stale)."""
    with uow:
        if insert_ignore(
            uow.session,
            JobRun,
            [
                {
                    "job_name": job_name,
                    "period": period,
                    "status": "running",
                    "started_at": now,
                    "detail": "",
                    "attempts": 1,
                }
            ],
        ):
            return True
        retried = uow.session.execute(
            update(JobRun)
            .where(
                col(JobRun.job_name) == job_name,
                col(JobRun.period) == period,
                ((col(JobRun.status) == "failed") & (func.coalesce(col(JobRun.retry_at), now) <= now))
                | ((col(JobRun.status) == "running") & (col(JobRun.started_at) < now - STALE_AFTER)),
            )
            .values(
                status="running",
                started_at=now,
                finished_at=None,
                retry_at=None,
                attempts=JobRun.attempts + 1,
            )
        )
        return bool(retried.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Finished:
    status: str
    """done, failed (to be tried again at retry_at) or gave_up."""
    attempts: int
    retry_at: datetime | None


def finish(
    uow: UnitOfWork,
    job_name: str,
    period: str,
    now: datetime,
    *,
    ok: bool,
    detail: str,
    retry: ScheduleRules | None = None,
    on_give_up: Callable[[int], object] | None = None,
) -> Finished:
    """Record the run's outcome; a failure is tried again after the `retry` policy's delay, or given up
    (then `on_give_up(attempts)` is the event that reports it, in the same transaction)."""
    with uow:
        run = uow.session.get(JobRun, (job_name, period))
        if run is None:
            return Finished("done" if ok else "failed", 0, None)
        run.finished_at = now
        run.detail = detail[:2000]
        run.retry_at = None
        if ok:
            run.status = "done"
        elif retry is None or run.attempts < retry.retry_tries:
            run.status = "failed"
            run.retry_at = now + retry.retry_delay(run.attempts) if retry is not None else None
        else:
            run.status = "gave_up"
            if on_give_up is not None:
                uow.emit(on_give_up(run.attempts))
        uow.session.add(run)
        return Finished(run.status, run.attempts, run.retry_at)


def next_retry(uow: UnitOfWork) -> datetime | None:
    """The soonest moment a failed run may be tried again (the scheduler wakes for it)."""
    with uow:
        soonest = uow.session.exec(select(func.min(JobRun.retry_at)).where(JobRun.status == "failed")).one()
        return soonest


def recent_runs(uow: UnitOfWork, limit: int = 50) -> list[JobRun]:
    with uow:
        return list(
            uow.session.exec(select(JobRun).order_by(col(JobRun.started_at).desc()).limit(limit)).all()
        )
