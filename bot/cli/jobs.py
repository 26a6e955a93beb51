"""`retention-bot jobs`: the scheduled jobs, their last runs, next runs and failures; and the outbox:
messages for Telegram and Slack waiting to be delivered, and those given up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rich.table import Table

from bot.cli.common import app_context, console
from bot.jobs.claims import recent_runs
from bot.jobs.scheduler import default_jobs
from bot.services.digest_record import JOB_NAME as DIGEST
from bot.services.digest_record import for_people
from bot.services.outbox import OutboxSummary, summary
from storage.schema import require_current


def _local(moment: datetime, tz: ZoneInfo) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def jobs() -> None:
    """List the scheduled jobs with their next run, and the latest runs with their outcome."""
    with app_context() as ctx:
        require_current(ctx.engine)
        now = ctx.clock.now()
        tz = ctx.settings.tz
        schedule = Table(title=f"Scheduled jobs ({ctx.settings.timezone})")
        for column in ("job", "next run"):
            schedule.add_column(column)
        jobs = default_jobs(ctx)
        for job in jobs:
            schedule.add_row(job.name, job.schedule.next_run(now).astimezone(tz).strftime("%Y-%m-%d %H:%M"))
        if all(job.name != DIGEST for job in jobs):  # "why no digest?" is the first question asked
            schedule.add_row(DIGEST, "off: needs SLACK_BOT_TOKEN and SLACK_TEAM_CHANNEL", style="yellow")
        console.print(schedule)
        runs = Table(title="Latest runs")
        for column in ("job", "period", "status", "tries", "started", "finished", "outcome"):
            runs.add_column(column, overflow="fold")
        for run in recent_runs(ctx.uow(), limit=30):
            status = run.status.replace("_", " ")
            if run.status == "failed" and run.retry_at is not None:
                status = f"failed, again {_local(run.retry_at, tz)}"
            runs.add_row(
                run.job_name,
                run.period,
                status,
                f"{run.attempts} of {ctx.rules.schedule.retry_tries}"
                if run.status != "done"
                else str(run.attempts),
                _local(run.started_at, tz),
                _local(run.finished_at, tz) if run.finished_at else "—",
                for_people(run.detail),
                style="red" if run.status in ("failed", "gave_up") else None,
            )
        console.print(runs)
        _print_outbox(summary(ctx.uow()), tz)


def _print_outbox(found: OutboxSummary, tz: ZoneInfo) -> None:
    if not found.waiting and not found.given_up:
        console.print("Outbox: nothing waiting to be delivered, nothing given up.")
        return
    if found.waiting:
        waiting = Table(title="Outbox: waiting to be delivered")
        for column in ("to", "messages", "failed before (retrying)", "oldest"):
            waiting.add_column(column)
        for row in found.waiting:
            waiting.add_row(
                row.destination,
                str(row.rows),
                str(row.retrying),
                _local(row.oldest, tz) if row.oldest else "—",
                style="yellow" if row.retrying else None,
            )
        console.print(waiting)
    if found.given_up:
        given_up = Table(title="Outbox: given up (not delivered; see the log for each)")
        for column in ("row", "to", "event", "about", "tries", "given up", "last error"):
            given_up.add_column(column, overflow="fold")
        for gone in found.given_up:
            given_up.add_row(
                str(gone.id),
                gone.destination,
                gone.event_type.rpartition(":")[2],
                gone.aggregate or "—",
                str(gone.failures),
                _local(gone.settled_at, tz) if gone.settled_at else "—",
                gone.error,
                style="red",
            )
        console.print(given_up)
