"""Telling the team once when a scheduled job gave up (SPEC §11): in the team channel, or in each
admin's DM when the channel itself is the problem (the app is not in it, it is gone or archived)."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import EventBus, JobGaveUp
from bot.services.inbound import claim_inbound
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import CHANNEL_PROBLEMS, api_error

log = logging.getLogger(__name__)

REPORT_CLAIMS = "job-report"


def report_text(event: JobGaveUp) -> str:
    lines = [
        f":warning: The scheduled job *{event.job_name}* for {event.period} failed {event.attempts} "
        "times and was given up.",
        f"Reason: {event.reason}",
    ]
    if event.fix:
        lines.append(f"Fix: {event.fix}")
    lines.append("`retention-bot jobs` shows its runs; the job runs again for the next period.")
    return "\n".join(lines)


class JobReporter:
    def __init__(self, deps: SlackDeps, client: AsyncWebClient, channel: str) -> None:
        self.deps = deps
        self.client = client
        self.channel = channel

    async def on_gave_up(self, event: JobGaveUp) -> None:
        ctx = self.deps.ctx
        key = f"{event.job_name}:{event.period}"
        if not await ctx.call(claim_inbound, platform=REPORT_CLAIMS, key=key, now=ctx.clock.now()):
            return  # reported already (another process, or a replay)
        text = report_text(event)
        try:
            await self.client.chat_postMessage(channel=self.channel, text=text)
            return
        except SlackApiError as exc:
            error = api_error(exc)
            if error not in CHANNEL_PROBLEMS:
                log.error("could not report job %s to Slack: %s", key, error)
                return
        admins = sorted(ctx.settings.admin_user_ids)
        if not admins:
            log.error(
                "job %s gave up and the team channel cannot be used; no SLACK_ADMIN_USER_IDS to tell", key
            )
            return
        for admin in admins:
            try:
                await self.client.chat_postMessage(channel=admin, text=text)
            except SlackApiError as exc:
                log.error("could not tell admin %s that job %s gave up: %s", admin, key, api_error(exc))

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(JobGaveUp, self.on_gave_up)
