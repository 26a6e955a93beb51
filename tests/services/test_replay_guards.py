"""`processed_update` stays a few days deep: the claims of Telegram updates and Slack events are
forgotten once no replay can bring them back (a daily job); other claims in the table are kept."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import AppContext
from bot.jobs.automations import automation_jobs
from bot.jobs.scheduler import ScheduledJob, run_due_jobs
from bot.services.alerts import ALERT_CLAIMS
from bot.services.inbound import REPLAY_WINDOW, claim_inbound, forget_replay_guards
from handlers.slack.digest_actions import SEE_ALL_CLAIMS
from handlers.slack.job_reports import REPORT_CLAIMS
from storage.models import ProcessedUpdate


def claim(ctx: AppContext, platform: str, key: str, at: datetime) -> bool:
    return claim_inbound(ctx.uow(), platform=platform, key=key, now=at)


def kept(ctx: AppContext) -> set[tuple[str, str]]:
    uow = ctx.uow()
    with uow:
        return {(row.platform, row.update_key) for row in uow.session.exec(select(ProcessedUpdate)).all()}


def forget_job(ctx: AppContext) -> list[ScheduledJob]:
    return [job for job in automation_jobs(ctx) if job.name == "forget-replays"]


def test_old_replay_guards_go_in_batches_and_everything_else_stays(
    ctx: AppContext, clock: ManualClock
) -> None:
    now = clock.now()
    old = now - REPLAY_WINDOW - timedelta(minutes=1)
    for n in range(5):
        assert claim(ctx, "telegram", str(1000 + n), old)
    assert claim(ctx, "slack", "event:Ev-old", old)
    assert claim(ctx, "telegram", "2000", now - REPLAY_WINDOW + timedelta(minutes=1))
    assert claim(ctx, "slack", "event:Ev-new", now)
    durable = {
        (ALERT_CLAIMS, "ticket:1"),
        (REPORT_CLAIMS, "score:2026-01-01"),
        (SEE_ALL_CLAIMS, "digest-all:C1:1.0"),
    }
    for platform, key in durable:
        assert claim(ctx, platform, key, old - timedelta(days=300))

    before = now - REPLAY_WINDOW
    assert forget_replay_guards(ctx.uow(), before=before, limit=4) == 4
    assert forget_replay_guards(ctx.uow(), before=before, limit=4) == 2
    assert forget_replay_guards(ctx.uow(), before=before, limit=4) == 0

    assert kept(ctx) == {("telegram", "2000"), ("slack", "event:Ev-new"), *durable}


def test_a_replay_inside_the_window_is_still_refused_after_the_clean_up(
    ctx: AppContext, clock: ManualClock
) -> None:
    first = clock.now()
    assert claim(ctx, "telegram", "42", first)
    clock.advance(timedelta(hours=23))  # Telegram redelivers for up to 24 hours
    forget_replay_guards(ctx.uow(), before=clock.now() - REPLAY_WINDOW)
    assert not claim(ctx, "telegram", "42", clock.now())


async def test_the_daily_job_forgets_old_claims_once_a_day_at_half_past_four(
    ctx: AppContext, clock: ManualClock
) -> None:
    tz = ctx.settings.tz
    monday = datetime.combine(clock.now().astimezone(tz).date() + timedelta(days=1), time(4, 0), tz)
    clock.set(monday)
    for n in range(3):
        claim(ctx, "telegram", f"old-{n}", monday - timedelta(days=10))
    claim(ctx, "slack", "event:yesterday", monday - timedelta(days=1))
    jobs = forget_job(ctx)

    assert await run_due_jobs(ctx, jobs) == []  # 04:00: not yet
    clock.set(monday.replace(minute=31))
    [(name, period, outcome)] = await run_due_jobs(ctx, jobs)
    assert (name, period) == ("forget-replays", monday.date().isoformat())
    assert outcome.startswith("replay claims older than 3 days forgotten: 3;")
    assert kept(ctx) == {("slack", "event:yesterday")}

    claim(ctx, "telegram", "old-again", monday - timedelta(days=10))
    clock.advance(timedelta(hours=6))
    assert await run_due_jobs(ctx, jobs) == []  # once per day
    clock.advance(timedelta(days=1))
    [(_, _, outcome)] = await run_due_jobs(ctx, jobs)
    assert outcome.startswith("replay claims older than 3 days forgotten: 1;")
