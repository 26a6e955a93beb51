"""Posting the daily digest to SLACK_TEAM_CHANNEL: the scheduled job, `retention-bot digest`, `/crm digest`.

All three share the scheduler's claim (job `digest`, period = local day): the job posts once per
day; an explicit request posts if the day is unclaimed, otherwise (when forced) updates the day's
message in place (chat.update with the ts kept in the claim's record), never a silent duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date
from typing import Literal

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import AppContext
from bot.i18n import translator
from bot.jobs.claims import STALE_AFTER, claim, finish
from bot.jobs.schedule import DailySchedule
from bot.jobs.scheduler import JobFailed, ScheduledJob
from bot.services.digest import Digest, build_digest
from bot.services.digest_chart import chart_title, digest_chart_png
from bot.services.digest_record import JOB_NAME, DigestRecord, day_run, save_record
from handlers.slack.blocks import digest as blocks
from handlers.slack.notify import api_error, slack_fix
from handlers.slack.people import TEAM_LANGUAGE
from handlers.slack.web_client import close_client, slack_client

log = logging.getLogger(__name__)

Outcome = Literal["posted", "updated", "already", "in_progress"]


@dataclass(frozen=True)
class Published:
    outcome: Outcome
    day: date
    ts: str | None
    detail: str = ""


class DigestPublisher:
    def __init__(self, ctx: AppContext, client: AsyncWebClient, channel: str) -> None:
        self.ctx = ctx
        self.client = client
        self.channel = channel
        self.t = translator(TEAM_LANGUAGE)

    def today(self) -> date:
        return self.ctx.clock.now().astimezone(self.ctx.settings.tz).date()

    async def build(self, day: date) -> Digest:
        ctx = self.ctx
        return await asyncio.to_thread(build_digest, ctx.uow(), ctx.clock, ctx.rules, ctx.settings.tz, day)

    async def publish(self, day: date) -> Published:
        """Post the day's digest, or update its message if the day's record has one (a retried run)."""
        existing = await asyncio.to_thread(day_run, self.ctx.uow(), day)
        record = DigestRecord.from_detail(existing.detail if existing else None)
        digest = await self.build(day)
        text, shown = blocks.digest_text(self.t, digest), blocks.digest_blocks(self.t, digest)
        if record is not None and record.ts:
            channel = record.channel or self.channel
            await self.client.chat_update(channel=channel, ts=record.ts, text=text, blocks=shown)
            outcome: Outcome = "updated"
            ts = record.ts
        else:
            posted = await self.client.chat_postMessage(channel=self.channel, text=text, blocks=shown)
            channel, ts, outcome = str(posted["channel"]), str(posted["ts"]), "posted"
        charted = record.chart if record is not None and outcome == "updated" else None
        summary = f"{outcome} {digest.summary()}"
        detail = digest.record(channel, ts, charted).to_detail(summary)
        await asyncio.to_thread(save_record, self.ctx.uow(), day, detail)  # the post is known at once
        fingerprint = digest.chart_fingerprint
        if charted != fingerprint and await self._chart(digest, channel, ts):
            detail = digest.record(channel, ts, fingerprint).to_detail(summary)
            await asyncio.to_thread(save_record, self.ctx.uow(), day, detail)
        return Published(outcome, day, ts, detail)

    async def _chart(self, digest: Digest, channel: str, ts: str) -> bool:
        """The chart in the digest's thread (an update uploads it only if its numbers changed); a
        failed upload never fails (and so re-posts) the digest. Whether it was uploaded."""
        png = await asyncio.to_thread(digest_chart_png, digest.weeks, chart_title(digest.weeks))
        try:
            await self.client.files_upload_v2(
                channel=channel,
                thread_ts=ts,
                content=png,
                filename=f"digest-{digest.day.isoformat()}.png",
                title=self.t.format("slack.digest.chart_title"),
            )
        except SlackApiError as exc:
            log.warning("digest chart upload failed: %s", api_error(exc))
            return False
        return True

    async def request(self, day: date, *, force: bool) -> Published:
        """An explicit request (CLI, `/crm digest`): claim the day and post, or (forced) update the post."""
        ctx = self.ctx
        now = ctx.clock.now()
        if await asyncio.to_thread(claim, ctx.uow(), JOB_NAME, day.isoformat(), now):
            try:
                published = await self.publish(day)
            except Exception as exc:
                await asyncio.to_thread(
                    finish,
                    ctx.uow(),
                    JOB_NAME,
                    day.isoformat(),
                    ctx.clock.now(),
                    ok=False,
                    detail=f"{type(exc).__name__}: {exc}",
                    retry=ctx.rules.schedule,
                )
                raise
            await asyncio.to_thread(
                finish,
                ctx.uow(),
                JOB_NAME,
                day.isoformat(),
                ctx.clock.now(),
                ok=True,
                detail=published.detail,
            )
            return published
        run = await asyncio.to_thread(day_run, ctx.uow(), day)
        record = DigestRecord.from_detail(run.detail if run else None)
        if run is not None and run.status == "running" and not (record and record.ts):
            started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=now.tzinfo)
            if started > now - STALE_AFTER:
                return Published("in_progress", day, None)
        if not force:
            return Published("already", day, record.ts if record else None)
        return await self.publish(day)


async def digest_job(ctx: AppContext, period: str) -> str:
    """The scheduled job (already claimed for `period` by the scheduler)."""
    channel = ctx.settings.slack_team_channel
    assert channel is not None
    # A client of its own: the scheduler runs without the Bolt app (--no-slack).
    client = slack_client(ctx.settings, ctx.metrics.platform("slack"))
    publisher = DigestPublisher(ctx, client, channel)
    try:
        published = await publisher.publish(date.fromisoformat(period))
    except SlackApiError as exc:
        error = api_error(exc)
        raise JobFailed(f"Slack refused the digest: {error}", slack_fix(error)) from exc
    finally:
        await close_client(client)
    return published.detail


def scheduled_digest(ctx: AppContext) -> ScheduledJob | None:
    """The daily digest at DIGEST_TIME in TIMEZONE; None without a Slack token and team channel."""
    settings = ctx.settings
    if settings.slack_bot_token is None or not settings.slack_team_channel:
        return None
    return ScheduledJob(JOB_NAME, DailySchedule(settings.digest_local_time, settings.tz), digest_job)
