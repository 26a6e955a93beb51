"""Telling the team once when a scheduled job gave up (SPEC §11): in the team channel, or in each
admin's DM when the channel itself is the problem (the app is not in it, it is gone or archived).

The report is a JobGaveUp event in the outbox, written with the run's give-up: the outbox makes it
once (and tries again when Slack fails, waiting out a 429), so no claim of its own is needed."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.events import EventBus, JobGaveUp
from handlers.slack.deps import SlackDeps
from handlers.slack.notify import CHANNEL_PROBLEMS, api_error

log = logging.getLogger(__name__)

REPORT_CLAIMS = "job-report"
"""The claims reports made before the outbox (kept by the replay-guard clean-up)."""


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
        text = report_text(event)
        try:
            await self.client.chat_postMessage(channel=self.channel, text=text)
            return
        except SlackApiError as exc:
            if api_error(exc) not in CHANNEL_PROBLEMS:
                raise  # the outbox tries again (after Slack's Retry-After for a 429)
        admins = sorted(ctx.settings.admin_user_ids)
        if not admins:
            log.error(
                "job %s gave up and the team channel cannot be used; no SLACK_ADMIN_USER_IDS to tell", key
            )
            return
        limited: SlackApiError | None = None
        for admin in admins:
            try:
                await self.client.chat_postMessage(channel=admin, text=text)
            except SlackApiError as exc:
                if exc.response.status_code == 429:
                    limited = exc
                log.error("could not tell admin %s that job %s gave up: %s", admin, key, api_error(exc))
        if limited is not None:  # a rate limit delays the report, it does not drop it (at least once)
            raise limited

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(JobGaveUp, self.on_gave_up)
