"""Daily jobs run exactly once per local day: across DST, after downtime, with two processes."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ManualClock
from bot.context import AppContext
from bot.events import JobGaveUp
from bot.jobs.claims import recent_runs
from bot.jobs.schedule import DailySchedule, HourlySchedule
from bot.jobs.scheduler import JobFailed, ScheduledJob, run_due_jobs
from tests.conftest import make_context
from tests.support.outbox import outbox_events

BERLIN = ZoneInfo("Europe/Berlin")


def counting_job(schedule: DailySchedule, calls: list[str], name: str = "digest") -> ScheduledJob:
    async def job(_: AppContext, period: str) -> str:
        calls.append(period)
        return f"ran {period}"

    return ScheduledJob(name, schedule, job)


def test_schedule_is_due_at_local_time_on_both_sides_of_a_dst_change() -> None:
    nine = DailySchedule(time(9, 0), BERLIN)
    # Last Sunday of March 2026: clocks go from 02:00 to 03:00 in Berlin.
    assert nine.scheduled_moment(date(2026, 3, 28)) == datetime(2026, 3, 28, 8, 0, tzinfo=UTC)
    assert nine.scheduled_moment(date(2026, 3, 29)) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert nine.due_period(datetime(2026, 3, 29, 6, 59, tzinfo=UTC)) is None
    assert nine.due_period(datetime(2026, 3, 29, 7, 0, tzinfo=UTC)) == "2026-03-29"


def test_a_time_inside_the_dst_gap_still_runs_that_day() -> None:
    half_past_two = DailySchedule(time(2, 30), BERLIN)
    moment = half_past_two.scheduled_moment(date(2026, 3, 29))
    assert moment.astimezone(BERLIN).date() == date(2026, 3, 29)
    assert half_past_two.due_period(moment) == "2026-03-29"


def test_job_runs_once_a_day_across_a_dst_week_with_frequent_ticks(
    ctx: AppContext, clock: ManualClock
) -> None:
    calls: list[str] = []
    job = counting_job(DailySchedule(time(9, 0), BERLIN), calls)
    clock.set(datetime(2026, 3, 26, 0, 0, tzinfo=UTC))
    while clock.now() < datetime(2026, 4, 2, 0, 0, tzinfo=UTC):
        asyncio.run(run_due_jobs(ctx, [job]))
        clock.advance(timedelta(minutes=30))
    assert calls == [f"2026-03-{day}" for day in range(26, 32)] + ["2026-04-01"]


def test_after_two_days_of_downtime_the_job_catches_up_once(ctx: AppContext, clock: ManualClock) -> None:
    calls: list[str] = []
    job = counting_job(DailySchedule(time(9, 0), ZoneInfo("Asia/Taipei")), calls)
    clock.set(datetime(2026, 5, 1, 2, 0, tzinfo=UTC))  # 10:00 in Taipei
    asyncio.run(run_due_jobs(ctx, [job]))
    clock.advance(timedelta(days=2, hours=5))  # the process was down; it starts again
    asyncio.run(run_due_jobs(ctx, [job]))
    asyncio.run(run_due_jobs(ctx, [job]))
    assert calls == ["2026-05-01", "2026-05-03"]


def test_a_failed_run_is_retried_after_a_minute_and_recorded(ctx: AppContext, clock: ManualClock) -> None:
    attempts: list[str] = []

    async def flaky(_: AppContext, period: str) -> str:
        attempts.append(period)
        if len(attempts) == 1:
            raise RuntimeError("Slack said no")
        return "posted"

    job = ScheduledJob("digest", DailySchedule(time(9, 0), ZoneInfo("UTC")), flaky)
    clock.set(datetime(2026, 5, 1, 10, 0, tzinfo=UTC))
    asyncio.run(run_due_jobs(ctx, [job]))
    failed = recent_runs(ctx.uow())[0]
    assert (failed.status, failed.detail) == ("failed", "RuntimeError: Slack said no")
    clock.advance(timedelta(seconds=59))
    asyncio.run(run_due_jobs(ctx, [job]))  # not yet: the first retry waits a minute
    clock.advance(timedelta(seconds=1))
    asyncio.run(run_due_jobs(ctx, [job]))
    asyncio.run(run_due_jobs(ctx, [job]))
    assert attempts == ["2026-05-01", "2026-05-01"]
    run = recent_runs(ctx.uow())[0]
    assert (run.status, run.detail, run.attempts) == ("done", "posted", 2)


def test_a_failing_job_is_tried_six_times_on_growing_delays_then_given_up_and_reported_once(
    database_url: str, clock: ManualClock
) -> None:
    tried_at: list[datetime] = []
    ctx = make_context(database_url, clock, slack_bot_token="xoxb-test")

    async def broken(_: AppContext, period: str) -> str:
        tried_at.append(clock.now())
        raise JobFailed("Slack refused the digest: not_in_channel", fix="invite the app")

    job = ScheduledJob("digest", DailySchedule(time(9, 0), ZoneInfo("UTC")), broken)
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    clock.set(start)
    for _ in range(2 * 60):  # an hour of the scheduler's 30-second ticks
        asyncio.run(run_due_jobs(ctx, [job]))
        clock.advance(timedelta(seconds=30))
    waits = [round((b - a).total_seconds() / 60) for a, b in itertools.pairwise(tried_at)]
    assert waits == [1, 2, 4, 8, 16]  # six tries
    reports = outbox_events(ctx, "slack")  # the report, committed with the give-up, for Slack to post
    assert [(r.job_name, r.period, r.attempts, r.fix) for r in reports if isinstance(r, JobGaveUp)] == [
        ("digest", "2026-05-01", 6, "invite the app")
    ]
    run = recent_runs(ctx.uow())[0]
    assert (run.status, run.attempts, run.detail) == (
        "gave_up",
        6,
        "Slack refused the digest: not_in_channel",
    )
    runs = {
        outcome: ctx.metrics.registry.get_sample_value(
            "retention_job_runs_total", {"job": "digest", "outcome": outcome}
        )
        for outcome in ("done", "failed", "gave_up")
    }
    assert runs == {"done": None, "failed": 5, "gave_up": 1}  # what /metrics shows
    ctx.close()


def test_two_processes_on_one_postgres_run_the_job_once(postgres_url: str, clock: ManualClock) -> None:
    calls: list[str] = []
    clock.set(datetime(2026, 5, 1, 10, 0, tzinfo=UTC))
    first, second = make_context(postgres_url, clock), make_context(postgres_url, clock)
    job = counting_job(DailySchedule(time(9, 0), ZoneInfo("UTC")), calls)

    async def both() -> None:
        for _ in range(5):
            await asyncio.gather(run_due_jobs(first, [job]), run_due_jobs(second, [job]))

    asyncio.run(both())
    assert calls == ["2026-05-01"]
    first.close()
    second.close()


def test_hourly_jobs_run_each_hour_including_the_repeated_hour_when_dst_ends() -> None:
    hourly = HourlySchedule(5, BERLIN)
    # 25 Oct 2026: 03:00 CEST becomes 02:00 CET, so local 02:xx happens twice.
    start = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    periods = {hourly.due_period(start + timedelta(minutes=10 * step)) for step in range(6 * 4)}
    periods.discard(None)
    assert len(periods) == 4  # four real hours, although the wall clock shows 02:xx twice
    assert hourly.due_period(datetime(2026, 10, 25, 0, 4, tzinfo=UTC)) is None
