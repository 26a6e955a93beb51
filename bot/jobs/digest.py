"""The daily digest as a scheduled job (SPEC §6): at DIGEST_TIME in TIMEZONE, once per local day.

The scheduler claims the day (job `digest`, period = the local day) and calls `digest_job`, which
records a `DigestDue` event (an outbox row, like every job's event) and waits for the Slack part to
deliver it: the Slack part (handlers/slack/digest_post.py) builds the digest (bot/services/digest.py),
posts it, or updates the day's message when an earlier try posted it, and writes the outcome into the
day's run (bot/services/digest_record.py). The job then reads that outcome: posted → done; Slack
refused or failed → `JobFailed`, and the scheduler tries again on its growing delays and, after the
last try, reports the give-up. The scheduler never touches Slack code.

The event names no customer (the digest is built when it is delivered): delivered outbox rows stay a
week, and an erasure finds rows by customer.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Final

from bot.context import AppContext
from bot.events import DigestDue
from bot.jobs.schedule import DailySchedule
from bot.jobs.scheduler import JobFailed, ScheduledJob
from bot.outbox import wait_delivered
from bot.services.digest_record import JOB_NAME, DigestRecord, day_run
from storage.models import JobRun
from storage.uow import UnitOfWork

DELIVERY_WAIT: Final = timedelta(minutes=5)
"""How long the job waits for a process running Slack to post the digest (building it, the chart and
Slack's own retries take seconds; a minute and more only when Slack is slow or no process runs it)."""
NOT_POSTED_FIX: Final = (
    "run `retention-bot run` with Slack (without --no-slack); `retention-bot jobs` shows what waits"
)


def digest_jobs(ctx: AppContext) -> list[ScheduledJob]:
    """The daily digest at DIGEST_TIME in TIMEZONE; none without a Slack token and team channel."""
    settings = ctx.settings
    if settings.slack_bot_token is None or not settings.slack_team_channel:
        return []
    return [ScheduledJob(JOB_NAME, DailySchedule(settings.digest_local_time, settings.tz), digest_job)]


def ask_for_digest(uow: UnitOfWork, day: date) -> int:
    """Record that the day's digest is due (for the Slack part to post); the run's try number."""
    with uow:
        run = uow.session.get(JobRun, (JOB_NAME, day.isoformat()))
        attempt = run.attempts if run is not None else 1
        uow.emit(DigestDue(day, attempt))
        return attempt


async def digest_job(ctx: AppContext, period: str) -> str:
    """The scheduled job (already claimed for `period` by the scheduler)."""
    day = date.fromisoformat(period)
    uow = ctx.uow()
    uow.keep_outbox_ids = True
    attempt = await asyncio.to_thread(ask_for_digest, uow, day)
    left = await wait_delivered(ctx, uow.outbox_ids, DELIVERY_WAIT.total_seconds(), destination="slack")
    run = await asyncio.to_thread(day_run, ctx.uow(), day)
    detail = run.detail if run is not None else ""
    record = DigestRecord.from_detail(detail)
    if record is not None and record.failed is not None and record.failed.attempt == attempt:
        raise JobFailed(record.failed.reason, record.failed.fix)
    if left or record is None or not record.ts:
        minutes = DELIVERY_WAIT.total_seconds() / 60
        raise JobFailed(f"the digest was not posted within {minutes:g} minutes", NOT_POSTED_FIX)
    return detail
