"""Posting the daily digest to SLACK_TEAM_CHANNEL: the scheduled job's `DigestDue` (bot/jobs/digest.py),
`retention-bot digest`, `/crm digest`.

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
from bot.events import DigestDue, EventBus
from bot.i18n import translator
from bot.jobs.claims import STALE_AFTER, claim, finish
from bot.services.digest import Digest, build_digest
from bot.services.digest_chart import chart_title, digest_chart_png
from bot.services.digest_mentions import record_digest_mentions
from bot.services.digest_record import (
    JOB_NAME,
    DigestFailure,
    DigestRecord,
    day_run,
    record_failure,
    save_record,
)
from handlers.slack import digest_redaction as redaction
from handlers.slack.blocks import digest as blocks
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import api_error, slack_fix
from handlers.slack.people import TEAM_LANGUAGE

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
        await self.ctx.call(  # whom it names, for an erasure to redact them from it later
            record_digest_mentions,
            self.ctx.clock.now(),
            channel=channel,
            ts=ts,
            mentions=redaction.mentions(digest, shown),
        )
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


class DigestPoster:
    """Delivers the scheduled digest (`DigestDue`, from the outbox): builds and posts it, or updates the
    day's message an earlier try posted, and records in the day's run what came of it for the job to
    read. A failure is recorded, not raised: the job's own tries (growing delays, the give-up report)
    decide what happens next, as when the scheduler posted it itself."""

    def __init__(self, deps: SlackDeps, client: AsyncWebClient, channel: str) -> None:
        self.deps = deps
        self.publisher = DigestPublisher(deps.ctx, client, channel)

    async def on_due(self, event: DigestDue) -> None:
        try:
            await self.publisher.publish(event.day)
            return
        except SlackApiError as exc:
            error = api_error(exc)
            failure = DigestFailure(event.attempt, f"Slack refused the digest: {error}", slack_fix(error))
        except Exception as exc:  # handed to the job, which logs it and tries again
            failure = DigestFailure(event.attempt, f"{type(exc).__name__}: {exc}")
        ctx = self.deps.ctx
        await ctx.call(record_failure, event.day, failure)

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(DigestDue, self.on_due)
