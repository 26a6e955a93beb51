"""Claiming a job's period in the database: the one row per (job, period) that makes it run once,
across restarts and across several processes sharing one PostgreSQL database."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

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
            [{"job_name": job_name, "period": period, "status": "running", "started_at": now, "detail": ""}],
        ):
            return True
        retried = uow.session.execute(
            update(JobRun)
            .where(
                col(JobRun.job_name) == job_name,
                col(JobRun.period) == period,
                (col(JobRun.status) == "failed")
                | ((col(JobRun.status) == "running") & (col(JobRun.started_at) < now - STALE_AFTER)),
            )
            .values(status="running", started_at=now, finished_at=None)
        )
        return bool(retried.rowcount)  # type: ignore[attr-defined]


def finish(uow: UnitOfWork, job_name: str, period: str, now: datetime, *, ok: bool, detail: str) -> None:
    with uow:
        run = uow.session.get(JobRun, (job_name, period))
        if run is None:
            return
        run.status = "done" if ok else "failed"
        run.finished_at = now
        run.detail = detail[:2000]
        uow.session.add(run)


def recent_runs(uow: UnitOfWork, limit: int = 50) -> list[JobRun]:
    with uow:
        return list(
            uow.session.exec(select(JobRun).order_by(col(JobRun.started_at).desc()).limit(limit)).all()
        )
